"""The steps of the fuzzer's programs, drawn from the op catalogue generically, by kind, so an
entry added to op_catalogue.py is fuzzed without any change here:

    Unary, Binary     an earlier value (and for Binary an earlier value, a constant array of a
                      shape that broadcasts with it in any pattern, or a Python number), through
                      the entry, the NumPy function of the same name when its reference is one
                      (np.exp(t)), the Tensor method and the operator (t + u) where they exist
    Reduction         a random axis (None, an int, negative, a tuple) and keepdims
    AlongAxis         a random axis
    Function          inputs of the entry's shapes: an earlier value of that shape, or one fitted
                      to it (`ag.mean(v) + C`); where the entry makes its inputs (an invertible
                      matrix ...), mostly the one it makes, perturbed by an earlier value
                      (`M + 0.125 * ag.tanh(v)`)
    Structural        an earlier value, with arguments drawn for its shape by the entry's own
                      strategy; PyTorch's side is the entry's `theirs`, or for an affine shape
                      function the matrix NumPy's function is (`Structural.torch_side`)
    Assignment        x[index] = v on an earlier value (any index without repeated positions:
                      NumPy keeps the last write, PyTorch leaves the order open) and a value v
                      that broadcasts to x[index]; as the entry (a new tensor) or written into x
                      itself, which later steps then read

An input outside an entry's domain (log wants positive values) is squashed into it first
(`lo + (hi - lo) * sigmoid(v)`). An entry with a richer drawer (fuzz_structural.py: any reshape,
any index, any matrix product) is drawn by either, half the time each. Programs also detach values
and change values in place under no_grad(): PyTorch runs the change as a straight-through step
(the new values, the gradient passed on unchanged), which is what the engine must compute unless
it refuses with its in-place error. Leaves are float64, float32 or a mix, of broadcast-compatible
shapes with 0-d, size-1 and size-0 axes.
"""
import math
import operator

import numpy as np
from hypothesis import assume, event, strategies as st
from hypothesis.extra import numpy as hnp
import torch

import autograd as ag
from autograd.numpy_api import FUNCTIONS as NP_FUNCTIONS, UFUNCS as NP_UFUNCS

from fuzz_programs import (DTYPES, Const, Program, add_step, const_array, const_scalar, fitted,
                           grid, in_domain, lit, operand_for, partner_shape, pick, restricted)
from fuzz_structural import _index_code, _torch_index, draw_index
from op_catalogue import (AlongAxis, Assignment, Binary, Function, Reduction, Structural, Unary,
                          entries)

# ----------------------------------------------------------------------------------------------
# The catalogue's kinds, drawn generically

OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
             np.power: "**", np.matmul: "@"}


def numpy_name(f):
    """f's name when f is a NumPy function that Tensors dispatch (np.exp, np.sum ...), else None."""
    try:
        dispatched = f in NP_UFUNCS or f in NP_FUNCTIONS
    except TypeError:  # unhashable
        return None
    return f.__name__ if dispatched and getattr(np, f.__name__, None) is f else None


def _kink(spec):
    return getattr(spec, "kink", None)  # entries of a kind without kinks have no field


def _entry_code(spec, nargs):
    return f"entry({spec.name!r}).ours(" + ", ".join("{%d}" % k for k in range(nargs)) + ")"


def draw_unary(draw, prog, spec):
    a = in_domain(draw, prog, pick(draw, prog), spec.domain)
    if a is None:
        return False
    variants = [(_entry_code(spec, 1), spec.ours)]
    name = numpy_name(spec.reference)
    if name:
        variants.append((f"np.{name}({{0}})", spec.reference))
        if hasattr(ag.Tensor, name):
            variants.append((f"{{0}}.{name}()", lambda x: getattr(x, name)()))
    template, ours = draw(st.sampled_from(variants))
    return add_step(prog, template, [a], ours, spec.theirs, _kink(spec))


