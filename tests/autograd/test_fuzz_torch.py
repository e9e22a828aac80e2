"""Differential fuzzing: random programs give the same values and gradients here as in PyTorch.

A program is a short straight-line script: a few leaf tensors, then 5 to 30 steps, each applying one
op to earlier values (any earlier value, so intermediates are reused and the graph is a DAG). Every
step is written as the line of Python that runs it on glassgrad, and a failing example prints as
that script, ready to paste into a regression test:

    v0 = ag.Tensor([[0.5, -1.25, 2.0]], requires_grad=True)  # (1, 3)
    v1 = np.exp(v0)                                            # (1, 3)
    v2 = v1 * v0                                               # (1, 3)
    v3 = ag.sum(v2, axis=1, keepdims=True)                     # (1, 1)
    loss = sum of (v * weights(v)) over the outputs v3

The same program runs on torch tensors. Forward values and dtypes must match, and so must the
gradients of every value (leaves and intermediates; through backward(), backward() twice and
ag.grad), second derivatives (the gradient of a projection of the create_graph=True gradient), and
in float32 programs the dtype of everything. Some leaves do not require grad; detach() cuts paths.

Values are multiples of 1/8 in [-2, 2], so exact zeros and exact ties are common: relu(0), abs(0),
max over equal values and maximum(a, a) are compared under the conventions the two share. A kink
that the two sides see from different sides (a value that is 0 in one and 1e-17 in the other) is not
a bug, so such an example is discarded; a step whose values would overflow is never drawn.

Run more programs with `pytest --hypothesis-profile=long` (or HYPOTHESIS_PROFILE=long), and add
`--hypothesis-show-statistics` to see how many ran.
"""
import math
import operator
import warnings

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import autograd as ag  # noqa: E402

F = torch.nn.functional
MAX_NDIM, MAX_SIZE = 5, 256
# Both sides compute in the same precision but in different orders (NumPy's pairwise sums, other
# kernels): in float64 they agree to ~1e-15 relative; a real bug is off by far more than these.
TOLERANCES = {np.float64: (1e-8, 1e-10), np.float32: (1e-3, 1e-4)}  # rtol, atol (times the scale)
# Larger values make the comparison meaningless (float32: cos(1000) is only good to ~1e-4), so a
# step that would produce one is not drawn.
HUGE = {np.float64: 1e6, np.float32: 1e2}


# ----------------------------------------------------------------------------------------------
# Programs

class Const:
    """A constant operand (an ndarray or a Python number) baked into a step."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def lit(c):
    """Python source for a constant."""
    if isinstance(c, np.ndarray):
        return f"np.array({c.tolist()!r}{', dtype=np.float32' if c.dtype == np.float32 else ''})"
    return repr(c)


class Step:
    """One line of a program: `template` over operand codes ({0}, {1}, ...); `items` says which
    operand is an earlier value (an int index) and which a Const. `ours` and `theirs` take the
    operands (Tensors or torch tensors, constants already converted) and apply the op; `kinks`
    takes NumPy operands and gives arrays whose signs pick a branch (the two sides must agree on
    them); `avoid` gives arrays that must stay away from 0 (a convention the two sides differ on)."""

    __slots__ = ("template", "items", "ours", "theirs", "kinks", "avoid")

    def __init__(self, template, items, ours, theirs, kinks=None, avoid=None):
        self.template, self.items = template, list(items)
        self.ours, self.theirs, self.kinks, self.avoid = ours, theirs, kinks, avoid

    @property
    def args(self):
        return [i for i in self.items if not isinstance(i, Const)]

    def code(self):
        return self.template.format(*[lit(i.value) if isinstance(i, Const) else f"v{i}"
                                      for i in self.items])


class Program:
    def __init__(self, leaves, requires_grad, dtype=np.float64):
        self.leaves, self.requires_grad, self.dtype = leaves, requires_grad, dtype
        self.steps = []
        self.shapes = [x.shape for x in leaves]
        # PyTorch's values while drawing: a step that would overflow is never added
        self.torch_values = [torch.tensor(x) for x in leaves]

    def sinks(self):
        """The values no step reads: the program's outputs, which the loss sums."""
        used = {i for s in self.steps for i in s.args}
        return [i for i in range(len(self.shapes)) if i not in used]

    def __repr__(self):
        extra = ", dtype=np.float32" if self.dtype == np.float32 else ""
        lines = [(f"v{i} = ag.Tensor({x.tolist()!r}{extra}{', requires_grad=True' if r else ''})",
                  x.shape) for i, (x, r) in enumerate(zip(self.leaves, self.requires_grad))]
        lines += [(f"v{len(self.leaves) + k} = {s.code()}", self.shapes[len(self.leaves) + k])
                  for k, s in enumerate(self.steps)]
        width = min(max(len(line) for line, _ in lines), 100)
        body = [f"    {line:<{width}}  # {shape}" for line, shape in lines]
        outs = ", ".join(f"v{i}" for i in self.sinks())
        body.append(f"    loss = sum of (v * weights(v)) over the outputs {outs}")
        return "Program:\n" + "\n".join(body)


def weights(shape, k, phase=0.5):
    """Fixed, distinct weights for output k: every element of every output counts differently."""
    n = int(np.prod(shape, dtype=int))
    return np.cos(1.7 * np.arange(n) + 0.9 * k + phase).reshape(shape)


# ----------------------------------------------------------------------------------------------
# Drawing programs

def grid(lo=-16, hi=16):
    """Multiples of 1/8: exact in binary, short to print, and often exactly 0 or tied."""
    return st.integers(lo, hi).map(lambda k: k / 8)


def to_torch(x, dtype):
    """A constant for PyTorch, in the program's float dtype. (An int constant would go through exp
    or `c * c + 0.5` in float32 there, in float64 in NumPy; a Python float next to a 0-d float32
    tensor must not become a float64 tensor.)"""
    return torch.tensor(x, dtype=torch.float64 if dtype == np.float64 else torch.float32)


