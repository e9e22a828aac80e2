"""Joining, splitting, repeating and padding, as compositions of reshape, broadcast_to,
concatenate and slicing (their gradients come from those ops): atleast_1d/2d/3d, vstack, hstack,
dstack, column_stack, split, array_split, hsplit, vsplit, dsplit, append, repeat, tile, pad,
sliding_window_view."""
import numpy as np

from ..tensor import Tensor
from . import broadcast_to, concatenate, reshape
from .rearrange import _axes, _slice
from .windows import Pad, SlidingWindowView


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _one_or_all(results):
    return results[0] if len(results) == 1 else tuple(results)


def atleast_1d(*xs):
    """Each input with at least 1 dimension (np.atleast_1d): one tensor, or a tuple for several."""
    return _one_or_all([x if x.ndim >= 1 else x.reshape(1) for x in map(_t, xs)])


def atleast_2d(*xs):
    """Each input with at least 2 dimensions (np.atleast_2d): one tensor, or a tuple for several."""
    return _one_or_all([x if x.ndim >= 2 else x.reshape((1,) * (2 - x.ndim) + x.shape)
                        for x in map(_t, xs)])


def atleast_3d(*xs):
    """Each input with at least 3 dimensions (np.atleast_3d): one tensor, or a tuple for several."""
    def lift(x):
        if x.ndim == 0:
            return x.reshape(1, 1, 1)
        if x.ndim == 1:
            return x.reshape(1, -1, 1)
        return x.reshape(x.shape + (1,)) if x.ndim == 2 else x
    return _one_or_all([lift(x) for x in map(_t, xs)])


def _pieces(tup, lift):
    """The tensors of a sequence, each lifted to enough dimensions (`*tup` also takes a single
    tensor as the sequence of its rows, as NumPy does)."""
    lifted = lift(*tup)
    return list(lifted) if isinstance(lifted, tuple) else [lifted]


def vstack(tup):
    """The tensors stacked as rows: joined along axis 0, 1-d ones as rows (np.vstack)."""
    return concatenate(_pieces(tup, atleast_2d), axis=0)


def hstack(tup):
    """The tensors joined along axis 1 (axis 0 for 1-d ones), as np.hstack."""
    pieces = _pieces(tup, atleast_1d)
    return concatenate(pieces, axis=0 if pieces[0].ndim == 1 else 1)


def dstack(tup):
    """The tensors joined along axis 2, 1-d and 2-d ones lifted to 3-d first (np.dstack)."""
    return concatenate(_pieces(tup, atleast_3d), axis=2)


def column_stack(tup):
    """1-d tensors as columns, joined along axis 1 with the 2-d ones (np.column_stack)."""
    pieces = [x.reshape(-1, 1) if x.ndim < 2 else x for x in map(_t, tup)]
    return concatenate(pieces, axis=1)


def array_split(x, indices_or_sections, axis=0):
    """A list of pieces of x along axis: n nearly equal ones, or cut at the given indices
    (np.array_split)."""
    x = _t(x)
    (axis,) = _axes(axis, x.ndim)
    n = x.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: the number of sections must be larger than 0")
        each, extra = divmod(n, sections)
        bounds = np.cumsum([0] + extra * [each + 1] + (sections - extra) * [each]).tolist()
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    return [x[_slice(x.ndim, axis, slice(a, b))] for a, b in zip(bounds[:-1], bounds[1:])]