def draw_binary(draw, prog, spec):
    a = in_domain(draw, prog, pick(draw, prog), spec.domains[0])
    if a is None:
        return False
    b = operand_for(draw, prog, prog.shapes[a], spec.domains[1])
    if b is None:
        return False
    if restricted(spec.domains[0]) or draw(st.booleans()):
        items = [a, b]
    else:  # the other way round, when the domains allow it
        items = [b, a] if not restricted(spec.domains[1]) else [a, b]
    variants = [(_entry_code(spec, 2), spec.ours)]
    name = numpy_name(spec.reference)
    if name:
        variants.append((f"np.{name}({{0}}, {{1}})", spec.reference))
    if spec.reference in OPERATORS:
        op = OPERATORS[spec.reference]
        variants.append((f"{{0}} {op} {{1}}", getattr(operator, {
            "+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow", "@": "matmul"}[op])))
    template, ours = draw(st.sampled_from(variants))
    return add_step(prog, template, items, ours, spec.theirs, _kink(spec))


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


def reduced_count(shape, axis):
    if not shape or axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def draw_reduction(draw, prog, spec):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    axis, keepdims = axis_choice(draw, len(shape)), draw(st.booleans())
    if reduced_count(shape, axis) < spec.min_count:
        return False
    kw = f"axis={axis!r}, keepdims={keepdims!r}"
    variants = [(f"entry({spec.name!r}).ours({{0}}, {kw})",
                 lambda x: spec.ours(x, axis=axis, keepdims=keepdims))]
    name = numpy_name(spec.reference)
    if name:
        variants.append((f"np.{name}({{0}}, {kw})",
                         lambda x: spec.reference(x, axis=axis, keepdims=keepdims)))
        if hasattr(ag.Tensor, name):
            variants.append((f"{{0}}.{name}({kw})",
                             lambda x: getattr(x, name)(axis=axis, keepdims=keepdims)))
    template, ours = draw(st.sampled_from(variants))
    return add_step(prog, template, [a], ours, lambda x: spec.theirs(x, axis, keepdims),
                    _kink(spec), {"axis": axis if shape else None})


def draw_along_axis(draw, prog, spec):
    a = pick(draw, prog)
    ndim = len(prog.shapes[a])
    axis = draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    return add_step(prog, f"entry({spec.name!r}).ours({{0}}, {axis})", [a],
                    lambda x: spec.ours(x, axis), lambda x: spec.theirs(x, axis), _kink(spec))


def perturbed(draw, prog, base):
    """A value near the constant array `base`: base + 0.125 * tanh(v) for an earlier value v fitted
    to its shape (base rounded to multiples of 1/16, to print short)."""
    i = fitted(draw, prog, base.shape)
    if i is None:
        return None
    c = Const((np.round(base * 16) / 16).astype(prog.dtypes[i]))
    ok = add_step(prog, "{1} + 0.125 * ag.tanh({0})", [i, c], lambda x, k: k + 0.125 * ag.tanh(x),
                  lambda x, k: k + 0.125 * torch.tanh(x))
    return len(prog.shapes) - 1 if ok else None


def draw_function(draw, prog, spec):
    items = []
    made = None
    if spec.make is not None and draw(st.integers(0, 3)):  # else plain values: singular, tied ...
        made = spec.make(np.random.default_rng(draw(st.integers(0, 2 ** 16))), spec.shapes)
    for k, shape in enumerate(spec.shapes):
        i = (perturbed(draw, prog, np.asarray(made[k], dtype=np.float64)) if made is not None
             else fitted(draw, prog, shape, spec.domain(k)))
        if i is None:
            return False
        items.append(i)
    variants = [(_entry_code(spec, len(items)), spec.ours)]
    name = numpy_name(spec.reference)
    if name:
        variants.append((f"np.{name}(" + ", ".join("{%d}" % k for k in range(len(items))) + ")",
                         spec.reference))
    template, ours = draw(st.sampled_from(variants))
    return add_step(prog, template, items, ours, spec.theirs, _kink(spec))


def _kwargs_code(kwargs):
    return ", ".join(f"{k}={lit(v) if isinstance(v, np.ndarray) else repr(v)}"
                     for k, v in kwargs.items())


