"""gradcheck: autograd's gradients against finite differences, in float64.

`gradcheck` asks "is autograd's backward right?" by nudging every input a little and watching the
output move. At a kink (relu at 0, np.maximum(z, 0) at z == 0, tied maxima) the two one-sided
slopes differ and any value between them is a valid gradient: such points are noted, with the
convention autograd follows there, whether or not the central difference happened to agree.
"""
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..graph import backward_order, no_grad
from ..tensor import Tensor
from .kinks import conventions_near
from .text import cut, fit, index, num, wrap


class GradcheckError(AssertionError):
    """gradcheck found a gradient that disagrees with finite differences. `.result` holds the
    per-input numbers; the message is a table."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


@dataclass
class InputCheck:
    """gradcheck's findings for one input."""
    name: str
    shape: tuple
    ok: bool
    max_abs_err: float
    max_rel_err: float
    worst_index: tuple = None  # None in fast mode (a direction, not an element, was checked)
    numeric: float = None      # at the worst element (fast mode: the directional derivative)
    analytic: float = None
    kinks: list = field(default_factory=list)  # notes on non-differentiable points


class GradcheckResult:
    """gradcheck's result when every input passes: truthy, with `.inputs` and `.notes`."""

    def __init__(self, inputs, fast, eps):
        self.inputs, self.fast, self.eps = inputs, fast, eps

    @property
    def ok(self):
        return all(c.ok for c in self.inputs)

    @property
    def notes(self):
        return [note for c in self.inputs for note in c.kinks]

    def __bool__(self):
        return self.ok

    def __str__(self):
        return _table(self)

    def __repr__(self):
        return f"<GradcheckResult ok={self.ok} inputs={len(self.inputs)} fast={self.fast}>"


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast=False, seed=None):
    """Check autograd's gradients of `f(*inputs)` against central finite differences, in float64,
    for every input that is a Tensor with requires_grad=True (other inputs are passed unchanged).

    A non-scalar output y is reduced to sum(w * y) for a fixed random w, which checks every output
    at once. `fast=True` checks, per input, one random direction v:
    v . grad against (f(x + eps v) - f(x - eps v)) / (2 eps), so the cost is a few forward passes
    whatever the size. An element passes when |numeric - analytic| <= atol + rtol * |numeric|.

    Returns a `GradcheckResult`; raises `GradcheckError` (a table per input) on a mismatch. A
    mismatch within eps of a kink or tie (relu or abs at 0, tied maxima) is not an error: it is
    reported as a non-differentiable point, with the convention autograd follows there. A kink
    met where the central difference agrees anyway (np.maximum(z, 0) at z == 0, whose convention
    is the average slope) is noted too.
    """
    rng = np.random.default_rng(seed)
    values, checked = list(inputs), []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != np.float64:
                warnings.warn(
                    f"gradcheck: {_input_name(x, i)} is {x.dtype}; checking it in a float64 copy "
                    "(in float32 a central difference cannot do better than ~1e-6)", stacklevel=2)
            values[i] = np.array(x.data, dtype=np.float64)
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input is a Tensor with requires_grad=True")

    # Autograd's side
    leaves = {i: Tensor(values[i], requires_grad=True, name=inputs[i].name) for i in checked}
    out = f(*[leaves.get(i, v) for i, v in enumerate(values)])
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor; got {type(out).__name__}")
    if out.dtype.kind != "f":
        raise TypeError(f"gradcheck: f's output has dtype {out.dtype}; it must be floating point")
    w = None if out.size == 1 else rng.standard_normal(out.shape)
    total = out.sum() if w is None else (out * w).sum()
    if total.requires_grad:
        total.backward(retain_graph=True)  # kept for naming kinks if a mismatch shows up
    analytic = {i: (leaves[i].grad if leaves[i].grad is not None else np.zeros_like(values[i]))
                for i in checked}

    # The numbers' side: the same scalar, evaluated without a graph
    def scalar(arrays):
        with no_grad():  # wrapped without copying: f only reads its inputs
            y = f(*[Tensor._make(arrays[i]) if i in leaves else v for i, v in enumerate(arrays)])
        y = np.asarray(y.data if isinstance(y, Tensor) else y, dtype=np.float64)
        return float(y.sum() if w is None else (y * w).sum())

    cache = []

    def base():  # f at the unperturbed inputs, needed only to tell kinks from errors
        if not cache:
            cache.append(scalar(values))
        return cache[0]

    near = []  # the conventions of the kinked ops that sit at a kink, found once when needed

    def conventions():
        if not near:
            fns = [t.grad_fn for t in backward_order(total)] if total.requires_grad else []
            near.append(conventions_near([fn for fn in fns if fn is not None], 1e3 * eps))
        return near[0]

    results = []
    for i in checked:
        check = (_check_direction if fast else _check_elements)(
            scalar, values, i, analytic[i], base, eps, atol, rtol, rng, conventions)
        check.name = _input_name(inputs[i], i)
        if check.kinks:
            check.kinks = [f"{check.name}{where}: non-differentiable point; convention: "
                           f"{conventions() or 'autograd picks a value between them'} ({detail})"
                           for where, detail in check.kinks]
        results.append(check)

    result = GradcheckResult(results, fast, eps)
    for note in result.notes:
        warnings.warn(f"gradcheck: {note}", stacklevel=2)
    if not result.ok:
        raise GradcheckError(_table(result, atol, rtol), result)
    return result


