"""Checking gradients: against finite differences (`gradcheck`) and against a learner's hand
derivation (`compare_gradients`).

`gradcheck` asks "is autograd's backward right?" by nudging every input a little and watching the
output move. `compare_gradients` asks "is *my* backprop right?": it runs the learner's forward code
under autograd and lays the learner's hand-derived gradients beside autograd's, one row per tensor,
ordered from the loss backwards, so the first row that disagrees is the step where the derivation
breaks. Each disagreement gets a diagnosis (sign flipped, scaled by the batch size, transposed, ...)
and a one-line hint in plain words.

Everything that judges two arrays is plain NumPy (`diagnose`), so it can be read and tested on its
own.
"""
import html
import math
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

from .graph import backward_order, no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError", "GradcheckResult", "compare_gradients",
           "GradientReport", "GradientRow", "watch", "diagnose"]

WIDTH = 100  # text output fits a terminal of this many columns


# ==============================================================================================
# Judging one hand-derived gradient against autograd's (pure NumPy)
# ==============================================================================================

# Default tolerances by dtype. Both gradients come from the same numbers, so in float64 they agree
# to rounding (~1e-13 relative); 1e-6 leaves room for a different summation order while still
# catching a factor like 1.001. Errors are measured against the largest entry of autograd's
# gradient, so an entry that is tiny only because of cancellation does not raise a false alarm.
_TOLERANCES = {8: (1e-6, 1e-10), 4: (1e-4, 1e-6), 2: (1e-2, 1e-3)}

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
    """(rtol, atol) for gradients of this dtype."""
    dtype = np.dtype(dtype)
    return _TOLERANCES.get(dtype.itemsize if dtype.kind == "f" else 8, _TOLERANCES[8])


def diagnose(hand, auto, *, rtol=None, atol=None, batch_sizes=()):
    """Compare a hand-derived gradient `hand` with autograd's `auto` (arrays) and explain the
    difference. `batch_sizes` are the sizes N for which a factor N or 1/N reads as
    "sum vs mean over the batch". Returns a `Verdict`.

    Agreement means max|hand - auto| <= atol + rtol * max|auto|.
    """
    g = np.asarray(auto, dtype=np.float64)
    h = np.asarray(hand)
    if h.dtype.kind not in "biuf":
        raise TypeError(f"a hand gradient must be numbers; got dtype {h.dtype}")
    h = h.astype(np.float64)
    drtol, datol = default_tolerances(np.asarray(auto).dtype)
    rtol = drtol if rtol is None else rtol
    atol = datol if atol is None else atol

    # -- shape ---------------------------------------------------------------------------------
    if h.shape != g.shape:
        if h.size == g.size and _broadcasts_to(h.shape, g.shape):
            # (n,) for a (1, n) bias: the update `b -= lr * db` keeps b's shape, so it is fine
            h = np.broadcast_to(h, g.shape)
        elif h.ndim == 2 and g.ndim == 2 and h.shape == g.shape[::-1]:
            flipped = diagnose(h.T, g, rtol=rtol, atol=atol, batch_sizes=batch_sizes)
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
    max_abs = float(diff.max(initial=0.0))
    size_g = float(np.abs(g).max(initial=0.0))
    size_h = float(np.abs(h).max(initial=0.0))
    max_rel = max_abs / size_g if size_g > 0 else (0.0 if max_abs == 0 else math.inf)
    cosine = _cosine(h, g)
    tol = atol + rtol * size_g

    def verdict(diagnosis, hint=None, **extra):
        return Verdict(diagnosis, hint or HINTS[diagnosis], max_abs, max_rel, cosine, **extra)

    if max_abs <= tol:
        return verdict("ok")
    if size_h <= atol:
        return verdict("zero")
    if size_g <= atol:
        return verdict("wrong", "autograd's gradient is zero: the loss does not depend on this "
                       "tensor (did a value leave the graph, e.g. through ndarray.dot or .item()?)")

    # -- one constant factor: sign (-1) or scale (c) -------------------------------------------
    c = float(np.vdot(h, g) / np.vdot(g, g))
    if np.abs(h - c * g).max() <= atol + rtol * abs(c) * size_g:
        if np.abs(h + g).max() <= tol:
            return verdict("sign")
        # Any two single numbers differ by some factor; for one number, only a telling factor
        # (N, 1/N, 2, 1/2) is worth reporting as a scale.
        telling = _scale_hint(c, batch_sizes, telling_only=True)
        if np.count_nonzero(np.abs(g) > tol) >= 2 or telling:
            return verdict("scaled", telling or _scale_hint(c, batch_sizes), scale=c)

    if g.ndim == 2 and g.shape[0] == g.shape[1] and np.abs(h - g.T).max() <= tol:
        return verdict("transposed")

    where = _partial(diff <= tol, np.abs(g) > tol)
    if where is not None:
        return verdict("partial", f"{HINTS['partial']} ({where} are wrong)", where=where)
    return verdict("wrong", _per_line_factor(h, g, atol, rtol) or HINTS["wrong"])


