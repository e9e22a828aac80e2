"""Every differentiable op of the engine, described once, for the property tests, the PyTorch
oracle and (later) differential fuzzing.

Each entry pairs glassgrad's function with PyTorch's equivalent and says which inputs are safe:
the value range where the op is smooth and finite (log and sqrt want positive numbers, a divisor
must stay away from 0) and the points where it has a kink (relu and abs at 0, clip at its bounds),
which a finite-difference check must avoid. PyTorch is imported only when a `theirs` function is
called, so the catalogue is usable without it.
"""
from dataclasses import dataclass
import importlib

import numpy as np

import autograd as ag


def _torch():
    return importlib.import_module("torch")


def _F():
    return importlib.import_module("torch.nn.functional")


@dataclass(frozen=True)
class Domain:
    """Safe input values: [lo, hi] without the kinks (each kept at least `margin` away)."""

    lo: float = -2.0
    hi: float = 2.0
    kinks: tuple = ()
    margin: float = 0.05

    def sample(self, rng, shape):
        x = rng.uniform(self.lo, self.hi, size=shape)
        for k in self.kinks:  # push values off a kink, staying inside [lo, hi]
            near = np.abs(x - k) < self.margin
            x = np.where(near, np.where(x >= k, k + 2 * self.margin, k - 2 * self.margin), x)
        return x

    def allows(self, value):
        far_from_kinks = all(abs(value - k) >= self.margin for k in self.kinks)
        return self.lo <= value <= self.hi and far_from_kinks


ANY = Domain()
POSITIVE = Domain(0.2, 3.0)


@dataclass(frozen=True)
class Unary:
    name: str
    ours: object       # Tensor -> Tensor
    theirs: object     # torch.Tensor -> torch.Tensor
    reference: object  # ndarray -> ndarray (plain NumPy)
    domain: Domain = ANY


@dataclass(frozen=True)
class Binary:
    """A broadcasting elementwise op of two tensors."""

    name: str
    ours: object
    theirs: object
    reference: object
    domains: tuple = (ANY, ANY)


@dataclass(frozen=True)
class Reduction:
    """An op with (axis, keepdims); axis None, an int or a tuple of ints. `ours` and `reference`
    are called as f(x, axis=..., keepdims=...), `theirs` as f(x, axis, keepdims)."""

    name: str
    ours: object       # Tensor -> Tensor
    theirs: object     # torch.Tensor -> torch.Tensor
    reference: object  # ndarray -> ndarray
    distinct: bool = False   # needs distinct values (max/min: ties; std: nonzero spread)
    min_count: int = 1       # fewest elements reduced over (std at a single value is 0: sqrt')


@dataclass(frozen=True)
class AlongAxis:
    """An op normalising along one axis (softmax, log_softmax)."""

    name: str
    ours: object       # (Tensor, axis) -> Tensor
    theirs: object     # (torch.Tensor, axis) -> torch.Tensor
    reference: object  # (ndarray, axis) -> ndarray