def split(x, indices_or_sections, axis=0):
    """A list of pieces of x along axis, as np.split: n sections must divide the axis evenly."""
    x = _t(x)
    if np.ndim(indices_or_sections) == 0:
        (a,) = _axes(axis, x.ndim)
        if x.shape[a] % int(indices_or_sections):
            raise ValueError(f"split: an axis of length {x.shape[a]} does not divide into "
                             f"{indices_or_sections} equal parts; use array_split for unequal parts")
    return array_split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    """x split along axis 1 (axis 0 for a 1-d tensor), as np.hsplit."""
    x = _t(x)
    if x.ndim == 0:
        raise ValueError("hsplit only works on tensors of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if x.ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    """x split along axis 0, as np.vsplit (2 or more dimensions)."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError("vsplit only works on tensors of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """x split along axis 2, as np.dsplit (3 or more dimensions)."""
    x = _t(x)
    if x.ndim < 3:
        raise ValueError("dsplit only works on tensors of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def append(x, values, axis=None):
    """values added at the end of x along axis (np.append; axis=None: both flattened)."""
    if axis is None:
        return concatenate([_t(x).reshape(-1), _t(values).reshape(-1)], axis=0)
    return concatenate([x, values], axis=axis)


def repeat(x, repeats, axis=None):
    """Each element `repeats` times along axis: for one count, a broadcast along a new axis
    merged into the old one; for a count per element, integer-array indexing."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    (axis,) = _axes(axis, x.ndim)
    repeats = np.asarray(getattr(repeats, "data", repeats))
    n = x.shape[axis]
    if repeats.size == 1:
        r = int(repeats.reshape(()))
        spread = broadcast_to(reshape(x, x.shape[:axis + 1] + (1,) + x.shape[axis + 1:]),
                              x.shape[:axis + 1] + (r,) + x.shape[axis + 1:])
        return reshape(spread, x.shape[:axis] + (n * r,) + x.shape[axis + 1:])
    return x[_slice(x.ndim, axis, np.repeat(np.arange(n), repeats))]


def tile(x, reps):
    """The whole tensor repeated `reps` times along each axis (NumPy's rules for unequal
    lengths: the shorter of x.shape and reps is padded with 1s on the left)."""
    x = _t(x)
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    d = max(len(reps), x.ndim)
    reps = (1,) * (d - len(reps)) + reps
    shape = (1,) * (d - x.ndim) + x.shape
    # axis i of size n becomes (1, n), broadcast to (r, n): r copies of the block, one after another
    spread = [k for n in shape for k in (1, n)]
    target = [k for r, n in zip(reps, shape) for k in (r, n)]
    out = broadcast_to(reshape(x, spread), target)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape)))


def _pad_pairs(width, ndim):
    """NumPy's forms of pad_width (n, (n,), (before, after), ((before, after),), or one pair per
    axis) as one (before, after) pair per axis."""
    w = np.asarray(width)
    if w.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers; got {width!r}")
    if w.ndim < 3 and w.size == 1:
        w = w.ravel().repeat(2)
    elif w.size == 2 and w.shape != (2, 1):
        w = w.ravel()
    if (w < 0).any():
        raise ValueError(f"pad: pad_width cannot be negative; got {width!r}")
    return tuple((int(b), int(a)) for b, a in np.broadcast_to(w, (ndim, 2)))


PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad(x, pad_width, mode="constant", **kwargs):
    """np.pad for the modes constant, edge, reflect, symmetric and wrap. The other modes copy
    values from x by position: padding the positions 0..n-1 with the same mode gives, for every
    output element, the element of x it copies, and indexing x with that is the whole op."""
    x = _t(x)
    if x.ndim == 0:  # nothing to pad
        return x[...]
    width = _pad_pairs(pad_width, x.ndim)
    if mode == "constant":
        value = kwargs.pop("constant_values", 0)
        if isinstance(value, Tensor):
            if value.requires_grad:
                raise TypeError("pad: constant_values must be a constant (no gradient flows to it)")
            value = value.data
        if kwargs:
            raise TypeError(f"pad(mode='constant') got unexpected arguments {sorted(kwargs)}")
        return Pad(width, value)(x)
    if mode not in PAD_MODES:
        raise TypeError(f"np.pad(mode={mode!r}) is not supported on Tensors; supported modes: "
                        f"{', '.join(PAD_MODES)}")
    for axis, (before, after) in enumerate(width):
        if before or after:
            source = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode, **kwargs)
            x = x[_slice(x.ndim, axis, source)]
    return x


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Every window of `window_shape` along axis, as new trailing axes (NumPy's
    sliding_window_view); overlapping windows add their gradients."""
    x = _t(x)
    if writeable:
        raise TypeError("sliding_window_view(writeable=True) is not supported on Tensors: "
                        "writing through overlapping windows cannot be differentiated")
    window = tuple(window_shape) if np.ndim(window_shape) else (int(window_shape),)
    if axis is None:
        if len(window) != x.ndim:
            raise ValueError(f"sliding_window_view: window_shape {window} needs one entry per "
                             f"dimension of the tensor ({x.shape}) when axis is None")
        axis = tuple(range(x.ndim))
    else:
        axis = tuple(_axes(axis, x.ndim))
        if len(axis) != len(window):
            raise ValueError("sliding_window_view: window_shape and axis need the same length")
    return SlidingWindowView(window, axis)(x)
