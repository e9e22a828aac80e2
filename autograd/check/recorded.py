"""The graph behind a scalar loss, with autograd's gradient of every tensor in it.

This is what explaining a hand gradient searches over: who uses each tensor (its consumers), what
each op's backward gives, and how a change to the gradient at one tensor travels down to another
(`propagate`: the backward pass again, only from there, only as far as needed).
"""
import numpy as np

from ..graph import _conform, backward_order, run_backward, seed_gradient
from ..tensor import Tensor


class RecordedGraph:
    """A loss's graph, kept alive (retain_graph) with autograd's gradients of all its tensors.

    `order` is the engine's backward order (the loss first, every tensor before the tensors it
    was computed from); `names` maps id(tensor) to the names the learner gave (params, watch)."""

    def __init__(self, loss, names=None):
        self.loss = loss
        self.names = dict(names or {})
        self.order = backward_order(loss) if loss.requires_grad else [loss]
        self.pos = {id(t): i for i, t in enumerate(self.order)}
        self.computed = [t for t in self.order if t.grad_fn is not None]
        self.consumers = {}  # id(x) -> the tensors computed from x (each once, in order)
        for t in self.computed:
            for x in t.grad_fn.inputs:
                if isinstance(x, Tensor) and x.requires_grad:
                    users = self.consumers.setdefault(id(x), [])
                    if not users or users[-1] is not t:
                        users.append(t)
        self._grads = {}
        if loss.requires_grad:
            got = run_backward([loss], [seed_gradient(loss, None, "compare_gradients")],
                               retain_graph=True, capture=self.order)
            self._grads = {id(t): g for t, g in zip(self.order, got)}
        self._reach = {}
        self._pulled = {}
        self.cache = {}  # for searches over this graph (steps found from a tensor ...)
        self.by_name = {name: t for t in self.order if (name := self.names.get(id(t)))}
        by_clock = sorted(self.computed, key=lambda t: t.grad_fn._clock)
        self.next_op = {id(a): b for a, b in zip(by_clock, by_clock[1:])}

    # -- looking things up ---------------------------------------------------------------------
    def __contains__(self, t):
        return id(t) in self.pos

    def grad(self, t):
        """autograd's gradient of t (zeros when none reaches it)."""
        g = self._grads.get(id(t))
        return np.zeros_like(t.data) if g is None else g

    def name(self, t):
        return self.names.get(id(t))

    def tensor(self, name):
        if name not in self.by_name:
            raise KeyError(f"no tensor named {name!r} in the graph; named: {sorted(self.by_name)}")
        return self.by_name[name]

    def users(self, t):
        return self.consumers.get(id(t), [])

    def depends_on(self, x):
        """The ids of the tensors computed from x (x included): those a change at x can reach."""
        got = self._reach.get(id(x))
        if got is None:
            got, stack = {id(x)}, [x]
            while stack:
                for u in self.users(stack.pop()):
                    if id(u) not in got:
                        got.add(id(u))
                        stack.append(u)
            self._reach[id(x)] = got
        return got

    def between(self, x, y):
        """Whether y is computed from x (or is x)."""
        return id(y) in self.depends_on(x)

    # -- backward, piece by piece --------------------------------------------------------------
    def conform(self, g, x):
        return _conform(np.asarray(g), x, None, False) if np.shape(g) != x.shape or \
            np.asarray(g).dtype != x.dtype else np.asarray(g)

    def pull(self, t, gy=None):
        """[(input, gradient)] that t's op sends back for gradient gy at t (autograd's own when
        None), for the inputs that require grad."""
        if gy is None and id(t) in self._pulled:
            return self._pulled[id(t)]
        fn = t.grad_fn
        g = self.grad(t) if gy is None else np.asarray(gy, dtype=t.dtype)
        gxs = fn.backward(g, t.data, *fn._xs)
        gxs = gxs if type(gxs) is tuple else (gxs,)
        out = []
        for x, gx in zip(fn.inputs, gxs):
            if gx is not None and isinstance(x, Tensor) and x.requires_grad:
                out.append((x, _conform(gx, x, fn, False)))
        if gy is None:
            self._pulled[id(t)] = out
        return out

    def share(self, t, x):
        """What t's op sends back to x (summed over every slot where x appears), with autograd's
        gradient at t: the contribution of this one use of x."""
        total = None
        for xi, gx in self.pull(t):
            if xi is x:
                total = gx if total is None else total + gx
        return np.zeros_like(x.data) if total is None else total

    def propagate(self, seeds, target, within=None):
        """Back-propagate changes `seeds` ({id: (tensor, array)}) down to `target`; returns the
        change that arrives there (zeros when none). Only tensors computed from target are
        visited, and with `within` (a set of ids) only those."""
        reach = self.depends_on(target)
        pending = {}
        for key, (t, g) in seeds.items():
            if key in reach and (within is None or key in within or t is target):
                pending[key] = pending[key] + g if key in pending else g
        if not pending:
            return np.zeros_like(target.data)
        start = min(self.pos[key] for key in pending)
        stop = self.pos[id(target)]
        for t in self.order[start:stop]:
            g = pending.pop(id(t), None)
            if g is None or t.grad_fn is None:
                continue
            for x, gx in self.pull(t, g):
                key = id(x)
                if key in reach and (within is None or key in within):
                    pending[key] = pending[key] + gx if key in pending else gx
        g = pending.get(id(target))
        return np.zeros_like(target.data) if g is None else np.asarray(g)

    def at(self, seeds, target):
        """autograd's gradient of target after the changes `seeds`."""
        return self.grad(target) + self.propagate(seeds, target)
