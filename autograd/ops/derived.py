"""Elementwise functions that are compositions of other ops, one line each where possible (their
gradients, and second derivatives, come from those ops)."""
import math

import numpy as np

from ..tensor import Tensor
from . import divide, log, maximum, minimum, multiply, power, where
from .logexp import logaddexp

LN2, LN10 = math.log(2.0), math.log(10.0)


def _isnan(x):
    return np.isnan(x.data if isinstance(x, Tensor) else x)


def _times_ln2(x):
    """x ln 2; a Python number stays one (a 0-d float64 tensor would make float32 float64)."""
    return x * LN2 if isinstance(x, (int, float)) else multiply(x, LN2)


def log2(x):
    """The base-2 logarithm, elementwise (np.log2): log(x) / ln 2."""
    return divide(log(x), LN2)


def log10(x):
    """The base-10 logarithm, elementwise (np.log10): log(x) / ln 10."""
    return divide(log(x), LN10)


def exp2(x):
    """2 ** x, elementwise (np.exp2)."""
    return power(2.0, x)


def logaddexp2(a, b):
    """log2(2**a + 2**b), elementwise, without overflow (np.logaddexp2)."""
    return divide(logaddexp(_times_ln2(a), _times_ln2(b)), LN2)


def reciprocal(x):
    """1 / x, elementwise (np.reciprocal)."""
    return divide(1.0, x)


def deg2rad(x):
    """Degrees to radians, elementwise (np.deg2rad): x * pi / 180."""
    return multiply(x, math.pi / 180.0)


def rad2deg(x):
    """Radians to degrees, elementwise (np.rad2deg): x * 180 / pi."""
    return multiply(x, 180.0 / math.pi)


def fmax(a, b):
    """maximum that ignores NaN: where one side is NaN, the other is taken."""
    return maximum(where(_isnan(a), b, a), where(_isnan(b), a, b))


def fmin(a, b):
    """minimum that ignores NaN: where one side is NaN, the other is taken (np.fmin)."""
    return minimum(where(_isnan(a), b, a), where(_isnan(b), a, b))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, inf -> posinf (default: the largest finite number), -inf -> neginf; the
    gradient passes where x is finite."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        return x
    big = np.finfo(x.dtype).max
    d = x.data
    x = where(np.isnan(d), nan, x)
    x = where(np.isposinf(d), big if posinf is None else posinf, x)
    return where(np.isneginf(d), -big if neginf is None else neginf, x)


def real(x):
    """The real part: a real tensor itself (tensors are never complex)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind == "c":
        raise TypeError("np.real of a complex tensor: glassgrad tensors are real-valued")
    return x


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else default: where() applied from the last
    condition back to the first."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out if isinstance(out, Tensor) else Tensor(out)