def add_step(prog, template, items, ours, theirs, kinks=None, avoid=None):
    """Append the step if the op applies to these operands (PyTorch decides, on the real values),
    its result is small and finite, and its input stays clear of what `avoid` names."""
    operands = [to_torch(i.value, prog.dtype) if isinstance(i, Const) else prog.torch_values[i]
                for i in items]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # var with ddof=1 of one element: NaN, declined below
            out = theirs(*operands)
    except (RuntimeError, IndexError, ValueError, TypeError):
        return False
    shape = tuple(out.shape)
    if len(shape) > MAX_NDIM or not 0 < math.prod(shape) <= MAX_SIZE:
        return False
    if not (torch.isfinite(out).all() and out.abs().max() < HUGE[prog.dtype]):
        return False
    if avoid is not None and any(np.abs(a).min() <= 1e-6 for a in avoid(*map(_numpy, operands))):
        return False
    prog.steps.append(Step(template, items, ours, theirs, kinks, avoid))
    prog.shapes.append(shape)
    prog.torch_values.append(out)
    return True


def pick(draw, prog, ok=lambda shape: True):
    """An earlier value whose shape passes `ok`; the newest value half the time (deep chains),
    any earlier one otherwise (reuse)."""
    cands = [i for i, s in enumerate(prog.shapes) if ok(s)]
    if not cands:
        return None
    if cands[-1] == len(prog.shapes) - 1 and draw(st.booleans()):
        return cands[-1]
    return draw(st.sampled_from(cands))


def broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def sub_shape(draw, shape):
    """A shape that broadcasts against `shape`: a suffix of it, some sizes replaced by 1."""
    k = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else n for n in shape[len(shape) - k:])


def const_array(draw, prog, shape):
    """A constant ndarray of the program's dtype; in float64 programs sometimes int64 (NumPy
    promotes it to float64; next to float32 NumPy and PyTorch would promote differently)."""
    if prog.dtype == np.float64 and draw(st.integers(0, 4)) == 0:
        return Const(draw(hnp.arrays(np.int64, shape, elements=st.integers(-3, 3))))
    return Const(draw(hnp.arrays(prog.dtype, shape, elements=grid())))


def const_scalar(draw):
    """A Python number: a float mostly, sometimes an int."""
    return Const(draw(st.integers(-3, 3)) if draw(st.integers(0, 4)) == 0 else draw(grid()))


def operand_for(draw, prog, shape):
    """A second operand that broadcasts with `shape`: an earlier value, a constant array or a
    Python number."""
    how = draw(st.sampled_from(["value", "value", "array", "scalar"]))
    if how == "value":
        i = pick(draw, prog, lambda s: broadcastable(s, shape))
        if i is not None:
            return i
    if how == "array":
        return const_array(draw, prog, sub_shape(draw, shape))
    return const_scalar(draw)


def two_operands(draw, prog):
    a = pick(draw, prog)
    b = operand_for(draw, prog, prog.shapes[a])
    return [b, a] if draw(st.booleans()) else [a, b]


