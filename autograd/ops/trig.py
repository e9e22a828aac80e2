"""Trigonometric and hyperbolic functions, their inverses, arctan2, hypot and sinc.

Each backward is its derivative written with NumPy functions, so that on Tensors (create_graph)
it is recorded too and can be differentiated again.
"""
import numpy as np

from ..graph import Op
from ..tensor import Tensor


class Tan(Op):
    __slots__ = ()
    code = "np.tan(x)", "gy * (1 + y**2)"
    tex = r"\tan(x)", r"gy \odot (1 + y^2)"

    def forward(self, x):
        return np.tan(x)

    def backward(self, gy, y, x):
        return gy * (1.0 + y * y)  # tan' = 1 + tan^2


class Sinh(Op):
    __slots__ = ()
    code = "np.sinh(x)", "gy * np.cosh(x)"
    tex = r"\sinh(x)", r"gy \odot \cosh(x)"

    def forward(self, x):
        return np.sinh(x)

    def backward(self, gy, y, x):
        return gy * np.cosh(x)


class Cosh(Op):
    __slots__ = ()
    code = "np.cosh(x)", "gy * np.sinh(x)"
    tex = r"\cosh(x)", r"gy \odot \sinh(x)"

    def forward(self, x):
        return np.cosh(x)

    def backward(self, gy, y, x):
        return gy * np.sinh(x)


class Arcsin(Op):
    __slots__ = ()
    code = "np.arcsin(x)", "gy / np.sqrt(1 - x**2)"
    tex = r"\arcsin(x)", r"\frac{gy}{\sqrt{1 - x^2}}"

    def forward(self, x):
        return np.arcsin(x)

    def backward(self, gy, y, x):
        return gy / np.sqrt(1.0 - x * x)  # infinite at x = +-1, where arcsin has a vertical tangent


class Arccos(Op):
    __slots__ = ()
    code = "np.arccos(x)", "-gy / np.sqrt(1 - x**2)"
    tex = r"\arccos(x)", r"-\frac{gy}{\sqrt{1 - x^2}}"

    def forward(self, x):
        return np.arccos(x)

    def backward(self, gy, y, x):
        return -gy / np.sqrt(1.0 - x * x)


class Arctan(Op):
    __slots__ = ()
    code = "np.arctan(x)", "gy / (1 + x**2)"
    tex = r"\arctan(x)", r"\frac{gy}{1 + x^2}"

    def forward(self, x):
        return np.arctan(x)

    def backward(self, gy, y, x):
        return gy / (1.0 + x * x)


class Arcsinh(Op):
    __slots__ = ()
    code = "np.arcsinh(x)", "gy / np.sqrt(x**2 + 1)"
    tex = r"\operatorname{arsinh}(x)", r"\frac{gy}{\sqrt{x^2 + 1}}"

    def forward(self, x):
        return np.arcsinh(x)

    def backward(self, gy, y, x):
        return gy / np.sqrt(x * x + 1.0)


class Arccosh(Op):
    __slots__ = ()
    code = "np.arccosh(x)", "gy / (np.sqrt(x - 1) * np.sqrt(x + 1))"
    tex = r"\operatorname{arcosh}(x)", r"\frac{gy}{\sqrt{x^2 - 1}}"

    def forward(self, x):
        return np.arccosh(x)

    def backward(self, gy, y, x):
        # sqrt(x - 1) sqrt(x + 1) rather than sqrt(x^2 - 1): no cancellation near x = 1
        return gy / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0))


class Arctanh(Op):
    __slots__ = ()
    code = "np.arctanh(x)", "gy / (1 - x**2)"
    tex = r"\operatorname{artanh}(x)", r"\frac{gy}{1 - x^2}"

    def forward(self, x):
        return np.arctanh(x)

    def backward(self, gy, y, x):
        return gy / (1.0 - x * x)


