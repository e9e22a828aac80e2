"""exp and log near their numerically delicate points: log1p, expm1, logaddexp; and cbrt.

Each is its own op because the composition loses accuracy: log(1 + x) rounds 1 + x for small x,
log(exp(a) + exp(b)) overflows, x ** (1/3) is NaN for negative x.
"""
import numpy as np

from ..graph import Op


class Log1p(Op):
    __slots__ = ()
    code = "np.log1p(x)", "gy / (1 + x)"
    tex = r"\log(1 + x)", r"\frac{gy}{1 + x}"

    def forward(self, x):
        return np.log1p(x)

    def backward(self, gy, y, x):
        return gy / (1.0 + x)


class Expm1(Op):
    __slots__ = ()
    code = "np.expm1(x)", "gy * (y + 1)"
    tex = r"e^{x} - 1", r"gy \odot (y + 1)"

    def forward(self, x):
        return np.expm1(x)

    def backward(self, gy, y, x):
        return gy * (y + 1.0)  # d(e^x - 1)/dx = e^x


class LogAddExp(Op):
    """log(exp(a) + exp(b)), computed without overflow."""

    __slots__ = ()
    code = "np.logaddexp(a, b)", ("gy * np.exp(a - y)", "gy * np.exp(b - y)")
    tex = r"\log(e^{a} + e^{b})", (r"gy \odot e^{a - y}", r"gy \odot e^{b - y}")

    def forward(self, a, b):
        return np.logaddexp(a, b)

    def backward(self, gy, y, a, b):
        # d/da = exp(a) / (exp(a) + exp(b)) = exp(a - y): a softmax of the two, never overflowing
        return (gy * np.exp(a - y) if self.needs(0) else None,
                gy * np.exp(b - y) if self.needs(1) else None)


class Cbrt(Op):
    """The real cube root. Its derivative 1 / (3 y^2) is infinite at 0."""

    __slots__ = ()
    code = "np.cbrt(x)", "gy / (3 * y**2)"
    tex = r"\sqrt[3]{x}", r"\frac{gy}{3 y^2}"

    def forward(self, x):
        return np.cbrt(x)

    def backward(self, gy, y, x):
        return gy / (3.0 * y * y)


def log1p(x):
    """log(1 + x), elementwise, accurate for small x (np.log1p)."""
    return Log1p()(x)


def expm1(x):
    """exp(x) - 1, elementwise, accurate for small x (np.expm1)."""
    return Expm1()(x)


def logaddexp(a, b):
    """log(exp(a) + exp(b)), elementwise, without overflow (np.logaddexp)."""
    return LogAddExp()(a, b)


def cbrt(x):
    """The real cube root, elementwise (np.cbrt)."""
    return Cbrt()(x)