def draw_structural(draw, prog, spec):
    """An earlier value (no empty axis: the strategies draw indices into every axis) with
    arguments drawn for its shape."""
    a = pick(draw, prog, lambda s: spec.min_dims <= len(s) <= spec.max_dims and all(s)
             and math.prod(s) <= 64)
    if a is None:
        return False
    shape = prog.shapes[a]
    kwargs = draw(spec.params(shape))
    try:
        out = spec.call_reference(np.zeros(shape), **kwargs)
    except (ValueError, IndexError, TypeError):
        return False
    piece = None
    if isinstance(out, (list, tuple)):  # the pieces of a split: one of them
        if not out:
            return False
        piece = draw(st.integers(0, len(out) - 1))
    code = f"entry({spec.name!r}).ours({{0}}, {_kwargs_code(kwargs)})"
    code += "" if piece is None else f"[{piece}]"

    def ours(x):
        y = spec.ours(x, **kwargs)
        return y if piece is None else y[piece]
    return add_step(prog, code, [a], ours, spec.torch_side(shape, kwargs, piece), _kink(spec),
                    kwargs)


def _positions(shape, index):
    """The flat positions an index reaches (with repeats)."""
    return np.arange(math.prod(shape)).reshape(shape)[index].ravel()


def _broadcasts_to(s, target):
    try:
        return np.broadcast_shapes(s, target) == tuple(target)
    except ValueError:
        return False


def draw_assignment(draw, prog, spec):
    """x[index] = v, x an earlier value, v an earlier value, a constant array or a number that
    broadcasts to x[index] (without changing its shape)."""
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    shape = prog.shapes[a]
    parts = draw_index(draw, shape)
    if parts is None:
        return False
    index = parts if len(parts) != 1 else parts[0]
    try:
        reached = _positions(shape, index)
    except IndexError:
        return False
    if len(np.unique(reached)) < len(reached):
        return False  # a repeated position: NumPy keeps the last write, PyTorch no set one
    target = np.zeros(shape)[index].shape
    how = draw(st.sampled_from(["value", "value", "array", "scalar"]))
    v = pick(draw, prog, lambda s: _broadcasts_to(s, target) and s != ()) if how == "value" else None
    if v is None:
        if how == "array" or how == "value":
            k = draw(st.integers(0, len(target)))
            v = const_array(draw, prog, tuple(1 if draw(st.booleans()) else n
                                              for n in target[len(target) - k:]))
        else:
            v = const_scalar(draw)
    code = _index_code(parts)
    dtype = getattr(torch, np.dtype(prog.dtypes[a]).name)

    def theirs(x, value):  # NumPy casts the value to x's dtype
        return spec.theirs(x, _torch_index(parts), value).to(dtype)
    leaf_with_grad = a < len(prog.leaves) and prog.requires_grad[a]
    if spec.statement and not leaf_with_grad and draw(st.booleans()):
        # into x itself: x is the new value from here on; what earlier steps saved is intact
        return add_step(prog, f"{{0}}[{code}] {spec.statement} {{1}}", [a, v],
                        _written_into(spec.statement, index), theirs, _kink(spec), inplace=True)
    return add_step(prog, f"entry({spec.name!r}).ours({{0}}, np.s_[{code}], {{1}})", [a, v],
                    lambda x, value: spec.ours(x, index, value), theirs, _kink(spec))


def _refused(x, value):
    """Whether glassgrad refuses to write into x, as it documents: x a view of a leaf that
    requires grad (PyTorch refuses too), or a view made by detach() given a value that requires
    grad (PyTorch would write into the tensor it was detached from)."""
    t = x
    while t._base is not None:
        if getattr(t, "_view_op", "a view") is None and getattr(value, "requires_grad", False):
            return True
        t = t._base
    return t.requires_grad and t.grad_fn is None


def _written_into(statement, index):
    def run(x, value):
        if _refused(x, value):
            event("discarded: an assignment into a view that glassgrad refuses to change")
            assume(False)
        if statement == "+=":
            x[index] += value
        else:
            x[index] = value
        return x
    return run


KINDS = {Unary: draw_unary, Binary: draw_binary, Reduction: draw_reduction,
         AlongAxis: draw_along_axis, Function: draw_function, Structural: draw_structural,
         Assignment: draw_assignment}


def drawer(spec):
    """How to draw an application of a catalogue entry (by its kind)."""
    for kind, draw_it in KINDS.items():
        if isinstance(spec, kind):
            return draw_it
    raise TypeError(f"the fuzzer does not know catalogue entries of kind {type(spec).__name__} "
                    f"({spec.name}); add a drawer for them to KINDS in {__name__}.py")


# ----------------------------------------------------------------------------------------------
# Steps that are not ops: detach, and changes in place under no_grad()