def _per_line_factor(h, g, atol, rtol):
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
        if np.abs(h - fitted).max() <= atol + rtol * np.abs(g).max() and np.ptp(c) > rtol:
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


def _scale_hint(c, batch_sizes, telling_only=False):
    for n in sorted(set(int(b) for b in batch_sizes if b and b > 1)):
        for factor, text in ((n, f"{n} = N times autograd's"),
                             (1 / n, f"1/N of autograd's (N = {n})"),
                             (-n, f"-{n} = -N times autograd's, and the sign is flipped")):
            if abs(c - factor) <= 1e-6 * abs(factor):
                return f"sum vs mean over the batch? yours is {text}"
    for factor, text in ((2, "2 times"), (0.5, "half")):
        if abs(c - factor) <= 1e-6:
            return f"yours is {text} autograd's: the 1/2 in 1/2 (y - t)^2, or the 2 of the square?"
    if telling_only:
        return None
    return f"yours is {c:.6g} times autograd's: a learning rate, 1/N or 1/2 folded in?"


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


# ==============================================================================================
# watch: naming intermediate tensors inside the learner's forward code
# ==============================================================================================

class _Recording(threading.local):
    def __init__(self):
        self.stack = []  # one dict {name: Tensor} per compare_gradients call in progress


_recording = _Recording()


def watch(name, tensor):
    """Record `tensor` as `name`, so that compare_gradients can compare its gradient with the hand
    gradient `hand[name]` (e.g. `z2 = watch("z2", a1 @ W2 + b2)`, then `hand["z2"] = delta2`).
    Returns the tensor, so it can be used inline. It also names an unnamed tensor, so drawings
    show the name; outside compare_gradients it does nothing else."""
    if isinstance(tensor, Tensor) and tensor.name is None:
        tensor.name = name
    if not _recording.stack:
        return tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"watch({name!r}, ...) needs a Tensor of the graph; got "
                        f"{type(tensor).__name__} (did the value leave the graph?)")
    book = _recording.stack[-1]
    if name in book:
        raise ValueError(f"watch({name!r}, ...) was called twice; give each tensor its own name "
                         "(e.g. f'delta_{i}' inside a loop)")
    book[name] = tensor
    tensor.retain_grad()
    return tensor


# ==============================================================================================
# compare_gradients
# ==============================================================================================

@dataclass
class GradientRow:
    """One tensor's hand gradient judged against autograd's. `shape` is the tensor's shape;
    `max_rel_err` is relative to the largest entry of autograd's gradient."""
    name: str
    shape: tuple
    max_abs_err: float
    max_rel_err: float
    cosine: float
    ok: bool
    diagnosis: str
    hint: str
    scale: float = None
    where: str = None
    hand_shape: tuple = None
    position: tuple = None  # (ops from the loss, place in backward_order); None: not reached
    hand: np.ndarray = field(default=None, repr=False)
    auto: np.ndarray = field(default=None, repr=False)

    @property
    def label(self):
        """The diagnosis with its detail, as the table shows it."""
        if self.diagnosis == "scaled":
            return f"scaled x{_short(self.scale)}"
        return self.diagnosis


