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


def axis_code(axis):
    """An axis tuple as code: `0` for (0,), `(0, 1)` for several."""
    return str(axis[0]) if isinstance(axis, tuple) and len(axis) == 1 else str(axis)


def _reduce_code(method, axis, ndim, keepdims):
    """`x.sum()`, `x.sum(axis=0)`, `x.max(axis=1, keepdims=True)` ..."""
    if keepdims:
        return f"x.{method}(axis={axis_code(axis)}, keepdims=True)"
    return f"x.{method}()" if len(axis) == ndim else f"x.{method}(axis={axis_code(axis)})"


def _spread_code(g, axis, ndim, keepdims):
    """Code for a reduced value `g` given its reduced axes back, to broadcast against x."""
    return g if keepdims or len(axis) == ndim else f"np.expand_dims({g}, {axis_code(axis)})"


def _expand_like(g, shape, axes, keepdims):
    """Give a reduced gradient its reduced axes back, as size 1, so it broadcasts over `shape`."""
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g


def _axes_tex(axis, ndim):
    return "" if len(axis) == ndim else r"\text{axis } " + ", ".join(map(str, axis))


class Sum(Op):
    """Sum over `axis`: a tuple of axes, as normalize_axis gives."""

    __slots__ = ("axis", "keepdims")
    symbol = "s"

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def code(self, x):
        n, k = np.ndim(x), self.keepdims
        return (_reduce_code("sum", self.axis, n, k),
                f"np.broadcast_to({_spread_code('gy', self.axis, n, k)}, x.shape)")

    def tex(self, x):
        return r"\textstyle\sum_{%s} x" % _axes_tex(self.axis, np.ndim(x)), r"\mathbf{1}\, gy"

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy, y, x):
        shape = x.shape
        return np.broadcast_to(_expand_like(gy, shape, self.axis, self.keepdims), shape)


class Max(Op):
    """max over axes; ties share the gradient equally (PyTorch's convention for amax)."""

    __slots__ = ("axis", "keepdims")

    def __init__(self, axis, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def code(self, x):
        n, k, ax = np.ndim(x), self.keepdims, self.axis
        hit = f"(x == {_spread_code('y', ax, n, k)})"
        return (_reduce_code(type(self).__name__.lower(), ax, n, k),
                f"{_spread_code('gy', ax, n, k)} * {hit} / {hit}.sum(axis={axis_code(ax)}, "
                "keepdims=True)")

    def tex(self, x):
        return (r"\%s_{%s} x" % (type(self).__name__.lower(), _axes_tex(self.axis, np.ndim(x))),
                r"gy \odot [x = y] / \#\{x = y\}")

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
    code = "np.sqrt(x)", "gy * (y != 0) / (2 * np.where(y != 0, y, 1))"
    tex = r"\sqrt{x}", r"\frac{gy}{2 y} \text{ where } y \neq 0 \text{, else } 0"

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy, y, x):
        spread = y != 0
        return gy * spread / (2.0 * np.where(spread, y, 1.0))