def axis_choice(draw, ndim):
    """A reduction axis: None, an int (maybe negative; 0 or -1 on a 0-d tensor reduces nothing, as
    in PyTorch) or a tuple of distinct axes."""
    kind = draw(st.sampled_from(["int", "none", "tuple"] if ndim else ["int", "none"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


def torch_dims(axis, ndim):
    """PyTorch's dim for a NumPy axis (None: every axis)."""
    if axis is None:
        return tuple(range(ndim))
    return axis


def kwargs_code(**kw):
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


# Each generator draws one op application and appends it to the program (or declines when the
# op does not fit the values so far). Variants reach the same op through the module function,
# the Tensor method, an operator or a NumPy function: all must build the same graph.

def _unary(name, variants, kinks=None):
    def gen(draw, prog):
        a = pick(draw, prog)
        template, ours, theirs = draw(st.sampled_from(variants))
        return add_step(prog, template, [a], ours, theirs, kinks)
    gen.__name__ = name
    return gen


def _kink_x(x):
    return [x]


def _torch_relu_via_maximum(x):
    return torch.maximum(x, torch.zeros((), dtype=x.dtype))


UNARY = {
    "negative": _unary("negative", [
        ("-{0}", operator.neg, operator.neg),
        ("ag.negative({0})", ag.negative, torch.neg),
        ("np.negative({0})", np.negative, torch.neg)]),
    "exp": _unary("exp", [
        ("ag.exp({0})", ag.exp, torch.exp),
        ("np.exp({0})", np.exp, torch.exp),
        ("{0}.exp()", lambda x: x.exp(), torch.exp)]),
    # log and sqrt of values kept >= 0.25 by construction
    "log": _unary("log", [
        ("ag.log({0} * {0} + 1.0)", lambda x: ag.log(x * x + 1.0), lambda x: torch.log(x * x + 1.0)),
        ("np.log({0} * {0} + 0.25)", lambda x: np.log(x * x + 0.25),
         lambda x: torch.log(x * x + 0.25)),
        ("({0} * {0} + 0.5).log()", lambda x: (x * x + 0.5).log(), lambda x: (x * x + 0.5).log())]),
    "log_abs": _unary("log_abs", [
        ("ag.log(ag.abs({0}) + 0.25)", lambda x: ag.log(ag.abs(x) + 0.25),
         lambda x: torch.log(torch.abs(x) + 0.25))], kinks=_kink_x),
    "sqrt": _unary("sqrt", [
        ("ag.sqrt({0} * {0} + 0.25)", lambda x: ag.sqrt(x * x + 0.25),
         lambda x: torch.sqrt(x * x + 0.25)),
        ("np.sqrt({0} * {0} + 1.0)", lambda x: np.sqrt(x * x + 1.0),
         lambda x: torch.sqrt(x * x + 1.0)),
        ("({0} * {0} + 0.5).sqrt()", lambda x: (x * x + 0.5).sqrt(),
         lambda x: (x * x + 0.5).sqrt())]),
    "abs": _unary("abs", [
        ("ag.abs({0})", ag.abs, torch.abs),
        ("np.abs({0})", np.abs, torch.abs),
        ("abs({0})", abs, torch.abs),
        ("{0}.abs()", lambda x: x.abs(), torch.abs)], kinks=_kink_x),
    "sin": _unary("sin", [
        ("ag.sin({0})", ag.sin, torch.sin), ("np.sin({0})", np.sin, torch.sin),
        ("{0}.sin()", lambda x: x.sin(), torch.sin)]),
    "cos": _unary("cos", [
        ("ag.cos({0})", ag.cos, torch.cos), ("np.cos({0})", np.cos, torch.cos),
        ("{0}.cos()", lambda x: x.cos(), torch.cos)]),
    "tanh": _unary("tanh", [
        ("ag.tanh({0})", ag.tanh, torch.tanh), ("np.tanh({0})", np.tanh, torch.tanh),
        ("{0}.tanh()", lambda x: x.tanh(), torch.tanh)]),
    "sigmoid": _unary("sigmoid", [
        ("ag.sigmoid({0})", ag.sigmoid, torch.sigmoid),
        ("{0}.sigmoid()", lambda x: x.sigmoid(), torch.sigmoid)]),
    "relu": _unary("relu", [
        ("ag.relu({0})", ag.relu, torch.relu),
        ("{0}.relu()", lambda x: x.relu(), torch.relu),
        # through maximum: at 0 the gradient is shared half and half, in both
        ("np.maximum({0}, 0.0)", lambda x: np.maximum(x, 0.0), _torch_relu_via_maximum)],
        kinks=_kink_x),
    "leaky_relu": _unary("leaky_relu", [
        ("ag.leaky_relu({0})", ag.leaky_relu, F.leaky_relu),
        ("ag.leaky_relu({0}, 0.2)", lambda x: ag.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
        ("{0}.leaky_relu(0.5)", lambda x: x.leaky_relu(0.5), lambda x: F.leaky_relu(x, 0.5))],
        kinks=_kink_x),
    "square": _unary("square", [
        ("ag.square({0})", ag.square, torch.square),
        ("np.square({0})", np.square, torch.square)]),
    "power_int": _unary("power_int", [
        ("{0} ** 2", lambda x: x ** 2, lambda x: x ** 2),
        ("{0} ** 3", lambda x: x ** 3, lambda x: x ** 3),
        ("ag.power({0}, 2)", lambda x: ag.power(x, 2), lambda x: x ** 2),
        ("np.power({0}, 3.0)", lambda x: np.power(x, 3.0), lambda x: x ** 3.0),
        ("{0} ** 1", lambda x: x ** 1, lambda x: x ** 1),
        ("{0} ** 0", lambda x: x ** 0, lambda x: x ** 0)]),
    # fractional and negative exponents of a base kept >= 0.25
    "power_frac": _unary("power_frac", [
        ("({0} * {0} + 0.5) ** 0.5", lambda x: (x * x + 0.5) ** 0.5, lambda x: (x * x + 0.5) ** 0.5),
        ("({0} * {0} + 0.25) ** -1.5", lambda x: (x * x + 0.25) ** -1.5,
         lambda x: (x * x + 0.25) ** -1.5),
        ("ag.power({0} * {0} + 1.0, -1)", lambda x: ag.power(x * x + 1.0, -1),
         lambda x: (x * x + 1.0) ** -1),
        ("np.power({0} * {0} + 0.5, 1.7)", lambda x: np.power(x * x + 0.5, 1.7),
         lambda x: (x * x + 0.5) ** 1.7)]),
    "detach": _unary("detach", [("{0}.detach()", lambda x: x.detach(), lambda x: x.detach())]),
    "rpow": _unary("rpow", [
        ("2.0 ** {0}", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
        ("0.5 ** {0}", lambda x: 0.5 ** x, lambda x: 0.5 ** x)]),
}


def _binary(name, variants, kinks=None, avoid=None):
    def gen(draw, prog):
        items = two_operands(draw, prog)
        template, ours, theirs = draw(st.sampled_from(variants))
        if prog.dtype == np.float32 and "np.exp({1})" in template and isinstance(items[1], Const):
            return False  # np.exp(2) is a float64 NumPy scalar, which (rightly) makes float64
        return add_step(prog, template, items, ours, theirs, kinks, avoid)
    gen.__name__ = name
    return gen


def _kink_diff(a, b):
    return [np.subtract(a, b)]


BINARY = {
    "add": _binary("add", [
        ("{0} + {1}", operator.add, operator.add),
        ("ag.add({0}, {1})", ag.add, torch.add),
        ("np.add({0}, {1})", np.add, torch.add)]),
    "subtract": _binary("subtract", [
        ("{0} - {1}", operator.sub, operator.sub),
        ("ag.subtract({0}, {1})", ag.subtract, torch.sub),
        ("np.subtract({0}, {1})", np.subtract, torch.sub)]),
    "multiply": _binary("multiply", [
        ("{0} * {1}", operator.mul, operator.mul),
        ("ag.multiply({0}, {1})", ag.multiply, torch.mul),
        ("np.multiply({0}, {1})", np.multiply, torch.mul)]),
    # the denominator is kept >= 0.25 by construction
    "divide": _binary("divide", [
        ("{0} / ({1} * {1} + 0.5)", lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5)),
        ("ag.divide({0}, {1} * {1} + 0.25)", lambda a, b: ag.divide(a, b * b + 0.25),
         lambda a, b: a / (b * b + 0.25)),
        ("np.divide({0}, np.exp({1}))", lambda a, b: np.divide(a, np.exp(b)),
         lambda a, b: a / torch.exp(b))]),
    "maximum": _binary("maximum", [
        ("ag.maximum({0}, {1})", ag.maximum, torch.maximum),
        ("np.maximum({0}, {1})", np.maximum, torch.maximum)], kinks=_kink_diff),
    "minimum": _binary("minimum", [
        ("ag.minimum({0}, {1})", ag.minimum, torch.minimum),
        ("np.minimum({0}, {1})", np.minimum, torch.minimum)], kinks=_kink_diff),
    # a positive base to a tensor power
    "power_tensor": _binary("power_tensor", [
        ("({0} * {0} + 0.5) ** {1}", lambda a, b: (a * a + 0.5) ** b,
         lambda a, b: (a * a + 0.5) ** b),
        ("ag.power({0} * {0} + 0.25, {1})", lambda a, b: ag.power(a * a + 0.25, b),
         lambda a, b: (a * a + 0.25) ** b)],
        # at an exponent of exactly 0 PyTorch's d2/(da db) is 0 (its backward is where(b == 0, 0,
        # ...)), not the 1/a of the maths that the engine gives
        avoid=lambda a, b: [b]),
}


def gen_clip(draw, prog):
    a = pick(draw, prog)
    lo, hi = sorted([draw(grid(-12, 12)), draw(grid(-12, 12))])
    lo = None if draw(st.integers(0, 3)) == 0 else lo
    hi = None if lo is not None and draw(st.integers(0, 3)) == 0 else hi
    args = f"{lo!r}, {hi!r}"
    template, ours = draw(st.sampled_from([
        (f"ag.clip({{0}}, {args})", lambda x: ag.clip(x, lo, hi)),
        (f"{{0}}.clip({args})", lambda x: x.clip(lo, hi)),
        (f"np.clip({{0}}, {args})", lambda x: np.clip(x, lo, hi))]))
    return add_step(prog, template, [a], ours, lambda x: torch.clamp(x, lo, hi),
                    kinks=lambda x: [np.subtract(x, b) for b in (lo, hi) if b is not None])


def gen_where(draw, prog):
    items = two_operands(draw, prog)
    shapes = [prog.shapes[i] if not isinstance(i, Const) else np.shape(i.value) for i in items]
    out = np.broadcast_shapes(*shapes)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))  # the mask may broadcast too
    mask = draw(hnp.arrays(np.bool_, lead + sub_shape(draw, out)))
    m = lit(mask)
    template, ours = draw(st.sampled_from([
        (f"ag.where({m}, {{0}}, {{1}})", lambda a, b: ag.where(mask, a, b)),
        (f"np.where({m}, {{0}}, {{1}})", lambda a, b: np.where(mask, a, b))]))
    return add_step(prog, template, items, ours, lambda a, b: torch.where(torch.tensor(mask), a, b))


def _reduction(name, ag_fn, method, np_fn, torch_fn, kinks=None, avoid=None, extras=({},)):
    def gen(draw, prog):
        a = pick(draw, prog)
        ndim = len(prog.shapes[a])
        axis = axis_choice(draw, ndim)
        keepdims = draw(st.booleans())
        extra = draw(st.sampled_from(extras))  # e.g. ddof for var and std
        kw = kwargs_code(axis=axis, keepdims=keepdims, **extra)
        variants = [(f"ag.{ag_fn}({{0}}, {kw})",
                     lambda x: getattr(ag, ag_fn)(x, axis=axis, keepdims=keepdims, **extra)),
                    (f"{{0}}.{method}({kw})",
                     lambda x: getattr(x, method)(axis=axis, keepdims=keepdims, **extra))]
        if np_fn:
            variants.append((f"np.{np_fn}({{0}}, {kw})",
                             lambda x: getattr(np, np_fn)(x, axis=axis, keepdims=keepdims, **extra)))
        template, ours = draw(st.sampled_from(variants))
        return add_step(prog, template, [a], ours,
                        lambda x: torch_fn(x, torch_dims(axis, x.ndim), keepdims, **extra),
                        kinks=kinks and (lambda x: kinks(x, axis)),
                        avoid=avoid and (lambda x: avoid(x, axis)))
    gen.__name__ = name
    return gen


def _gap_to_max(x, axis):
    # 0 exactly at the maxima; the two sides must agree on which elements tie for the max
    return [np.max(x, axis=axis, keepdims=True) - x]


def _gap_to_min(x, axis):
    return [x - np.min(x, axis=axis, keepdims=True)]


def _variance(x, axis):
    # std'(x) is 0/0 where the variance is 0: PyTorch answers 0, the engine NaN (undefined)
    return [np.var(x, axis=axis if x.ndim else None)]  # NumPy refuses an int axis on 0-d here


REDUCTIONS = {
    "sum": _reduction("sum", "sum", "sum", "sum", lambda x, d, k: torch.sum(x, d, keepdim=k)),
    "mean": _reduction("mean", "mean", "mean", "mean", lambda x, d, k: torch.mean(x, d, keepdim=k)),
    "max": _reduction("max", "max", "max", "max", lambda x, d, k: torch.amax(x, d, keepdim=k),
                      kinks=_gap_to_max),
    "min": _reduction("min", "min", "min", "min", lambda x, d, k: torch.amin(x, d, keepdim=k),
                      kinks=_gap_to_min),
    "var": _reduction("var", "var", "var", "var",
                      lambda x, d, k, ddof=0: torch.var(x, d, correction=ddof, keepdim=k),
                      extras=({}, {"ddof": 1})),
    "std": _reduction("std", "std", "std", "std",
                      lambda x, d, k, ddof=0: torch.std(x, d, correction=ddof, keepdim=k),
                      avoid=_variance, extras=({}, {"ddof": 1})),
    "logsumexp": _reduction("logsumexp", "logsumexp", "logsumexp", None,
                            lambda x, d, k: torch.logsumexp(x, d, keepdim=k)),
}


def _softmax_like(name, torch_fn):
    def gen(draw, prog):
        a = pick(draw, prog)
        ndim = len(prog.shapes[a])
        axis = draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
        template, ours = draw(st.sampled_from([
            (f"ag.{name}({{0}}, axis={axis})", lambda x: getattr(ag, name)(x, axis=axis)),
            (f"{{0}}.{name}(axis={axis})", lambda x: getattr(x, name)(axis=axis)),
            (f"ag.{name}({{0}})", lambda x: getattr(ag, name)(x))]))
        dim = -1 if template == f"ag.{name}({{0}})" else axis
        return add_step(prog, template, [a], ours, lambda x: torch_fn(x, dim))
    gen.__name__ = name
    return gen


SOFTMAX = {
    "softmax": _softmax_like("softmax", torch.softmax),
    "log_softmax": _softmax_like("log_softmax", torch.log_softmax),
}


# -- shapes -------------------------------------------------------------------------------------

def gen_reshape(draw, prog):
    a = pick(draw, prog)
    size = math.prod(prog.shapes[a])
    factors, n, p = [], size, 2
    while n > 1:  # prime factors of the size, dealt out to the new axes
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    ndim = draw(st.integers(0 if size == 1 else 1, 4))
    shape = [1] * ndim
    for f in factors:
        shape[draw(st.integers(0, ndim - 1))] *= f
    if ndim and draw(st.booleans()):
        shape[draw(st.integers(0, ndim - 1))] = -1
    shape = tuple(shape)
    template, ours = draw(st.sampled_from([
        (f"{{0}}.reshape({', '.join(map(str, shape)) if ndim > 1 else repr(shape)})",
         lambda x: x.reshape(*shape) if len(shape) > 1 else x.reshape(shape)),
        (f"ag.reshape({{0}}, {shape!r})", lambda x: ag.reshape(x, shape)),
        (f"np.reshape({{0}}, {shape!r})", lambda x: np.reshape(x, shape))]))
    return add_step(prog, template, [a], ours, lambda x: x.reshape(shape))


def gen_transpose(draw, prog):
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    ndim = len(prog.shapes[a])
    perm = tuple(draw(st.permutations(range(ndim))))
    i, j = draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1))
    swapped = list(range(ndim))
    swapped[i], swapped[j] = swapped[j], swapped[i]
    reverse = tuple(reversed(range(ndim)))
    options = [
        ("{0}.T", lambda x: x.T, reverse),
        ("ag.transpose({0})", ag.transpose, reverse),
        (f"ag.transpose({{0}}, {perm!r})", lambda x: ag.transpose(x, perm), perm),
        (f"{{0}}.transpose({', '.join(map(str, perm))})", lambda x: x.transpose(*perm), perm),
        (f"np.transpose({{0}}, {perm!r})", lambda x: np.transpose(x, perm), perm),
        (f"np.swapaxes({{0}}, {i}, {j})", lambda x: np.swapaxes(x, i, j), tuple(swapped)),
        (f"{{0}}.swapaxes({i}, {j})", lambda x: x.swapaxes(i, j), tuple(swapped)),
    ]
    template, ours, axes = draw(st.sampled_from(options))
    return add_step(prog, template, [a], ours, lambda x: x.permute(axes))


