"""Judging one hand-derived gradient against autograd's, in plain NumPy (`diagnose`).

Two gradients agree when every entry of the hand one is within a tolerance of autograd's. The
tolerance is measured three ways, and the strictest applies:

* against the whole gradient: rtol times its largest entry, so an entry that is tiny only because
  terms cancelled is not a false alarm;
* against the entry's own row and column: a row that is small because its input feature is small
  (unnormalised data: one column ~1e5, another ~0.01) is judged at its own scale, not hidden by the
  large rows. Rounding can still show in a small line, up to a few machine epsilons of the largest
  entry, and that much is always allowed;
* never below a floor tied to the loss: a few machine epsilons of |loss|. A gradient of size 1e-12
  whose sign is flipped is wrong; a fixed absolute tolerance such as 1e-10 would call it right.
"""
import math
from dataclasses import dataclass

import numpy as np

from .text import fraction

# rtol by dtype size. Both gradients come from the same numbers, so in float64 they agree to
# rounding (~1e-13 relative); 1e-6 leaves room for another summation order and still catches 1.001.
_RTOL = {8: 1e-6, 4: 1e-4, 2: 1e-2}
FLOOR_EPS = 8   # the floor: this many machine epsilons of |loss|
NOISE_EPS = 64  # rounding a small row or column may show: this many epsilons of the largest entry

HINTS = {
    "ok": "matches autograd",
    "shape": "wrong shape: a gradient has the shape of the tensor it belongs to",
    "transposed": "transposed: swap the factors of the product, or add .T",
    "scaled": "off by a constant factor",
    "sign": "sign flipped: did you add the gradient instead of subtracting (target - output "
            "instead of output - target)?",
    "zero": "all zeros: is the gradient assigned to another variable, or a mask always 0?",
    "nonfinite": "NaN or inf in your gradient: overflow in exp, log of 0, or division by 0?",
    "partial": "right in the other rows/columns: an index, a loop bound or a mask is off",
    "wrong": "no simple pattern (not a sign, scale, transpose or zero): re-derive this step, "
             "factor by factor",
}


@dataclass(frozen=True)
class Tolerance:
    """How close a hand gradient must be to autograd's: `rtol` relative to the gradient's own
    scale (whole array, and each row and column), `floor` absolute (tied to the loss), `eps` the
    machine epsilon of the dtype (for the rounding a small row may show)."""
    rtol: float
    floor: float
    eps: float

    @classmethod
    def default(cls, dtype, loss=1.0, rtol=None, atol=None):
        """The tolerance for gradients of `dtype` of a loss of value `loss`; `rtol`, `atol` (the
        floor) override the defaults."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            dtype = np.dtype(np.float64)
        eps = float(np.finfo(dtype).eps)
        loss = abs(float(loss)) if loss is not None and math.isfinite(loss) else 1.0
        floor = FLOOR_EPS * eps * max(loss, float(np.finfo(dtype).tiny)) if atol is None else atol
        return cls(_RTOL.get(dtype.itemsize, 1e-6) if rtol is None else rtol, floor, eps)

    def allowed(self, g):
        """The largest |hand - auto| allowed at each entry of autograd's gradient `g`."""
        a = np.abs(g)
        largest = float(a.max(initial=0.0))
        scale = largest
        if a.ndim >= 2 and a.size:
            rows = a.max(axis=tuple(range(1, a.ndim)), keepdims=True)
            cols = a.max(axis=tuple(range(a.ndim - 1)), keepdims=True)
            scale = np.minimum(rows, cols)
        return self.floor + np.maximum(self.rtol * scale, NOISE_EPS * self.eps * largest)

    def agrees(self, h, g):
        """Whether h is within tolerance of g everywhere (same shapes)."""
        return bool((np.abs(h - g) <= self.allowed(g)).all())


@dataclass(frozen=True)
class ScaleFacts:
    """What a constant factor between two gradients can be read as.

    `means`: (N, where) for each count the loss averages over, from the loss's own mean (or
    batch_size=): a factor N or 1/N reads as "sum vs mean over the batch". `sums`: (n, where) for
    the axes the loss adds up: a factor n is named as that axis, nothing more is claimed."""
    means: tuple = ()
    sums: tuple = ()
    seen: tuple = ()  # factors found on other rows (a learner's scale is the same everywhere)

    @classmethod
    def batch(cls, sizes):
        return cls(tuple((int(n), "") for n in dict.fromkeys(sizes) if n and int(n) > 1))

    def factors(self):
        """The factors worth trying on top of a candidate gradient: sign, 2, N, and those seen
        on other rows (no fitting)."""
        out = [1.0, -1.0, 2.0, -2.0, 0.5, -0.5]
        for n, _ in self.means:
            out += [n, -n, 1 / n, -1 / n]
        return out + [c for c in self.seen if all(abs(c - f) > 1e-9 * abs(f) for f in out)]

    def hint(self, c, telling_only=False):
        """A line saying what the factor c is; with telling_only, None unless it means something
        (N, 1/N, 2, 1/2, an axis the loss adds up)."""
        for n, where in self.means:
            where = f" ({where})" if where else ""
            for factor, text in ((n, f"{n} = N times autograd's"),
                                 (1 / n, f"1/N of autograd's (N = {n})"),
                                 (-n, f"-{n} = -N times autograd's, and the sign is flipped"),
                                 (-1 / n, f"-1/N of autograd's (N = {n}), and the sign is "
                                          "flipped")):
                if _close(c, factor):
                    return f"sum vs mean over the batch? yours is {text}{where}"
        for factor, text in ((2, "2 times"), (0.5, "half")):
            if _close(c, factor):
                return (f"yours is {text} autograd's: the 1/2 in 1/2 (y - t)^2, or the 2 of the "
                        "square?")
        for factor in self.seen:
            if _close(c, factor):
                return f"yours is {factor_text(c)} times autograd's, as in the other rows"
        for n, where in self.sums:
            if _close(c, n):
                return f"yours is {n} times autograd's; {n} is {where}"
            if _close(c, 1 / n):
                return f"yours is 1/{n} of autograd's; {n} is {where}"
        if telling_only:
            return None
        return f"yours is {factor_text(c)} times autograd's"


