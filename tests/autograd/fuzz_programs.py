"""Random programs for the differential fuzzer (test_fuzz_torch.py): how a program is written
down and grown.

A program is a short straight-line script: a few leaf tensors, then steps, each applying one op to
earlier values (any earlier value, so intermediates are shared and the graph is a DAG). Every step
is written as the line of Python that runs it, so a failing example prints as a script
(`entry(name)` is op_catalogue.entry). A step is only added where PyTorch accepts it on the real
values and its result is small and finite; PyTorch's operands are cast as NumPy would promote them.
Which steps are drawn is fuzz_catalogue.py's business; the richer drawers of some ops are in
fuzz_structural.py.
"""
import math
import warnings

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

MAX_NDIM, MAX_SIZE = 5, 256
# Larger values make the comparison meaningless (float32: cos(1000) is only good to ~1e-4), so a
# step that would produce one is not drawn.
HUGE = {np.float64: 1e6, np.float32: 1e2}
DTYPES = {"float64": (np.float64,), "float32": (np.float32,), "mixed": (np.float32, np.float64)}


class Const:
    """A constant operand (an ndarray or a Python number) baked into a step."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def lit(c):
    """Python source for a constant."""
    if isinstance(c, np.ndarray):
        dtype = "" if c.dtype == np.float64 else f", dtype=np.{c.dtype}"
        return f"np.array({c.tolist()!r}{dtype})"
    return repr(c)


class Step:
    """One line of a program: `template` over operand codes ({0}, {1}, ...); `items` says which
    operand is an earlier value (an int index) and which a Const. `ours` and `theirs` apply the op
    to the operands (Tensors, or torch tensors cast as NumPy would promote them). `kink` (an
    op_catalogue.Kink, with `kink_kw` such as the axis) says where the op is not differentiable;
    `inplace`: the step changes its first operand in place and gives it back (its template then
    a statement: `with ag.no_grad(): {0} *= 2`, `{0}[1:] = {1}`)."""

    __slots__ = ("template", "items", "ours", "theirs", "kink", "kink_kw", "inplace")

    def __init__(self, template, items, ours, theirs, kink=None, kink_kw=None, inplace=False):
        self.template, self.items = template, list(items)
        self.ours, self.theirs, self.kink, self.kink_kw = ours, theirs, kink, kink_kw or {}
        self.inplace = inplace

    @property
    def args(self):
        return [i for i in self.items if not isinstance(i, Const)]

    def code(self, out):
        operands = [lit(i.value) if isinstance(i, Const) else f"v{i}" for i in self.items]
        if self.inplace:
            return f"v{out} = {operands[0]}\n    " + self.template.format(f"v{out}", *operands[1:])
        return f"v{out} = " + self.template.format(*operands)


class Program:
    def __init__(self, leaves, requires_grad):
        self.leaves, self.requires_grad = leaves, requires_grad
        self.steps = []
        self.shapes = [x.shape for x in leaves]
        self.dtypes = [x.dtype.type for x in leaves]
        self.retired = set()  # values changed in place: later steps use the new alias
        self.magnitude = 1.0  # the largest value it computes (set when it has run)
        self.kink_operands = {}  # side -> step -> the operands of a step with a kink, as it ran
        # PyTorch's values while drawing: a step that would overflow is never added
        self.torch_values = [torch.tensor(x) for x in leaves]

    @property
    def float32(self):
        """Whether float32 takes part anywhere (the tolerances are then float32's)."""
        consts = [i.value for s in self.steps for i in s.items if isinstance(i, Const)]
        return np.float32 in self.dtypes or any(getattr(c, "dtype", None) == np.float32
                                                for c in consts)

    def sinks(self):
        """The values no step reads: the program's outputs, which the loss sums."""
        used = {i for s in self.steps for i in s.args}
        return [i for i in range(len(self.shapes)) if i not in used]

    def __repr__(self):
        lines = [(f"v{i} = ag.Tensor({x.tolist()!r}"
                  f"{'' if x.dtype == np.float64 else ', dtype=np.float32'}"
                  f"{', requires_grad=True' if r else ''})", x.shape)
                 for i, (x, r) in enumerate(zip(self.leaves, self.requires_grad))]
        n = len(self.leaves)
        lines += [(s.code(n + k), self.shapes[n + k]) for k, s in enumerate(self.steps)]
        width = min(max(len(line.split("\n")[0]) for line, _ in lines), 100)
        body = [f"    {line:<{width}}  # {shape}" for line, shape in lines]
        outs = ", ".join(f"v{i}" for i in self.sinks())
        body.append(f"    loss = sum of (v * weights(v)) over the outputs {outs}")
        return "Program (entry = op_catalogue.entry):\n" + "\n".join(body)


# ----------------------------------------------------------------------------------------------
# Drawing values and constants

def grid(lo=-16, hi=16):
    """Multiples of 1/8: exact in binary, short to print, and often exactly 0 or tied."""
    return st.integers(lo, hi).map(lambda k: k / 8)


def in_grid(domain):
    """The multiples of 1/8 inside a domain."""
    ks = [k for k in range(math.ceil(domain.lo * 8), math.floor(domain.hi * 8) + 1)]
    return st.sampled_from(ks).map(lambda k: k / 8)


def to_torch(c):
    """A constant for PyTorch: arrays keep their dtype, Python numbers become 0-d tensors (then
    cast like the other operands: a Python number never changes a dtype, in NumPy as in PyTorch)."""
    return torch.tensor(c) if isinstance(c, np.ndarray) else torch.tensor(c, dtype=torch.float64)


def numpy_result_dtype(shapes_and_dtypes):
    """The dtype NumPy gives an op on arrays of these shapes and dtypes (Python numbers left out,
    as NumPy leaves them out), under the installed NumPy's own promotion rules."""
    return np.result_type(*[np.zeros(s, d) for s, d in shapes_and_dtypes])


def add_step(prog, template, items, ours, theirs, kink=None, kink_kw=None, inplace=False):
    """Append the step if the op applies to these operands (PyTorch decides, on the real values)
    and its result is small and finite. PyTorch's operands are cast first to the dtype NumPy
    would compute in, so both sides promote alike (a float32 array and a float64 array make
    float64; a 0-d float64 array next to a float32 matrix too, which PyTorch alone would not)."""
    typed = [(np.shape(i.value), i.value.dtype) if isinstance(i, Const) else
             (prog.shapes[i], prog.dtypes[i]) for i in items
             if not isinstance(i, Const) or isinstance(i.value, np.ndarray)]
    common = getattr(torch, np.dtype(numpy_result_dtype(typed)).name)
    cast = (lambda *xs: theirs(*[x.to(common) for x in xs]))
    operands = [to_torch(i.value) if isinstance(i, Const) else prog.torch_values[i] for i in items]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # var of one element with ddof=1: NaN, declined below
            out = cast(*operands)
    except (RuntimeError, IndexError, ValueError, TypeError):
        return False
    shape, dtype = tuple(out.shape), getattr(np, str(out.dtype).replace("torch.", ""))
    if len(shape) > MAX_NDIM or math.prod(shape) > MAX_SIZE or dtype not in HUGE:
        return False
    huge = HUGE[np.float32] if prog.float32 or dtype == np.float32 else HUGE[np.float64]
    if out.numel() and not (torch.isfinite(out).all() and out.abs().max() < huge):
        return False
    prog.steps.append(Step(template, items, ours, cast, kink, kink_kw, inplace))
    prog.shapes.append(shape)
    prog.dtypes.append(dtype)
    prog.torch_values.append(out)
    if inplace:
        prog.retired.add(items[0])
    return True


def pick(draw, prog, ok=lambda shape: True):
    """An earlier value whose shape passes `ok`; the newest value half the time (deep chains),
    any earlier one otherwise (shared subexpressions). Never one changed in place since."""
    cands = [i for i, s in enumerate(prog.shapes) if ok(s) and i not in prog.retired]
    if not cands:
        return None
    if cands[-1] == len(prog.shapes) - 1 and draw(st.booleans()):
        return cands[-1]
    return draw(st.sampled_from(cands))


def partner_shape(draw, shape):
    """A shape that broadcasts with `shape`, in any pattern: aligned from the right, a size-1 axis
    facing anything (1, 2 or 3), any other size facing itself or 1, perhaps one more axis."""
    k = draw(st.integers(0, len(shape)))
    own = [draw(st.integers(1, 3)) if n == 1 else (1 if draw(st.booleans()) else n)
           for n in shape[len(shape) - k:]]
    lead = [draw(st.integers(1, 3))] if k == len(shape) and draw(st.integers(0, 3)) == 0 else []
    out = tuple(lead + own)
    return out if math.prod(np.broadcast_shapes(out, shape)) <= MAX_SIZE else shape


def const_dtype(draw, prog):
    dtypes = sorted({d for d in prog.dtypes[:len(prog.leaves)]}, key=str)
    return draw(st.sampled_from(dtypes)) if len(dtypes) > 1 else dtypes[0]


def const_array(draw, prog, shape, domain=None):
    """A constant ndarray; in float64 programs sometimes int64 (NumPy promotes it to float64)."""
    dtype = const_dtype(draw, prog)
    if domain is None and dtype == np.float64 and draw(st.integers(0, 4)) == 0:
        return Const(draw(hnp.arrays(np.int64, shape, elements=st.integers(-3, 3))))
    return Const(draw(hnp.arrays(dtype, shape, elements=grid() if domain is None else in_grid(domain))))


def const_scalar(draw, domain=None):
    """A Python number: a float mostly, sometimes an int."""
    if domain is not None:
        return Const(draw(in_grid(domain)))
    return Const(draw(st.integers(-3, 3)) if draw(st.integers(0, 4)) == 0 else draw(grid()))


def broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def operand_for(draw, prog, shape, domain=None):
    """A second operand that broadcasts with `shape`: an earlier value, a constant array or a
    Python number."""
    how = draw(st.sampled_from(["value", "value", "array", "scalar"]))
    if how == "value":
        i = pick(draw, prog, lambda s: broadcastable(s, shape))
        if i is not None:
            return in_domain(draw, prog, i, domain)
    if how == "array":
        return const_array(draw, prog, partner_shape(draw, shape), domain)
    return const_scalar(draw, domain)


def restricted(domain):
    return domain is not None and (domain.lo > -2 or domain.hi < 2)


def in_domain(draw, prog, i, domain):
    """Value i if its values lie in the domain, else a new value squashed into it (or None)."""
    if i is None or not restricted(domain):
        return i
    values = prog.torch_values[i]
    if values.numel() == 0 or bool(((values >= domain.lo) & (values <= domain.hi)).all()):
        return i
    lo, width = domain.lo, domain.hi - domain.lo
    ok = add_step(prog, f"{lo!r} + {width!r} * ag.sigmoid({{0}})", [i],
                  lambda x: lo + width * ag.sigmoid(x), lambda x: lo + width * torch.sigmoid(x))
    return len(prog.shapes) - 1 if ok else None


def fitted(draw, prog, shape, domain=None):
    """A value of exactly `shape`: an earlier one, or one computed from any earlier value."""
    i = pick(draw, prog, lambda s: s == shape) if draw(st.booleans()) else None
    if i is None:
        v = pick(draw, prog, lambda s: math.prod(s) > 0)
        if v is None:
            return None
        c = Const(draw(hnp.arrays(prog.dtypes[v], shape, elements=grid())))
        if not add_step(prog, f"ag.mean({{0}}) + {lit(c.value)}", [v, c], lambda x, k: ag.mean(x) + k,
                        lambda x, k: x.mean() + k):
            return None
        i = len(prog.shapes) - 1
    return in_domain(draw, prog, i, domain)