def gen_flatten(draw, prog):
    a = pick(draw, prog)
    ndim = len(prog.shapes[a])
    start = draw(st.integers(0, max(ndim - 1, 0)))
    template, ours = draw(st.sampled_from([
        (f"ag.flatten({{0}}, {start})", lambda x: ag.flatten(x, start)),
        ("ag.flatten({0})", ag.flatten), ("{0}.flatten()", lambda x: x.flatten()),
        ("np.ravel({0})", np.ravel)]))
    start = start if template.startswith("ag.flatten({0}, ") else 0
    return add_step(prog, template, [a], ours, lambda x: torch.flatten(x, start))


def gen_squeeze(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    ones = [d for d, n in enumerate(shape) if n == 1]
    axis = None
    if ones and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
        chosen = [d - len(shape) if draw(st.booleans()) else d for d in chosen]
        axis = chosen[0] if len(chosen) == 1 else tuple(chosen)
    template, ours = draw(st.sampled_from([
        (f"ag.squeeze({{0}}, {axis!r})", lambda x: ag.squeeze(x, axis)),
        (f"{{0}}.squeeze({axis!r})", lambda x: x.squeeze(axis)),
        (f"np.squeeze({{0}}, axis={axis!r})", lambda x: np.squeeze(x, axis=axis))]))
    return add_step(prog, template, [a], ours,
                    lambda x: torch.squeeze(x) if axis is None else torch.squeeze(x, axis))


def gen_expand_dims(draw, prog):
    a = pick(draw, prog)
    ndim = len(prog.shapes[a])
    axis = draw(st.integers(-ndim - 1, ndim))
    template, ours = draw(st.sampled_from([
        (f"ag.expand_dims({{0}}, {axis})", lambda x: ag.expand_dims(x, axis)),
        (f"np.expand_dims({{0}}, {axis})", lambda x: np.expand_dims(x, axis))]))
    return add_step(prog, template, [a], ours, lambda x: torch.unsqueeze(x, axis))


def gen_broadcast_to(draw, prog):
    a = pick(draw, prog)
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    shape = tuple(lead) + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in prog.shapes[a])
    template, ours = draw(st.sampled_from([
        (f"ag.broadcast_to({{0}}, {shape!r})", lambda x: ag.broadcast_to(x, shape)),
        (f"np.broadcast_to({{0}}, {shape!r})", lambda x: np.broadcast_to(x, shape))]))
    return add_step(prog, template, [a], ours, lambda x: x.broadcast_to(shape))