class GradientReport:
    """The result of compare_gradients: `.rows` in backward order (from the loss towards the
    inputs), `.ok`, `.first_mismatch`, `report[name]`, a text table (`str`) and an HTML table."""

    def __init__(self, rows, loss=None, batch_size=None):
        self.rows = list(rows)
        self.loss = loss
        self.batch_size = batch_size

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    @property
    def first_mismatch(self):
        """The name of the first row (in backward order) that disagrees, or None."""
        return next((r.name for r in self.rows if not r.ok), None)

    @property
    def names(self):
        return [r.name for r in self.rows]

    def __getitem__(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row {name!r}; the rows are {self.names}")

    def __contains__(self, name):
        return name in self.names

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __bool__(self):
        return self.ok

    def summary(self):
        bad = [r for r in self.rows if not r.ok]
        if not bad:
            return f"compare_gradients: all {len(self.rows)} gradients match autograd"
        first = bad[0]
        return (f"compare_gradients: {len(bad)} of {len(self.rows)} gradients disagree; "
                f"first mismatch: {first.name} ({first.label})")

    def __str__(self):
        head = (f"{'#':>3}  {'name':<14}  {'shape':<14}  {'max abs err':>11}  {'max rel err':>11}"
                f"  {'cosine':>6}  diagnosis")
        lines = [_fit(self.summary()), head]
        for i, r in enumerate(self.rows, 1):
            mark = "" if r.ok else "  <-- first" if r.name == self.first_mismatch else "  <--"
            lines.append(_fit(
                f"{i:>3}  {_cut(r.name, 14):<14}  {_cut(_shape_text(r), 14):<14}  "
                f"{_num(r.max_abs_err):>11}  {_num(r.max_rel_err):>11}  "
                f"{_cos(r.cosine):>6}  {r.label}{mark}"))
        groups = {}  # one line per distinct hint, naming every row it applies to
        for r in self.rows:
            if not r.ok:
                groups.setdefault(r.hint, []).append(r.name)
        if groups:
            lines.append("hints:")
            for hint, names in groups.items():
                lines.extend(_wrap(f"{', '.join(names)}: {hint}", indent="  "))
        return "\n".join(lines)

    def __repr__(self):
        return f"<GradientReport {self.summary()[len('compare_gradients: '):]}>"

    def _repr_html_(self):
        cells = ("#", "name", "shape", "max abs err", "max rel err", "cosine", "diagnosis", "hint")
        out = ['<div class="glassgrad-report">',
               f"<p><b>{html.escape(self.summary())}</b></p>",
               '<table style="border-collapse:collapse;font-family:monospace">',
               "<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px">{c}</th>'
                                for c in cells) + "</tr>"]
        for i, r in enumerate(self.rows, 1):
            colour = "#e6f4ea" if r.ok else "#fde2e1"
            values = (i, r.name, _shape_text(r), _num(r.max_abs_err), _num(r.max_rel_err),
                      _cos(r.cosine), r.label, "" if r.ok else r.hint)
            cell = '<td style="text-align:left;white-space:nowrap;padding:2px 8px">{}</td>'
            out.append(f'<tr style="background:{colour}">'
                       + "".join(cell.format(html.escape(str(v))) for v in values) + "</tr>")
        out.append("</table></div>")
        return "\n".join(out)


