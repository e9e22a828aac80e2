"""Products and running totals: prod, cumsum, cumprod.

Their backward passes are written with NumPy functions (cumsum, cumprod, flip ...) so that on
Tensors they are recorded too: second derivatives come out of the same code. Zeros are handled
exactly: the derivative of a product with respect to one factor is the product of the others,
never y / x.
"""
import numpy as np

from ..graph import Op
from ..tensor import Tensor
from .reduce import _expand_like, normalize_axis


def _reverse_cumsum(g, axis):
    """out[i] = sum of g[k] for k >= i along axis."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _has_zero(x):
    return bool(np.any(np.asarray(x == 0)))


class Cumsum(Op):
    __slots__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis)

    def backward(self, gy, y, x):
        return _reverse_cumsum(gy, self.axis)


class Cumprod(Op):
    """y[k] = x[0] x[1] ... x[k] along axis."""

    __slots__ = ("axis",)
    uses_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.cumprod(x, axis=self.axis)

    def backward(self, gy, y, x):
        # dL/dx[i] = sum over k >= i of gy[k] * (product of x[j], j <= k, j != i)
        ax = self.axis
        if not _has_zero(x):
            return _reverse_cumsum(gy * y, ax) / x
        zeros = np.asarray(x == 0)
        count = np.cumsum(zeros, axis=ax)
        before = count == 0               # before the first zero: y[k] / x[i] is exact
        first = zeros & (count == 1)      # the first zero: the product skipping it
        g_before = _reverse_cumsum(gy * y, ax) / np.where(before, x, 1.0)
        g_first = _reverse_cumsum(gy * np.cumprod(np.where(first, 1.0, x), axis=ax), ax)
        return np.where(before, g_before, np.where(first, g_first, 0.0))  # after it: 0


class Prod(Op):
    """The product over `axis` (a tuple of axes, as normalize_axis gives)."""

    __slots__ = ("axis", "keepdims")
    uses_output = True

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return np.prod(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy, y, x):
        shape, axes = np.shape(x), self.axis
        gy = _expand_like(gy, shape, axes, self.keepdims)
        if not _has_zero(x):
            return gy * _expand_like(y, shape, axes, self.keepdims) / x
        return gy * _product_of_the_others(x, axes)


def _product_of_the_others(x, axes):
    """For every element, the product of the other elements of its group (the reduced axes):
    exclusive running products from the left and from the right, multiplied."""
    shape = np.shape(x)
    kept = [a for a in range(len(shape)) if a not in axes]
    order = kept + list(axes)
    grouped = np.reshape(np.transpose(x, order), [shape[a] for a in kept] + [-1])
    ones = np.ones(np.shape(grouped)[:-1] + (1,), dtype=grouped.dtype)
    left = np.cumprod(np.concatenate([ones, grouped[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(grouped, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    others = np.reshape(left * right, [shape[a] for a in order])
    return np.transpose(others, np.argsort(order))


def _flat_axis(x, axis):
    """NumPy's scans with axis=None work on the flattened array."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if axis is None:
        return x.reshape(-1), 0
    return x, normalize_axis(axis, x.ndim)[0] if x.ndim else 0


def cumsum(x, axis=None):
    x, axis = _flat_axis(x, axis)
    return Cumsum(axis)(x.reshape(1) if x.ndim == 0 else x)


def cumprod(x, axis=None):
    x, axis = _flat_axis(x, axis)
    return Cumprod(axis)(x.reshape(1) if x.ndim == 0 else x)


def prod(x, axis=None, keepdims=False):
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Prod(normalize_axis(axis, x.ndim), keepdims)(x)