def gen_concatenate(draw, prog):
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    shape = prog.shapes[a]
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    ax = axis % len(shape)

    def fits(s):
        return len(s) == len(shape) and all(
            m == n for d, (m, n) in enumerate(zip(s, shape)) if d != ax)

    items = [a]
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 3)) == 0:  # a constant piece among the tensors
            piece = list(shape)
            piece[ax] = draw(st.integers(1, 2))
            items.append(const_array(draw, prog, tuple(piece)))
        else:
            items.append(pick(draw, prog, fits))
    items = draw(st.permutations(items))
    seq = ", ".join("{%d}" % k for k in range(len(items)))
    template, ours = draw(st.sampled_from([
        (f"ag.concatenate([{seq}], axis={axis})", lambda *xs: ag.concatenate(xs, axis=axis)),
        (f"np.concatenate([{seq}], axis={axis})", lambda *xs: np.concatenate(xs, axis=axis))]))
    return add_step(prog, template, items, ours, lambda *xs: torch.cat(xs, axis))


def gen_stack(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    items = [a] + [pick(draw, prog, lambda s: s == shape) for _ in range(draw(st.integers(0, 2)))]
    items = draw(st.permutations(items))
    seq = ", ".join("{%d}" % k for k in range(len(items)))
    template, ours = draw(st.sampled_from([
        (f"ag.stack([{seq}], axis={axis})", lambda *xs: ag.stack(xs, axis=axis)),
        (f"np.stack([{seq}], axis={axis})", lambda *xs: np.stack(xs, axis=axis))]))
    return add_step(prog, template, items, ours, lambda *xs: torch.stack(xs, axis))


# -- indexing -----------------------------------------------------------------------------------

def _index_code(parts):
    def one(p):
        if p is None:
            return "None"
        if p is Ellipsis:
            return "..."
        if isinstance(p, slice):
            start, stop = ("" if v is None else str(v) for v in (p.start, p.stop))
            return f"{start}:{stop}" + ("" if p.step in (None, 1) else f":{p.step}")
        if isinstance(p, np.ndarray):
            return lit(p)
        return repr(p)
    return ", ".join(one(p) for p in parts) if parts else "()"


def _torch_index(parts):
    return tuple(torch.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)


def _basic_part(draw, n):
    kind = draw(st.sampled_from(["all", "int", "slice"]))
    if kind == "all":
        return slice(None)
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    start = draw(st.integers(0, n - 1))
    stop = draw(st.one_of(st.none(), st.integers(start + 1, n)))
    step = draw(st.sampled_from([None, 1, 2]))
    return slice(start if start or draw(st.booleans()) else None, stop, step)


def gen_getitem(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    ndim = len(shape)
    kind = draw(st.sampled_from(["basic", "ints", "ints", "mask", "mask_lead", "two_ints"]))
    if kind == "basic" or ndim == 0:
        parts = [_basic_part(draw, n) for n in shape[:draw(st.integers(0, ndim))]]
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), None)
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), Ellipsis)
    elif kind == "ints":  # an integer array on one axis: repeats and negative indices
        d = draw(st.integers(0, ndim - 1))
        n = shape[d]
        idx_shape = draw(st.sampled_from([(1,), (2,), (3,), (4,), (2, 2)]))
        idx = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1)))
        parts = [_basic_part(draw, m) if draw(st.booleans()) else slice(None) for m in shape[:d]]
        parts = [p if isinstance(p, slice) else slice(None) for p in parts]  # one advanced index only
        parts.append(idx)
    elif kind in ("mask", "mask_lead"):
        mask = draw(hnp.arrays(np.bool_, shape if kind == "mask" else shape[:1]))
        if not mask.any():
            return False
        parts = [mask]
    else:
        if ndim < 2:
            return False
        n0, n1 = shape[0], shape[1]
        k = draw(st.integers(1, 4))
        i0 = draw(hnp.arrays(np.int64, (k,), elements=st.integers(-n0, n0 - 1)))
        i1 = draw(hnp.arrays(np.int64, draw(st.sampled_from([(k,), (1,)])),
                             elements=st.integers(-n1, n1 - 1)))
        parts = [i0, i1]
    parts = tuple(parts)
    code = _index_code(parts)
    index = parts if len(parts) != 1 else parts[0]
    one_int_array = isinstance(index, np.ndarray) and index.dtype == np.int64 and index.ndim == 1
    if one_int_array and draw(st.booleans()):
        # the same integer index as a list or as a Tensor
        i = index.tolist()
        index, code = draw(st.sampled_from([(i, repr(i)), (ag.Tensor(i), f"ag.Tensor({i!r})")]))
    return add_step(prog, "{0}[" + code + "]", [a], lambda x: x[index],
                    lambda x: x[_torch_index(parts)])


