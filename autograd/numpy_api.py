"""NumPy interop: `np.exp(t)`, `np.dot(W, t)`, `np.sum(t, axis=0)` ... stay in the graph.

NumPy hands any call involving a Tensor to `Tensor.__array_ufunc__` (ufuncs such as np.exp) or
`Tensor.__array_function__` (everything else). Both look the function up in a table below; a function
that is not there raises a TypeError that names it, so a Tensor is never silently turned into an
ndarray with its gradient lost. `np.asarray(t)` is the one explicit way out.

The tables map each NumPy function to glassgrad's (in `ops`), taking NumPy's own argument names.
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
    # exp and log
    np.log1p: ops.log1p, np.expm1: ops.expm1, np.log2: ops.log2, np.log10: ops.log10,
    np.exp2: ops.exp2, np.logaddexp: ops.logaddexp, np.logaddexp2: ops.logaddexp2,
    np.reciprocal: ops.reciprocal, np.cbrt: ops.cbrt, np.fabs: ops.abs,
    # trigonometry
    np.tan: ops.tan, np.sinh: ops.sinh, np.cosh: ops.cosh, np.arcsin: ops.arcsin,
    np.arccos: ops.arccos, np.arctan: ops.arctan, np.arctan2: ops.arctan2,
    np.arcsinh: ops.arcsinh, np.arccosh: ops.arccosh, np.arctanh: ops.arctanh,
    np.hypot: ops.hypot, np.deg2rad: ops.deg2rad, np.radians: ops.deg2rad,
    np.rad2deg: ops.rad2deg, np.degrees: ops.rad2deg,
    # piecewise: fmax/fmin ignore NaN; % (np.mod is np.remainder); steps have a zero gradient
    np.fmax: ops.fmax, np.fmin: ops.fmin, np.remainder: ops.remainder,
    np.sign: ops.sign, np.floor: ops.floor, np.ceil: ops.ceil, np.rint: ops.rint,
    np.trunc: ops.trunc, np.floor_divide: ops.floor_divide,
}

# Ufuncs whose result has no gradient (booleans).
NO_GRAD_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.isnan, np.isinf, np.isfinite,
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


def _no_out(fn):
    """NumPy's signature without out= and dtype=, which would write or convert around the graph."""
    def run(*args, out=None, dtype=None, **kwargs):
        if out is not None or dtype is not None:
            raise TypeError("out= and dtype= are not supported on Tensors")
        return fn(*args, **kwargs)
    return run


def _stacking(fn):
    def run(tup, *, dtype=None, casting="same_kind"):
        if dtype is not None:
            raise TypeError("dtype= is not supported on Tensors; convert with .astype() first")
        return fn(tup)
    return run