def factor_text(c):
    """'5/2', '-3', or '0.2413 (about 1/4)': the factor, and what simple number it is near."""
    exact = fraction(c)
    if abs(c - round(c)) <= 1e-6 * max(1.0, abs(c)) and round(c) != 0:
        return str(int(round(c)))
    if exact:
        return exact
    near = fraction(c, max_denominator=10, rel=0.05)
    if near is None and abs(c - round(c)) <= 0.05 * abs(c) and round(c) != 0:
        near = str(int(round(c)))
    return f"{c:.4g}" + (f" (about {near})" if near else "")


def _close(c, factor):
    return abs(c - factor) <= 1e-6 * abs(factor)


@dataclass
class Verdict:
    """What `diagnose` concluded about one gradient."""
    diagnosis: str
    hint: str
    max_abs_err: float = math.nan
    max_rel_err: float = math.nan
    cosine: float = math.nan
    scale: float = None
    where: str = None

    @property
    def ok(self):
        return self.diagnosis == "ok"


def default_tolerances(dtype):
    """(rtol, floor) for gradients of this dtype and a loss of size 1."""
    tol = Tolerance.default(dtype)
    return tol.rtol, tol.floor


def diagnose(hand, auto, *, rtol=None, atol=None, batch_sizes=(), loss=None, tolerance=None,
             facts=None):
    """Compare a hand-derived gradient `hand` with autograd's `auto` (arrays) and explain the
    difference. Returns a `Verdict`.

    The tolerance (see the module's docstring) is relative to the gradient's scale, `rtol` (by
    default 1e-6 in float64, 1e-4 in float32), row by row and column by column as well as overall,
    with an absolute floor of a few machine epsilons of `loss` (its value; 1 when not given), or
    `atol` when given. `batch_sizes` are the sizes N for which a factor N or 1/N reads as "sum vs
    mean over the batch" (`facts`, a ScaleFacts, says more).
    """
    g = np.asarray(auto, dtype=np.float64)
    h = np.asarray(hand)
    if h.dtype.kind not in "biuf":
        raise TypeError(f"a hand gradient must be numbers; got dtype {h.dtype}")
    h = h.astype(np.float64)
    tol = tolerance or Tolerance.default(np.asarray(auto).dtype, loss, rtol, atol)
    facts = facts or ScaleFacts.batch(batch_sizes)

    # -- shape ---------------------------------------------------------------------------------
    if h.shape != g.shape:
        if h.size == g.size and _broadcasts_to(h.shape, g.shape):
            # (n,) for a (1, n) bias: the update `b -= lr * db` keeps b's shape, so it is fine
            h = np.broadcast_to(h, g.shape)
        elif h.ndim == 2 and g.ndim == 2 and h.shape == g.shape[::-1]:
            flipped = diagnose(h.T, g, tolerance=tol, facts=facts)
            if flipped.ok:
                return Verdict("transposed", f"transposed: expected {g.shape}, got {h.shape}; "
                               "swap the factors of the product, or add .T",
                               flipped.max_abs_err, flipped.max_rel_err, flipped.cosine)
            return Verdict("shape", f"expected shape {g.shape}, got {h.shape}; and even "
                           f"transposed it is {flipped.diagnosis}")
        else:
            return Verdict("shape", _shape_hint(h.shape, g.shape))

    # -- NaN / inf -----------------------------------------------------------------------------
    bad_h, bad_g = ~np.isfinite(h), ~np.isfinite(g)
    if bad_g.any():
        return Verdict("nonfinite", "autograd's gradient is not finite either: the forward "
                       "pass overflows or takes log(0); fix the forward first",
                       where=_name_entries(bad_g))
    if bad_h.any():
        return Verdict("nonfinite", HINTS["nonfinite"], math.inf, math.inf, math.nan,
                       where=_name_entries(bad_h))

    # -- errors --------------------------------------------------------------------------------
    diff = np.abs(h - g)
    allowed = tol.allowed(g)
    max_abs = float(diff.max(initial=0.0))
    size_g = float(np.abs(g).max(initial=0.0))
    size_h = float(np.abs(h).max(initial=0.0))
    max_rel = max_abs / size_g if size_g > 0 else (0.0 if max_abs == 0 else math.inf)
    cosine = _cosine(h, g)

    def verdict(diagnosis, hint=None, **extra):
        return Verdict(diagnosis, hint or HINTS[diagnosis], max_abs, max_rel, cosine, **extra)

    close = diff <= allowed
    if close.all():
        return verdict("ok")
    if size_h <= tol.floor:
        return verdict("zero")
    if size_g <= tol.floor:
        return verdict("wrong", "autograd's gradient is zero: the loss does not depend on this "
                       "tensor (did a value leave the graph, e.g. through ndarray.dot or .item()?)")

    # -- one constant factor: sign (-1) or scale (c) -------------------------------------------
    c = float(np.vdot(h, g) / np.vdot(g, g))
    if tol.agrees(h, c * g):
        if tol.agrees(h, -g):
            return verdict("sign")
        # Any two single numbers differ by some factor; for one number, only a telling factor
        # (N, 1/N, 2, 1/2) is worth reporting as a scale.
        telling = facts.hint(c, telling_only=True)
        if np.count_nonzero(np.abs(g) > allowed) >= 2 or telling:
            return verdict("scaled", telling or facts.hint(c), scale=c)

    if g.ndim == 2 and g.shape[0] == g.shape[1] and tol.agrees(h, g.T):
        return verdict("transposed")

    where = _partial(close, np.abs(g) > allowed)
    if where is not None:
        return verdict("partial", f"{HINTS['partial']} ({where} are wrong)", where=where)
    return verdict("wrong", _per_line_factor(h, g, tol) or HINTS["wrong"])


