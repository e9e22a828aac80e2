"""Piecewise functions: the remainder (a % b), and the step functions (sign, floor, ceil, rint,
trunc, floor_divide), which are constant between their jumps: their gradient is 0 wherever it
exists, as in PyTorch."""
import numpy as np

from ..graph import Op


class Remainder(Op):
    """a % b with the sign of b (NumPy's and Python's %): a - b * floor(a / b). Between jumps
    floor(a / b) is constant, so d/da = 1 and d/db = -floor(a / b)."""

    __slots__ = ()

    def forward(self, a, b):
        return np.remainder(a, b)

    def backward(self, gy, y, a, b):
        gb = None
        if self.needs(1):
            gb = -gy * np.floor_divide(a, b)
        return gy, gb


class Step(Op):
    """A step function of one or two inputs (a NumPy ufunc): its gradient is zero."""

    __slots__ = ("ufunc",)

    def __init__(self, ufunc):
        self.ufunc = ufunc

    @property
    def name(self):
        return "".join(part.capitalize() for part in self.ufunc.__name__.split("_"))

    def forward(self, *xs):
        return self.ufunc(*xs)

    def backward(self, gy, y, *xs):
        zero = np.zeros_like(gy)
        return zero if len(xs) == 1 else (zero,) * len(xs)

    def params(self):
        return {}


def remainder(a, b): return Remainder()(a, b)
def sign(x): return Step(np.sign)(x)
def floor(x): return Step(np.floor)(x)
def ceil(x): return Step(np.ceil)(x)
def rint(x): return Step(np.rint)(x)
def trunc(x): return Step(np.trunc)(x)
def floor_divide(a, b): return Step(np.floor_divide)(a, b)