def compare_gradients(loss_fn, params, hand, *, batch_size=None, rtol=None, atol=None):
    """Compare hand-derived gradients with autograd's.

    `params` maps names to arrays; `loss_fn(**params)` is called with each as a Tensor that
    requires grad and must return a scalar Tensor (the learner's own forward code; NumPy calls
    work on Tensors). `hand` maps names to hand-derived gradients: names of `params`, and names
    given to intermediate tensors with `watch(name, tensor)` inside loss_fn.

    A factor N or 1/N is read as "sum vs mean over the batch"; N is `batch_size`, or else the
    leading size of the data arrays the loss was computed from (and of the params that `hand`
    does not name, such as an input X passed among them).
    """
    if not isinstance(params, dict) or not isinstance(hand, dict):
        raise TypeError("compare_gradients(loss_fn, params, hand): params and hand are dicts "
                        "mapping names to arrays")
    tensors = {name: _leaf(name, value) for name, value in params.items()}
    book = {}
    _recording.stack.append(book)
    try:
        loss = loss_fn(**tensors)
    finally:
        _recording.stack.pop()
    if not isinstance(loss, Tensor):
        raise TypeError(f"loss_fn returned {type(loss).__name__}, not a Tensor: the loss left "
                        "the graph (.item(), float() or np.asarray?); return the Tensor itself")
    if loss.size != 1:
        raise ValueError(f"loss_fn must return a scalar loss; got shape {loss.shape} "
                         "(sum or average it)")
    clash = set(book) & set(tensors)
    if clash:
        raise ValueError(f"watch() names {sorted(clash)} are also parameter names; rename them")
    known = {**tensors, **book}
    lost = [n for n in hand if n in book and not book[n].requires_grad]
    if lost:
        raise ValueError(f"watched tensors {lost} do not depend on any parameter, so autograd "
                         "computes no gradient for them (did a value leave the graph?)")
    unknown = [n for n in hand if n not in known]
    if unknown:
        raise KeyError(f"hand names {unknown}, which are neither params nor watched tensors; "
                       f"known names: {sorted(known)}")

    if batch_size is not None:
        sizes = (batch_size,)
    else:
        sizes = _batch_sizes(loss, [t for n, t in tensors.items() if n not in hand])
    position = _gradient_positions(loss)
    if loss.requires_grad:
        loss.backward()

    rows = []
    for name, value in hand.items():
        t = known[name]
        auto = t.grad if t.grad is not None else np.zeros_like(t.data)
        h = value.data if isinstance(value, Tensor) else np.asarray(value)
        v = diagnose(h, auto, rtol=rtol, atol=atol, batch_sizes=sizes)
        rows.append(GradientRow(name, tuple(t.shape), v.max_abs_err, v.max_rel_err, v.cosine,
                                v.ok, v.diagnosis, v.hint, v.scale, v.where, tuple(np.shape(h)),
                                position.get(id(t)), np.asarray(h), auto))
    rows.sort(key=lambda r: (math.inf, 0) if r.position is None else r.position)
    return GradientReport(rows, float(loss.data), sizes[0] if len(sizes) == 1 else None)


def _gradient_positions(loss):
    """A backward order for the rows: the number of ops between the loss and each tensor (the
    longest path, so every tensor comes after all the tensors computed from it), ties broken by
    the engine's `backward_order`. Layer by layer from the loss: W3 and b3 come right after
    z3 = a2 W3 + b3, before the layers below, which is where a learner looks for them.
    """
    if not loss.requires_grad:
        return {}
    order = backward_order(loss)  # each tensor before the tensors it was computed from
    depth = {id(loss): 0}
    for t in order:
        if t.grad_fn is not None:
            for x in t.grad_fn.inputs:
                if isinstance(x, Tensor) and x.requires_grad:
                    depth[id(x)] = max(depth.get(id(x), 0), depth[id(t)] + 1)
    return {id(t): (depth[id(t)], i) for i, t in enumerate(order)}


def _leaf(name, value):
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True, name=name)


def _ops(root):
    """Every op in root's graph, each once."""
    return [t.grad_fn for t in backward_order(root) if t.grad_fn is not None]