def gen_reverse(draw, prog):
    """A negative-step slice (PyTorch has none: it flips instead)."""
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    d = draw(st.integers(0, len(prog.shapes[a]) - 1))
    index = (slice(None),) * d + (slice(None, None, -1),)
    code = ", ".join([":"] * d + ["::-1"])
    return add_step(prog, "{0}[" + code + "]", [a], lambda x: x[index], lambda x: torch.flip(x, (d,)))


# -- matrix products ----------------------------------------------------------------------------

def _matmul_fits(sa, sb):
    if not sa or not sb or sa[-1] != sb[-2 if len(sb) > 1 else -1]:
        return False
    return broadcastable(sa[:-2], sb[:-2])


MATMUL_VARIANTS = [
    ("{0} @ {1}", operator.matmul), ("ag.matmul({0}, {1})", ag.matmul),
    ("np.matmul({0}, {1})", np.matmul), ("{0}.matmul({1})", lambda a, b: a.matmul(b))]


def gen_matmul(draw, prog):
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    sa = prog.shapes[a]
    how = draw(st.sampled_from(["value", "value", "const", "gram"]))
    b = None
    if how == "value":
        if draw(st.booleans()):
            b = pick(draw, prog, lambda s: _matmul_fits(sa, s))
            items = [a, b]
        else:
            b = pick(draw, prog, lambda s: _matmul_fits(s, sa))
            items = [b, a]
    if how == "const":
        m = draw(st.integers(1, 3))
        if draw(st.booleans()):
            vector = len(sa) == 1 or m == 1 and draw(st.booleans())
            items = [a, const_array(draw, prog, (sa[-1],) if vector else (sa[-1], m))]
        else:
            k = sa[-2] if len(sa) >= 2 else sa[0]
            items = [const_array(draw, prog, (m, k)), a]
    if how == "gram" or (how == "value" and b is None):  # a @ a^T always lines up
        if len(sa) == 1:
            items = [a, a]
        else:
            template, ours = draw(st.sampled_from([
                ("{0} @ {0}.swapaxes(-1, -2)", lambda x: x @ x.swapaxes(-1, -2)),
                ("ag.matmul(ag.swapaxes({0}, -1, -2), {0})",
                 lambda x: ag.matmul(ag.swapaxes(x, -1, -2), x))]))
            theirs = ((lambda x: x @ x.transpose(-1, -2)) if template.startswith("{0} @")
                      else (lambda x: x.transpose(-1, -2) @ x))
            return add_step(prog, template, [a], ours, theirs)
    template, ours = draw(st.sampled_from(MATMUL_VARIANTS[:3] if isinstance(items[0], Const)
                                          else MATMUL_VARIANTS))
    return add_step(prog, template, items, ours, torch.matmul)


def _dot_fits(sa, sb):
    if not sa or not sb:
        return True
    return len(sa) <= 2 and len(sb) <= 2 and sa[-1] == sb[0]


def _torch_dot(a, b):
    return a * b if a.ndim == 0 or b.ndim == 0 else torch.matmul(a, b)


def gen_dot(draw, prog):
    a = pick(draw, prog, lambda s: len(s) <= 2)
    if a is None:
        return False
    sa = prog.shapes[a]
    if draw(st.booleans()):
        b = pick(draw, prog, lambda s: len(s) <= 2 and _dot_fits(sa, s))
        items = [a, b] if b is not None else [a, a]
        if b is None and not _dot_fits(sa, sa):
            items = [a, Const(draw(grid()))]
    else:
        b = pick(draw, prog, lambda s: len(s) <= 2 and _dot_fits(s, sa))
        items = [b, a] if b is not None else [Const(draw(grid())), a]
    template, ours = draw(st.sampled_from([
        ("ag.dot({0}, {1})", ag.dot), ("np.dot({0}, {1})", np.dot)]))
    if not isinstance(items[0], Const) and draw(st.booleans()):
        template, ours = "{0}.dot({1})", lambda x, y: x.dot(y)
    return add_step(prog, template, items, ours, _torch_dot)