def draw_detach(draw, prog):
    return add_step(prog, "{0}.detach()", [pick(draw, prog)], lambda x: x.detach(),
                    lambda x: x.detach())


def _straight_through(change):
    """PyTorch's side of an in-place change: the new values, the gradient passed on unchanged."""
    return lambda x: change(x.detach()) + (x - x.detach())


def _changed_in_place(change):
    def run(x):
        with ag.no_grad():
            change(x)
        return x
    return run


def _setitem(x, index, value):
    x[index] = value
    return x


def draw_inplace(draw, prog):
    """Change an earlier value in place under no_grad(); later steps read the changed one."""
    a = pick(draw, prog, lambda s: math.prod(s) > 0)
    if a is None:
        return False
    c = draw(st.sampled_from([k / 8 for k in range(-16, 17) if k]))
    n = prog.shapes[a][0] if prog.shapes[a] else None
    index = draw(st.integers(-n, n - 1)) if n else ...
    options = [("{0} *= %r" % c, lambda x: x.__imul__(c), lambda x: x * c),
               ("{0} += %r" % c, lambda x: x.__iadd__(c), lambda x: x + c),
               ("{0}.mul_(%r)" % c, lambda x: x.mul_(c), lambda x: x * c),
               ("{0}.add_(%r)" % c, lambda x: x.add_(c), lambda x: x + c),
               ("{0}[%r] = %r" % (index, c), lambda x: _setitem(x, index, c),
                lambda x: _setitem(x.clone(), index, c))]
    template, ours, theirs = draw(st.sampled_from(options))
    template = "with ag.no_grad(): " + template
    return add_step(prog, template, [a], _changed_in_place(ours), _straight_through(theirs),
                    inplace=True)


# ----------------------------------------------------------------------------------------------
# Programs

def catalogue_ops(select=lambda spec: True):
    """The catalogue entries to draw from, by name (all of them unless `select` says otherwise)."""
    return {spec.name: spec for spec in entries() if select(spec)}


@st.composite
def leaves(draw, dtypes):
    """1 to 3 leaves of broadcast-compatible shapes (0-d, size-1 and size-0 axes included), each
    of one of `dtypes`; now and then one that does not require grad."""
    ndim = draw(st.sampled_from([2, 3, 1, 0]))
    base = [draw(st.integers(1, 3)) for _ in range(ndim)]
    if ndim and draw(st.integers(0, 5)) == 0:
        base[draw(st.integers(0, ndim - 1))] = 0  # an empty axis
    base = tuple(base)
    arrays, requires_grad = [], []
    for k in range(draw(st.integers(1, 3))):
        shape = base if k == 0 else partner_shape(draw, base)
        if k and base and draw(st.integers(0, 2)) == 0:  # a matrix that multiplies the first leaf
            m = draw(st.integers(1, 3))
            shape = draw(st.sampled_from([(base[-1], m), (m, base[-1]), (base[-1],),
                                          base[:-2] + (base[-1], m)]))
        dtype = draw(st.sampled_from(dtypes))
        arrays.append(draw(hnp.arrays(dtype, shape, elements=grid())))
        requires_grad.append(k == 0 or draw(st.integers(0, 3)) != 3)
    return Program(arrays, requires_grad)


@st.composite
def programs(draw, ops, richer, kind="float64", min_steps=3, max_steps=25, inplace=True):
    """A program of `kind` ("float64", "float32" or "mixed") drawing its steps from the catalogue
    entries `ops` (name -> entry); an entry with a drawer in `richer` (name -> drawer) is drawn
    by it half the time."""
    prog = draw(leaves(DTYPES[kind]))
    names = sorted(ops) + ["detach"] * 2 + ["inplace"] * 4 * inplace
    n = draw(st.integers(min_steps, max_steps))
    attempts = 0
    while len(prog.steps) < n and attempts < 4 * max_steps:
        attempts += 1
        name = draw(st.sampled_from(names))
        if name == "detach":
            draw_detach(draw, prog)
        elif name == "inplace":
            draw_inplace(draw, prog)
        elif name in richer and draw(st.booleans()):
            richer[name](draw, prog)
        else:
            drawer(ops[name])(draw, prog, ops[name])
    assume(len(prog.steps) >= min_steps)
    return prog