def _batch_sizes(loss, extra):
    """Leading sizes of the data the loss was computed from: the arrays that enter the graph as
    constants (X, one-hot targets, ...) and the params that are not being compared."""
    sizes = [t.shape[0] for t in extra if t.ndim >= 2]
    for fn in _ops(loss):
        for x in fn.inputs:
            if isinstance(x, Tensor) and not x.requires_grad and x.ndim >= 2:
                sizes.append(x.shape[0])
            elif isinstance(x, np.ndarray) and x.ndim >= 2:
                sizes.append(x.shape[0])
    return tuple(dict.fromkeys(s for s in sizes if s > 1))


# -- text helpers ------------------------------------------------------------------------------

def _short(x):
    if x is None:
        return "?"
    if abs(x - round(x)) <= 1e-6 * max(1, abs(x)) and abs(x) >= 1:
        return str(int(round(x)))
    if abs(x) < 1 and x != 0 and abs(1 / x - round(1 / x)) <= 1e-6 * abs(1 / x):
        return f"1/{int(round(1 / x))}" if x > 0 else f"-1/{int(round(-1 / x))}"
    return f"{x:.6g}"


def _num(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.1e}"


def _cos(x):
    return "-" if x is None or math.isnan(x) else f"{x:.3f}"


def _shape_text(row):
    return str(row.shape)


def _cut(text, n):
    return text if len(text) <= n else text[:n - 3] + "..."


def _fit(line):
    return _cut(line, WIDTH)


def _wrap(text, indent=""):
    import textwrap
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


# ==============================================================================================
# gradcheck: autograd against finite differences
# ==============================================================================================

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
        return _gradcheck_table(self)

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
    reported as a non-differentiable point, with the convention autograd follows there.
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

    results = []
    for i in checked:
        check = (_check_direction if fast else _check_elements)(
            scalar, values, i, analytic[i], base, eps, atol, rtol, rng)
        check.name = _input_name(inputs[i], i)
        if check.kinks:
            conventions = _kink_conventions(total, eps)
            check.kinks = [f"{check.name}{where}: non-differentiable point; convention: "
                           f"{conventions or 'autograd picks a value between them'} ({detail})"
                           for where, detail in check.kinks]
        results.append(check)

    result = GradcheckResult(results, fast, eps)
    for note in result.notes:
        warnings.warn(f"gradcheck: {note}", stacklevel=2)
    if not result.ok:
        raise GradcheckError(_gradcheck_table(result, atol, rtol), result)
    return result


def _input_name(x, i):
    return f"input {i} ({x.name})" if getattr(x, "name", None) else f"input {i}"