def _per_line_factor(h, g, tol):
    """A hint when every row (or column) is right up to a factor of its own: a per-unit factor
    (the next layer's weight, an activation derivative) went wrong, not the whole formula."""
    if g.ndim != 2 or min(g.shape) < 2:
        return None
    for axis, label in ((1, "row"), (0, "column")):
        gg = np.sum(g * g, axis=axis)
        if (gg == 0).any():
            continue
        c = np.sum(h * g, axis=axis) / gg
        fitted = np.expand_dims(c, axis) * g
        if tol.agrees(h, fitted) and np.ptp(c) > tol.rtol:
            shown = ", ".join(f"{v:.4g}" for v in c[:4]) + (", ..." if c.size > 4 else "")
            return (f"each {label} is off by a factor of its own ({shown}): a per-unit factor "
                    "(a weight of the next layer, an activation derivative) is wrong")
    return None


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _shape_hint(got, expected):
    text = f"expected shape {expected} (the shape of the tensor), got {got}"
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return text + ": one gradient per sample? sum (or average) over the batch axis"
    if math.prod(got) == 1 and math.prod(expected) > 1:
        return text + ": a single number; did a sum run over the wrong axis?"
    if math.prod(got) == math.prod(expected):
        return text + ": same entries, different layout; reshape or transpose"
    return text


def _cosine(h, g):
    nh, ng = float(np.linalg.norm(h)), float(np.linalg.norm(g))
    if nh == 0 and ng == 0:
        return 1.0
    if nh == 0 or ng == 0:
        return math.nan
    return float(np.clip(np.vdot(h, g) / (nh * ng), -1.0, 1.0))


def _partial(close, informative):
    """Name the rows (or columns, or entries) that are wrong, when the others are right.

    A row counts as "right" only if it agrees and autograd's gradient is not ~0 there: rows that
    are zero in both (a dead ReLU unit, a class absent from the batch) prove nothing.
    """
    if close.ndim == 0:
        return None
    if close.ndim == 1:
        bad = ~close
        if bad.any() and (close & informative).any():
            return _name_list("entries", np.flatnonzero(bad), close.size)
        return None
    options = []
    for axis, label in ((0, "rows"), (close.ndim - 1, "columns")):
        others = tuple(a for a in range(close.ndim) if a != axis)
        bad = ~close.all(axis=others)
        good = close.all(axis=others) & informative.any(axis=others)
        if bad.any() and good.any():
            options.append((bad.mean(), label, np.flatnonzero(bad), bad.size))
    if not options:
        return None
    _, label, idx, total = min(options, key=lambda o: o[0])  # fewest lines to blame; rows on a tie
    return _name_list(label, idx, total)


def _name_list(label, idx, total, limit=8):
    shown = ", ".join(str(int(i)) for i in idx[:limit])
    if len(idx) > limit:
        shown += f", ... ({len(idx)} of {total})"
    return f"{label} {shown}"


def _name_entries(mask, limit=4):
    idx = np.argwhere(mask)
    shown = ", ".join(str(tuple(int(i) for i in row)) if mask.ndim != 1 else str(int(row[0]))
                      for row in idx[:limit])
    if mask.ndim == 0:
        shown = "the value"
    if len(idx) > limit:
        shown += f", ... ({len(idx)} of {mask.size})"
    return f"entries {shown}" if mask.ndim else shown