def gen_linear(draw, prog):
    x = pick(draw, prog, lambda s: len(s) >= 1)
    if x is None:
        return False
    k = prog.shapes[x][-1]
    W = pick(draw, prog, lambda s: len(s) == 2 and s[1] == k) if draw(st.booleans()) else None
    if W is None:
        W = const_array(draw, prog, (draw(st.integers(1, 3)), k))
    m = prog.shapes[W][0] if not isinstance(W, Const) else W.value.shape[0]
    how = draw(st.sampled_from(["none", "value", "const"]))
    b = None
    if how == "value":
        b = pick(draw, prog, lambda s: s == (m,))
    if how == "const" or (how == "value" and b is None):
        b = const_array(draw, prog, (m,))
    if how == "none":
        return add_step(prog, "ag.linear({0}, {1})", [x, W], ag.linear, F.linear)
    return add_step(prog, "ag.linear({0}, {1}, {2})", [x, W, b], ag.linear, F.linear)


OPS = {
    **UNARY, **BINARY, **REDUCTIONS, **SOFTMAX,
    "clip": gen_clip, "where": gen_where,
    "reshape": gen_reshape, "transpose": gen_transpose, "flatten": gen_flatten,
    "squeeze": gen_squeeze, "expand_dims": gen_expand_dims, "broadcast_to": gen_broadcast_to,
    "concatenate": gen_concatenate, "stack": gen_stack, "getitem": gen_getitem,
    "reverse": gen_reverse,
    "matmul": gen_matmul, "dot": gen_dot, "linear": gen_linear,
}
# Second derivatives are compared on programs of these ops (plus where and clip), where values flow
# elementwise, through reductions and through matrix products: programs rich in curvature. A second
# test draws from every op.
SECOND_ORDER_OPS = {**UNARY, **BINARY, **REDUCTIONS, "clip": gen_clip, "where": gen_where,
                    "matmul": gen_matmul, "dot": gen_dot, "linear": gen_linear}


@st.composite
def programs(draw, ops=OPS, min_steps=5, max_steps=30, dtype=np.float64):
    """Leaves of broadcast-compatible shapes (0-d and size-1 axes included), then steps."""
    ndim = draw(st.sampled_from([2, 3, 1, 0]))
    base = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
    leaves, requires_grad = [], []
    for k in range(draw(st.integers(1, 3))):
        shape = base if k == 0 else sub_shape(draw, base)
        if k and base and draw(st.integers(0, 2)) == 0:  # a matrix that multiplies the first leaf
            m = draw(st.integers(1, 3))
            shape = draw(st.sampled_from([(base[-1], m), (m, base[-1]), (base[-1],),
                                          base[:-2] + (base[-1], m)]))
        leaves.append(draw(hnp.arrays(dtype, shape, elements=grid())))
        # now and then a leaf without a gradient: ops must skip its gradient, not misplace it
        requires_grad.append(k == 0 or draw(st.integers(0, 3)) != 3)
    prog = Program(leaves, requires_grad, dtype)
    # matrix products need operands that line up, and indexing has many kinds: try them more often
    names = sorted(ops) + [name for name in ("matmul", "dot", "linear", "getitem") if name in ops] * 2
    n = draw(st.integers(min_steps, max_steps))
    attempts = 0
    while len(prog.steps) < n and attempts < 4 * max_steps:
        attempts += 1
        ops[draw(st.sampled_from(names))](draw, prog)
    assume(len(prog.steps) >= min_steps)
    return prog


# ----------------------------------------------------------------------------------------------
# Running programs on both sides

def _operands(prog, step, values, side):
    out = []
    for i in step.items:
        if isinstance(i, Const):
            out.append(i.value if side == "ours" else to_torch(i.value, prog.dtype))
        else:
            out.append(values[i])
    return out


def _numpy(x):
    if isinstance(x, ag.Tensor):
        return x.data
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: PyTorch's ZeroTensor (a known-zero gradient)
    return np.asarray(x)


def run_ours(prog):
    values = [ag.Tensor(x, requires_grad=r) for x, r in zip(prog.leaves, prog.requires_grad)]
    for k, step in enumerate(prog.steps):
        y = step.ours(*_operands(prog, step, values, "ours"))
        assert isinstance(y, ag.Tensor), \
            f"v{len(prog.leaves) + k} = {step.code()} gave a {type(y).__name__}"
        values.append(y)
    return values


def run_theirs(prog):
    values = [torch.tensor(x, requires_grad=r) for x, r in zip(prog.leaves, prog.requires_grad)]
    for step in prog.steps:
        values.append(step.theirs(*_operands(prog, step, values, "theirs")))
    return values


def loss_of(prog, values, side):
    total = None
    for k in prog.sinks():
        w = weights(prog.shapes[k], k).astype(prog.dtype)
        term = (values[k] * (w if side == "ours" else torch.tensor(w))).sum()
        total = term if total is None else total + term
    return total


def assert_close(ours, theirs, what):
    ours, theirs = _numpy(ours), _numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch gives {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, PyTorch gives {theirs.dtype}"
    rtol, atol = TOLERANCES[theirs.dtype.type]
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * scale, err_msg=what)


def _who_reads(prog, i):
    n = len(prog.leaves)
    return "; ".join(f"v{n + k} = {s.code()}" for k, s in enumerate(prog.steps) if i in s.args)


def check_forward(prog, ours, theirs):
    """Same values everywhere; discards programs whose values overflow or sit on a kink that
    the two sides see from different sides."""
    for v in theirs:
        x = _numpy(v)
        assume(np.isfinite(x).all() and np.abs(x).max(initial=0.0) < HUGE[prog.dtype])
    n = len(prog.leaves)
    for k in range(len(ours)):
        what = f"value of v{k}" + (f" = {prog.steps[k - n].code()}" if k >= n else "")
        assert_close(ours[k], theirs[k], what)
        assert ours[k].requires_grad == theirs[k].requires_grad, \
            f"{what}: requires_grad is {ours[k].requires_grad}, in PyTorch {theirs[k].requires_grad}"
    for step in prog.steps:
        if step.kinks is None and step.avoid is None:
            continue
        a = [_numpy(x) for x in _operands(prog, step, ours, "ours")]
        b = [_numpy(x) for x in _operands(prog, step, theirs, "ours")]
        if step.kinks is not None:
            for ka, kb in zip(step.kinks(*a), step.kinks(*b)):
                assume(np.array_equal(np.sign(ka), np.sign(kb)))
        if step.avoid is not None:
            for kb in step.avoid(*b):
                assume(np.abs(kb).min(initial=1.0) > 1e-6)


