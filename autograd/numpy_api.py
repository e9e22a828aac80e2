"""NumPy interop: `np.exp(t)`, `np.dot(W, t)`, `np.sum(t, axis=0)` ... stay in the graph.

NumPy hands any call involving a Tensor to `Tensor.__array_ufunc__` (ufuncs such as np.exp) or
`Tensor.__array_function__` (everything else). Both look the function up in a table below; a function
that is not there raises a TypeError that names it, so a Tensor is never silently turned into an
ndarray with its gradient lost. `np.asarray(t)` is the one explicit way out.
"""
import numpy as np

from . import ops
from .tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _values_only(func, args, kwargs):
    """Run a NumPy function on plain values, for results that carry no gradient (shapes, argmax,
    comparisons of whole arrays)."""
    args = [[_data(a) for a in x] if isinstance(x, (list, tuple)) else _data(x) for x in args]
    return func(*args, **{k: _data(v) for k, v in kwargs.items()})


UFUNCS = {
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply,
    np.true_divide: ops.divide, np.power: ops.power, np.negative: ops.negative,
    np.positive: lambda x: x, np.exp: ops.exp, np.log: ops.log, np.sqrt: ops.sqrt,
    np.absolute: ops.abs, np.sin: ops.sin, np.cos: ops.cos, np.tanh: ops.tanh,
    np.maximum: ops.maximum, np.minimum: ops.minimum, np.matmul: ops.matmul,
    np.square: ops.square,
}

# Ufuncs whose result has no gradient (booleans, or piecewise-constant values).
NO_GRAD_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.isnan, np.isinf, np.isfinite, np.sign, np.floor, np.ceil, np.rint, np.trunc,
}


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if method != "__call__" or kwargs:
        extra = f" with {', '.join(kwargs)}=" if kwargs else ""
        raise TypeError(f"{name}{extra} is not supported on Tensors; call it without those "
                        "arguments, or use np.asarray(t) to leave the graph on purpose")
    if ufunc in UFUNCS:
        return UFUNCS[ufunc](*inputs)
    if ufunc in NO_GRAD_UFUNCS:
        return Tensor._make(np.asarray(ufunc(*[_data(x) for x in inputs])))
    raise TypeError(f"{name} is not supported on Tensors (it would drop the gradient); "
                    "use a supported function, or np.asarray(t) to leave the graph on purpose")


# -- functions ----------------------------------------------------------------------------------
def _reduction(fn):
    def run(a, axis=None, dtype=None, out=None, keepdims=False, **rest):
        if dtype is not None or out is not None or rest:
            raise TypeError("dtype=, out=, initial= and where= are not supported on Tensors")
        return fn(a, axis, keepdims)
    return run


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TypeError("np.reshape on Tensors supports order='C' only")
    return ops.reshape(a, shape if shape is not None else newshape)


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    if out is not None:
        raise TypeError("np.clip(..., out=) is not supported on Tensors")
    return ops.clip(a, a_min if a_min is not None else min, a_max if a_max is not None else max)


def _var(fn):
    def run(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **rest):
        if dtype is not None or out is not None or rest:
            raise TypeError("dtype=, out= and where= are not supported on Tensors")
        return fn(a, axis, ddof, keepdims)
    return run


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or (ord == 2 and axis is None and np.ndim(_data(x)) > 1):
        raise TypeError("np.linalg.norm on Tensors supports the 2-norm / Frobenius norm only")
    return ops.sqrt(ops.sum(ops.multiply(x, x), axis, keepdims))


FUNCTIONS = {
    np.sum: _reduction(ops.sum), np.mean: _reduction(ops.mean),
    np.max: _reduction(ops.max), np.min: _reduction(ops.min),
    np.amax: _reduction(ops.max), np.amin: _reduction(ops.min),
    np.var: _var(ops.var), np.std: _var(ops.std),
    np.reshape: _reshape, np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.swapaxes: ops.swapaxes, np.ravel: lambda a, order="C": ops.reshape(a, (-1,)),
    np.squeeze: lambda a, axis=None: ops.squeeze(a, axis), np.expand_dims: ops.expand_dims,
    np.broadcast_to: lambda array, shape, subok=False: ops.broadcast_to(array, shape),
    np.concatenate: lambda arrays, axis=0: ops.concatenate(arrays, axis),
    np.stack: lambda arrays, axis=0: ops.stack(arrays, axis),
    np.dot: ops.dot, np.where: ops.where, np.clip: _clip,
    np.copy: lambda a, order="K", subok=False: ops.multiply(a, 1),
    np.linalg.norm: _norm,
}

# Functions whose result carries no gradient: computed on the values, returning plain NumPy.
VALUES_ONLY = {
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.allclose, np.isclose,
    np.array_equal, np.count_nonzero, np.any, np.all, np.nonzero, np.zeros_like, np.ones_like,
    np.empty_like, np.full_like, np.result_type,
}


def _np_name(func):
    module = getattr(func, "__module__", None) or "numpy"
    return module.replace("numpy", "np", 1) + "." + func.__name__


def dispatch_function(func, args, kwargs):
    if func in FUNCTIONS:
        try:
            return FUNCTIONS[func](*args, **kwargs)
        except TypeError as e:
            if "argument" in str(e):  # a signature mismatch: say which NumPy call it was
                raise TypeError(f"{_np_name(func)}: {e}") from None
            raise
    if func in VALUES_ONLY:
        return _values_only(func, args, kwargs)
    raise TypeError(
        f"{_np_name(func)} is not supported on Tensors (it would drop the gradient); "
        "use a supported function, or np.asarray(t) to leave the graph on purpose")
