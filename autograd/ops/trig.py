"""Trigonometric and hyperbolic functions, their inverses, arctan2, hypot and sinc.

Each backward is its derivative written with NumPy functions, so that on Tensors (create_graph)
it is recorded too and can be differentiated again.
"""
import numpy as np

from ..graph import Op


class Tan(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.tan(x)

    def backward(self, gy, y, x):
        return gy * (1.0 + y * y)  # tan' = 1 + tan^2


class Sinh(Op):
    __slots__ = ()

    def forward(self, x):
        return np.sinh(x)

    def backward(self, gy, y, x):
        return gy * np.cosh(x)


class Cosh(Op):
    __slots__ = ()

    def forward(self, x):
        return np.cosh(x)

    def backward(self, gy, y, x):
        return gy * np.sinh(x)


class Arcsin(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arcsin(x)

    def backward(self, gy, y, x):
        return gy / np.sqrt(1.0 - x * x)  # infinite at x = +-1, where arcsin has a vertical tangent


class Arccos(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arccos(x)

    def backward(self, gy, y, x):
        return -gy / np.sqrt(1.0 - x * x)


class Arctan(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arctan(x)

    def backward(self, gy, y, x):
        return gy / (1.0 + x * x)


class Arcsinh(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arcsinh(x)

    def backward(self, gy, y, x):
        return gy / np.sqrt(x * x + 1.0)


class Arccosh(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arccosh(x)

    def backward(self, gy, y, x):
        # sqrt(x - 1) sqrt(x + 1) rather than sqrt(x^2 - 1): no cancellation near x = 1
        return gy / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0))


class Arctanh(Op):
    __slots__ = ()

    def forward(self, x):
        return np.arctanh(x)

    def backward(self, gy, y, x):
        return gy / (1.0 - x * x)


class Arctan2(Op):
    """arctan2(a, b): the angle of the point (b, a), in the right quadrant."""

    __slots__ = ()

    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, gy, y, a, b):
        g = gy / (a * a + b * b)
        return (g * b if self.needs(0) else None), (-g * a if self.needs(1) else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow. Its gradient is undefined at a = b = 0 (NaN there, as in
    PyTorch)."""

    __slots__ = ()
    uses_output = True

    def forward(self, a, b):
        return np.hypot(a, b)

    def backward(self, gy, y, a, b):
        g = gy / y
        return (g * a if self.needs(0) else None), (g * b if self.needs(1) else None)


class Sinc(Op):
    """NumPy's normalised sinc, sin(pi x) / (pi x), with sinc(0) = 1."""

    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.sinc(x)

    def backward(self, gy, y, x):
        # sinc'(x) = (cos(pi x) - sinc(x)) / x, which tends to 0 at x = 0
        at_zero = np.asarray(x == 0)
        safe_x = np.where(at_zero, 1.0, x)
        return gy * np.where(at_zero, 0.0, (np.cos(np.pi * x) - y) / safe_x)


def tan(x): return Tan()(x)
def sinh(x): return Sinh()(x)
def cosh(x): return Cosh()(x)
def arcsin(x): return Arcsin()(x)
def arccos(x): return Arccos()(x)
def arctan(x): return Arctan()(x)
def arcsinh(x): return Arcsinh()(x)
def arccosh(x): return Arccosh()(x)
def arctanh(x): return Arctanh()(x)
def arctan2(a, b): return Arctan2()(a, b)
def hypot(a, b): return Hypot()(a, b)
def sinc(x): return Sinc()(x)
