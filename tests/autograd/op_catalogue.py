"""Every differentiable op of the engine, described once, for the property tests, the PyTorch
oracle, the in-place checks and the differential fuzzer (test_fuzz_torch.py).

Each entry pairs glassgrad's function with PyTorch's equivalent and says which inputs are safe:
the value range where the op is smooth and finite (log and sqrt want positive numbers, a divisor
must stay away from 0) and the points where it has a kink (relu and abs at 0, clip at its bounds),
which a finite-difference check must avoid. The kinds of entry (`Unary`, `Binary`, `Reduction`,
`AlongAxis`, `Function`, `Structural`, `Assignment`) are in op_catalogue_kinds.py; the NumPy
functions beyond the core that are not elementwise in op_catalogue_numpy.py. Import all of them
from here.

Where an op has a kink or a tie, its `kink` (a `Kink`) says which derivative glassgrad takes there
beside the one PyTorch takes: the fuzzer compares programs that land exactly on a kink only under
a convention the two share, and counts them apart from the smooth ones.

`entries()` is every entry of every kind, `entry(name)` one of them, and `example(entry)` how any
entry is called on example inputs. Every op class of the engine must be reached by some entry
(test_op_catalogue.py checks it).
"""
import importlib
import inspect
import pkgutil

import numpy as np

import autograd as ag
from op_catalogue_kinds import (  # noqa: F401 (the kinds are imported from here)
    ANY, KINDS, POSITIVE, AlongAxis, Assignment, Binary, Domain, Function, Kink, Reduction,
    Structural, Unary, _F, _torch, at_points, conditioning, every, one_tensor, singular_values,
    sorted_gaps, spectrum_gaps, ties, to_max, to_min, top_gap, variance)

_SIGN = "0 at 0 (the subgradient in the middle)"
_STEP = "0 at a jump too (the derivative on either side)"

