"""draw and draw_backward: the graph in one picture, before or after the backward pass."""
import numpy as np

from ..graph import _conform, backward_order, seed_gradient
from ..tensor import Tensor
from .layout import choose
from .picture import View, build
from .walk import Graph, known_grad


def draw(*roots, show="both", rankdir=None, max_elements=6, max_nodes=500, max_grad_norm=1e3,
         legend=True):
    """Draw the graph that computed `roots`; returns a graphviz.Digraph (shown inline in Jupyter).

    One box per tensor (its name if it has one, shape and dtype; its values, and its gradient if
    it has one, when it has at most `max_elements` elements, else mean/std/min/max) coloured by
    what it is (parameter, input, intermediate, output); one rounded box per op (its name and
    parameters); arrows run forward, input -> op -> output. Constants (Python numbers, ndarrays)
    appear as small grey text beside the op that uses them. `show` is "both", "data", "grad" or
    "none". Name an intermediate result with `t.name = ...` or `autograd.watch(name, t)`.

    Draw before or after backward(). After an ordinary backward(), which frees the graph, every
    tensor is still drawn, with the gradient backward computed for it, and its values where the
    tensor is small (at most 16 elements); bigger tensors' boxes are dashed and say their values
    were freed (draw before backward, or call backward(retain_graph=True), to see them). A graph of
    more than `max_nodes` nodes is cut to the part nearest the roots, with a note saying how much is
    missing. `rankdir` is "LR" (left to right), "TB" (top to bottom), or None: chosen from the
    graph's shape so that the picture fits a screen (see autograd/viz/layout.py).
    """
    graph = Graph(roots, max_nodes)
    view = View()
    for t in graph.tensors:
        g = known_grad(t)
        if g is not None:
            view.grads[id(t)] = g
    return _drawn(graph, view, show, rankdir, max_elements, max_grad_norm, legend)


def _drawn(graph, view, show, rankdir, max_elements, max_grad_norm, legend):
    def make(layout):
        return build(graph, view, show, layout, max_elements, max_grad_norm, legend)
    return make(choose(make, rankdir))


class Step:
    __slots__ = ("op", "out", "gy", "edges")

    def __init__(self, op, out, gy):
        self.op, self.out, self.gy, self.edges = op, out, gy, []  # edges: (arg index, input, grad)


def trace_backward(root, grad, caller="draw_backward()"):
    """Run the backward pass on the side, step by step, exactly as the engine orders it.

    The engine's order comes from `backward_order` (the op order is the grad_fns in it); each
    op's `backward(gy, y, *inputs)` is called on plain arrays, as an ordinary backward() does.
    Nothing is stored in `.grad` and the graph is not freed (callers build a Graph first, which
    checks that it was not freed already). Returns (steps, skipped ops, totals:
    id(tensor) -> its gradient).
    """
    seed = seed_gradient(root, grad, caller)
    order = backward_order(root)
    totals = {id(root): seed}
    steps, skipped = [], []
    with np.errstate(all="ignore"):  # NaN and inf are drawn, not warned about
        for t in order:
            fn = t.grad_fn
            if fn is None:
                continue
            gy = totals.get(id(t))
            if gy is None:  # the engine skips an op no gradient reached; so do we
                skipped.append(fn)
                continue
            inputs = fn.inputs
            gxs = fn.backward(gy, t.data, *[x.data if isinstance(x, Tensor) else x
                                           for x in inputs])
            if len(inputs) == 1:
                gxs = (gxs,)
            step = Step(fn, t, gy)
            for k, (x, gx) in enumerate(zip(inputs, gxs)):
                if gx is None or not (isinstance(x, Tensor) and x.requires_grad):
                    continue
                gx = _conform(gx, x, fn, create_graph=False)  # as the engine: summed, cast
                step.edges.append((k, x, gx))
                prev = totals.get(id(x))
                totals[id(x)] = gx if prev is None else prev + gx
            steps.append(step)
    return steps, skipped, totals


def live_graph(root, max_nodes, what):
    """The graph of `root` for a drawing that re-runs the backward pass, so needs every op's inputs."""
    if not isinstance(root, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(root).__name__}")
    return Graph([root], max_nodes, need_live=what)


def draw_backward(root, grad=None, show="both", rankdir=None, max_elements=6, max_nodes=500,
                  max_grad_norm=1e3, legend=True):
    """Draw the graph of `root` annotated for its backward pass; returns a graphviz.Digraph.

    Every op is numbered in the order the engine runs its backward (1 is the op that produced
    `root`); every arrow into an op is labelled with the gradient that op sends back to that input
    (values when small, else shape and norm): gradients flow against the arrows, from the output
    to the inputs. Each tensor shows its total gradient, the sum over its outgoing arrows. Tensors
    whose gradient is all zero, contains NaN/inf, or has a norm above `max_grad_norm` are
    highlighted, and the title counts them. The legend explains every mark.

    The gradients are computed on the side: `.grad` is not touched and the graph is kept, so call
    this before backward() (or after backward(retain_graph=True)). `grad` is the gradient to start
    from, as in `root.backward(grad)`; it is needed when `root` is not a scalar. `rankdir` as in
    draw().
    """
    graph = live_graph(root, max_nodes, "draw_backward")
    steps, skipped, totals = trace_backward(root, grad)
    view = View()
    view.grads = totals
    for i, step in enumerate(steps, 1):
        view.numbers[id(step.op)] = i
        for k, _, gx in step.edges:
            view.edge_grads[(id(step.op), k)] = gx
    view.skipped = {id(op) for op in skipped}
    return _drawn(graph, view, show, rankdir, max_elements, max_grad_norm, legend)
