"""Moving values around, as compositions of reshape, transpose, indexing and concatenate (so
their gradients, and second derivatives, come from those ops): moveaxis, rollaxis, roll, flip,
rot90, diagonal, diag, tril, triu, take, take_along_axis, put_along_axis."""
import numpy as np

from ..tensor import Tensor
from . import concatenate, where  # defined before ops/__init__ imports this module
from .shape import ScatterAdd


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _axes(axis, ndim):
    """axis (an int or a sequence) as a list of non-negative ints, in the given order."""
    axes = [axis] if np.ndim(axis) == 0 else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    return out


def moveaxis(x, source, destination):
    """x with axes moved from `source` to `destination`, the others in order (np.moveaxis)."""
    x = _t(x)
    src, dst = _axes(source, x.ndim), _axes(destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` need the same number of axes")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x.transpose(order)


def rollaxis(x, axis, start=0):
    """x with `axis` moved to position `start` (np.rollaxis; moveaxis reads better)."""
    x = _t(x)
    n = x.ndim
    (axis,) = _axes(axis, n)
    start = start + n if start < 0 else start
    if not 0 <= start <= n:
        raise ValueError(f"rollaxis: start={start} must lie in [-{n}, {n}]")
    if axis < start:
        start -= 1
    order = [a for a in range(n) if a != axis]
    order.insert(start, axis)
    return x.transpose(order)


def _slice(ndim, axis, s):
    return (slice(None),) * axis + (s,) + (slice(None),) * (ndim - axis - 1)


def roll(x, shift, axis=None):
    """Shift elements along axes, wrapping around: two slices glued back together."""
    x = _t(x)
    if axis is None:
        return roll(x.reshape(-1), shift, 0).reshape(x.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    for s, a in zip(shifts.ravel(), axes.ravel()):
        (a,) = _axes(a, x.ndim)
        n = x.shape[a]
        s = int(s) % n if n else 0
        if s:
            x = concatenate([x[_slice(x.ndim, a, slice(n - s, None))],
                                 x[_slice(x.ndim, a, slice(None, n - s))]], axis=a)
    return x


def flip(x, axis=None):
    """x reversed along axis (np.flip; axis=None: along every axis)."""
    x = _t(x)
    axes = range(x.ndim) if axis is None else _axes(axis, x.ndim)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return x[tuple(index)]


def fliplr(x):
    """x reversed along axis 1, left to right (np.fliplr)."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr needs at least 2 dimensions; got a tensor of shape {x.shape}")
    return flip(x, 1)


def flipud(x):
    """x reversed along axis 0, up to down (np.flipud)."""
    x = _t(x)
    if x.ndim < 1:
        raise ValueError("flipud needs at least 1 dimension; got a 0-d tensor")
    return flip(x, 0)


def rot90(x, k=1, axes=(0, 1)):
    """x rotated by 90 degrees k times in the plane of `axes` (np.rot90)."""
    x = _t(x)
    a, b = _axes(axes, x.ndim)
    if a == b:
        raise ValueError("rot90: the two axes must differ")
    k %= 4
    if k == 0:
        return x[...]
    if k == 2:
        return flip(flip(x, a), b)
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return flip(x, b).transpose(order) if k == 1 else flip(x.transpose(order), b)


def _diagonal_index(n1, n2, offset):
    rows = np.arange(max(0, -offset), min(n1, n2 - offset))
    return rows, rows + offset


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the matrices on axes (axis1, axis2), as the last axis (NumPy's layout)."""
    x = _t(x)
    a1, a2 = _axes((axis1, axis2), x.ndim)
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    x = moveaxis(x, (a1, a2), (-2, -1))
    rows, cols = _diagonal_index(x.shape[-2], x.shape[-1], offset)
    return x[..., rows, cols]


def diag(v, k=0):
    """A 2-d input: its k-th diagonal. A 1-d input: the square matrix with it on the k-th
    diagonal (the adjoint of taking a diagonal: scatter into zeros)."""
    v = _t(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag needs a 1-d or 2-d input; got a tensor of shape {v.shape}")
    n = v.shape[0] + abs(k)
    return ScatterAdd(_diagonal_index(n, n, k), (n, n))(v)


def _triangle(x, k, lower):
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"{'tril' if lower else 'triu'} needs at least 2 dimensions; got a "
                         f"tensor of shape {x.shape}")
    below = np.tri(*x.shape[-2:], k=k if lower else k - 1, dtype=bool)
    return where(below if lower else ~below, x, 0.0)


def tril(x, k=0):
    """x with the entries above the k-th diagonal set to 0 (np.tril); they get no gradient."""
    return _triangle(x, k, True)


def triu(x, k=0):
    """x with the entries below the k-th diagonal set to 0 (np.triu); they get no gradient."""
    return _triangle(x, k, False)


def take(x, indices, axis=None, mode="raise"):
    """The entries at `indices` along axis (np.take; axis=None: of the flattened tensor); repeats
    add gradients."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    (axis,) = _axes(axis, x.ndim)
    idx = np.asarray(getattr(indices, "data", indices))
    n = x.shape[axis]
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip'; got {mode!r}")
    return x[_slice(x.ndim, axis, idx)]


def _along_axis_index(shape, indices, axis):
    """The fancy index that picks indices[...] along `axis` and every position elsewhere."""
    indices = np.asarray(getattr(indices, "data", indices))
    if indices.dtype.kind not in "iu":
        raise IndexError(f"take_along_axis/put_along_axis need integer indices; got {indices.dtype}")
    if indices.ndim != len(shape):
        raise ValueError(f"indices of {indices.ndim} dimensions for a tensor of {len(shape)}: "
                         "they must have the same number of dimensions")
    index = []
    for d, n in enumerate(shape):
        if d == axis:
            index.append(indices)
        else:
            index.append(np.arange(n).reshape([n if e == d else 1 for e in range(len(shape))]))
    return tuple(index)


def take_along_axis(x, indices, axis=-1):
    """Entries picked along axis by an index array of the same ndim, as argsort gives
    (np.take_along_axis)."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    (axis,) = _axes(axis, x.ndim)
    return x[_along_axis_index(x.shape, indices, axis)]


def put_along_axis(x, indices, values, axis):
    """Out of place: a new tensor equal to x with `values` (constants) put at `indices` along
    `axis`. The gradient reaches x everywhere except at the overwritten positions."""
    x = _t(x)
    if isinstance(values, Tensor) and values.requires_grad:
        raise TypeError("put_along_axis: the values must be constants (their gradient is not "
                        "supported); use where() or concatenate to build the result instead")
    if axis is None:
        return put_along_axis(x.reshape(-1), indices, values, 0)
    (axis,) = _axes(axis, x.ndim)
    index = _along_axis_index(x.shape, indices, axis)
    mask = np.zeros(x.shape, dtype=bool)
    mask[index] = True
    placed = np.zeros(x.shape, dtype=x.dtype)
    placed[index] = np.asarray(getattr(values, "data", values))
    return where(mask, placed, x)


def put_along_axis_inplace(x, indices, values, axis):
    """np.put_along_axis(t, ...): NumPy's in-place form, done as the item assignment it is
    (`t[index] = values`), so the rules of assignment into a tensor apply unchanged."""
    if axis is None:
        raise ValueError("np.put_along_axis on a Tensor needs an axis (axis=None would write "
                         "into a flattened copy)")
    (axis,) = _axes(axis, x.ndim)
    x[_along_axis_index(x.shape, indices, axis)] = values