UNARY = [
    Unary("exp", ag.exp, lambda x: x.exp(), np.exp),
    Unary("log", ag.log, lambda x: x.log(), np.log, POSITIVE),
    Unary("sqrt", ag.sqrt, lambda x: x.sqrt(), np.sqrt, POSITIVE),
    Unary("abs", ag.abs, lambda x: x.abs(), np.abs, Domain(kinks=(0.0,)),
          Kink(at_points(0.0), f"abs'(0) = {_SIGN}")),
    Unary("sin", ag.sin, lambda x: x.sin(), np.sin),
    Unary("cos", ag.cos, lambda x: x.cos(), np.cos),
    Unary("tanh", ag.tanh, lambda x: x.tanh(), np.tanh),
    Unary("sigmoid", ag.sigmoid, lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    Unary("relu", ag.relu, lambda x: x.relu(), lambda x: np.maximum(x, 0), Domain(kinks=(0.0,)),
          Kink(at_points(0.0), "relu'(0) = 0")),
    Unary("leaky_relu", lambda x: ag.leaky_relu(x, 0.1), lambda x: _F().leaky_relu(x, 0.1),
          lambda x: np.where(x > 0, x, 0.1 * x), Domain(kinks=(0.0,)),
          Kink(at_points(0.0), "leaky_relu'(0) = slope (the left side)")),
    Unary("clip", lambda x: ag.clip(x, -0.5, 0.5), lambda x: x.clamp(-0.5, 0.5),
          lambda x: np.clip(x, -0.5, 0.5), Domain(-1.0, 1.0, kinks=(-0.5, 0.5)),
          Kink(at_points(-0.5, 0.5), "the gradient passes at a bound (lo <= x <= hi)")),
    Unary("negative", lambda x: -x, lambda x: -x, np.negative),
    Unary("square", ag.square, lambda x: x * x, np.square),
    Unary("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, lambda x: x ** 3),
    Unary("pow_fraction", lambda x: x ** 1.5, lambda x: x ** 1.5, lambda x: x ** 1.5, POSITIVE),
    Unary("pow_negative", lambda x: x ** -1.5, lambda x: x ** -1.5, lambda x: x ** -1.5, POSITIVE),
    Unary("pow_zero", lambda x: x ** 0, lambda x: x ** 0, lambda x: x ** 0),
    Unary("pow_one", lambda x: x ** 1, lambda x: x ** 1, lambda x: x ** 1),
    Unary("scalar_pow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    Unary("scalar_div", lambda x: 1.0 / x, lambda x: 1.0 / x, lambda x: 1.0 / x, POSITIVE),
    Unary("scalar_sub", lambda x: 3.0 - x, lambda x: 3.0 - x, lambda x: 3.0 - x),
    # the NumPy functions beyond the core, called as NumPy functions on Tensors
    Unary("log1p", np.log1p, lambda x: x.log1p(), np.log1p, Domain(-0.8, 2.0)),
    Unary("expm1", np.expm1, lambda x: x.expm1(), np.expm1),
    Unary("log2", np.log2, lambda x: x.log2(), np.log2, POSITIVE),
    Unary("log10", np.log10, lambda x: x.log10(), np.log10, POSITIVE),
    Unary("exp2", np.exp2, lambda x: x.exp2(), np.exp2),
    Unary("tan", np.tan, lambda x: x.tan(), np.tan, Domain(-1.2, 1.2)),
    Unary("sinh", np.sinh, lambda x: x.sinh(), np.sinh),
    Unary("cosh", np.cosh, lambda x: x.cosh(), np.cosh),
    Unary("arcsin", np.arcsin, lambda x: x.arcsin(), np.arcsin, Domain(-0.9, 0.9)),
    Unary("arccos", np.arccos, lambda x: x.arccos(), np.arccos, Domain(-0.9, 0.9)),
    Unary("arctan", np.arctan, lambda x: x.arctan(), np.arctan),
    Unary("arcsinh", np.arcsinh, lambda x: x.arcsinh(), np.arcsinh),
    Unary("arccosh", np.arccosh, lambda x: x.arccosh(), np.arccosh, Domain(1.2, 3.0)),
    Unary("arctanh", np.arctanh, lambda x: x.arctanh(), np.arctanh, Domain(-0.9, 0.9)),
    Unary("reciprocal", np.reciprocal, lambda x: x.reciprocal(), np.reciprocal,
          Domain(kinks=(0.0,), margin=0.2)),
    Unary("cbrt", np.cbrt, lambda x: _torch().sign(x) * x.abs() ** (1 / 3), np.cbrt,
          Domain(kinks=(0.0,), margin=0.2),
          Kink(at_points(0.0), "cbrt'(0) = inf: no derivative", "NaN (sign(x) |x|^(1/3))",
               torch_differs=1)),
    Unary("fabs", np.fabs, lambda x: x.abs(), np.fabs, Domain(kinks=(0.0,)),
          Kink(at_points(0.0), f"fabs'(0) = {_SIGN}")),
    Unary("sign", np.sign, lambda x: x.sign(), np.sign, Domain(kinks=(0.0,)),
          Kink(at_points(0.0), f"sign'(0) = {_STEP}")),
    Unary("floor", np.floor, lambda x: x.floor(), np.floor, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
          Kink(every(1.0), f"floor' = {_STEP}")),
    Unary("ceil", np.ceil, lambda x: x.ceil(), np.ceil, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
          Kink(every(1.0), f"ceil' = {_STEP}")),
    Unary("trunc", np.trunc, lambda x: x.trunc(), np.trunc, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
          Kink(every(1.0), f"trunc' = {_STEP}")),
    Unary("rint", np.rint, lambda x: x.round(), np.rint, Domain(kinks=(-1.5, -0.5, 0.5, 1.5)),
          Kink(every(1.0, 0.5), f"rint' = {_STEP}")),
    Unary("sinc", np.sinc, lambda x: x.sinc(), np.sinc, ANY,
          Kink(at_points(0.0), "sinc is smooth at 0: sinc'(0) = 0 and sinc''(0) = -pi**2/3 (its "
               "Taylor series near 0)", "masks its derivative to 0 at 0, so its second derivative "
               "is 0 there (and rounding near it)", torch_differs=2, near=1e-3)),
    Unary("deg2rad", np.deg2rad, lambda x: x.deg2rad(), np.deg2rad),
    Unary("radians", np.radians, lambda x: x.deg2rad(), np.radians),
    Unary("rad2deg", np.rad2deg, lambda x: x.rad2deg(), np.rad2deg),
    Unary("degrees", np.degrees, lambda x: x.rad2deg(), np.degrees),
    Unary("nan_to_num", np.nan_to_num, lambda x: x.nan_to_num(), np.nan_to_num),
    Unary("real", np.real, lambda x: x.real, np.real),
    Unary("mod_scalar", lambda x: x % 0.75, lambda x: x % 0.75, lambda x: x % 0.75,
          Domain(kinks=(-1.5, -0.75, 0.0, 0.75, 1.5)),
          Kink(every(0.75), "(x % c)' = 1 at a jump too (the derivative on either side)")),
]


def _where_mask(shape):
    """A fixed checkerboard condition for where(), of the broadcast shape."""
    return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)


def _where_ours(a, b):
    return ag.where(_where_mask(np.broadcast_shapes(np.shape(a), np.shape(b))), a, b)


def _where_theirs(a, b):
    torch = _torch()
    cond = torch.from_numpy(_where_mask(torch.broadcast_shapes(a.shape, b.shape)))
    return torch.where(cond, a, b)


def _where_reference(a, b):
    return np.where(_where_mask(np.broadcast_shapes(np.shape(a), np.shape(b))), a, b)


# Neither has a derivative at (0, 0): arctan2(a, b)' = (b, -a) / (a^2 + b^2) is 0 / 0 there
_ORIGIN = Kink(lambda a, b: [np.hypot(a, b)], "no derivative at (0, 0) (NaN)", "the same",
               torch_differs=1)

BINARY = [
    Binary("add", ag.add, lambda a, b: a + b, np.add),
    Binary("subtract", ag.subtract, lambda a, b: a - b, np.subtract),
    Binary("multiply", ag.multiply, lambda a, b: a * b, np.multiply),
    Binary("divide", ag.divide, lambda a, b: a / b, np.divide, (ANY, Domain(0.5, 2.0))),
    Binary("power", ag.power, lambda a, b: a ** b, np.power, (Domain(0.5, 2.0), ANY),
           Kink(lambda a, b: [b], "d2(a^b)/(da db) = 1/a at b = 0 (the maths: a^(b-1) (1 + b log a))",
                "d2(a^b)/(da db) = 0 at b = 0 (its backward is where(b == 0, 0, ...))",
                torch_differs=2)),
    Binary("maximum", ag.maximum, lambda a, b: _torch().maximum(a, b), np.maximum,
           kink=Kink(ties, "a tie gives each side half the gradient")),
    Binary("minimum", ag.minimum, lambda a, b: _torch().minimum(a, b), np.minimum,
           kink=Kink(ties, "a tie gives each side half the gradient")),
    Binary("where", _where_ours, _where_theirs, _where_reference),
    Binary("arctan2", np.arctan2, lambda a, b: _torch().atan2(a, b), np.arctan2,
           (Domain(kinks=(0.0,), margin=0.1), ANY), _ORIGIN),
    Binary("hypot", np.hypot, lambda a, b: _torch().hypot(a, b), np.hypot,
           (Domain(kinks=(0.0,), margin=0.1), ANY), _ORIGIN),
    Binary("logaddexp", np.logaddexp, lambda a, b: _torch().logaddexp(a, b), np.logaddexp),
    Binary("logaddexp2", np.logaddexp2, lambda a, b: _torch().logaddexp2(a, b), np.logaddexp2),
    # a in (-0.45, 0.45) and b in [0.5, 2]: a / b stays between two integers, off the jumps
    Binary("remainder", np.remainder, lambda a, b: _torch().remainder(a, b), np.remainder,
           (Domain(-0.45, 0.45, kinks=(0.0,), margin=0.05), Domain(0.5, 2.0)),
           Kink(lambda a, b: every(1.0)(np.divide(a, b)), "a % b jumps where a / b is an integer: "
                "d/da = 1 and d/db = -floor(a / b) there (the right-hand side's)",
                at=(np.array([[0.5, -1.0, 2.0]]), np.array([[0.5, 1.0, 2.0], [0.25, -0.5, 1.0]])))),
    Binary("fmax", np.fmax, lambda a, b: _torch().fmax(a, b), np.fmax,
           kink=Kink(ties, "a tie gives each side half the gradient (as maximum)",
                     "a tie gives the first operand all of it", torch_differs=1)),
    Binary("fmin", np.fmin, lambda a, b: _torch().fmin(a, b), np.fmin,
           kink=Kink(ties, "a tie gives each side half the gradient (as minimum)",
                     "a tie gives the first operand all of it", torch_differs=1)),
]


def _dims(x, axis):
    """Normalise a NumPy axis argument to a tuple of dims, for PyTorch."""
    if axis is None:
        return tuple(range(x.dim()))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % x.dim() for a in axes)


def _torch_reduce(method):
    def run(x, axis, keepdims):
        if x.dim() == 0:  # a 0-d tensor reduces to itself; PyTorch wants at least one dim
            return method(x.reshape(1), (0,), False).reshape(())
        return method(x, _dims(x, axis), keepdims)
    return run


def _logsumexp_reference(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _torch_prod(x, dims, keepdim):
    for d in sorted(dims, reverse=True):  # torch.prod takes one dim at a time
        x = x.prod(dim=d, keepdim=keepdim)
    return x


REDUCTIONS = [
    Reduction("sum", ag.sum, _torch_reduce(lambda x, d, k: x.sum(dim=d, keepdim=k)), np.sum),
    Reduction("mean", ag.mean, _torch_reduce(lambda x, d, k: x.mean(dim=d, keepdim=k)),
              np.mean),
    Reduction("max", ag.max, _torch_reduce(lambda x, d, k: x.amax(dim=d, keepdim=k)), np.max,
              distinct=True, kink=Kink(to_max, "values tied for the maximum share the gradient "
                                                "equally (amax's convention)", tie=True)),
    Reduction("min", ag.min, _torch_reduce(lambda x, d, k: x.amin(dim=d, keepdim=k)), np.min,
              distinct=True, kink=Kink(to_min, "values tied for the minimum share the gradient "
                                                "equally (amin's convention)", tie=True)),
    Reduction("var", ag.var,
              _torch_reduce(lambda x, d, k: x.var(dim=d, correction=0, keepdim=k)), np.var),
    Reduction("std", ag.std,
              _torch_reduce(lambda x, d, k: x.std(dim=d, correction=0, keepdim=k)), np.std,
              kink=Kink(variance, "std'(x) = 0 where the variance is 0 (all values equal, or one "
                                   "value), at every order", near=1e-6)),
    Reduction("var_ddof1", lambda x, axis=None, keepdims=False: ag.var(x, axis, 1, keepdims),
              _torch_reduce(lambda x, d, k: x.var(dim=d, correction=1, keepdim=k)),
              lambda x, axis=None, keepdims=False: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
              min_count=2),
    Reduction("std_ddof1", lambda x, axis=None, keepdims=False: ag.std(x, axis, 1, keepdims),
              _torch_reduce(lambda x, d, k: x.std(dim=d, correction=1, keepdim=k)),
              lambda x, axis=None, keepdims=False: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
              min_count=2, kink=Kink(variance, "std'(x) = 0 where the variance is 0", near=1e-6)),
    Reduction("logsumexp", ag.logsumexp,
              _torch_reduce(lambda x, d, k: x.logsumexp(dim=d, keepdim=k)), _logsumexp_reference),
    Reduction("prod", ag.prod, _torch_reduce(_torch_prod), np.prod),
    Reduction("ptp", ag.ptp, _torch_reduce(lambda x, d, k: x.amax(dim=d, keepdim=k)
                                           - x.amin(dim=d, keepdim=k)), np.ptp, distinct=True,
              kink=Kink(lambda x, axis=None: to_max(x, axis) + to_min(x, axis), "values tied for "
                        "the maximum or the minimum share its gradient equally (amax's and amin's "
                        "convention)", tie=True)),
    Reduction("nansum", ag.nansum, _torch_reduce(lambda x, d, k: x.nansum(dim=d, keepdim=k)),
              np.nansum),
    Reduction("nanmean", ag.nanmean, _torch_reduce(lambda x, d, k: x.nanmean(dim=d, keepdim=k)),
              np.nanmean),
]


def _softmax_reference(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))  # an empty axis: -inf
    return e / np.sum(e, axis=axis, keepdims=True)


ALONG_AXIS = [
    AlongAxis("softmax", ag.softmax, lambda x, axis: x.softmax(dim=axis), _softmax_reference),
    AlongAxis("log_softmax", ag.log_softmax, lambda x, axis: x.log_softmax(dim=axis),
              lambda x, axis: np.log(_softmax_reference(x, axis))),
]


def _assigning(add):
    def change(y, index, v):  # y: a copy, in whichever library
        if add:
            y[index] += v
        else:
            y[index] = v
        return y

    def ours(x, index, v):
        return change(x * 1, index, v)  # x * 1: not a leaf, so it may be assigned into

    def theirs(x, index, v):
        torch = _torch()
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(torch.from_numpy(p) if isinstance(p, np.ndarray) else p for p in parts)
        return change(x.clone(), parts if isinstance(index, tuple) else parts[0], v)

    def reference(x, index, v):
        return change(np.array(x, copy=True), index, v)

    return ours, theirs, reference


ASSIGNMENTS = [
    Assignment("setitem", *_assigning(add=False), statement="="),
    Assignment("setitem_add", *_assigning(add=True), statement="+="),
    Assignment("setitem_function", ag.setitem, _assigning(add=False)[1], _assigning(add=False)[2]),
]


# ----------------------------------------------------------------------------------------------
# Everything else, on example inputs: shapes, indexing, products, dtype casts, nn's losses

def _nn():
    return importlib.import_module("nn.functional")


_PICK = np.array([0, 2, 0, -1])           # repeated and negative indices: gradients add up
_ROWS, _COLS = np.array([0, 1, 1]), np.array([2, 0, 2])
_MASK = np.array([[True, False, True], [False, False, True]])
_LABELS = np.array([2, 0, 1])
_PROBS = np.array([[0.25, 0.5, 0.25], [1.0, 0.0, 0.0], [0.125, 0.125, 0.75]])
_BITS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
_UNIT = Domain(0.05, 0.95)


def _scatter_ours(g):
    from autograd.ops.shape import ScatterAdd  # the adjoint of indexing, used by its backward
    return ScatterAdd(_PICK, (3, 2))(g)


def _scatter_theirs(g):
    torch = _torch()
    return torch.zeros((3, 2), dtype=g.dtype).index_put((torch.tensor(_PICK),), g, accumulate=True)


def _scatter_reference(g):
    out = np.zeros((3, 2))
    np.add.at(out, _PICK, g)
    return out


def _t(a):
    return _torch().tensor(a)


FUNCTIONS = [
    Function("reshape", lambda x: ag.reshape(x, (3, 2)), lambda x: x.reshape(3, 2),
             lambda x: x.reshape(3, 2), ((2, 3),)),
    Function("transpose", lambda x: ag.transpose(x, (2, 0, 1)), lambda x: x.permute(2, 0, 1),
             lambda x: x.transpose(2, 0, 1), ((2, 3, 2),)),
    Function("swapaxes", lambda x: ag.swapaxes(x, 0, -1), lambda x: x.transpose(0, -1),
             lambda x: x.swapaxes(0, -1), ((2, 1, 3),)),
    Function("flatten", lambda x: ag.flatten(x, 1), lambda x: x.flatten(1),
             lambda x: x.reshape(2, -1), ((2, 3, 2),)),
    Function("squeeze", lambda x: ag.squeeze(x, 1), lambda x: x.squeeze(1),
             lambda x: x.squeeze(1), ((2, 1, 3),)),
    Function("expand_dims", lambda x: ag.expand_dims(x, -2), lambda x: x.unsqueeze(-2),
             lambda x: np.expand_dims(x, -2), ((2, 3),)),
    Function("broadcast_to", lambda x: ag.broadcast_to(x, (2, 2, 3)),
             lambda x: x.broadcast_to(2, 2, 3), lambda x: np.broadcast_to(x, (2, 2, 3)),
             ((2, 1, 3),)),
    Function("getitem_basic", lambda x: x[1:, ::2, None], lambda x: x[1:, ::2, None],
             lambda x: x[1:, ::2, None], ((3, 4),)),
    Function("getitem_reversed", lambda x: x[::-1], lambda x: x.flip(0), lambda x: x[::-1],
             ((3, 2),)),
    Function("getitem_repeated_ints", lambda x: x[_PICK], lambda x: x[_t(_PICK)],
             lambda x: x[_PICK], ((3, 2),)),
    Function("getitem_two_int_arrays", lambda x: x[_ROWS, _COLS],
             lambda x: x[_t(_ROWS), _t(_COLS)], lambda x: x[_ROWS, _COLS], ((2, 3),)),
    Function("getitem_mask", lambda x: x[_MASK], lambda x: x[_t(_MASK)], lambda x: x[_MASK],
             ((2, 3),)),
    Function("scatter_add", _scatter_ours, _scatter_theirs, _scatter_reference, ((4, 2),)),
    Function("concatenate", lambda a, b: ag.concatenate([a, b], axis=-1),
             lambda a, b: _torch().cat([a, b], -1), lambda a, b: np.concatenate([a, b], -1),
             ((2, 1), (2, 3))),
    Function("concatenate_flat", lambda a, b: ag.concatenate([a, b], axis=None),
             lambda a, b: _torch().cat([a.flatten(), b.flatten()]),
             lambda a, b: np.concatenate([a, b], axis=None), ((2, 2), (3,))),
    Function("stack", lambda a, b: ag.stack([a, b], axis=1), lambda a, b: _torch().stack([a, b], 1),
             lambda a, b: np.stack([a, b], 1), ((2, 3), (2, 3))),
    Function("matmul", ag.matmul, lambda a, b: a @ b, np.matmul, ((2, 3), (3, 2))),
    Function("matmul_batched_vector", ag.matmul, lambda a, b: a @ b, np.matmul, ((2, 2, 3), (3,))),
    Function("matmul_vector_batched", ag.matmul, lambda a, b: a @ b, np.matmul, ((3,), (2, 3, 2))),
    Function("matmul_inner", ag.matmul, lambda a, b: a @ b, np.matmul, ((3,), (3,))),
    Function("dot", ag.dot, lambda a, b: a @ b, np.dot, ((2, 3), (3,))),
    Function("linear", ag.linear, lambda x, W: _F().linear(x, W), lambda x, W: x @ W.T,
             ((4, 3), (2, 3))),
    Function("linear_bias", ag.linear, lambda x, W, b: _F().linear(x, W, b),
             lambda x, W, b: x @ W.T + b, ((2, 4, 3), (2, 3), (2,))),
    Function("astype", lambda x: ag.astype(x, np.float32), lambda x: x.float(),
             lambda x: x.astype(np.float32), ((2, 3),), second_order=False,
             finite_differences=False),
    Function("cross_entropy", lambda x: _nn().cross_entropy(x, _LABELS),
             lambda x: _F().cross_entropy(x, _t(_LABELS)),
             lambda x: np.mean(np.log(np.exp(x).sum(1)) - x[range(3), _LABELS]), ((3, 3),)),
    Function("cross_entropy_probabilities", lambda x: _nn().cross_entropy(x, _PROBS),
             lambda x: _F().cross_entropy(x, _t(_PROBS).to(x.dtype)),
             lambda x: np.mean(-(_PROBS * (x - np.log(np.exp(x).sum(1, keepdims=True)))).sum(1)),
             ((3, 3),)),
    Function("binary_cross_entropy", lambda p: _nn().binary_cross_entropy(p, _BITS),
             lambda p: _F().binary_cross_entropy(p, _t(_BITS).to(p.dtype)),
             lambda p: np.mean(-(_BITS * np.log(p) + (1 - _BITS) * np.log(1 - p))),
             ((2, 3),), (_UNIT,)),
    Function("binary_cross_entropy_with_logits",
             lambda x: _nn().binary_cross_entropy_with_logits(x, _BITS),
             lambda x: _F().binary_cross_entropy_with_logits(x, _t(_BITS).to(x.dtype)),
             lambda x: np.mean(np.logaddexp(0, x) - _BITS * x), ((2, 3),)),
]


# ----------------------------------------------------------------------------------------------
# Every entry, and how to call it

from op_catalogue_numpy import FIXED, SCANS, STRUCTURAL, Fixed  # noqa: E402,F401


def entries():
    """Every entry of every list in this module, whatever its kind (lists added later included)."""
    found = [e for v in list(globals().values()) if isinstance(v, list)
             for e in v if isinstance(e, KINDS)]
    return found


def entry(name):
    """The entry called `name`."""
    found = [e for e in entries() if e.name == name]
    if not found:
        raise KeyError(f"no entry {name!r} in the op catalogue")
    return found[0]


def example(spec, rng=None, dtype=np.float64):
    """(f, arrays): the entry as a function of Tensors only, giving one Tensor, and example
    inputs for it, drawn from the entry's safe values (distinct values where it needs them)."""
    if not isinstance(spec, KINDS):
        raise TypeError(f"op_catalogue.example does not know entries of kind "
                        f"{type(spec).__name__} ({getattr(spec, 'name', spec)!r}): entries are "
                        f"one of {', '.join(k.__name__ for k in KINDS)} (op_catalogue_kinds.py)")
    return spec.example(np.random.default_rng(0) if rng is None else rng, dtype)


def op_classes():
    """Every Op subclass defined in autograd or nn (every module of both imported first): what
    the catalogue must reach."""
    import nn
    for package in (ag, nn):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    found, stack = [], [ag.Op]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls.__module__.split(".")[0] in ("autograd", "nn") and not inspect.isabstract(cls):
                found.append(cls)
    return found
