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
    code = "a + b", ("gy", "gy")
    tex = "a + b", ("gy", "gy")

    def forward(self, a, b):
        return a + b

    def backward(self, gy, y, a, b):
        return gy, gy


class Subtract(Op):
    __slots__ = ()
    code = "a - b", ("gy", "-gy")
    tex = "a - b", ("gy", "-gy")

    def forward(self, a, b):
        return a - b

    def backward(self, gy, y, a, b):
        return gy, (-gy if self.needs(1) else None)


class Multiply(Op):
    __slots__ = ()
    code = "a * b", ("gy * b", "gy * a")
    tex = r"a \odot b", (r"gy \odot b", r"gy \odot a")

    def forward(self, a, b):
        return a * b

    def backward(self, gy, y, a, b):
        return (gy * b if self.needs(0) else None), (gy * a if self.needs(1) else None)


class Divide(Op):
    __slots__ = ()
    code = "a / b", ("gy / b", "-gy * a / b**2")
    tex = r"\frac{a}{b}", (r"\frac{gy}{b}", r"-\frac{gy \odot a}{b^2}")

    def forward(self, a, b):
        return a / b

    def backward(self, gy, y, a, b):
        ga = gy / b
        return ga, (-ga * a / b if self.needs(1) else None)


class Power(Op):
    __slots__ = ()

    def code(self, a, b):
        if np.ndim(b) == 0 and not self.needs(1):  # a constant exponent, written out
            b = np.asarray(b).item()
            ga = "gy * 0" if b == 0 else "gy" if b == 1 else f"gy * {b} * a" + _power(b - 1)
            return "a" + _power(b), ga
        # log(a) only where a > 0 (0 elsewhere, as backward): written out only where needed
        log_a = "np.log(a)" if np.all(np.asarray(a) > 0) else "np.log(np.where(a > 0, a, 1))"
        return "a**b", ("gy * b * a**(b - 1)", f"gy * y * {log_a}")

    def tex(self, a, b):
        return "a^{b}", (r"gy \odot b\, a^{b - 1}", r"gy \odot y \odot \log(a)")

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


def _power(p):
    """'**p' as written after a base: nothing for 1, '**2', '**(-1)' ..."""
    if p == 1:
        return ""
    text = repr(int(p)) if float(p).is_integer() else repr(p)
    return f"**{text}" if p > 0 else f"**({text})"


class Negative(Op):
    __slots__ = ()
    code = "-x", "-gy"
    tex = "-x", "-gy"

    def forward(self, x):
        return -x

    def backward(self, gy, y, x):
        return -gy


class Exp(Op):
    __slots__ = ()
    code = "np.exp(x)", "gy * y"
    tex = "e^{x}", r"gy \odot y"
    symbol = "e"

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy, y, x):
        return gy * y


class Log(Op):
    __slots__ = ()
    code = "np.log(x)", "gy / x"
    tex = r"\log(x)", r"\frac{gy}{x}"

    def forward(self, x):
        return np.log(x)

    def backward(self, gy, y, x):
        return gy / x


class Sqrt(Op):
    __slots__ = ()
    code = "np.sqrt(x)", "gy / (2 * y)"
    tex = r"\sqrt{x}", r"\frac{gy}{2 y}"

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy, y, x):
        return gy / (2.0 * y)


class Abs(Op):
    __slots__ = ()
    code = "np.abs(x)", "gy * np.sign(x)"
    tex = "|x|", r"gy \odot \operatorname{sign}(x)"

    def forward(self, x):
        return np.abs(x)

    def backward(self, gy, y, x):
        return gy * np.sign(x)  # abs'(0) = 0, PyTorch's convention


class Sin(Op):
    __slots__ = ()
    code = "np.sin(x)", "gy * np.cos(x)"
    tex = r"\sin(x)", r"gy \odot \cos(x)"

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy, y, x):
        return gy * np.cos(x)


class Cos(Op):
    __slots__ = ()
    code = "np.cos(x)", "-gy * np.sin(x)"
    tex = r"\cos(x)", r"-gy \odot \sin(x)"

    def forward(self, x):
        return np.cos(x)

    def backward(self, gy, y, x):
        return -gy * np.sin(x)


class Tanh(Op):
    __slots__ = ()
    code = "np.tanh(x)", "gy * (1 - y**2)"
    tex = r"\tanh(x)", r"gy \odot (1 - y^2)"
    symbol = "h"

    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy, y, x):
        return gy * (1.0 - y * y)  # 1.0: NumPy mixes a Python float with an array faster than an int


class Maximum(Op):
    """Elementwise maximum; at ties each side gets half the gradient (PyTorch's convention)."""

    __slots__ = ()
    compare = ">"

    def code(self, a, b):
        return f"np.{type(self).__name__.lower()}(a, b)", _share_code(a, b, self.compare)

    def tex(self, a, b):
        name, c = r"\max" if self.compare == ">" else r"\min", self.compare
        return name + "(a, b)", (f"gy \\odot [a {c} b]", f"gy \\odot [b {c} a]")

    def forward(self, a, b):
        return np.maximum(a, b)

    def backward(self, gy, y, a, b):
        share = (a > b) + 0.5 * (a == b)  # a's share: 1, 1/2 or 0
        return (gy * share if self.needs(0) else None), (gy * (1 - share) if self.needs(1) else None)


class Minimum(Op):
    __slots__ = ()
    compare = "<"
    code, tex = Maximum.code, Maximum.tex

    def forward(self, a, b):
        return np.minimum(a, b)

    def backward(self, gy, y, a, b):
        share = (a < b) + 0.5 * (a == b)
        return (gy * share if self.needs(0) else None), (gy * (1 - share) if self.needs(1) else None)


def _share_code(a, b, c):
    """Each side's gradient for maximum (c '>') or minimum ('<'): the side that won; with ties,
    each side gets half there, which the code writes out only where ties occur."""
    if np.any(np.asarray(a == b)):
        return (f"gy * ((a {c} b) + 0.5 * (a == b))", f"gy * ((b {c} a) + 0.5 * (a == b))")
    return f"gy * (a {c} b)", f"gy * (b {c} a)"


class Where(Op):
    """where(cond, a, b); `cond` is a constant mask, the gradient goes to the chosen side."""

    __slots__ = ("cond",)
    code = "np.where(cond, a, b)", ("np.where(cond, gy, 0)", "np.where(cond, 0, gy)")
    tex = (r"\operatorname{where}(cond, a, b)",
           (r"[cond] \odot gy", r"(1 - [cond]) \odot gy"))

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

    def code(self, x):
        inside = " & ".join(t for t, v in (("(x >= lo)", self.lo), ("(x <= hi)", self.hi))
                            if v is not None) or "np.ones_like(x, dtype=bool)"
        return "np.clip(x, lo, hi)", f"gy * ({inside})"

    def tex(self, x):
        return r"\operatorname{clip}(x, lo, hi)", r"gy \odot [lo \le x \le hi]"

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
    tex = "x", "gy"

    def code(self, x):
        return f"x.astype(np.{self.dtype})", f"gy.astype(np.{np.asarray(x).dtype})"

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy, y, x):
        return gy.astype(x.dtype)
