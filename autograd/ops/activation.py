"""Activations and the softmax family.

softmax, log_softmax and logsumexp subtract the maximum before exponentiating, so inputs like
1000 and -1000 give exact results instead of inf/NaN. They always work along one axis (default the
last): a softmax over a whole batch matrix cannot be written by accident.
"""
import numpy as np

from ..graph import Op
from .reduce import axis_code, normalize_axis


class Sigmoid(Op):
    __slots__ = ()
    code = "1 / (1 + np.exp(-x))", "gy * y * (1 - y)"
    tex = r"\sigma(x)", r"gy \odot y \odot (1 - y)"
    symbol = "h"

    def forward(self, x):
        # exp(-log(1 + exp(-x))): never overflows, for x = -1000 as well as x = 1000
        return np.exp(-np.logaddexp(0, -x))

    def backward(self, gy, y, x):
        return gy * y * (1.0 - y)


class ReLU(Op):
    __slots__ = ()
    code = "np.maximum(x, 0)", "gy * (x > 0)"
    tex = r"\max(x, 0)", r"gy \odot [x > 0]"
    symbol = "h"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy, y, x):
        return gy * (x > 0)  # relu'(0) = 0, PyTorch's convention


class LeakyReLU(Op):
    __slots__ = ("slope",)
    code = "np.where(x > 0, x, slope * x)", "gy * np.where(x > 0, 1.0, slope)"
    tex = r"\max(x, slope\, x)", r"gy \odot (slope + (1 - slope) [x > 0])"
    symbol = "h"

    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, x):
        return np.where(x > 0, x, x * self.slope)

    def backward(self, gy, y, x):
        return gy * np.where(np.asarray(x > 0), 1.0, self.slope).astype(gy.dtype)


def _axes_tex(axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return r"\text{axis } " + ", ".join(str(a) for a in axes) if axes else ""


def softmax_axis(axis, ndim, fn):
    """The one axis a softmax normalises over, made non-negative (for a 0-d tensor, the empty
    tuple: there is nothing to normalise over)."""
    if axis is None:
        raise ValueError(
            f"{fn} needs an axis (default -1, the last): normalising over every element of a "
            "batch mixes the samples together. For one sample per row use axis=-1.")
    if np.ndim(axis) != 0:
        raise ValueError(f"{fn} normalises over one axis; got axis={axis!r}")
    axes = normalize_axis(axis, ndim)
    return axes[0] if axes else ()


def _along(axis):
    """The keyword arguments of a reduction along a softmax's axis, as written in code."""
    return f"axis={axis_code(axis)}, keepdims=True"


def _max(x, axis):
    """The maximum along `axis`, kept as a size-1 axis; -inf, the maximum of nothing, where the
    axis is empty (np.max alone would refuse: it has no value for an empty axis)."""
    return np.max(x, axis=axis, keepdims=True, initial=-np.inf)


class Softmax(Op):
    __slots__ = ("axis",)
    symbol = "p"

    def code(self, x):
        a = _along(self.axis)
        return (f"y = np.exp(x - x.max({a})); y = y / y.sum({a})",
                f"y * (gy - (gy * y).sum({a}))")

    def tex(self, x):
        return (r"\operatorname{softmax}(x)",
                r"y \odot \left(gy - \textstyle\sum_{%s} gy \odot y\right)" % _axes_tex(self.axis))

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - _max(x, self.axis))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def backward(self, gy, y, x):
        # J = diag(y) - y y^T along the axis, so J^T gy = y * (gy - sum(gy * y))
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Op):
    __slots__ = ("axis",)
    symbol = "logp"

    def code(self, x):
        a = _along(self.axis)
        return (f"y = x - x.max({a}); y = y - np.log(np.exp(y).sum({a}))",
                f"gy - np.exp(y) * gy.sum({a})")

    def tex(self, x):
        return (r"\log \operatorname{softmax}(x)",
                r"gy - e^{y} \textstyle\sum_{%s} gy" % _axes_tex(self.axis))

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - _max(x, self.axis)
        if not shifted.size:  # nothing to normalise (and no log(0) to warn about)
            return shifted
        return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, gy, y, x):
        return gy - np.exp(y) * gy.sum(axis=self.axis, keepdims=True)


class LogSumExp(Op):
    """log(sum(exp(x))) over `axis`, a tuple of axes."""

    __slots__ = ("axis", "keepdims")

    def code(self, x):
        a = _along(self.axis)
        forward = f"y = x.max({a}); y = np.log(np.exp(x - y).sum({a})) + y"
        if self.keepdims:
            return forward, "gy * np.exp(x - y)"
        ax = axis_code(self.axis)
        return (forward + f"; y = y.squeeze(axis={ax})",
                f"np.expand_dims(gy, {ax}) * np.exp(x - np.expand_dims(y, {ax}))")

    def tex(self, x):
        return r"\log \textstyle\sum_{%s} e^{x}" % _axes_tex(self.axis), r"gy \odot e^{x - y}"

    def __init__(self, axis=-1, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        m = _max(x, self.axis)
        m = np.where(np.isfinite(m), m, 0)  # all -inf along the axis, or nothing: log(0) = -inf
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def backward(self, gy, y, x):
        if not self.keepdims:
            gy, y = np.expand_dims(gy, self.axis), np.expand_dims(y, self.axis)
        return gy * np.exp(x - y)  # d logsumexp / dx = softmax(x)