FUNCTIONS = {
    np.sum: _reduction(ops.sum), np.mean: _reduction(ops.mean),
    np.max: _reduction(ops.max), np.min: _reduction(ops.min),
    np.amax: _reduction(ops.max), np.amin: _reduction(ops.min),
    np.var: _var(ops.var), np.std: _var(ops.std),
    np.reshape: _reshape, np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.swapaxes: lambda a, axis1, axis2: ops.swapaxes(a, axis1, axis2),
    np.ravel: lambda a, order="C": ops.reshape(a, (-1,)),
    np.squeeze: lambda a, axis=None: ops.squeeze(a, axis), np.expand_dims: ops.expand_dims,
    np.broadcast_to: lambda array, shape, subok=False: ops.broadcast_to(array, shape),
    np.concatenate: lambda arrays, axis=0: ops.concatenate(arrays, axis),
    np.stack: lambda arrays, axis=0: ops.stack(arrays, axis),
    np.dot: ops.dot, np.where: ops.where, np.clip: _clip,
    np.copy: lambda a, order="K", subok=False: ops.multiply(a, 1),

    # products
    np.einsum: lambda *operands, optimize=False: ops.einsum(*operands, optimize=optimize),
    np.outer: ops.outer, np.inner: ops.inner, np.tensordot: ops.tensordot, np.kron: ops.kron,
    np.trace: _no_out(ops.trace), np.cross: ops.cross,

    # shapes
    np.pad: lambda array, pad_width, mode="constant", **kw: ops.pad(array, pad_width, mode, **kw),
    np.repeat: lambda a, repeats, axis=None: ops.repeat(a, repeats, axis),
    np.tile: lambda A, reps: ops.tile(A, reps),
    np.vstack: _stacking(ops.vstack), np.row_stack: _stacking(ops.vstack),
    np.hstack: _stacking(ops.hstack), np.dstack: ops.dstack, np.column_stack: ops.column_stack,
    np.atleast_1d: ops.atleast_1d, np.atleast_2d: ops.atleast_2d, np.atleast_3d: ops.atleast_3d,
    np.split: lambda ary, indices_or_sections, axis=0: ops.split(ary, indices_or_sections, axis),
    np.array_split: lambda ary, indices_or_sections, axis=0: ops.array_split(
        ary, indices_or_sections, axis),
    np.hsplit: ops.hsplit, np.vsplit: ops.vsplit, np.dsplit: ops.dsplit,
    np.moveaxis: lambda a, source, destination: ops.moveaxis(a, source, destination),
    np.rollaxis: lambda a, axis, start=0: ops.rollaxis(a, axis, start),
    np.roll: lambda a, shift, axis=None: ops.roll(a, shift, axis),
    np.flip: lambda m, axis=None: ops.flip(m, axis), np.fliplr: ops.fliplr, np.flipud: ops.flipud,
    np.rot90: lambda m, k=1, axes=(0, 1): ops.rot90(m, k, axes),
    np.diag: lambda v, k=0: ops.diag(v, k),
    np.diagonal: lambda a, offset=0, axis1=0, axis2=1: ops.diagonal(a, offset, axis1, axis2),
    np.tril: lambda m, k=0: ops.tril(m, k), np.triu: lambda m, k=0: ops.triu(m, k),
    np.append: lambda arr, values, axis=None: ops.append(arr, values, axis),
    np.take: _no_out(lambda a, indices, axis=None, mode="raise": ops.take(a, indices, axis, mode)),
    np.take_along_axis: lambda arr, indices, axis=-1: ops.take_along_axis(arr, indices, axis),
    np.put_along_axis: lambda arr, indices, values, axis: ops.put_along_axis_inplace(
        arr, indices, values, axis),
    np.lib.stride_tricks.sliding_window_view: ops.sliding_window_view,

    # elementwise functions that are not ufuncs
    np.sinc: ops.sinc, np.nan_to_num: ops.nan_to_num, np.real: ops.real,

    # reductions and scans
    np.prod: _reduction(ops.prod), np.cumsum: _no_out(ops.cumsum),
    np.cumprod: _no_out(ops.cumprod), np.diff: ops.diff, np.ptp: _no_out(ops.ptp),
    np.average: ops.average, np.nansum: _reduction(ops.nansum),
    np.nanmean: _reduction(ops.nanmean), np.linalg.norm: ops.norm,

    # sorting and selecting
    np.sort: lambda a, axis=-1, kind=None, order=None, *, stable=None: ops.sort(a, axis, kind),
    np.partition: lambda a, kth, axis=-1, kind="introselect", order=None: ops.partition(
        a, kth, axis, kind),
    np.select: ops.select,

    # linear algebra
    np.linalg.inv: ops.inv, np.linalg.det: ops.det, np.linalg.slogdet: ops.slogdet,
    np.linalg.solve: ops.solve, np.linalg.pinv: ops.pinv, np.linalg.cholesky: ops.cholesky,
    np.linalg.eigh: ops.eigh, np.linalg.svd: ops.svd,

    # grids and differences
    np.linspace: lambda start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0: (
        ops.linspace(start, stop, num, endpoint, retstep, dtype, axis)),
    np.gradient: ops.gradient,
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
            name = _np_name(func)
            if name not in str(e):  # say which NumPy call it was (not which lambda of the table)
                raise TypeError(f"{name}: {str(e).replace('<lambda>() ', '')}") from None
            raise
    if func in VALUES_ONLY:
        return _values_only(func, args, kwargs)
    raise TypeError(
        f"{_np_name(func)} is not supported on Tensors (it would drop the gradient); "
        "use a supported function, or np.asarray(t) to leave the graph on purpose")
