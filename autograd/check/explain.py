"""Explaining a wrong hand gradient: the one change to backprop that reproduces the learner's
numbers.

A hand derivation that goes wrong is nearly always autograd's backprop with one thing changed:

* other_tensor: the gradient of another tensor used (the next layer's delta, the activation's);
* missing_term: one use of a tensor forgotten (tied weights, a residual's identity path, BPTT cut,
  the L2 term), or that use's contribution scaled;
* extra_term: a term added that the loss does not have (weight decay in backward only);
* local_derivative: one step differentiated with the wrong formula (an activation's derivative left
  out, taken at its output, `1 - tanh` without the square, W where W.T belongs);
* values_for_gradient: forward values sent back where the error belongs.

Each change is a change to the gradient at one tensor, propagated down to the row through the
recorded graph (`RecordedGraph.propagate`). A change matches when the result equals the learner's
array within the row's tolerance, allowing a flipped sign or a usual factor (2, N) on top. Only
changes that can matter are tried: at the row's tensor and at the tensors between it and the rows
already found right (the mistake cannot lie beyond them), families in the order above (with
activations and softmaxes first among the local derivatives, being the commonest), the closest
change first. `explain` is a plain function of the graph and one row, usable on its own.
"""
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from . import sites
from .judge import ScaleFacts, Tolerance
from .match import Matcher
from .recorded import Change
from .steps import (ACTIVATIONS, fused_variants, op_variants, steps_from, target_variants,
                    variants)
from .text import short
from .wording import factor_note, op_at, penalty, probabilities, run_note, sentence, step_name

CAUSES = ("other_tensor", "missing_term", "extra_term", "local_derivative", "values_for_gradient")
MAX_REGION = 48        # tensors searched between a row and the right rows above it
MAX_ALTERNATIVES = 24  # tensors of the same shape tried as "the other tensor" at one place


@dataclass
class Explanation:
    """What the learner most likely did. `sentence` says it for the row; `core` says it without
    the row (for rows further down that carry the same mistake); `seeds` is the change itself,
    {id: (tensor, change of its gradient)}, so that it can be tried on other rows."""
    cause: str
    sentence: str
    core: str = ""
    op: str = None
    line: str = None
    factor: float = 1.0
    seeds: dict = field(default=None, repr=False)
    origin: str = None


def explain(graph, x, hand, *, right=(), rows=(), tolerance=None, facts=None, name=None):
    """Search `graph` (a RecordedGraph) for the mistake behind the hand gradient `hand` of tensor
    `x` (or of the tensor named x). `right` holds the tensors whose hand gradients are right,
    `rows` all tensors the learner gave gradients for. Returns an Explanation, or None when no
    single change reproduces `hand`."""
    if isinstance(x, str):
        name, x = x, graph.tensor(x)
    hand = np.asarray(hand, dtype=np.float64)
    if hand.shape != x.shape:
        if hand.size == x.size and _broadcasts(hand.shape, x.shape):
            hand = np.broadcast_to(hand, x.shape)
        elif hand.ndim == 2 and hand.shape[::-1] == x.shape:  # transposed, and wrong besides
            e = _Search(graph, x, hand.T, tolerance, facts, right, rows, name).run()
            if e is not None:
                e.sentence = e.sentence[:-1] + "; and yours is transposed."
            return e
        else:
            return _Search(graph, x, hand, tolerance, facts, right, rows, name).other_shapes()
    return _Search(graph, x, hand, tolerance, facts, right, rows, name).run()


