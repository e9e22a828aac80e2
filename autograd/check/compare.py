"""compare_gradients: a learner's hand-derived gradients beside autograd's, row by row from the
loss backwards, each judged (`judge.diagnose`) and, when wrong, explained (`explain.explain`).

`watch(name, tensor)` names an intermediate tensor inside the learner's forward code, so that its
gradient (a "delta") can be compared too.
"""
import itertools
import math
import threading

import numpy as np

from ..graph import record_lines
from ..tensor import Tensor
from . import kinks, sites
from .explain import Explanation, explain
from .match import matches
from .wording import factor_note, fallback, sentence
from .judge import ScaleFacts, Tolerance, diagnose
from .recorded import RecordedGraph
from .report import GradientReport, GradientRow


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


def require_scalar_loss(loss, who):
    """A loss that backward can start from: a Tensor of one element. `who` names what gave it."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"{who}: the loss is a {type(loss).__name__}, not a Tensor: it left the "
                        "graph (.item(), float() or np.asarray?); return the Tensor itself")
    if loss.size != 1:
        raise ValueError(f"{who}: the loss must be a scalar; got shape {loss.shape} "
                         "(sum or average it)")


def compare_gradients(loss_fn, params, hand, *, batch_size=None, rtol=None, atol=None):
    """Compare hand-derived gradients with autograd's.

    `params` maps names to arrays; `loss_fn(**params)` is called with each as a Tensor that
    requires grad and must return a scalar Tensor (the learner's own forward code; NumPy calls
    work on Tensors). `hand` maps names to hand-derived gradients: names of `params`, and names
    given to intermediate tensors with `watch(name, tensor)` inside loss_fn.

    Each row is judged relative to its own scale (see `diagnose`), with a floor tied to the loss.
    A hand gradient that differs from autograd's only at kink points (relu or np.maximum(z, 0) at
    z == 0) is right, with a note. A factor N or 1/N reads as "sum vs mean over the batch"; N is
    the count the loss averages over (read from its mean), or `batch_size`. A wrong row gets a
    `cause` and an `explanation`: the one change to backprop that reproduces it, found by
    searching the graph.
    """
    if not isinstance(params, dict) or not isinstance(hand, dict):
        raise TypeError("compare_gradients(loss_fn, params, hand): params and hand are dicts "
                        "mapping names to arrays")
    tensors = {name: _leaf(name, value) for name, value in params.items()}
    book = {}
    _recording.stack.append(book)
    try:
        with record_lines():
            loss = loss_fn(**tensors)
    finally:
        _recording.stack.pop()
    require_scalar_loss(loss, "loss_fn")
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

    graph = RecordedGraph(loss, {id(t): n for n, t in known.items()})
    facts, n = loss_facts(graph, batch_size)
    value = loss_scale(graph)
    position = _gradient_positions(graph)
    alternatives = _Subgradients(graph)
    rows, tolerances = [], {}
    for name, given in hand.items():
        t = known[name]
        auto = graph.grad(t)
        h = np.asarray(given.data if isinstance(given, Tensor) else given)
        tol = tolerances[name] = Tolerance.default(auto.dtype, value, rtol, atol)
        v = diagnose(h, auto, tolerance=tol, facts=facts)
        row = GradientRow(name, tuple(t.shape), v.max_abs_err, v.max_rel_err, v.cosine, v.ok,
                          v.diagnosis, v.hint, v.scale, v.where, tuple(np.shape(h)),
                          position.get(id(t)), hand=h, auto=auto)
        if not v.ok and v.diagnosis not in ("shape", "nonfinite", "transposed"):
            note = alternatives.accepts(t, h, tol)
            if note:
                row.ok, row.diagnosis, row.hint, row.note = True, "ok", HINT_KINK, note
        rows.append(row)
    rows.sort(key=lambda r: (math.inf, 0) if r.position is None else r.position)
    # A learner's scale is the same in every row: a factor seen in one row is telling in another
    # (a single number off by it is "scaled" too), and is allowed on top of an explanation.
    seen = tuple(dict.fromkeys(r.scale for r in rows if r.diagnosis == "scaled"))
    if seen:
        facts = ScaleFacts(facts.means, facts.sums, seen)
        for row in rows:
            if row.diagnosis == "wrong":
                v = diagnose(row.hand, row.auto, tolerance=tolerances[row.name], facts=facts)
                if v.diagnosis == "scaled":
                    row.diagnosis, row.hint, row.scale = v.diagnosis, v.hint, v.scale
    explain_rows(graph, rows, known, tolerances, facts)
    return GradientReport(rows, float(loss.data), n)


HINT_KINK = "matches autograd up to the choice of slope at kink points (see the note)"


def explain_rows(graph, rows, tensors, tolerances, facts):
    """Fill in cause, explanation, op and line of every wrong row, from the loss backwards: first
    the mistake already found above (a row further down usually carries it), then whether the row
    just follows from a wrong row above it, then a search of its own."""
    right = [tensors[r.name] for r in rows if r.ok]
    found, wrong = [], []
    for row in rows:
        if row.ok:
            continue
        x = tensors[row.name]
        tol = tolerances[row.name]
        e = None
        # An odd factor (not N, 1/N, 2 or 1/2) on a few numbers may be a mistake that happens to
        # scale them (a layer with one unit alive): worth a search. On many, it is the story.
        odd_scale = row.diagnosis == "scaled" and ScaleFacts(facts.means, facts.sums).hint(
            row.scale, telling_only=True) is None and _informative(row, tol) <= 8
        if (row.diagnosis in ("wrong", "partial", "shape", "zero") or odd_scale) and x in graph:
            h = _as_shape(row.hand, x.shape)
            if h is not None:
                e = _carried(graph, x, h, row.name, found, tol, facts) or \
                    _inherited(graph, x, h, row.name, wrong, tensors, tol, facts)
            if e is None:
                e = explain(graph, x, row.hand, right=right, rows=[tensors[r.name] for r in rows],
                            tolerance=tol, facts=facts, name=row.name)
                if e is not None:
                    e.origin = row.name
                    if e.seeds:
                        found.append(e)
        if e is not None:
            row.cause, row.explanation, row.op, row.line = e.cause, e.sentence, e.op, e.line
            row.hint = (f"carries the mistake found at {e.origin}" if e.origin != row.name
                        else f"{e.cause}: {e.core}") if e.core else e.sentence
        elif row.diagnosis in ("wrong", "partial") and x in graph:
            row.explanation = fallback(graph, x, {id(t) for t in right}, row.name)
        else:
            row.explanation = row.hint
        wrong.append(row)


def _informative(row, tol):
    """How many entries of autograd's gradient are clearly nonzero."""
    auto = np.asarray(row.auto, dtype=np.float64)
    return int(np.count_nonzero(np.abs(auto) > tol.allowed(auto)))


