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
        self.by_clock = sorted(self.computed, key=lambda t: t.grad_fn._clock)
        self.next_op = {id(a): b for a, b in zip(self.by_clock, self.by_clock[1:])}

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

    def pull(self, t, gy=None, wanted=None):
        """[(input, gradient)] that t's op sends back for gradient gy at t (autograd's own when
        None), for the inputs that require grad (and, with `wanted`, a set of ids, only those:
        the others are not computed)."""
        if gy is None and id(t) in self._pulled:
            return self._pulled[id(t)]
        fn = t.grad_fn
        g = self.grad(t) if gy is None else np.asarray(gy, dtype=t.dtype)
        skipped = []
        if wanted is not None:  # an op computes only the gradients its inputs need (Op.needs)
            skipped = [x for x in fn.inputs if isinstance(x, Tensor) and x._requires_grad
                       and id(x) not in wanted]
        for x in skipped:
            x._requires_grad = False
        try:
            gxs = fn.backward(g, t.data, *fn._xs)
        finally:
            for x in skipped:
                x._requires_grad = True
        gxs = gxs if type(gxs) is tuple else (gxs,)
        out = []
        for x, gx in zip(fn.inputs, gxs):
            if gx is not None and isinstance(x, Tensor) and x.requires_grad \
                    and (wanted is None or id(x) in wanted):
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
            for x, gx in self.pull(t, g, reach if within is None else within | {id(target)}):
                key = id(x)
                if key in reach and (within is None or key in within):
                    pending[key] = pending[key] + gx if key in pending else gx
        g = pending.get(id(target))
        return np.zeros_like(target.data) if g is None else np.asarray(g)

    def last_product(self, target):
        """(t, slot) when target's only use is as a matrix factor of t = a @ b (slot 0 or 1),
        else None: then its gradient is one product away from t's."""
        users = self.users(target)
        if len(users) != 1 or users[0].grad_fn.name != "Matmul":
            return None
        t = users[0]
        fn = t.grad_fn
        slots = [i for i, v in enumerate(fn.inputs) if v is target]
        if len(slots) != 1 or any(np.ndim(v) != 2 for v in fn._xs):
            return None
        return t, slots[0]

    def at(self, seeds, target):
        """autograd's gradient of target after the changes `seeds`."""
        return self.grad(target) + self.propagate(seeds, target)


class Change:
    """autograd's gradient of `target` after the changes `seeds`, computed when asked: a sample
    of its entries first (cheap when target is a weight whose gradient is a product a.T @ g:
    only the sampled dot products are taken), the whole array only when the sample matches."""

    def __init__(self, graph, seeds, target, base):
        self.graph, self.seeds, self.target, self.base = graph, seeds, target, base
        self._full = self._g = None
        self._last = None if id(target) in seeds else graph.last_product(target)

    def full(self):
        if self._full is None:
            if self._g is not None:  # one product away from the gradient at t, already known
                t, slot = self._last
                wanted = {id(self.target)}
                pulled = {id(x): gx for x, gx in self.graph.pull(t, self._g, wanted)}
                change = pulled.get(id(self.target), 0.0)
            else:
                change = self.graph.propagate(self.seeds, self.target)
            self._full = self.base + np.asarray(change, dtype=np.float64)
        return self._full

    def sampled(self, idx):
        if self._full is not None or self._last is None:
            return self.full().flat[idx]
        t, slot = self._last
        g = self._g = np.asarray(self.graph.propagate(self.seeds, t), dtype=np.float64)
        a, b = (np.asarray(v, dtype=np.float64) for v in t.grad_fn._xs)
        i, j = np.unravel_index(idx, self.target.shape)
        if slot == 1:  # y = a @ W: dW[i, j] = a[:, i] . g[:, j]
            picked = np.einsum("ni,ni->i", a[:, i], g[:, j])
        else:          # y = W @ b: dW[i, j] = g[i, :] . b[j, :]
            picked = np.einsum("in,in->i", g[i, :], b[j, :])
        return self.base.flat[idx] + picked