UNARY = [
    Unary("exp", ag.exp, lambda x: x.exp(), np.exp),
    Unary("log", ag.log, lambda x: x.log(), np.log, POSITIVE),
    Unary("sqrt", ag.sqrt, lambda x: x.sqrt(), np.sqrt, POSITIVE),
    Unary("abs", ag.abs, lambda x: x.abs(), np.abs, Domain(kinks=(0.0,))),
    Unary("sin", ag.sin, lambda x: x.sin(), np.sin),
    Unary("cos", ag.cos, lambda x: x.cos(), np.cos),
    Unary("tanh", ag.tanh, lambda x: x.tanh(), np.tanh),
    Unary("sigmoid", ag.sigmoid, lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    Unary("relu", ag.relu, lambda x: x.relu(), lambda x: np.maximum(x, 0), Domain(kinks=(0.0,))),
    Unary("leaky_relu", lambda x: ag.leaky_relu(x, 0.1), lambda x: _F().leaky_relu(x, 0.1),
          lambda x: np.where(x > 0, x, 0.1 * x), Domain(kinks=(0.0,))),
    Unary("clip", lambda x: ag.clip(x, -0.5, 0.5), lambda x: x.clamp(-0.5, 0.5),
          lambda x: np.clip(x, -0.5, 0.5), Domain(-1.0, 1.0, kinks=(-0.5, 0.5))),
    Unary("negative", lambda x: -x, lambda x: -x, np.negative),
    Unary("square", ag.square, lambda x: x * x, np.square),
    Unary("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, lambda x: x ** 3),
    Unary("pow_fraction", lambda x: x ** 1.5, lambda x: x ** 1.5, lambda x: x ** 1.5, POSITIVE),
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
          Domain(kinks=(0.0,), margin=0.2)),
    Unary("fabs", np.fabs, lambda x: x.abs(), np.fabs, Domain(kinks=(0.0,))),
    Unary("sign", np.sign, lambda x: x.sign(), np.sign, Domain(kinks=(0.0,))),
    Unary("floor", np.floor, lambda x: x.floor(), np.floor, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0))),
    Unary("ceil", np.ceil, lambda x: x.ceil(), np.ceil, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0))),
    Unary("trunc", np.trunc, lambda x: x.trunc(), np.trunc, Domain(kinks=(-2.0, -1.0, 0.0, 1.0, 2.0))),
    Unary("rint", np.rint, lambda x: x.round(), np.rint, Domain(kinks=(-1.5, -0.5, 0.5, 1.5))),
    Unary("sinc", np.sinc, lambda x: x.sinc(), np.sinc),
    Unary("deg2rad", np.deg2rad, lambda x: x.deg2rad(), np.deg2rad),
    Unary("radians", np.radians, lambda x: x.deg2rad(), np.radians),
    Unary("rad2deg", np.rad2deg, lambda x: x.rad2deg(), np.rad2deg),
    Unary("degrees", np.degrees, lambda x: x.rad2deg(), np.degrees),
    Unary("nan_to_num", np.nan_to_num, lambda x: x.nan_to_num(), np.nan_to_num),
    Unary("real", np.real, lambda x: x.real, np.real),
    Unary("mod_scalar", lambda x: x % 0.75, lambda x: x % 0.75, lambda x: x % 0.75,
          Domain(kinks=(-1.5, -0.75, 0.0, 0.75, 1.5))),
]


def _where_mask(shape):
    """A fixed checkerboard condition for where(), of the broadcast shape."""
    return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)


def _where_ours(a, b):
    return ag.where(_where_mask(np.broadcast_shapes(a.shape, b.shape)), a, b)


def _where_theirs(a, b):
    torch = _torch()
    cond = torch.from_numpy(_where_mask(torch.broadcast_shapes(a.shape, b.shape)))
    return torch.where(cond, a, b)


def _where_reference(a, b):
    return np.where(_where_mask(np.broadcast_shapes(np.shape(a), np.shape(b))), a, b)