def _as_shape(h, shape):
    h = np.asarray(h, dtype=np.float64)
    if h.shape == shape:
        return h
    if h.size == math.prod(shape):
        try:
            if np.broadcast_shapes(h.shape, shape) == tuple(shape):
                return np.broadcast_to(h, shape)
        except ValueError:
            pass
    return None


def _carried(graph, x, h, name, found, tol, facts):
    for prev in found:
        c = matches(h, graph.at(prev.seeds, x), tol, facts, graph.grad(x))
        if c is not None:
            return Explanation(prev.cause, sentence(
                f"your `{name}` carries the mistake found at `{prev.origin}`: "
                f"{prev.core}{factor_note(c, facts)}"), prev.core, prev.op, prev.line, c, None,
                prev.origin)
    return None


def _inherited(graph, x, h, name, wrong, tensors, tol, facts):
    for above in wrong:
        z = tensors[above.name]
        hz = _as_shape(above.hand, z.shape)
        if hz is None or z is x or not graph.between(x, z):
            continue
        seeds = {id(z): (z, hz - np.asarray(graph.grad(z), dtype=np.float64))}
        c = matches(h, graph.at(seeds, x), tol, facts, graph.grad(x))
        if c is not None:
            what = f" ({above.cause})" if above.cause else ""
            return Explanation(above.cause, sentence(
                f"this step is right: your `{name}` follows from your `{above.name}`, which is "
                f"wrong{what}{factor_note(c, facts)}; fix `{above.name}` first"), "",
                above.op, above.line, c)
    return None


class _Subgradients:
    """The other right answers at exact kinks: autograd's gradients as a `(z > 0)` mask, a
    `(z >= 0)` mask or the average slope would give them (computed only when asked)."""

    def __init__(self, graph):
        self.graph = graph
        self._changes = None

    def changes(self):
        if self._changes is None:
            self._changes = [(v, *kinks.kink_changes(self.graph, v)) for v in kinks.VARIANTS]
            self._changes = [c for c in self._changes if c[1]]
        return self._changes

    def accepts(self, t, h, tol):
        """A note saying why h is right after all, or None."""
        if t not in self.graph:
            return None
        h = _as_shape(h, t.shape)
        if h is None:
            return None
        for variant, seeds, where in self.changes():
            alt = np.asarray(self.graph.at(seeds, t), dtype=np.float64)
            if tol.agrees(h, alt):
                points = sum(kinks.tie_count(u.grad_fn) for u in where)
                ops = ", ".join(dict.fromkeys(
                    f"{sites.label(u.grad_fn)} {sites.where(u.grad_fn, quote=False)}".strip()
                    for u in where))
                how = {"strict": "the slope of a (z > 0) mask",
                       "inclusive": "the slope of a (z >= 0) mask",
                       "half": "the average of the two slopes"}[variant]
                return (f"differs from autograd's only at {points} kink point"
                        f"{'s' if points != 1 else ''} ({ops}), where any value between the "
                        f"one-sided slopes is a valid gradient: yours takes {how} there")
        return None


