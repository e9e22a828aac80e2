"""Differences and grids, as compositions of slicing, arithmetic and concatenate: diff,
gradient (NumPy's second-order central differences, with uniform or coordinate spacing) and
linspace with Tensor endpoints."""
import numpy as np

from ..tensor import Tensor
from . import broadcast_to, concatenate, stack
from .rearrange import _axes, _slice, moveaxis


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


_NO_VALUE = object()


def diff(x, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """The n-th discrete difference along axis, x[1:] - x[:-1] n times (np.diff; prepend/append as
    in NumPy)."""
    x = _t(x)
    if x.ndim == 0:
        raise ValueError("diff requires a tensor of at least one dimension")
    (axis,) = _axes(axis, x.ndim)
    pieces = [x]
    for value, front in ((prepend, True), (append, False)):
        if value is not _NO_VALUE:
            v = _t(value)
            if v.ndim == 0:  # a scalar is broadcast to one slice along the axis
                v = v * np.ones(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype)
            pieces.insert(0 if front else len(pieces), v)
    if len(pieces) > 1:
        x = concatenate(pieces, axis=axis)
    for _ in range(n):
        x = x[_slice(x.ndim, axis, slice(1, None))] - x[_slice(x.ndim, axis, slice(None, -1))]
    return x


def _spacings(varargs, axes, shape):
    """One spacing per axis: a number, or the differences of a coordinate array."""
    if len(varargs) == 0:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [float(varargs[0])] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("gradient: give one spacing (or one coordinate array) per axis")
    out = []
    for v, a in zip(varargs, axes):
        v = np.asarray(getattr(v, "data", v), dtype=np.float64)
        if v.ndim == 0:
            out.append(float(v))
            continue
        if v.shape != (shape[a],):
            raise ValueError("gradient: a coordinate array must match the length of its axis")
        d = np.diff(v)
        out.append(float(d[0]) if (d == d[0]).all() else d)
    return out


def _one_axis(f, axis, dx, edge_order):
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError("gradient: an axis needs at least edge_order + 1 points")

    def at(s):
        return f[_slice(f.ndim, axis, s)]

    def along(c):  # coefficients per position along the axis, broadcasting over the others
        shape = [-1 if d == axis else 1 for d in range(f.ndim)]
        return np.reshape(np.asarray(c, dtype=f.dtype), shape)

    if np.ndim(dx) == 0:
        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * dx)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / dx
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / dx
        else:
            first = (-1.5 * at(slice(0, 1)) + 2.0 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / dx
            last = (0.5 * at(slice(-3, -2)) - 2.0 * at(slice(-2, -1))
                    + 1.5 * at(slice(-1, None))) / dx
    else:  # non-uniform coordinates: the second-order formulas NumPy documents; the result
        # has f's dtype, as NumPy's (coefficients as arrays of f's dtype or Python numbers)
        d1, d2 = dx[:-1], dx[1:]
        a, b, c = -d2 / (d1 * (d1 + d2)), (d2 - d1) / (d1 * d2), d1 / (d2 * (d1 + d2))
        inner = (along(a) * at(slice(None, -2)) + along(b) * at(slice(1, -1))
                 + along(c) * at(slice(2, None)))
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / float(dx[0])
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / float(dx[-1])
        else:
            d1, d2 = float(dx[0]), float(dx[1])
            first = (-(2 * d1 + d2) / (d1 * (d1 + d2)) * at(slice(0, 1))
                     + (d1 + d2) / (d1 * d2) * at(slice(1, 2))
                     - d1 / (d2 * (d1 + d2)) * at(slice(2, 3)))
            d1, d2 = float(dx[-2]), float(dx[-1])
            last = (d2 / (d1 * (d1 + d2)) * at(slice(-3, -2))
                    - (d2 + d1) / (d1 * d2) * at(slice(-2, -1))
                    + (2 * d2 + d1) / (d2 * (d1 + d2)) * at(slice(-1, None)))
    return concatenate([first, inner, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """np.gradient: central differences inside, one-sided at the ends; one result per axis."""
    f = _t(f)
    if f.dtype.kind != "f":
        f = f.astype(np.float64)
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2")
    axes = list(range(f.ndim)) if axis is None else _axes(axis, f.ndim)
    spacing = _spacings(varargs, axes, f.shape)
    out = [_one_axis(f, a, dx, edge_order) for a, dx in zip(axes, spacing)]
    return out[0] if len(out) == 1 else tuple(out)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """NumPy's grid start + i * step (step = (stop - start) / div), with the last point set to
    stop exactly when endpoint is true; start and stop may be Tensors (and arrays)."""
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative; got {num}")
    start, stop = _t(start), _t(stop)
    if start.dtype.kind != "f":
        start = start.astype(np.float64)
    div = (num - 1) if endpoint else num
    delta = stop - start
    shape = np.broadcast_shapes(start.shape, stop.shape)
    steps = np.arange(num, dtype=np.result_type(start.data, stop.data, float(num)))
    steps = steps.reshape((num,) + (1,) * len(shape))
    if div > 0:
        step = delta / div
        y = steps * step + start if np.all(step.data != 0) else steps / div * delta + start
    else:
        step = Tensor(np.full(shape, np.nan))
        y = steps * delta + start
    if endpoint and num > 1:
        y = concatenate([y[:-1], stack([broadcast_to(stop, shape)])], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = y.astype(dtype)
    return (y, step) if retstep else y
