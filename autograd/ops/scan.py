"""Products and running totals: prod, cumsum, cumprod.

Their backward passes are written with NumPy functions (cumsum, cumprod, flip ...) so that on
Tensors they are recorded too: second derivatives come out of the same code. Zeros are handled
exactly: the derivative of a product with respect to one factor is the product of the others.
y / x is used only where no factor is near 0 (`_near_zero`).
"""
import numpy as np

from ..graph import Op
from ..tensor import Tensor
from .reduce import (_axes_tex, _expand_like, _reduce_code, _spread_code, axis_code,
                     normalize_axis)


def _reverse_cumsum(g, axis):
    """out[i] = sum of g[k] for k >= i along axis."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _has_zero(x):
    return bool(np.any(np.asarray(x == 0)))


def _near_zero(x):
    """Where y / x would spoil the second derivative: x is 0, or so small beside the largest |x|
    that the two terms of (gy y / x)' that cancel (each about gy y / x**2) leave more rounding
    than the result. The division-free formulas are exact there at every order."""
    a = np.abs(x.data if isinstance(x, Tensor) else np.asarray(x))
    if a.size == 0:
        return np.zeros(a.shape, dtype=bool)
    return a <= np.sqrt(np.finfo(np.result_type(a.dtype, np.float32)).eps) * a.max()


def _reverse_cumsum_code(g, axis):
    """`g[::-1].cumsum(axis=0)[::-1]`: the running total from the end, as code."""
    flip = "[" + ":, " * axis + "::-1]"
    return f"{g}{flip}.cumsum(axis={axis}){flip}"


_REVERSE_CUMSUM_TEX = r"\operatorname{flip}(\operatorname{cumsum}(\operatorname{flip}(%s)))"


class Cumsum(Op):
    __slots__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def code(self, x):
        return "np.cumsum(x, axis=axis)", _reverse_cumsum_code("gy", self.axis)

    def tex(self, x):
        return r"\operatorname{cumsum}(x)", _REVERSE_CUMSUM_TEX % "gy"

    def forward(self, x):
        return np.cumsum(x, axis=self.axis)

    def backward(self, gy, y, x):
        return _reverse_cumsum(gy, self.axis)


class Cumprod(Op):
    """y[k] = x[0] x[1] ... x[k] along axis."""

    __slots__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def code(self, x):
        if not _has_zero(x):
            return ("np.cumprod(x, axis=axis)",
                    _reverse_cumsum_code("(gy * y)", self.axis) + " / x")
        # With zeros, no dividing by x: row i of the cumprod is the running product with x[i]
        # set to 1, and x[i] gets the gradient of every y[k] with k >= i (np.triu).
        n, last = np.shape(x)[self.axis], self.axis == np.ndim(x) - 1
        xs, gs = ("x", "gy") if last else ("np.moveaxis(x, axis, -1)", "np.moveaxis(gy, axis, -1)")
        gx = (f"(np.triu(np.cumprod(np.where(np.eye({n}, dtype=bool), 1, {xs}[..., None, :]), "
              f"axis=-1)) * {gs}[..., None, :]).sum(axis=-1)")
        return "np.cumprod(x, axis=axis)", gx if last else f"np.moveaxis({gx}, -1, axis)"

    def tex(self, x):
        if not _has_zero(x):
            return (r"\operatorname{cumprod}(x)",
                    r"\frac{%s}{x}" % (_REVERSE_CUMSUM_TEX % r"gy \odot y"))
        return (r"\operatorname{cumprod}(x)",
                r"\textstyle\sum_{k \ge i} (gy)_{k} \prod_{j \le k,\, j \ne i} (x)_{j}")

    def forward(self, x):
        return np.cumprod(x, axis=self.axis)

    def backward(self, gy, y, x):
        return _cumprod_backward(gy, y, x, self.axis)


def _cumprod_backward(gy, y, x, axis):
    """dL/dx[i] = sum over k >= i of gy[k] * (the product of x[j] for j <= k, j != i)."""
    zeros = _near_zero(x)
    if not zeros.any():
        return _reverse_cumsum(gy * y, axis) / x
    # With zeros (or near-zeros), dividing by x is out. Take the first zero z of each row out of
    # the products (x with it replaced by 1: `rest`) and multiply it back in, as a factor,
    # wherever it belongs: into every term with k >= z, except for x[z]'s own gradient. Written
    # this way the gradient stays exact and so do its derivatives (d/dx[z] of x[z] * h is h).
    count = np.cumsum(zeros, axis=axis)
    first = zeros & (count == 1)
    rest = np.where(first, 1.0, x)
    rest_products = np.cumprod(rest, axis=axis)
    x_z = np.sum(np.where(first, x, 0.0), axis=axis, keepdims=True)
    g_first = _reverse_cumsum(gy * rest_products, axis)
    g_others = _cumprod_backward(gy * np.where(count >= 1, x_z, 1.0), rest_products, rest, axis)
    return np.where(first, g_first, g_others)


class Prod(Op):
    """The product over `axis` (a tuple of axes, as normalize_axis gives)."""

    __slots__ = ("axis", "keepdims")

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def code(self, x):
        n, k, ax = np.ndim(x), self.keepdims, self.axis
        gy, y = _spread_code("gy", ax, n, k), _spread_code("y", ax, n, k)
        forward = _reduce_code("prod", ax, n, k)
        if not _has_zero(x):
            return forward, f"{gy} * {y} / x"
        # y / x is the product of the others except at a zero, where it is the product of the
        # rest of its group if that zero is the group's only one (else 0)
        along = f"axis={axis_code(ax)}, keepdims=True"
        return forward, (f"{gy} * np.where(x == 0, np.where(x == 0, 1, x).prod({along}) "
                         f"* ((x == 0).sum({along}) == 1), {y} / np.where(x == 0, 1, x))")

    def tex(self, x):
        forward = r"\textstyle\prod_{%s} x" % _axes_tex(self.axis, np.ndim(x))
        if not _has_zero(x):
            return forward, r"gy \odot \frac{y}{x}"
        return forward, r"gy \odot \textstyle\prod_{\text{the others}} x"

    def forward(self, x):
        return np.prod(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy, y, x):
        shape, axes = np.shape(x), self.axis
        gy = _expand_like(gy, shape, axes, self.keepdims)
        if not _near_zero(x).any():
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
    """The running sum along axis (np.cumsum; axis=None: of the flattened tensor)."""
    x, axis = _flat_axis(x, axis)
    return Cumsum(axis)(x.reshape(1) if x.ndim == 0 else x)


def cumprod(x, axis=None):
    """The running product along axis (np.cumprod; axis=None: of the flattened tensor)."""
    x, axis = _flat_axis(x, axis)
    return Cumprod(axis)(x.reshape(1) if x.ndim == 0 else x)


def prod(x, axis=None, keepdims=False):
    """The product over axis (np.prod; None: every axis); right at zeros too (the product of the
    others)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Prod(normalize_axis(axis, x.ndim), keepdims)(x)