def _broadcasts(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


class _Search:
    def __init__(self, graph, x, hand, tolerance, facts, right, rows, name):
        self.graph, self.x, self.h = graph, x, hand
        self.tol = tolerance or Tolerance.default(x.dtype, float(graph.loss.data))
        self.facts = facts or ScaleFacts()
        self.right = {id(t) for t in right}
        self.rows = {id(t) for t in rows} | {id(x)}
        self.row = f"`{name or graph.name(x) or 'this tensor'}`"
        self.auto = np.asarray(graph.grad(x), dtype=np.float64)
        same = self.auto.shape == np.shape(hand)
        self.matcher = Matcher(hand, self.tol, self.facts, self.auto if same else None)
        self.region, self.depth = self._region()
        self.ids = set(self.depth)

    # -- where to look -------------------------------------------------------------------------
    def _region(self):
        """The tensors computed from x, nearest first, up to (and including) the right rows."""
        x, graph = self.x, self.graph
        order, depth, queue = [x], {id(x): 0}, deque([x])
        while queue and len(order) < MAX_REGION:
            u = queue.popleft()
            if u is not x and id(u) in self.right:
                continue
            for v in graph.users(u):
                if id(v) not in depth:
                    depth[id(v)] = depth[id(u)] + 1
                    order.append(v)
                    queue.append(v)
        return order, depth

    def same_shape(self, shape, exclude=None, key=None):
        """Tensors of this shape, named ones and near ones first; with `key` (tensor -> array),
        one per distinct array."""
        out = [t for t in self.graph.order if t.shape == shape and t is not exclude]
        out.sort(key=lambda t: (self.graph.name(t) is None, self.depth.get(id(t), 99)))
        if key is not None:
            kept = []
            for t in out:
                a = key(t)
                if not any(np.array_equal(a, key(k)) for k in kept):
                    kept.append(t)
            out = kept
        return out[:MAX_ALTERNATIVES]

    def places(self):
        """The tensors of the region where a gradient can be swapped for something else, leaving
        out those that only pass their gradient on unchanged (the output of a product before its
        bias is added: swapping there is swapping at the sum)."""
        graph = self.graph
        for u in self.region[1:]:
            users = graph.users(u)
            if u.size <= 1 or (len(users) == 1 and id(users[0]) in self.ids and
                               np.array_equal(graph.grad(u), graph.grad(users[0]))):
                continue
            yield u

    # -- matching ------------------------------------------------------------------------------
    def fits(self, cand):
        return self.matcher.match(cand)

    def fits_free(self, direction):
        """(factor, k) with hand = factor * (autograd's + k * direction), or None."""
        return self.matcher.match_free(direction)

    def at(self, seeds):
        """autograd's gradient of the row's tensor after the changes `seeds` (a Change)."""
        return Change(self.graph, seeds, self.x, self.auto)

    def change(self, seeds):
        """What the changes `seeds` alone add to the row's gradient (a Change)."""
        return Change(self.graph, seeds, self.x, np.zeros(self.x.shape))

    # -- the search ----------------------------------------------------------------------------
    def run(self):
        families = (self.other_named, self.activation_steps, self.missing_terms,
                    self.extra_terms, self.other_steps, self.other_gradients, self.values)
        if self.matcher.zero:  # all zeros: a dropped term or a mask that is 0 everywhere
            families = (self.activation_steps, self.missing_terms)
        for family in families:
            found = [e for e in family() if e is not None]
            if found:
                best = min(found, key=lambda e: e[0])[1]
                return best
        return None

    def other_shapes(self):
        """A hand gradient of another shape that is another tensor's gradient."""
        for t in self.graph.order:
            if t.shape == self.h.shape and t is not self.x:
                c = self.fits(self.graph.grad(t))
                if c is not None:
                    return self._other(t, c)
        return None

    def explanation(self, cause, core, seeds, c, fn=None, *, lead=None, advice=""):
        """An Explanation whose sentence is `lead` (default: "your row is what backprop gives
        when <core>"), the factor on top, and `advice`."""
        lead = lead or f"your {self.row} is what backprop gives when {core}"
        return Explanation(cause, sentence(lead + factor_note(c, self.facts), advice), core,
                           sites.label(fn) if fn is not None else None,
                           sites.line(fn) if fn is not None else None, c, seeds)

    # 1. another tensor's gradient, for tensors the learner named
    def other_named(self):
        outputs = {id(s.y) for s in self._steps(self.x) if s.pointwise}
        for t in self.same_shape(self.x.shape, exclude=self.x):
            if self.graph.name(t) is None:
                continue
            if id(t) in outputs and id(t) in self.rows:
                continue  # the activation's own gradient handed on: a derivative left out (2.)
            c = self.fits(self.graph.grad(t))
            if c is not None:
                yield (0, self.depth.get(id(t), 99)), self._other(t, c, step=id(t) in outputs)

    def _other(self, t, c, step=False):
        graph = self.graph
        what = sites.describe(graph, t)
        seeds = None
        if t.shape == self.x.shape:
            seeds = {id(self.x): (self.x, np.asarray(graph.grad(t), np.float64) - self.auto)}
        advice = (f"is the derivative of {sites.label(t.grad_fn)} left out?" if step else
                  f"use the gradient that belongs to {self.row}")
        return self.explanation(
            "other_tensor", f"the gradient of {what} is used for {self.row}", seeds, c,
            t.grad_fn, lead=f"your {self.row} is autograd's gradient of {what}, not of {self.row}",
            advice=advice)

    # 2. an activation or softmax differentiated with the wrong formula
    def _steps(self, u):
        cache = self.graph.cache.setdefault("steps", {})
        if id(u) not in cache:
            cache[id(u)] = steps_from(self.graph, u)
        return cache[id(u)]

    def activation_steps(self, activations=True):
        """Steps through activations and softmaxes (or, with activations=False, through other
        functions: a square, an exp, a single op)."""
        graph = self.graph
        for u in self.region:
            for step in self._steps(u):
                if id(step.y) not in self.ids or (step.kind in ACTIVATIONS) != activations:
                    continue
                rank = (self.depth[id(u)], 0)
                g = np.asarray(graph.grad(step.y), dtype=np.float64)
                d = None
                if step.pointwise:
                    ones = np.ones(step.y.shape, dtype=step.y.dtype)
                    d = np.asarray(graph.propagate({id(step.y): (step.y, ones)}, u,
                                                   within=step.members), dtype=np.float64)
                for var in variants(step, d):
                    delta = var.change(g)
                    if not np.any(np.abs(delta) > 64 * self.tol.eps * np.abs(g).max(initial=0)):
                        continue  # this formula and the right one agree here
                    if var.free:
                        got = self.fits_free(self.change({id(u): (u, delta)}))
                        if got:
                            c, k = got
                            text = var.text.format(k=f"{var.offset + k:.3g}")
                            yield rank, self._step(step, text, {id(u): (u, k * delta)}, c,
                                                   var.advice)
                        continue
                    seeds = {id(u): (u, delta)}
                    c = self.fits(self.at(seeds))
                    if c is not None:
                        yield rank, self._step(step, var.text, seeds, c, var.advice)
                for var, delta in target_variants(step, graph.grad(u)):
                    seeds = {id(u): (u, delta)}
                    c = self.fits(self.at(seeds))
                    if c is not None:
                        yield rank, self._step(step, var.text, seeds, c, var.advice,
                                               what="softmax and cross-entropy")
            if not activations:
                continue
            for use in graph.users(u):  # a loss with its softmax or sigmoid inside
                if id(use) not in self.ids:
                    continue
                for var, delta in fused_variants(graph, use, u):
                    seeds = {id(u): (u, delta)}
                    c = self.fits(self.at(seeds))
                    if c is not None:
                        e = self.explanation(
                            "local_derivative", f"the step through "
                            f"{op_at(sites.label(use.grad_fn), use.grad_fn)} uses {var.text}",
                            seeds, c, use.grad_fn, advice=var.advice)
                        yield (self.depth[id(u)], 0), e

    def _step(self, step, text, seeds, c, advice="", what=None):
        fn = step.y.grad_fn
        if what is None:
            what = step_name(step)
        e = self.explanation("local_derivative",
                             f"the step through {op_at(what, fn)} uses {text}", seeds, c, fn,
                             advice=advice)
        e.op = what
        return e

    # 3. a contribution left out, or scaled
    def _dominates(self, u):
        """Whether every path from the row's tensor to the loss goes through u."""
        x, graph = self.x, self.graph
        seen, stack = {id(x)}, [x]
        while stack:
            for v in graph.users(stack.pop()):
                if v is graph.loss and v is not u:
                    return False
                if v is not u and id(v) not in seen:
                    seen.add(id(v))
                    stack.append(v)
        return True

    def missing_terms(self):
        graph, x = self.graph, self.x
        for u in self.region:
            users = graph.users(u)
            if len(users) < 2 and (u is x or self._dominates(u)):
                continue  # dropping its only use drops everything
            scale = float(np.abs(graph.grad(u)).max(initial=0.0))
            for use in users:
                if id(use) not in self.ids:
                    continue
                share = graph.share(use, u)
                if float(np.abs(share).max(initial=0.0)) <= 64 * self.tol.eps * scale:
                    continue  # a use that sends (next to) nothing back: a max taken for safety
                part = np.asarray(share, dtype=np.float64) if u is x else \
                    self.change({id(u): (u, share)})
                rank = (self.depth[id(u)], 0)
                c = self.fits(self.at({id(u): (u, -share)}))
                if c is not None:
                    yield rank, self._missing(u, use, {id(u): (u, -share)}, c, len(users))
                    continue
                got = self.fits_free(part)
                if got and abs(got[1] + 1) > 1e-3:  # k = -1: dropped, tried above
                    c, k = got
                    yield (rank[0], 1), self._scaled(u, use, {id(u): (u, k * share)}, c, 1 + k)
            if u is x and len(users) >= 3:
                for use in users:
                    share = graph.share(use, x)
                    c = self.fits(share)
                    if c is not None:
                        what = self._use(x, use)
                        advice = "the gradients of all its uses add up"
                        if sites.run_of(graph, use):
                            advice += " (backprop through time goes back through every step)"
                        yield (0, 2), self.explanation(
                            "missing_term", f"only the contribution of {what} is counted",
                            {id(x): (x, share - graph.grad(x))}, c, use.grad_fn,
                            lead=f"your {self.row} counts only the contribution of {what}, one of "
                                 f"its {len(users)} uses", advice=advice)

    def _use(self, u, use):
        fn = use.grad_fn
        term = penalty(self.graph, u, use)
        if term:
            return f"the {term} term, {op_at(sites.label(fn), fn)}"
        who = self.row if u is self.x else sites.short_name(self.graph, u)
        return f"the use of {who} in {op_at(sites.label(fn), fn)}{run_note(self.graph, use)}"

    def _missing(self, u, use, seeds, c, n_users):
        what = self._use(u, use)
        if u is self.x:
            return self.explanation(
                "missing_term", f"the contribution of {what} to {self.row} is left out", seeds, c,
                use.grad_fn, lead=f"your {self.row} leaves out the contribution of {what}",
                advice=f"{self.row} is used {n_users} times, and the gradients of all its uses "
                       "add up")
        advice = "the gradient must flow back through every use"
        if sites.run_of(self.graph, use):
            advice += " (backprop through time goes back through every step)"
        return self.explanation(
            "missing_term", f"everything that flows back through {what} is left out", seeds, c,
            use.grad_fn, lead=f"your {self.row} leaves out everything that reaches it through "
                              f"{what}", advice=advice)

    def _scaled(self, u, use, seeds, c, k):
        what = self._use(u, use)
        size = {0.5: "half its size", 2.0: "twice its size"}.get(round(k, 6),
                                                                 f"{short(k)} times its size")
        advice = "is the 2 of the square missing?" if round(k, 6) == 0.5 else ""
        return self.explanation(
            "missing_term", f"the contribution of {what} comes in at {size}", seeds, c,
            use.grad_fn, lead=f"in your {self.row}, the contribution of {what} comes in at {size}",
            advice=advice)

    # 4. a term the loss does not have
    def extra_terms(self):
        x, graph = self.x, self.graph
        for rank, v in enumerate([x] + self.same_shape(x.shape, exclude=x)):
            got = self.fits_free(np.asarray(v.data, dtype=np.float64))
            if got:
                c, k = got
                what = self.row if v is x else sites.describe(graph, v)
                advice = ""
                if v is x and x.grad_fn is None:
                    advice = ("it looks like weight decay / an L2 term that the loss does not "
                              "contain: add it to the loss, or leave it out here")
                seeds = {id(x): (x, k * np.asarray(v.data, dtype=np.float64))}
                yield (rank,), self.explanation(
                    "extra_term", f"{k:.3g} * {what} is added", seeds, c, v.grad_fn,
                    lead=f"your {self.row} is autograd's gradient plus {k:.3g} * {what}",
                    advice=advice)

    # 5. another op's local derivative
    def other_steps(self):
        yield from self.activation_steps(activations=False)
        graph = self.graph
        for t in self.region[1:]:
            fn = t.grad_fn
            for i, u in enumerate(fn.inputs):
                if id(u) not in self.ids or sum(v is u for v in fn.inputs) > 1:
                    continue
                for text, delta in op_variants(graph, t, i):
                    seeds = {id(u): (u, delta)}
                    c = self.fits(self.at(seeds))
                    if c is not None:
                        yield (self.depth[id(t)],), self.explanation(
                            "local_derivative",
                            f"the step through {op_at(sites.label(fn), fn)} uses {text}", seeds, c,
                            fn)

    # 6. another tensor's gradient, anywhere between here and the right rows
    def other_gradients(self):
        graph, x = self.graph, self.x
        for t in self.same_shape(x.shape, exclude=x):
            if graph.name(t) is None:
                c = self.fits(graph.grad(t))
                if c is not None:
                    yield (0,), self._other(t, c)
        for u in self.places():
            gu = np.asarray(graph.grad(u), np.float64)
            for v in self.same_shape(u.shape, exclude=u, key=graph.grad):
                gv = np.asarray(graph.grad(v), np.float64)
                if self.tol.agrees(gv, gu):
                    continue
                seeds = {id(u): (u, gv - gu)}
                c = self.fits(self.at(seeds))
                if c is not None:
                    pair = (f"the gradient of {sites.describe(graph, v)} where the gradient of "
                            f"{sites.describe(graph, u)} belongs")
                    yield (self.depth[id(u)],), self.explanation(
                        "other_tensor", f"{pair} is used", seeds, c, v.grad_fn,
                        lead=f"your {self.row} follows from using {pair}")

    # 7. forward values where a gradient belongs
    def _values_like(self, u):
        """(tensor, values, description) of the forward values that could stand in u's place:
        u's, those of tensors of its shape, and the probabilities behind a log-softmax."""
        graph = self.graph
        for v in [u] + self.same_shape(u.shape, exclude=u, key=lambda t: t.data):
            yield v, np.asarray(v.data, dtype=np.float64), sites.describe(graph, v)
        for step in self._steps(u):
            if step.kind == "log_softmax":
                where = sites.where(step.y.grad_fn, quote=False)
                yield (step.y, probabilities(step),
                       f"the probabilities behind the log-softmax{' ' + where if where else ''}")

    def values(self):
        graph, x = self.graph, self.x
        for u in [x, *self.places()]:
            if u.size <= 1:
                continue
            gu = np.asarray(graph.grad(u), dtype=np.float64)
            for v, values, what in self._values_like(u):
                seeds = {id(u): (u, values - gu)}
                c = self.fits(self.at(seeds))
                if c is None:
                    continue
                if u is x:
                    yield (0,), self.explanation(
                        "values_for_gradient", f"the values of {what} are used as a gradient",
                        seeds, c, v.grad_fn,
                        lead=f"your {self.row} is the forward values of {what}, not a gradient")
                    continue
                belongs = f"where the gradient of {sites.describe(graph, u)} belongs"
                # the slip is in the step back from u: name u's op and line
                yield (self.depth[id(u)],), self.explanation(
                    "values_for_gradient",
                    f"the forward values of {what} are sent back {belongs}", seeds, c,
                    u.grad_fn, lead=f"your {self.row} follows from sending the forward values of "
                                    f"{what} back {belongs}",
                    advice="the error, not the values, goes back")


