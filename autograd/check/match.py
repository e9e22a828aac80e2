"""Whether a candidate gradient reproduces a learner's hand gradient, up to the usual factor on top
(a flipped sign, 2, N). The explaining search asks this of many candidates, so a large array is
compared on a sample of its entries first, and a candidate (a `Change`) is computed in full only
when its sample matches."""
import numpy as np

from .recorded import Change


class Matcher:
    """Whether candidate gradients match a hand gradient: `match(cand)` gives the factor (1, -1,
    2, N ...) that makes cand agree with the hand within the tolerance, or None. A candidate that
    is autograd's gradient `auto` itself (the change made no difference) matches nothing. Large
    arrays are compared on a sample of entries first, so most candidates are turned down fast."""

    SAMPLE = 256

    def __init__(self, hand, tolerance, facts, auto=None):
        self.h = np.asarray(hand, dtype=np.float64)
        self.tol, self.facts = tolerance, facts
        self.auto = None if auto is None else np.asarray(auto, dtype=np.float64)
        self.allowed = tolerance.allowed(self.h)
        self.zero = float(np.abs(self.h).max(initial=0.0)) <= tolerance.floor
        self.sample = None
        if self.h.size > 4 * self.SAMPLE:
            pick = np.random.default_rng(0).choice(self.h.size, self.SAMPLE, replace=False)
            self.sample = np.sort(pick)

    def match(self, cand):
        """`cand`: an array, or a Change (computed in full only when its sample matches)."""
        if self.sample is not None:
            picked = cand.sampled(self.sample) if isinstance(cand, Change) else \
                np.asarray(cand, dtype=np.float64).flat[self.sample]
            c = self._factor(self.h.flat[self.sample], picked,
                             self.allowed.flat[self.sample] if np.ndim(self.allowed) else
                             self.allowed)
            if c is None:
                return None
        cand = np.asarray(cand.full() if isinstance(cand, Change) else cand, dtype=np.float64)
        if cand.shape != self.h.shape:
            return None
        if not np.isfinite(cand).all():
            return None
        if self.auto is not None and self.tol.agrees(cand, self.auto):
            return None
        return self._factor(self.h, cand, self.allowed)

    def match_free(self, direction):
        """(factor, k) with hand = factor * (auto + k * direction) within the tolerance, for a
        change of autograd's gradient by k * direction that matters, or None. `direction`: an
        array, or a Change (of zero base) computed in full only when its sample matches."""
        if self.auto is None:
            return None
        if self.sample is not None:
            s = self.sample
            picked = direction.sampled(s) if isinstance(direction, Change) else \
                np.asarray(direction, dtype=np.float64).flat[s]
            allowed = self.allowed.flat[s] if np.ndim(self.allowed) else self.allowed
            if self._free(self.h.flat[s], self.auto.flat[s], picked, allowed) is None:
                return None
        d = np.asarray(direction.full() if isinstance(direction, Change) else direction,
                       dtype=np.float64)
        if d.shape != self.h.shape:
            return None
        if not np.isfinite(d).all():
            return None
        base_allowed = self.tol.allowed(self.auto)
        if np.count_nonzero(np.abs(d) > base_allowed) < 2:
            return None  # one free number fits any one entry
        got = self._free(self.h, self.auto, d, self.allowed)
        if got is None or self.tol.agrees(self.auto + got[1] * d, self.auto):
            return None
        return got

    def _free(self, h, base, d, allowed):
        dd = float(np.vdot(d, d))
        if dd == 0:
            return None
        bb, bd = float(np.vdot(base, base)), float(np.vdot(base, d))
        if bb * dd - bd * bd <= 1e-9 * bb * dd:
            factors = [1.0]  # base ~0, or along d: no factor on top can be told apart
        else:
            rhs = np.array([float(np.vdot(h, base)), float(np.vdot(h, d))])
            alpha = np.linalg.solve(np.array([[bb, bd], [bd, dd]]), rhs)[0]
            factors = [c for c in self.facts.factors() if abs(c - alpha) <= 0.05 * abs(c)]
        for c in factors:
            k = float(np.vdot(h / c - base, d)) / dd
            if bool(np.all(np.abs(h - c * (base + k * d)) <= allowed)):
                return c, k
        return None

    def _factor(self, h, cand, allowed):
        if self.zero and bool(np.all(np.abs(cand) <= allowed)):
            return 1.0  # an all-zero hand gradient, and a change that zeroes it
        cc = float(np.vdot(cand, cand))
        if cc == 0 or float(np.abs(cand).max()) <= self.tol.floor:
            return None
        fitted = float(np.vdot(h, cand)) / cc
        for c in self.facts.factors():
            if abs(c - fitted) <= 0.05 * abs(c) and bool(np.all(np.abs(h - c * cand) <= allowed)):
                return c
        return None


def matches(hand, cand, tolerance, facts, auto=None):
    """Matcher(hand, ...).match(cand), for one candidate."""
    return Matcher(hand, tolerance, facts, auto).match(cand)