def _input_name(x, i):
    return f"input {i} ({x.name})" if getattr(x, "name", None) else f"input {i}"


def _check_elements(scalar, values, i, analytic, base, eps, atol, rtol, rng, conventions):
    """Central differences, one element at a time."""
    x = values[i]
    flat = x.reshape(-1)  # a view: values[i] is our own contiguous float64 copy
    plus, minus = np.empty(x.size), np.empty(x.size)
    for k in range(x.size):
        keep = flat[k]
        flat[k] = keep + eps
        plus[k] = scalar(values)
        flat[k] = keep - eps
        minus[k] = scalar(values)
        flat[k] = keep
    numeric = ((plus - minus) / (2 * eps)).reshape(x.shape)
    ana = np.asarray(analytic, dtype=np.float64)
    err = np.abs(numeric - ana)
    allowed = atol + rtol * np.abs(numeric)
    failing = err > allowed

    # At a kink the two one-sided slopes differ, and any value between them is a legitimate
    # choice (a subgradient); a smooth function has (nearly) equal one-sided slopes there.
    right = ((plus - base()) / eps).reshape(x.shape)
    left = ((base() - minus) / eps).reshape(x.shape)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    slack = atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
    kink = (hi - lo > slack) & (ana >= lo - slack) & (ana <= hi + slack)
    # Where the central difference agrees, differing one-sided slopes may also be curvature: a
    # kink only if an op of the graph sits at one.
    if (kink & ~failing).any() and not conventions():
        kink &= failing
    real = failing & ~kink

    kinks = [(f"[{index(np.unravel_index(k, x.shape))}]",
              f"one-sided slopes {left.flat[k]:.4g} and {right.flat[k]:.4g}, autograd gives "
              f"{ana.flat[k]:.4g}") for k in np.flatnonzero(kink)[:3]]
    counted = np.where(kink, 0.0, err)
    rel = counted / np.maximum(np.maximum(np.abs(numeric), np.abs(ana)), atol)
    worst = int(np.argmax(counted / allowed)) if x.size else 0
    return InputCheck("", x.shape, not real.any(), float(counted.max(initial=0.0)),
                      float(rel.max(initial=0.0)),
                      tuple(int(j) for j in np.unravel_index(worst, x.shape)) if x.size else (),
                      float(numeric.flat[worst]) if x.size else 0.0,
                      float(ana.flat[worst]) if x.size else 0.0, kinks)


def _check_direction(scalar, values, i, analytic, base, eps, atol, rtol, rng, conventions):
    """One random direction v: v . grad against the central difference along v.

    v has entries of size ~1, but the step along it is eps / sqrt(size), so x moves by ~eps in
    total, as in the element-wise check, and is unlikely to step over a ReLU kink."""
    x = values[i]
    v = rng.standard_normal(x.shape)
    step = eps / math.sqrt(max(x.size, 1))
    keep = x.copy()
    x += step * v
    plus = scalar(values)
    x[...] = keep - step * v
    minus = scalar(values)
    x[...] = keep
    numeric = (plus - minus) / (2 * step)
    ana = float(np.vdot(v, analytic))
    err = abs(numeric - ana)
    ok = err <= atol + rtol * abs(numeric)
    kinks = []
    if not ok or conventions():
        base = base()
        left, right = (base - minus) / step, (plus - base) / step
        lo, hi = min(left, right), max(left, right)
        slack = atol + rtol * max(abs(lo), abs(hi))
        if hi - lo > slack and lo - slack <= ana <= hi + slack:
            ok, kinks = True, [(" (along a random direction)",
                                f"one-sided slopes {left:.4g} and {right:.4g}, autograd gives "
                                f"{ana:.4g}")]
    return InputCheck("", x.shape, ok, 0.0 if kinks and err > atol else err,
                      (0.0 if kinks and err > atol else err / max(abs(numeric), abs(ana), atol)),
                      None, numeric, ana, kinks)


def _table(result, atol=None, rtol=None):
    bad = [c for c in result.inputs if not c.ok]
    mode = "one random direction per input" if result.fast else "every element"
    if bad:
        head = (f"gradcheck failed for {len(bad)} of {len(result.inputs)} inputs ({mode}; "
                f"eps={result.eps:g}, atol={atol:g}, rtol={rtol:g})")
    else:
        head = f"gradcheck passed for {len(result.inputs)} inputs ({mode}; eps={result.eps:g})"
    where = "worst index" if not result.fast else "(direction)"
    lines = [fit(head),
             f"{'input':<15}  {'shape':<12}  {'max abs err':>11}  {'max rel err':>11}  "
             f"{where:<12}  {'numeric':>10}  {'analytic':>10}"]
    for c in result.inputs:
        idx = "-" if c.worst_index is None else f"({index(c.worst_index)})"
        lines.append(fit(
            f"{cut(c.name, 15):<15}  {cut(str(c.shape), 12):<12}  {num(c.max_abs_err):>11}  "
            f"{num(c.max_rel_err):>11}  {cut(idx, 12):<12}  {c.numeric:>10.4g}  "
            f"{c.analytic:>10.4g}" + ("" if c.ok else "  FAIL")))
    for note in result.notes:
        lines.extend(wrap(note))
    if bad and result.fast:
        lines.append("fast mode checked one direction per input: rerun with fast=False on "
                     "smaller sizes to find the element.")
    return "\n".join(lines)