class Arctan2(Op):
    """arctan2(a, b): the angle of the point (b, a), in the right quadrant."""

    __slots__ = ()
    code = "np.arctan2(a, b)", ("gy * b / (a**2 + b**2)", "-gy * a / (a**2 + b**2)")
    tex = (r"\operatorname{arctan2}(a, b)",
           (r"\frac{gy \odot b}{a^2 + b^2}", r"-\frac{gy \odot a}{a^2 + b^2}"))

    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, gy, y, a, b):
        g = gy / (a * a + b * b)
        return (g * b if self.needs(0) else None), (-g * a if self.needs(1) else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow. Its gradient is undefined at a = b = 0 (NaN there, as in
    PyTorch)."""

    __slots__ = ()
    code = "np.hypot(a, b)", ("gy * a / y", "gy * b / y")
    tex = r"\sqrt{a^2 + b^2}", (r"\frac{gy \odot a}{y}", r"\frac{gy \odot b}{y}")

    def forward(self, a, b):
        return np.hypot(a, b)

    def backward(self, gy, y, a, b):
        g = gy / y
        return (g * a if self.needs(0) else None), (g * b if self.needs(1) else None)


_PI2 = np.pi ** 2


class Sinc(Op):
    """NumPy's normalised sinc, sin(pi x) / (pi x), with sinc(0) = 1."""

    __slots__ = ()

    def code(self, x):
        slope = "(np.cos(np.pi * x) - y) / x"
        if np.any(np.asarray(x) == 0):  # written out only where needed: sinc'(0) = 0
            slope = "np.where(x == 0, 0, (np.cos(np.pi * x) - y) / np.where(x == 0, 1, x))"
        return "np.sinc(x)", f"gy * {slope}"

    def tex(self, x):
        return r"\operatorname{sinc}(x)", r"gy \odot \frac{\cos(\pi x) - y}{x}"

    def forward(self, x):
        return np.sinc(x)

    def backward(self, gy, y, x):
        # sinc'(x) = (cos(pi x) - sinc(x)) / x. Near 0 the difference cancels (its derivative,
        # the second order, even more), so there sinc' is its Taylor series: right at 0 at every
        # order (sinc'(0) = 0, sinc''(0) = -pi**2 / 3), within 1e-13 of the formula at |x| = 0.01.
        small = np.abs(x.data if isinstance(x, Tensor) else x) < 0.01
        if not np.any(small):
            return gy * ((np.cos(np.pi * x) - y) / x)
        safe_x = np.where(small, 1.0, x)
        x2 = x * x
        series = x * (-_PI2 / 3 + x2 * (_PI2 ** 2 / 30 + x2 * (-_PI2 ** 3 / 840
                                                             + x2 * _PI2 ** 4 / 45360)))
        return gy * np.where(small, series, (np.cos(np.pi * x) - y) / safe_x)


def tan(x):
    """The tangent, elementwise (np.tan); its derivative is 1 + tan(x)**2."""
    return Tan()(x)


def sinh(x):
    """The hyperbolic sine, elementwise (np.sinh); its derivative is cosh(x)."""
    return Sinh()(x)


def cosh(x):
    """The hyperbolic cosine, elementwise (np.cosh); its derivative is sinh(x)."""
    return Cosh()(x)


def arcsin(x):
    """The inverse sine, elementwise (np.arcsin); its derivative is 1 / sqrt(1 - x**2)."""
    return Arcsin()(x)


def arccos(x):
    """The inverse cosine, elementwise (np.arccos); its derivative is -1 / sqrt(1 - x**2)."""
    return Arccos()(x)


def arctan(x):
    """The inverse tangent, elementwise (np.arctan); its derivative is 1 / (1 + x**2)."""
    return Arctan()(x)


def arcsinh(x):
    """The inverse hyperbolic sine, elementwise (np.arcsinh); its derivative is 1 / sqrt(x**2 +
    1)."""
    return Arcsinh()(x)


def arccosh(x):
    """The inverse hyperbolic cosine, elementwise (np.arccosh); its derivative is 1 / sqrt(x**2 -
    1)."""
    return Arccosh()(x)


def arctanh(x):
    """The inverse hyperbolic tangent, elementwise (np.arctanh); its derivative is 1 / (1 -
    x**2)."""
    return Arctanh()(x)


def arctan2(a, b):
    """The angle of the point (b, a) in radians, elementwise (np.arctan2(a, b)); both get
    gradients."""
    return Arctan2()(a, b)


def hypot(a, b):
    """sqrt(a**2 + b**2), elementwise, without overflow (np.hypot)."""
    return Hypot()(a, b)


def sinc(x):
    """sin(pi x) / (pi x), 1 at x = 0, elementwise (np.sinc)."""
    return Sinc()(x)