BINARY = [
    Binary("add", ag.add, lambda a, b: a + b, np.add),
    Binary("subtract", ag.subtract, lambda a, b: a - b, np.subtract),
    Binary("multiply", ag.multiply, lambda a, b: a * b, np.multiply),
    Binary("divide", ag.divide, lambda a, b: a / b, np.divide, (ANY, Domain(0.5, 2.0))),
    Binary("power", ag.power, lambda a, b: a ** b, np.power, (Domain(0.5, 2.0), ANY)),
    Binary("maximum", ag.maximum, lambda a, b: _torch().maximum(a, b), np.maximum),
    Binary("minimum", ag.minimum, lambda a, b: _torch().minimum(a, b), np.minimum),
    Binary("where", _where_ours, _where_theirs, _where_reference),
    Binary("arctan2", np.arctan2, lambda a, b: _torch().atan2(a, b), np.arctan2,
           (Domain(kinks=(0.0,), margin=0.1), ANY)),
    Binary("hypot", np.hypot, lambda a, b: _torch().hypot(a, b), np.hypot,
           (Domain(kinks=(0.0,), margin=0.1), ANY)),
    Binary("logaddexp", np.logaddexp, lambda a, b: _torch().logaddexp(a, b), np.logaddexp),
    Binary("logaddexp2", np.logaddexp2, lambda a, b: _torch().logaddexp2(a, b), np.logaddexp2),
    # a in (-0.45, 0.45) and b in [0.5, 2]: a / b stays between two integers, off the jumps
    Binary("remainder", np.remainder, lambda a, b: _torch().remainder(a, b), np.remainder,
           (Domain(-0.45, 0.45, kinks=(0.0,), margin=0.05), Domain(0.5, 2.0))),
    Binary("fmax", np.fmax, lambda a, b: _torch().fmax(a, b), np.fmax),
    Binary("fmin", np.fmin, lambda a, b: _torch().fmin(a, b), np.fmin),
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
              distinct=True),
    Reduction("min", ag.min, _torch_reduce(lambda x, d, k: x.amin(dim=d, keepdim=k)), np.min,
              distinct=True),
    Reduction("var", ag.var,
              _torch_reduce(lambda x, d, k: x.var(dim=d, correction=0, keepdim=k)), np.var),
    Reduction("std", ag.std,
              _torch_reduce(lambda x, d, k: x.std(dim=d, correction=0, keepdim=k)), np.std,
              distinct=True, min_count=2),
    Reduction("logsumexp", ag.logsumexp,
              _torch_reduce(lambda x, d, k: x.logsumexp(dim=d, keepdim=k)), _logsumexp_reference),
    Reduction("prod", ag.prod, _torch_reduce(_torch_prod), np.prod),
    Reduction("ptp", ag.ptp, _torch_reduce(lambda x, d, k: x.amax(dim=d, keepdim=k)
                                           - x.amin(dim=d, keepdim=k)), np.ptp, distinct=True),
    Reduction("nansum", ag.nansum, _torch_reduce(lambda x, d, k: x.nansum(dim=d, keepdim=k)),
              np.nansum),
    Reduction("nanmean", ag.nanmean, _torch_reduce(lambda x, d, k: x.nanmean(dim=d, keepdim=k)),
              np.nanmean),
]


def _softmax_reference(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


ALONG_AXIS = [
    AlongAxis("softmax", ag.softmax, lambda x, axis: x.softmax(dim=axis), _softmax_reference),
    AlongAxis("log_softmax", ag.log_softmax, lambda x, axis: x.log_softmax(dim=axis),
              lambda x, axis: np.log(_softmax_reference(x, axis))),
]


@dataclass(frozen=True)
class Assignment:
    """`x[index] = v` and its kin, on a tensor in a graph. `ours(x, index, v)`, `theirs` (the same
    on torch tensors) and `reference` (NumPy) leave x alone and return the result. `index` is any
    NumPy index into x; v broadcasts to x[index]. Where an integer-array index repeats a position,
    NumPy keeps the last write, while PyTorch leaves the order of writes unspecified: compare with
    PyTorch only on indices without repeats."""

    name: str
    ours: object       # (Tensor, index, Tensor) -> Tensor
    theirs: object     # (torch.Tensor, index, torch.Tensor) -> torch.Tensor
    reference: object  # (ndarray, index, ndarray) -> ndarray


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
    Assignment("setitem", *_assigning(add=False)),
    Assignment("setitem_add", *_assigning(add=True)),
    Assignment("setitem_function", ag.setitem, _assigning(add=False)[1], _assigning(add=False)[2]),
]

from op_catalogue_numpy import FIXED, SCANS, STRUCTURAL, Fixed, Structural  # noqa: E402,F401
