"""Statistics, norms and sorting, as compositions of other ops: ptp, average, nansum, nanmean,
norm (every ord NumPy allows on real input), sort and partition (the gradient follows the
permutation)."""
import builtins

import numpy as np

from ..tensor import Tensor
from . import abs, broadcast_to, max, mean, min, multiply, sqrt, sum, where
from .decompositions import svd
from .piecewise import sign
from .rearrange import _axes, moveaxis, take_along_axis


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def ptp(x, axis=None, keepdims=False):
    """max - min over axis, peak to peak (np.ptp)."""
    return max(x, axis, keepdims) - min(x, axis, keepdims)


def average(x, axis=None, weights=None, returned=False, *, keepdims=False):
    """The weighted mean: sum(x * w) / sum(w). A 1-d `weights` goes along `axis` (NumPy's rule)."""
    x = _t(x)
    if weights is None:
        avg = mean(x, axis, keepdims)
        count = x.size // builtins.max(avg.size, 1)
        return (avg, Tensor(np.full(avg.shape, count, dtype=x.dtype))) if returned else avg
    w = _t(weights)
    if w.shape != x.shape:
        if axis is None:
            raise TypeError("average: axis must be given when the shapes of x and weights differ")
        if w.ndim != 1:
            raise TypeError("average: 1-d weights are expected when the shapes of x and weights differ")
        (a,) = _axes(axis, x.ndim)
        if w.shape[0] != x.shape[a]:
            raise ValueError(f"average: the length of weights ({w.shape[0]}) differs from that "
                             f"of x along axis {a} ({x.shape[a]})")
        w = w.reshape([x.shape[a] if d == a else 1 for d in range(x.ndim)])
    total = sum(multiply(x, w), axis, keepdims)
    scale = sum(broadcast_to(w, np.broadcast_shapes(w.shape, x.shape)), axis, keepdims)
    avg = total / scale
    return (avg, scale) if returned else avg


def nansum(x, axis=None, keepdims=False):
    """The sum over axis with NaN counted as 0 (np.nansum); NaN entries get no gradient."""
    x = _t(x)
    return sum(where(np.isnan(x.data), 0.0, x), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean over axis of the entries that are not NaN (np.nanmean)."""
    x = _t(x)
    count = np.sum(~np.isnan(x.data), axis=axis, keepdims=keepdims)
    if x.dtype.kind == "f":  # an int64 count would make float32 / count float64
        count = count.astype(x.dtype)
    return nansum(x, axis, keepdims) / count


def _root(s, p):
    """s ** (1 / p), with a gradient of 0 (not NaN) where s is 0: the norm of 0 is not
    differentiable, and 0 is the subgradient PyTorch gives there too."""
    positive = np.asarray(s.data > 0)
    root = where(positive, s, 1.0) ** (1.0 / p) if p != 2 else sqrt(where(positive, s, 1.0))
    return where(positive, root, 0.0)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _root(sum(x * x, axis, keepdims), 2)
    if ord == np.inf:
        return max(abs(x), axis, keepdims)
    if ord == -np.inf:
        return min(abs(x), axis, keepdims)
    if ord == 0:  # the number of nonzero entries: piecewise constant, a zero gradient
        return sum(sign(abs(x)), axis, keepdims)
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid order {ord!r} for vectors")
    return _root(sum(abs(x) ** ord, axis, keepdims), ord)


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    if ord in (None, "fro"):
        out = _root(sum(x * x, axes), 2)
    elif ord in (2, -2, "nuc"):
        s = svd(moveaxis(x, (r, c), (-2, -1)), full_matrices=False, compute_uv=False)
        out = sum(s, -1) if ord == "nuc" else (max(s, -1) if ord == 2 else min(s, -1))
    elif ord in (1, -1):
        col_sums = sum(abs(x), r)
        out = (max if ord == 1 else min)(col_sums, c - 1 if c > r else c)
    elif ord in (np.inf, -np.inf):
        row_sums = sum(abs(x), c)
        out = (max if ord == np.inf else min)(row_sums, r - 1 if r > c else r)
    else:
        raise ValueError(f"norm: invalid order {ord!r} for matrices")
    if keepdims:
        out = out.reshape([1 if d in (r, c) else n for d, n in enumerate(x.shape)])
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms over one axis, matrix norms over two."""
    x = _t(x)
    if axis is None:
        if ord is None:
            out = _root(sum(x * x), 2)
            return out.reshape((1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} without an axis needs a 1-d or 2-d tensor; "
                             f"got shape {x.shape}")
        axis = tuple(range(x.ndim))
    axes = _axes(axis, x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError("norm: the two axes are the same")
        return _matrix_norm(x, ord, tuple(axes), keepdims)
    raise ValueError(f"norm: axis must name 1 or 2 axes; got {axis!r}")


def sort(x, axis=-1, kind=None, order=None):
    """x sorted along axis (np.sort); each gradient goes back to its value's place in x."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return take_along_axis(x, np.argsort(x.data, axis=axis, kind=kind), axis)


def partition(x, kth, axis=-1, kind="introselect", order=None):
    """x with the k-th smallest value in its sorted place, smaller before, larger after
    (np.partition)."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return take_along_axis(x, np.argpartition(x.data, kth, axis=axis, kind=kind), axis)