def loss_facts(graph, batch_size=None):
    """(ScaleFacts, N): what the loss averages over, read from the loss itself. The loss is
    followed down through sums and scalings to the array E it reduces (the array whose gradient
    is the same in every entry); the count it divides E's sum by is N, matched to E's axes. With
    `batch_size`, that is N."""
    if batch_size is not None:
        return ScaleFacts(((int(batch_size), ""),)), batch_size
    best = None
    for e, weight in _reduced(graph):
        found = _mean_axes(e.shape, weight)
        if found is not None:
            key = (found[2], e.size)  # an exact mean first, then the largest array
            if best is None or key > best[0]:
                best = (key, e, found[0], found[1])
    if best is None:
        return ScaleFacts(), None
    _, e, count, axes = best
    shape = e.shape
    means, sums = [], []
    if count > 1:
        if len(axes) == 1:
            means.append((count, f"the loss averages over axis {axes[0]} of a {shape} array"))
        else:
            means.append((count, f"the loss averages over all {count} entries of a {shape} "
                                 "array"))
            for a in axes:
                if shape[a] > 1 and shape[a] != count:
                    means.append((shape[a], f"the loss averages over axis {a} of a {shape} array, "
                                            f"among others"))
    for a, size in enumerate(shape):
        if a not in axes and size > 1:
            sums.append((size, f"the size of axis {a} of the {shape} array the loss adds up"))
    n = count if count > 1 and len(axes) == 1 else None
    return ScaleFacts(tuple(means), tuple(sums)), n


def loss_scale(graph):
    """The size of the loss for the tolerance's floor: |loss|, or the size of the terms it adds
    up when they cancel (a loss of 0 made of terms of size 1 still rounds like size 1)."""
    scale = abs(float(graph.loss.data))
    for e, weight in _reduced(graph):
        scale = max(scale, abs(weight) * float(np.sum(np.abs(e.data), dtype=np.float64)))
    return scale if math.isfinite(scale) else 1.0


_SPINE = {"Sum", "Negative", "Add", "Subtract", "Reshape", "Divide", "Multiply", "AsType"}


def _reduced(graph):
    """[(E, weight)]: tensors reached from the loss through sums and scalar scalings whose
    gradient is one number (`weight`) in every entry."""
    out, stack, seen = [], [graph.loss], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t not in graph:
            continue
        seen.add(id(t))
        g = np.asarray(graph.grad(t), dtype=np.float64)
        if g.size and np.all(g == g.flat[0]) and g.flat[0] != 0:
            out.append((t, float(g.flat[0])))
        fn = t.grad_fn
        if fn is None or fn.name not in _SPINE:
            continue
        ins = fn.inputs
        if fn.name in ("Divide", "Multiply"):
            scalars = [v for v in ins if not isinstance(v, Tensor) or not v.requires_grad]
            if not scalars or any(np.size(v.data if isinstance(v, Tensor) else v) != 1
                                  for v in scalars):
                continue
        stack.extend(v for v in ins if isinstance(v, Tensor) and v.requires_grad)
    return out


def _mean_axes(shape, weight):
    """(count, axes, exact) when weight is 1/count for the axes the loss averages over (also
    allowing a 1/2 or 2 in the loss, as in 1/2 mean (y - t)^2), else None."""
    for target in (1.0, 0.5, 2.0):
        for k in range(len(shape), -1, -1):
            for axes in itertools.combinations(range(len(shape)), k):
                count = math.prod(shape[a] for a in axes)
                if abs(abs(weight) * count - target) <= 1e-6 * target:
                    return count, axes, target == 1.0
    return None


def _gradient_positions(graph):
    """A backward order for the rows: the number of ops between the loss and each tensor (the
    longest path, so every tensor comes after all the tensors computed from it), ties broken by
    the engine's `backward_order`. Layer by layer from the loss: W3 and b3 come right after
    z3 = a2 W3 + b3, before the layers below, which is where a learner looks for them.
    """
    if not graph.loss.requires_grad:
        return {}
    depth = {id(graph.loss): 0}
    for t in graph.order:
        if t.grad_fn is not None:
            for x in t.grad_fn.inputs:
                if isinstance(x, Tensor) and x.requires_grad:
                    depth[id(x)] = max(depth.get(id(x), 0), depth[id(t)] + 1)
    return {id(t): (depth[id(t)], i) for i, t in enumerate(graph.order)}


def _leaf(name, value):
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True, name=name)