def _check_elements(scalar, values, i, analytic, base, eps, atol, rtol, rng):
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
    kink = failing & (hi - lo > slack) & (ana >= lo - slack) & (ana <= hi + slack)
    real = failing & ~kink

    kinks = [(f"[{_index(np.unravel_index(k, x.shape))}]",
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


def _check_direction(scalar, values, i, analytic, base, eps, atol, rtol, rng):
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
    if not ok:
        base = base()
        left, right = (base - minus) / step, (plus - base) / step
        lo, hi = min(left, right), max(left, right)
        slack = atol + rtol * max(abs(lo), abs(hi))
        if hi - lo > slack and lo - slack <= ana <= hi + slack:
            ok, kinks = True, [(" (along a random direction)",
                                f"one-sided slopes {left:.4g} and {right:.4g}, autograd gives "
                                f"{ana:.4g}")]
    return InputCheck("", x.shape, ok, 0.0 if kinks else err,
                      (0.0 if kinks else err / max(abs(numeric), abs(ana), atol)),
                      None, numeric, ana, kinks)


def _index(idx):
    return ", ".join(str(int(j)) for j in idx)


# Which ops have kinks or ties, where, and how to ask the engine what it does there.
def _near_kink(op, xs, tol):
    name = op.name
    if name in ("ReLU", "Abs", "LeakyReLU"):
        return bool((np.abs(xs[0]) <= tol).any())
    if name in ("Maximum", "Minimum"):
        return bool((np.abs(np.asarray(xs[0]) - np.asarray(xs[1])) <= tol).any())
    if name in ("Max", "Min"):
        x = np.asarray(xs[0])
        y = np.max(x, axis=op.axis, keepdims=True) if name == "Max" else \
            np.min(x, axis=op.axis, keepdims=True)
        return bool(((np.abs(x - y) <= tol).sum(axis=op.axis) > 1).any())
    if name == "Clip":
        x = np.asarray(xs[0])
        return any(b is not None and (np.abs(x - b) <= tol).any() for b in (op.lo, op.hi))
    return False


def _convention(op):
    """Ask the engine, on a tiny example, what gradient it gives at this op's kink."""
    from . import ops
    name = op.name

    def grad_at(fn, *points):
        leaves = [Tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in points]
        fn(*leaves).sum().backward()
        return [lf.grad for lf in leaves]

    if name == "ReLU":
        return f"relu'(0) = {_short_num(grad_at(ops.relu, 0.0)[0])}"
    if name == "Abs":
        return f"abs'(0) = {_short_num(grad_at(ops.abs, 0.0)[0])}"
    if name == "LeakyReLU":
        return (f"leaky_relu'(0) = "
                f"{_short_num(grad_at(lambda x: ops.leaky_relu(x, op.slope), 0.0)[0])}")
    if name in ("Max", "Min"):
        g = grad_at(ops.max if name == "Max" else ops.min, [1.0, 1.0])[0]
        how = ("tied entries share the gradient equally" if np.allclose(g, 0.5)
               else f"ties get {g.tolist()}")
        return f"{name.lower()}: {how}"
    if name in ("Maximum", "Minimum"):
        ga, gb = grad_at(ops.maximum if name == "Maximum" else ops.minimum, 1.0, 1.0)
        return f"{name.lower()}(a, b) at a == b: a gets {_short_num(ga)}, b gets {_short_num(gb)}"
    if name == "Clip":
        g = grad_at(lambda x: ops.clip(x, 0.0, 1.0), 0.0)[0]
        return "clip passes the gradient at its bounds" if g == 1 else \
            "clip blocks the gradient at its bounds"
    return None


def _short_num(a):
    return f"{float(np.asarray(a)):g}"


def _kink_conventions(total, eps):
    """The conventions of the kinked ops in the graph that sit within reach of a kink."""
    found = []
    for fn in _ops(total):
        xs = [x.data if isinstance(x, Tensor) else x for x in fn.inputs]
        if _near_kink(fn, xs, 1e3 * eps):
            text = _convention(fn)
            if text and text not in found:
                found.append(text)
    return "; ".join(found)


def _gradcheck_table(result, atol=None, rtol=None):
    bad = [c for c in result.inputs if not c.ok]
    mode = "one random direction per input" if result.fast else "every element"
    if bad:
        head = (f"gradcheck failed for {len(bad)} of {len(result.inputs)} inputs ({mode}; "
                f"eps={result.eps:g}, atol={atol:g}, rtol={rtol:g})")
    else:
        head = f"gradcheck passed for {len(result.inputs)} inputs ({mode}; eps={result.eps:g})"
    where = "worst index" if not result.fast else "(direction)"
    lines = [_fit(head),
             f"{'input':<15}  {'shape':<12}  {'max abs err':>11}  {'max rel err':>11}  "
             f"{where:<12}  {'numeric':>10}  {'analytic':>10}"]
    for c in result.inputs:
        idx = "-" if c.worst_index is None else f"({_index(c.worst_index)})"
        lines.append(_fit(
            f"{_cut(c.name, 15):<15}  {_cut(str(c.shape), 12):<12}  {_num(c.max_abs_err):>11}  "
            f"{_num(c.max_rel_err):>11}  {_cut(idx, 12):<12}  {c.numeric:>10.4g}  "
            f"{c.analytic:>10.4g}" + ("" if c.ok else "  FAIL")))
    for note in result.notes:
        lines.extend(_wrap(note))
    if bad and result.fast:
        lines.append("fast mode checked one direction per input: rerun with fast=False on "
                     "smaller sizes to find the element.")
    return "\n".join(lines)