def _assume_finite(grads):
    # An overflow inside a step (exp(800) in a / exp(b)) can give NaN gradients on both sides,
    # which would compare equal and test nothing.
    for g in grads:
        assume(g is None or np.isfinite(_numpy(g)).all())


def check_gradients(prog, ours, theirs, grads_ours, grads_theirs):
    """Compare gradients from the last value back to the leaves: the first mismatch met this way
    points at the backward of an op that reads that value."""
    _assume_finite(grads_theirs)
    for k in reversed(range(len(ours))):
        if any(ours[k] is ours[j] or theirs[k] is theirs[j] for j in range(k)):
            continue  # a no-op that returned its input (broadcast_to, flatten of 1-d): same tensor
        ga, gb = grads_ours[k], grads_theirs[k]
        ga = np.zeros(prog.shapes[k], prog.dtype) if ga is None else ga
        gb = np.zeros(prog.shapes[k], prog.dtype) if gb is None else gb
        assert_close(ga, gb, f"gradient of v{k}, read by: {_who_reads(prog, k) or 'the loss'}")


def _backward(values, loss, times):
    """`.grad` of every value after `times` backward passes (the second one accumulates)."""
    for v in values:
        if v.grad_fn is not None:
            v.retain_grad()
    for k in range(times):
        loss.backward(retain_graph=k < times - 1)
    return [v.grad for v in values]


@given(programs(), st.sampled_from(["backward", "backward twice", "grad"]))
def test_random_programs_match_pytorch_values_and_gradients(program, how):
    ours, theirs = run_ours(program), run_theirs(program)
    check_forward(program, ours, theirs)
    loss_ours, loss_theirs = loss_of(program, ours, "ours"), loss_of(program, theirs, "theirs")
    if not loss_theirs.requires_grad:  # detach() cut every output off the leaves
        assert not loss_ours.requires_grad
        return
    if how == "grad":  # gradients of every value at once, .grad left alone
        wanted = [k for k, v in enumerate(theirs) if v.requires_grad]
        grads_ours, grads_theirs = [None] * len(ours), [None] * len(theirs)
        for k, ga, gb in zip(wanted, ag.grad(loss_ours, [ours[k] for k in wanted], allow_unused=True),
                             torch.autograd.grad(loss_theirs, [theirs[k] for k in wanted],
                                                 allow_unused=True)):
            grads_ours[k], grads_theirs[k] = ga, gb
    else:
        times = 2 if how == "backward twice" else 1
        grads_ours = _backward(ours, loss_ours, times)
        grads_theirs = _backward(theirs, loss_theirs, times)
        for g in grads_ours:
            assert g is None or isinstance(g, np.ndarray), f".grad is a {type(g).__name__}"
    check_gradients(program, ours, theirs, grads_ours, grads_theirs)


@given(programs(dtype=np.float32))
def test_random_float32_programs_stay_float32_and_match_pytorch(program):
    # Python numbers and float32 constants only: a float32 program must never become float64
    ours, theirs = run_ours(program), run_theirs(program)
    check_forward(program, ours, theirs)
    loss_ours, loss_theirs = loss_of(program, ours, "ours"), loss_of(program, theirs, "theirs")
    if not loss_theirs.requires_grad:
        return
    check_gradients(program, ours, theirs,
                    _backward(ours, loss_ours, 1), _backward(theirs, loss_theirs, 1))


def _second_order(program, values, side):
    """d(loss)/d(leaves) with a graph, then the gradient of a fixed projection of it; both as
    {leaf index: gradient}, for the leaves that require grad."""
    wanted = [k for k, r in enumerate(program.requires_grad) if r]
    leaves = [values[k] for k in wanted]
    loss = loss_of(program, values, side)
    if side == "ours":
        g = ag.grad(loss, leaves, create_graph=True, allow_unused=True)
    else:
        g = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
    proj = None
    for k, gi in zip(wanted, g):
        if gi is None or not gi.requires_grad:
            continue  # a gradient that is a constant adds nothing to the second derivative
        u = weights(gi.shape, k, phase=2.0)
        term = (gi * (u if side == "ours" else torch.tensor(u))).sum()
        proj = term if proj is None else proj + term
    if proj is None:
        h = [None] * len(leaves)
    elif side == "ours":
        h = ag.grad(proj, leaves, allow_unused=True)
    else:
        h = torch.autograd.grad(proj, leaves, allow_unused=True)
    return dict(zip(wanted, g)), dict(zip(wanted, h))


@given(programs(ops=SECOND_ORDER_OPS))
def test_random_programs_match_pytorch_second_derivatives(program):
    check_second_derivatives(program)


@given(programs())
def test_random_programs_with_every_op_match_pytorch_second_derivatives(program):
    check_second_derivatives(program)


def check_second_derivatives(program):
    ours, theirs = run_ours(program), run_theirs(program)
    check_forward(program, ours, theirs)
    if not loss_of(program, theirs, "theirs").requires_grad:
        return  # detach() cut every output off the leaves
    g_ours, h_ours = _second_order(program, ours, "ours")
    g_theirs, h_theirs = _second_order(program, theirs, "theirs")
    _assume_finite(list(g_theirs.values()) + list(h_theirs.values()))
    for k in g_theirs:
        zero = np.zeros(program.shapes[k])
        assert_close(zero if g_ours[k] is None else g_ours[k],
                     zero if g_theirs[k] is None else g_theirs[k],
                     f"gradient (create_graph=True) of v{k}")
        assert_close(zero if h_ours[k] is None else h_ours[k],
                     zero if h_theirs[k] is None else h_theirs[k],
                     f"second derivative (gradient of sum(grad * u)) of v{k}")
