"""Reductions: sum and max/min (mean, var and std are built from them in `ops/__init__`), and the
square root that finishes std.

A reduction's backward spreads the output gradient back over the reduced axes.
"""
import numpy as np

from ..graph import Op


def normalize_axis(axis, ndim):
    """The reduced axes as a sorted tuple of non-negative ints (None: all of them). A 0-d tensor
    accepts axis 0 or -1 and reduces nothing, as in PyTorch."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    out = set()
    for a in axes:
        a = int(a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor with {ndim} dimensions "
                             f"(valid: {-max(ndim, 1)} to {max(ndim, 1) - 1})")
        if ndim:
            out.add(a % ndim)
    return tuple(sorted(out))


def _expand_like(g, shape, axes, keepdims):
    """Give a reduced gradient its reduced axes back, as size 1, so it broadcasts over `shape`."""
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g


class Sum(Op):
    """Sum over `axis`: a tuple of axes, as normalize_axis gives."""

    __slots__ = ("axis", "keepdims")

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy, y, x):
        shape = x.shape
        return np.broadcast_to(_expand_like(gy, shape, self.axis, self.keepdims), shape)


class Max(Op):
    """max over axes; ties share the gradient equally (PyTorch's convention for amax)."""

    __slots__ = ("axis", "keepdims")
    uses_output = True

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return np.max(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy, y, x):
        shape, axes = x.shape, self.axis
        hit = np.asarray(x == _expand_like(y, shape, axes, self.keepdims))
        share = hit / hit.sum(axis=axes, keepdims=True)
        return _expand_like(gy, shape, axes, self.keepdims) * share.astype(x.dtype)


class Min(Max):
    __slots__ = ()

    def forward(self, x):
        return np.min(x, axis=self.axis, keepdims=self.keepdims)


class StdRoot(Op):
    """std = sqrt(var), the last step of std. Where the variance is 0 (every value the same, or a
    single value) std has a kink, like abs at 0, and its derivative is taken as 0 there, as in
    PyTorch and HIPS autograd, instead of the 1/0 of a plain sqrt (whose NaN would then spread
    to every input)."""

    __slots__ = ()

    def forward(self, v):
        return np.sqrt(v)

    def backward(self, gy, y, v):
        spread = y != 0
        return gy * spread / (2.0 * np.where(spread, y, 1.0))
