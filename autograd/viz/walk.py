"""Walking the graph a drawing shows: from the roots back through each op's inputs.

Where backward() has freed an op, the walk goes on through the record it left (autograd/freed.py):
small tensors are there as they were, big ones as Ghosts (name, shape, dtype, no values). So a
graph can be drawn after backward; only the ops beyond the records' reach are cut off.
"""
from collections import deque

from ..freed import Freed, Ghost
from ..graph import resolve_inputs
from ..tensor import Tensor


class GraphFreedError(RuntimeError):
    """The graph a drawing needs was freed by an earlier backward()."""


def resolve(x):
    """A Ghost as the tensor it stands for while that tensor is still alive; anything else as is."""
    if type(x) is Ghost:
        live = x.ref()
        if live is not None:
            return live
    return x


def is_node(x):
    """Whether an op input is drawn as a tensor box: a Tensor, or the Ghost of one."""
    return isinstance(x, Tensor) or (type(x) is Ghost and x.is_tensor)


def is_constant(x):
    """A non-Tensor input (a Python number or an ndarray); None (an absent bias) is not drawn."""
    return x is not None and not isinstance(x, Tensor) and not is_node(x)


def key(x):
    """Identity of a node: a dead tensor's Ghosts (one per op that used it) share one weakref."""
    return id(x.ref) if type(x) is Ghost else id(x)


def record(fn):
    """The record backward left on op `fn` when it freed it, or None."""
    xs = fn._xs
    return xs if type(xs) is Freed else None


def op_inputs(fn):
    """The op's inputs (Ghosts resolved where their tensor lives on), or None if backward freed
    the op without leaving a record."""
    if fn.inputs is not None:
        resolve_inputs(fn)  # an input changed in place since: the value the op used
        return fn.inputs
    freed = record(fn)
    return None if freed is None else tuple(resolve(x) for x in freed.inputs)


def known_grad(t):
    """The gradient to show on a tensor: its .grad, or what backward recorded for an intermediate."""
    grad = getattr(t, "grad", None) if isinstance(t, Tensor) else None
    if grad is None and t.grad_fn is not None:
        freed = record(t.grad_fn)
        if freed is not None:
            grad = freed.grad
    return grad


def freed_error(t, what="draw"):
    shape = "scalar" if t.shape == () else str(tuple(t.shape))
    return GraphFreedError(
        f"cannot {what}: the graph was freed by backward() (the {t.grad_fn.name} op that computed "
        f"a tensor of shape {shape} no longer holds its inputs). draw() still works after "
        "backward() and shows what backward computed; for draw_backward() and backward_frames(), "
        "call them before backward(), or call backward(retain_graph=True) to keep the graph.")


class Graph:
    """The part of the graph reachable from some roots, in forward order (inputs before outputs).

    `tensors` are every tensor reached (leaves included; Ghosts for freed ones); a tensor's op is
    `tensor.grad_fn`, its inputs `inputs[key(tensor)]`. If the graph has more than `max_nodes`
    nodes, only those nearest the roots are kept: `hidden` counts the others and `boundary` lists
    kept tensors whose op was not drawn. `cut` lists tensors whose op backward freed beyond the
    ops it left a record on (their inputs are unknown). With `need_live`, a freed graph is an error.
    """

    def __init__(self, roots, max_nodes, need_live=None):
        if not roots:
            raise TypeError("draw: give at least one Tensor to draw the graph of")
        for r in roots:
            if not isinstance(r, Tensor):
                raise TypeError(f"draw: expected Tensors to draw from, got {type(r).__name__}")
        self.roots = list(roots)
        self.inputs, self.cut = {}, []
        self.tensors = self._forward_order(roots, need_live)
        self.total = sum(1 + self._op_cost(t) for t in self.tensors if self.expandable(t))
        self.total += sum(1 for t in self.tensors if not self.expandable(t))
        self.max_nodes = max_nodes
        self.kept, self.expanded = self._keep(max_nodes)
        self.hidden = self.total - self._cost_kept()
        self.boundary = [t for t in self.tensors if key(t) in self.kept
                         and self.expandable(t) and key(t) not in self.expanded]

    def expandable(self, t):
        return key(t) in self.inputs

    def _forward_order(self, roots, need_live):
        # Iterative post-order DFS, so long chains need no recursion; post-order puts every
        # tensor after its inputs, which is the order dot reads most naturally.
        order, seen = [], set()
        stack = [(r, False) for r in reversed(roots)]
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
                continue
            if key(t) in seen:
                continue
            seen.add(key(t))
            stack.append((t, True))
            if t.grad_fn is None:
                continue
            if need_live and t.grad_fn.inputs is None:
                raise freed_error(t, need_live)
            xs = op_inputs(t.grad_fn)
            if xs is None:
                self.cut.append(t)
                continue
            self.inputs[key(t)] = xs
            for x in reversed(xs):
                if is_node(x) and key(x) not in seen:
                    stack.append((x, False))
        return order

    def _op_cost(self, t):
        """Nodes an op adds beside its output: itself and one per constant input."""
        return 1 + sum(1 for x in self.inputs[key(t)] if is_constant(x))

    def _keep(self, max_nodes):
        if self.total <= max_nodes:
            return ({key(t) for t in self.tensors},
                    {key(t) for t in self.tensors if self.expandable(t)})
        # Breadth-first from the roots: the nodes nearest the output are the ones a reader
        # looks at first (the loss, the last layers).
        kept = {}
        for r in self.roots:
            kept.setdefault(key(r), r)
        used, expanded = len(kept), set()
        queue = deque(kept.values())
        while queue:
            t = queue.popleft()
            if not self.expandable(t):
                continue
            new = {key(x): x for x in self.inputs[key(t)] if is_node(x) and key(x) not in kept}
            cost = self._op_cost(t) + len(new)
            if used + cost > max_nodes:
                break
            used += cost
            expanded.add(key(t))
            kept.update(new)
            queue.extend(new.values())
        return set(kept), expanded

    def _cost_kept(self):
        return len(self.kept) + sum(self._op_cost(t) for t in self.tensors
                                    if key(t) in self.expanded)


def kind(t, roots):
    if any(t is r for r in roots):
        return "output"
    if t.grad_fn is None:
        return "parameter" if t.requires_grad else "input"
    return "intermediate"
