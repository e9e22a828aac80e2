"""Small helpers for the text that checking prints: numbers, factors and lines of at most WIDTH
columns."""
import math
import textwrap
from fractions import Fraction

WIDTH = 100  # text output fits a terminal of this many columns


def short(x):
    """A factor as a reader would write it: 5, 1/32, -2, or 2.5."""
    if x is None:
        return "?"
    if abs(x - round(x)) <= 1e-6 * max(1, abs(x)) and abs(x) >= 1:
        return str(int(round(x)))
    if abs(x) < 1 and x != 0 and abs(1 / x - round(1 / x)) <= 1e-6 * abs(1 / x):
        return f"1/{int(round(1 / x))}" if x > 0 else f"-1/{int(round(-1 / x))}"
    return f"{x:.6g}"


def fraction(x, max_denominator=16, rel=1e-6):
    """x as a fraction p/q with a small q when it is one (to `rel`), else None."""
    if not math.isfinite(x) or x == 0:
        return None
    f = Fraction(x).limit_denominator(max_denominator)
    if f.denominator > 1 and abs(float(f) - x) <= rel * abs(x):
        return f"{f.numerator}/{f.denominator}"
    return None


def num(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.1e}"


def cos(x):
    return "-" if x is None or math.isnan(x) else f"{x:.3f}"


def cut(text, n):
    return text if len(text) <= n else text[:n - 3] + "..."


def fit(line):
    return cut(line, WIDTH)


def wrap(text, indent="", more="  "):
    """Lines of at most WIDTH columns; the first starts with `indent`, the others are indented as
    far, plus `more`."""
    return textwrap.wrap(text, WIDTH, initial_indent=indent,
                         subsequent_indent=" " * len(indent) + more, break_on_hyphens=False)


def index(idx):
    return ", ".join(str(int(j)) for j in idx)
