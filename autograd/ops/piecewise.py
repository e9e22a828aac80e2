"""Piecewise functions: the remainder (a % b), and the step functions (sign, floor, ceil, rint,
trunc, floor_divide), which are constant between their jumps: their gradient is 0 wherever it
exists, as in PyTorch."""
import numpy as np

from ..graph import Op


class Remainder(Op):
    """a % b with the sign of b (NumPy's and Python's %): a - b * floor(a / b). Between jumps
    floor(a / b) is constant, so d/da = 1 and d/db = -floor(a / b)."""

    __slots__ = ()
    code = "a % b", ("gy", "-gy * (a // b)")
    tex = r"a \bmod b", ("gy", r"-gy \odot \lfloor a / b \rfloor")

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

    def code(self, *xs):
        names = [f"x{i}" for i in range(len(xs))]
        return f"ufunc({', '.join(names)})", tuple(f"np.zeros_like({n})" for n in names)

    def tex(self, *xs):
        name = self.ufunc.__name__
        if name in ("floor", "ceil"):
            forward = r"\l%s x0 \r%s" % (name, name)
        elif name == "floor_divide":
            forward = r"\lfloor x0 / x1 \rfloor"
        else:
            forward = r"\operatorname{%s}(%s)" % (name, ", ".join(f"x{i}" for i in range(len(xs))))
        return forward, ("0",) * len(xs)

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


def remainder(a, b):
    """a % b with the sign of b (np.remainder); its gradient is 1 for a and -floor(a / b) for b."""
    return Remainder()(a, b)


def sign(x):
    """-1, 0 or 1, elementwise (np.sign): a step function, so its gradient is 0."""
    return Step(np.sign)(x)


def floor(x):
    """The largest integer <= x, elementwise (np.floor): a step function, so its gradient is 0."""
    return Step(np.floor)(x)


def ceil(x):
    """The smallest integer >= x, elementwise (np.ceil): a step function, so its gradient is 0."""
    return Step(np.ceil)(x)


def rint(x):
    """x rounded to the nearest integer, elementwise (np.rint): a step function, gradient 0."""
    return Step(np.rint)(x)


def trunc(x):
    """x rounded towards 0, elementwise (np.trunc): a step function, so its gradient is 0."""
    return Step(np.trunc)(x)


def floor_divide(a, b):
    """a // b, elementwise (np.floor_divide): a step function, so its gradient is 0."""
    return Step(np.floor_divide)(a, b)
