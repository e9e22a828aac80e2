"""Elementwise ops: arithmetic, exp/log, trigonometry, maximum/minimum, where, clip.

Binary ops broadcast like NumPy. Their backward may return a gradient of the broadcast shape:
the engine sums it back to the input's shape (`sum_to`), so the formulas here stay plain maths.
"""
import math
import numbers

import numpy as np

from ..graph import Op


class Add(Op):
    __slots__ = ()

    def forward(self, a, b):
        return a + b

    def backward(self, gy, y, a, b):
        return gy, gy


class Subtract(Op):
    __slots__ = ()

    def forward(self, a, b):
        return a - b

    def backward(self, gy, y, a, b):
        return gy, (-gy if self.needs(1) else None)


class Multiply(Op):
    __slots__ = ()

    def forward(self, a, b):
        return a * b

    def backward(self, gy, y, a, b):
        return (gy * b if self.needs(0) else None), (gy * a if self.needs(1) else None)


class Divide(Op):
    __slots__ = ()

    def forward(self, a, b):
        return a / b

    def backward(self, gy, y, a, b):
        ga = gy / b
        return ga, (-ga * a / b if self.needs(1) else None)


class Power(Op):
    __slots__ = ()

    def forward(self, a, b):
        return a ** b

    def backward(self, gy, y, a, b):
        ga = None
        if self.needs(0):
            # b a^(b-1), written so that it is 0 (not 0 * inf at a = 0) where b == 0
            if isinstance(b, numbers.Number):
                ga = gy * b * a ** (b - 1) if b != 0 else gy * 0
            else:
                # guard only the 0 * inf points (a == 0 and b == 0): elsewhere the exponent must
                # stay b - 1, or the mixed second derivative d2/(da db) would be wrong
                ga = gy * b * a ** np.where(np.asarray(b == 0) & np.asarray(a == 0), 1, b - 1)
        # d(a^b)/db = a^b log(a): only defined for a > 0 (0 where a == 0, like PyTorch). a^b is
        # computed again rather than read from y, which may have been changed in place since.
        gb = None
        if self.needs(1):
            if isinstance(a, numbers.Number):  # stays a Python number (float32 stays float32)
                gb = gy * (a ** b) * math.log(a) if a > 0 else gy * 0
            else:
                positive = np.asarray(a > 0)
                base = np.where(positive, a, 1)
                gb = gy * np.where(positive, base ** b, 0) * np.log(base)
        return ga, gb


class Negative(Op):
    __slots__ = ()

    def forward(self, x):
        return -x

    def backward(self, gy, y, x):
        return -gy


class Exp(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy, y, x):
        return gy * y


class Log(Op):
    __slots__ = ()

    def forward(self, x):
        return np.log(x)

    def backward(self, gy, y, x):
        return gy / x


class Sqrt(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy, y, x):
        return gy / (2.0 * y)


class Abs(Op):
    __slots__ = ()

    def forward(self, x):
        return np.abs(x)

    def backward(self, gy, y, x):
        return gy * np.sign(x)  # abs'(0) = 0, PyTorch's convention


class Sin(Op):
    __slots__ = ()

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy, y, x):
        return gy * np.cos(x)


class Cos(Op):
    __slots__ = ()

    def forward(self, x):
        return np.cos(x)

    def backward(self, gy, y, x):
        return -gy * np.sin(x)


class Tanh(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy, y, x):
        return gy * (1.0 - y * y)  # 1.0: NumPy mixes a Python float with an array faster than an int


class Maximum(Op):
    """Elementwise maximum; at ties each side gets half the gradient (PyTorch's convention)."""

    __slots__ = ()

    def forward(self, a, b):
        return np.maximum(a, b)

    def backward(self, gy, y, a, b):
        share = (a > b) + 0.5 * (a == b)  # a's share: 1, 1/2 or 0
        return (gy * share if self.needs(0) else None), (gy * (1 - share) if self.needs(1) else None)


class Minimum(Op):
    __slots__ = ()

    def forward(self, a, b):
        return np.minimum(a, b)

    def backward(self, gy, y, a, b):
        share = (a < b) + 0.5 * (a == b)
        return (gy * share if self.needs(0) else None), (gy * (1 - share) if self.needs(1) else None)


class Where(Op):
    """where(cond, a, b); `cond` is a constant mask, the gradient goes to the chosen side."""

    __slots__ = ("cond",)

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return np.where(self.cond, a, b)

    def backward(self, gy, y, a, b):
        return (np.where(self.cond, gy, 0) if self.needs(0) else None,
                np.where(self.cond, 0, gy) if self.needs(1) else None)


class Clip(Op):
    """Clip to [lo, hi]; the gradient passes where lo <= x <= hi (bounds inclusive, as PyTorch)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return np.clip(x, self.lo, self.hi)

    def backward(self, gy, y, x):
        inside = np.ones(np.shape(x), dtype=bool)
        if self.lo is not None:
            inside = inside & (np.asarray(x >= self.lo))
        if self.hi is not None:
            inside = inside & (np.asarray(x <= self.hi))
        return gy * inside


class AsType(Op):
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy, y, x):
        return gy.astype(x.dtype)
