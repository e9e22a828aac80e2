"""Pictures of the graph, and of backprop flowing through it.

    draw(*roots)               the graph the forward pass recorded: a box per tensor, a rounded box
                               per op, arrows in the forward direction (inputs -> op -> output)
    draw_backward(root)        the same picture annotated for the backward pass: every op numbered
                               in the order the engine runs its backward, every arrow labelled with
                               the gradient flowing back along it, and tensors whose gradient is
                               zero, NaN/inf or exploding highlighted
    backward_frames(root)      one picture per backward step, to step through backprop
    frames_html(frames)        those pictures as a self-contained HTML page with a slider
    save_frames(frames, path)  ... written to a .html file, or as numbered image files
    draw_layers(module)        a model as its layers with their parameter shapes (nn's
                               `Module.draw()` calls it)

Each drawing function returns a `graphviz.Digraph`: DOT source, which needs nothing to build.
Turning it into an image needs Graphviz's `dot` program (apt install graphviz / brew install
graphviz / conda install graphviz). Without `dot`, a drawing shown in Jupyter falls back to its
DOT text, and an explicit `.render()` or `.pipe()` raises an error that says what to install.

Drawing walks the graph through each op's `inputs`. An ordinary `backward()` frees those links as it
goes (to save memory), so draw *before* calling backward, or call `backward(retain_graph=True)`.

The `graphviz` Python package is an optional extra (`pip install glassgrad[viz]`); it is imported
only when a drawing is made, so `import autograd` works without it.
"""
import html
import uuid
from collections import deque

import numpy as np

from .graph import _conform, backward_order, seed_gradient
from .tensor import Tensor

__all__ = ["draw", "draw_backward", "backward_frames", "frames_html", "save_frames",
           "draw_layers", "GraphFreedError", "DotNotFoundError"]

INSTALL_DOT = ("install Graphviz's dot: apt install graphviz / brew install graphviz / "
               "conda install graphviz")


class GraphFreedError(RuntimeError):
    """The graph to draw was freed by an earlier backward()."""


class DotNotFoundError(RuntimeError):
    """Rendering was asked for, but Graphviz's `dot` program is not installed."""


# ----------------------------------------------------------------------------------------------
# The graphviz package, loaded on first use

_drawing_class = None


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "autograd.viz draws with the `graphviz` Python package, which is not installed: "
            "pip install glassgrad[viz]  (rendering images also needs Graphviz's dot program: "
            "apt install graphviz / brew install graphviz / conda install graphviz)") from None
    return graphviz


def _new_drawing(**kwargs):
    """A `Drawing`: a graphviz.Digraph whose Jupyter display never raises.

    The class derives from graphviz.Digraph, so it is defined on first use (graphviz is optional).
    """
    global _drawing_class
    if _drawing_class is None:
        graphviz = _graphviz()

        class Drawing(graphviz.Digraph):
            """A graphviz.Digraph that explains itself when Graphviz's `dot` is missing.

            Jupyter shows it as an SVG image; without `dot` it shows the DOT text and a one-line
            hint instead of a traceback. `.pipe()` and `.render()` (and so `.view()`) raise
            DotNotFoundError, which says what to install.
            """

            def pipe(self, *args, **kwargs):
                try:
                    return super().pipe(*args, **kwargs)
                except graphviz.ExecutableNotFound:
                    raise DotNotFoundError(_no_dot_message()) from None

            def render(self, *args, **kwargs):
                try:
                    return super().render(*args, **kwargs)
                except graphviz.ExecutableNotFound:
                    raise DotNotFoundError(_no_dot_message()) from None

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except (DotNotFoundError, graphviz.ExecutableNotFound):
                    hint = f"(showing the DOT source; to see the picture, {INSTALL_DOT})"
                    return {
                        "text/plain": f"{hint}\n{self.source}",
                        "text/html": f"<p><i>{html.escape(hint)}</i></p>"
                                     f"<pre>{html.escape(self.source)}</pre>",
                    }

        Drawing.__qualname__ = "Drawing"  # reads as autograd.viz.Drawing, not a local class
        _drawing_class = Drawing
    return _drawing_class(**kwargs)


def _no_dot_message():
    return ("rendering a drawing needs Graphviz's `dot` program, which is not on PATH; "
            f"{INSTALL_DOT}. Without it, str(drawing) still gives the DOT source.")


# ----------------------------------------------------------------------------------------------
# Colours and fonts (one place, so every picture uses the same visual language)

FONT = "Helvetica"
MONO = "Courier"
COLOR = {
    "parameter": "#ffe4b5",      # leaves that require grad: what training changes
    "input": "#e3ecf7",          # leaves that do not: data, targets, constants
    "intermediate": "#ffffff",
    "output": "#d7f0d7",         # the roots that were drawn
    "op": "#eeeeee",
    "op_current": "#ffd54f",     # backward_frames: the op whose backward runs in this step
    "op_skipped": "#f7f7f7",
    "border": "#666666",
    "grad": "#b3261e",           # gradient text, on nodes and edges
    "grad_partial": "#9e9e9e",   # backward_frames: a gradient still being summed
    "zero": "#b0bec5",
    "nonfinite": "#ff5252",
    "exploding": "#ffab40",
    "muted": "#888888",
}
FLAG_TEXT = {
    "zero": "zero gradient",
    "nonfinite": "NaN/inf gradient",
    "exploding": "exploding gradient (norm > {:g})",
}


# ----------------------------------------------------------------------------------------------
# Numbers as short text

def _num(v, digits=4):
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(v)
    return f"{v:.{digits}g}"


def _values(a):
    """All values of a small array, one row per line for matrices."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a.item())
    return np.array2string(a, separator=" ", max_line_width=60,
                           formatter={"float_kind": _num, "int": _num, "bool": _num})


def _norm(a):
    a = np.asarray(a)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum(np.square(a.astype(np.float64)))))


def _summary(a):
    """mean/std/min/max of a large array, counting NaN and inf apart so they cannot hide."""
    a = np.asarray(a).astype(np.float64, copy=False)
    finite = a[np.isfinite(a)]
    lines = []
    if finite.size:
        # three digits: a summary is for the eye, and narrow boxes keep big graphs readable
        lines.append(f"mean {_num(finite.mean(), 3)}  std {_num(finite.std(), 3)}")
        lines.append(f"min {_num(finite.min(), 3)}  max {_num(finite.max(), 3)}")
    bad = []
    if np.isnan(a).any():
        bad.append(f"{int(np.isnan(a).sum())} NaN")
    if np.isinf(a).any():
        bad.append(f"{int(np.isinf(a).sum())} inf")
    if bad:
        lines.append(", ".join(bad) + f" of {a.size}")
    return "\n".join(lines)


def _array_text(a, max_elements):
    a = np.asarray(a)
    return _values(a) if a.size <= max_elements else _summary(a)


def _edge_text(g, max_elements):
    """A gradient on an arrow: its values when small, else its shape and norm."""
    g = np.asarray(g)
    if g.size <= max_elements:
        return _values(g)
    return f"{_shape_text(g.shape)} \u2016g\u2016={_num(_norm(g), 3)}"


def _constant_text(x, max_elements):
    """A constant input (Python number or ndarray): its values, or its type and a summary."""
    a = np.asarray(x)
    if a.size <= max_elements:
        return _values(a)
    return f"{a.dtype} array {_shape_text(a.shape)}\n{_summary(a)}"


def _shape_text(shape):
    return "scalar" if shape == () else str(tuple(shape))


def _grad_flag(g, max_grad_norm):
    """'nonfinite', 'zero', 'exploding' or None: what a reader should notice about a gradient."""
    if g is None:
        return None
    g = np.asarray(g)
    if g.dtype.kind not in "fc":
        return None
    if not np.isfinite(g).all():
        return "nonfinite"
    if not g.any():
        return "zero"
    if _norm(g) > max_grad_norm:
        return "exploding"
    return None


def _short(v, width=32):
    if isinstance(v, np.ndarray):
        text = f"{v.dtype} array {_shape_text(v.shape)}" if v.size > 6 else _values(v)
    elif isinstance(v, float):
        text = _num(v)
    else:
        text = repr(v) if not isinstance(v, str) else v
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "\u2026"


# ----------------------------------------------------------------------------------------------
# HTML-like labels (graphviz's table markup)

def _esc(text):
    return html.escape(str(text), quote=True)


def _lines(text, color=None, mono=False, size=None):
    """Escaped text, one <BR/> per line, in a FONT tag."""
    body = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in str(text).split("\n"))
    attrs = ""
    if color:
        attrs += f' COLOR="{color}"'
    if mono:
        attrs += f' FACE="{MONO}"'
    if size:
        attrs += f' POINT-SIZE="{size}"'
    return f"<FONT{attrs}>{body}</FONT>" if attrs else body


def _row(content, bgcolor=None):
    bg = f' BGCOLOR="{bgcolor}"' if bgcolor else ""
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}>{content}</TD></TR>'


def _table(rows, bgcolor, border_color, border=1):
    return (f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{bgcolor}" COLOR="{border_color}">{"".join(rows)}</TABLE>>')


# ----------------------------------------------------------------------------------------------
# Walking the graph

class _Graph:
    """The part of the graph reachable from some roots, in forward order (inputs before outputs).

    `tensors` are every Tensor reached (leaves included); a tensor's op is `tensor.grad_fn`.
    If the graph has more than `max_nodes` nodes, only those nearest the roots are kept: `hidden`
    counts the others and `boundary` lists kept tensors whose op was not drawn.
    """

    def __init__(self, roots, max_nodes):
        for r in roots:
            if not isinstance(r, Tensor):
                raise TypeError(f"draw: expected Tensors to draw from, got {type(r).__name__}")
        if not roots:
            raise TypeError("draw: give at least one Tensor to draw the graph of")
        self.roots = list(roots)
        self.tensors = self._forward_order(roots)
        self.total = sum(1 + (self._op_cost(t) if t.grad_fn is not None else 0)
                         for t in self.tensors)
        self.max_nodes = max_nodes
        self.kept, self.expanded = self._keep(max_nodes)
        self.hidden = self.total - self._cost_kept()
        self.boundary = [t for t in self.tensors if id(t) in self.kept
                         and t.grad_fn is not None and id(t) not in self.expanded]

    @staticmethod
    def _inputs(t):
        fn = t.grad_fn
        if fn.inputs is None:
            raise GraphFreedError(
                f"cannot draw: the graph was freed by backward() (the {fn.name} op that computed "
                f"a tensor of shape {_shape_text(t.shape)} no longer holds its inputs). Draw "
                "before calling backward(), or call backward(retain_graph=True) to keep the "
                "graph.")
        return fn.inputs

    def _forward_order(self, roots):
        # Iterative post-order DFS, so long chains need no recursion; post-order puts every
        # tensor after its inputs, which is the order dot reads most naturally.
        order, seen = [], set()
        stack = [(r, False) for r in reversed(roots)]
        while stack:
            t, done = stack.pop()
            if done:
                order.append(t)
                continue
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.append((t, True))
            if t.grad_fn is not None:
                for x in reversed(self._inputs(t)):
                    if isinstance(x, Tensor) and id(x) not in seen:
                        stack.append((x, False))
        return order

    def _op_cost(self, t):
        """Nodes an op adds beside its output: itself and one per constant input."""
        return 1 + sum(1 for x in t.grad_fn.inputs if _is_constant(x))

    def _keep(self, max_nodes):
        if self.total <= max_nodes:
            return ({id(t) for t in self.tensors},
                    {id(t) for t in self.tensors if t.grad_fn is not None})
        # Breadth-first from the roots: the nodes nearest the output are the ones a reader
        # looks at first (the loss, the last layers).
        kept = {}
        for r in self.roots:
            kept.setdefault(id(r), r)
        used, expanded = len(kept), set()
        queue = deque(kept.values())
        while queue:
            t = queue.popleft()
            if t.grad_fn is None:
                continue
            new = {id(x): x for x in t.grad_fn.inputs
                   if isinstance(x, Tensor) and id(x) not in kept}
            cost = self._op_cost(t) + len(new)
            if used + cost > max_nodes:
                break
            used += cost
            expanded.add(id(t))
            kept.update(new)
            queue.extend(new.values())
        return set(kept), expanded

    def _cost_kept(self):
        return len(self.kept) + sum(self._op_cost(t) for t in self.tensors
                                    if id(t) in self.expanded)


def _is_constant(x):
    """A non-Tensor input (a Python number or an ndarray); None (an absent bias) is not drawn."""
    return x is not None and not isinstance(x, Tensor)


def _kind(t, roots):
    if any(t is r for r in roots):
        return "output"
    if t.grad_fn is None:
        return "parameter" if t.requires_grad else "input"
    return "intermediate"


# ----------------------------------------------------------------------------------------------
# Building a picture

class _View:
    """What one picture shows beyond the graph itself (filled in by draw, draw_backward and
    backward_frames)."""

    def __init__(self):
        self.grads = {}          # id(tensor) -> gradient to show on the tensor
        self.grad_state = {}     # id(tensor) -> "shown" (default), "partial" or "hidden"
        self.hidden_grads = {}   # id(tensor) -> text reserved (invisibly) for a later frame
        self.edge_grads = {}     # (id(op), argument index) -> gradient along that arrow
        self.edge_state = {}     # same keys -> "shown" (default), "new" or "hidden"
        self.numbers = {}        # id(op) -> step number in the backward pass
        self.skipped = set()     # ids of ops that backward never reached with a gradient
        self.current = None      # id(op) whose backward runs in this frame
        self.thick = set()       # ids of tensors drawn with a thick border even if not flagged
        self.title = None


def _tensor_label(t, kind, view, show, max_elements, max_grad_norm):
    bg = COLOR[kind]
    head = f"<B>{_esc(t.name)}</B>  " if t.name else ""
    head += _lines(f"{_shape_text(t.shape)} {t.dtype}", size=9, color=COLOR["muted"])
    rows = [_row(head)]
    if show in ("data", "both"):
        rows.append(_row(_lines(_array_text(t.data, max_elements), mono=True, size=10)))
    flag = None
    if show in ("grad", "both") and t.requires_grad:
        state = view.grad_state.get(id(t), "shown")
        g = view.grads.get(id(t))
        if state == "hidden":
            # Same text as the final frame, drawn in the background colour: every frame keeps
            # the same node sizes, so dot lays them out the same and the slider does not jump.
            text = view.hidden_grads.get(id(t))
            if text is not None:
                rows.append(_row(_lines("grad " + text, color=bg, mono=True, size=10)))
        elif g is not None:
            flag = _grad_flag(g, max_grad_norm) if state == "shown" else None
            # On a highlighted (coloured) row, red text would vanish: use black there.
            color = (COLOR["grad_partial"] if state == "partial" else
                     "#000000" if flag else COLOR["grad"])
            rows.append(_row(_lines("grad " + _array_text(g, max_elements), color=color,
                                    mono=True, size=10),
                             bgcolor=COLOR[flag] if flag else None))
    if flag:
        return _table(rows, bg, COLOR[flag], border=3), flag
    table = _table(rows, bg, COLOR["border"])
    if id(t) in view.thick:
        # backward_frames: this tensor is flagged (thick border) in a later frame. A thick
        # border would make the node bigger and move the layout, so reserve the room with
        # padding now: 2 * 2 padding + 2 * 1 border = 2 * 3 border.
        table = (f'<<TABLE BORDER="0" CELLPADDING="2" CELLSPACING="0"><TR><TD>{table[1:-1]}'
                 f'</TD></TR></TABLE>>')
    return table, None


def _op_label(op, view):
    """The op's name, its parameters below it, and (draw_backward) a dark badge on the left with
    its step number in the backward pass."""
    text = f"<B>{_esc(op.name)}</B>"
    params = ", ".join(f"{k}={_short(v, 40)}" for k, v in op.params().items()
                       if not k.startswith("_"))
    if params:
        text += f'<BR ALIGN="LEFT"/>{_lines(params, size=9)}'
    if id(op) in view.skipped:
        note = _lines("(no gradient reached it)", color=COLOR["muted"], size=9)
        text += f'<BR ALIGN="LEFT"/>{note}'
    cells = f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD>'
    number = view.numbers.get(id(op))
    if number is not None:
        # Fixed size: a cell otherwise takes a share of any spare width and looks stretched.
        width = 12 + 8 * len(str(number))
        cells = (f'<TD BGCOLOR="#37474f" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="18">'
                 f'<FONT COLOR="white"><B>{number}</B></FONT></TD>' + cells)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
            f'<TR>{cells}</TR></TABLE>>')


def _build(graph, view, show, rankdir, max_elements, max_grad_norm, legend):
    if show not in ("both", "data", "grad", "none"):
        raise ValueError(f"show must be 'both', 'data', 'grad' or 'none'; got {show!r}")
    d = _new_drawing(
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11",
                    "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "10", "color": COLOR["border"],
                   "arrowsize": "0.7"})
    names = {id(t): f"t{i}" for i, t in enumerate(graph.tensors)}
    flags, kinds = {}, set()

    for t in graph.tensors:
        if id(t) not in graph.kept:
            continue
        kind = _kind(t, graph.roots)
        kinds.add(kind)
        label, flag = _tensor_label(t, kind, view, show, max_elements, max_grad_norm)
        classes = ["tensor", kind] + ([f"grad-{flag}"] if flag else [])
        if flag:
            flags[flag] = flags.get(flag, 0) + 1
        d.node(names[id(t)], label=label, shape="plain", **{"class": " ".join(classes)})

    n_const = 0
    for i, t in enumerate(graph.tensors):
        if id(t) not in graph.expanded:
            continue
        op = t.grad_fn
        op_name = f"op{i}"
        style, fill, pen = "rounded,filled", COLOR["op"], "1"
        classes = ["op"]
        if id(op) == view.current:
            fill, pen = COLOR["op_current"], "3"
            classes.append("current")
        elif id(op) in view.skipped:
            fill, style = COLOR["op_skipped"], "rounded,filled,dashed"
            classes.append("skipped")
        if id(op) in view.numbers:
            classes.append(f"step-{view.numbers[id(op)]}")
        d.node(op_name, label=_op_label(op, view), shape="box", style=style, fillcolor=fill,
               penwidth=pen, margin="0.08,0.04", **{"class": " ".join(classes)})
        for k, x in enumerate(op.inputs):
            if x is None:
                continue
            if isinstance(x, Tensor):
                tail = names[id(x)]
            else:
                tail = f"c{n_const}"
                n_const += 1
                d.node(tail, label=_constant_text(x, max_elements), shape="plaintext",
                       fontsize="10", fontcolor=COLOR["muted"], **{"class": "constant"})
            d.edge(tail, op_name, **_edge_attrs(view, op, k, x, max_elements, max_grad_norm))
        d.edge(op_name, names[id(t)], **{"class": "output"})

    if graph.hidden:
        d.node("collapsed", shape="note", style="filled", fillcolor="#fff8e1",
               fontcolor="#5d4037", **{"class": "collapsed"},
               label=f"{graph.hidden} more nodes not drawn\n"
                     f"(the graph has {graph.total} nodes, more than max_nodes={graph.max_nodes};\n"
                     f"the ones nearest the output are shown. Pass a larger max_nodes to see all)")
        for t in graph.boundary:
            d.edge("collapsed", names[id(t)], style="dashed", **{"class": "collapsed"})

    # Frames leave the colour key out: a key row that appears mid-way would move the picture.
    title = _legend(kinds if legend else (), flags if legend else {}, max_grad_norm, view.title)
    if title:
        d.attr(label=title, labelloc="t", labeljust="l")
    return d


def _edge_attrs(view, op, k, x, max_elements, max_grad_norm):
    attrs = {"class": "input"}
    if not isinstance(x, Tensor):
        attrs.update(style="dashed", color=COLOR["muted"], **{"class": "input constant"})
        return attrs
    g = view.edge_grads.get((id(op), k))
    if g is None:
        return attrs
    state = view.edge_state.get((id(op), k), "shown")
    text = _edge_text(g, max_elements)
    if state == "hidden":
        # Invisible but present, so the layout matches the frames where it shows (see above).
        attrs["label"] = f"<{_lines(text, color='white', mono=True, size=9)}>"
        return attrs
    flag = _grad_flag(g, max_grad_norm)
    color = "#d50000" if flag == "nonfinite" else COLOR["grad"]
    attrs["label"] = f"<{_lines(text, color=color, mono=True, size=9)}>"
    attrs["class"] = "input grad" + (f" grad-{flag}" if flag else "")
    if state == "new":
        attrs.update(color=COLOR["grad"], penwidth="2.5")
        attrs["class"] += " new"
    return attrs


def _legend(kinds, flags, max_grad_norm, title):
    """The picture's title line: a colour key for what is in it, and any warnings."""
    parts = []
    for kind in ("parameter", "input", "intermediate", "output"):
        if kind in kinds:
            parts.append(f'<TD BGCOLOR="{COLOR[kind]}" BORDER="1"> {kind} </TD>')
    for flag in ("nonfinite", "zero", "exploding"):
        if flag in flags:
            text = FLAG_TEXT[flag].format(max_grad_norm)
            parts.append(f'<TD BGCOLOR="{COLOR[flag]}" BORDER="1"> {flags[flag]} \u00d7 '
                         f'{_esc(text)} </TD>')
    if not parts and not title:
        return None
    rows = []
    if title:
        rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" COLSPAN="{max(len(parts), 1)}">'
                    f'{_lines(title)}</TD></TR>')
    if parts:
        rows.append("<TR>" + "".join(parts) + "</TR>")
    return (f'<<FONT POINT-SIZE="10"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" '
            f'CELLPADDING="2">{"".join(rows)}</TABLE></FONT>>')


# ----------------------------------------------------------------------------------------------
# Public drawing functions

def draw(*roots, show="both", rankdir="LR", max_elements=6, max_nodes=500, max_grad_norm=1e3,
         legend=True):
    """Draw the graph that computed `roots`; returns a graphviz.Digraph (shown inline in Jupyter).

    One box per tensor (its name if it has one, shape and dtype; its values, and its `.grad` if it
    has one, when it has at most `max_elements` elements, else mean/std/min/max) coloured by what it
    is (parameter, input, intermediate, output); one rounded box per op (its name and parameters);
    arrows run forward, input -> op -> output. Constants (Python numbers, ndarrays) appear as small
    grey text beside the op that uses them. `show` is "both", "data", "grad" or "none".

    Draw before backward(), or after backward(retain_graph=True): an ordinary backward frees the
    graph. A graph of more than `max_nodes` nodes is cut to the part nearest the roots, with a note
    saying how much is missing.
    """
    graph = _Graph(roots, max_nodes)
    view = _View()
    for t in graph.tensors:
        if t.grad is not None:
            view.grads[id(t)] = t.grad
    return _build(graph, view, show, rankdir, max_elements, max_grad_norm, legend)


class _Step:
    __slots__ = ("op", "out", "gy", "edges")

    def __init__(self, op, out, gy):
        self.op, self.out, self.gy, self.edges = op, out, gy, []  # edges: (arg index, input, grad)


def _trace_backward(root, grad, caller="draw_backward()"):
    """Run the backward pass on the side, step by step, exactly as the engine orders it.

    The engine's order comes from `backward_order` (the op order is the grad_fns in it); each
    op's `backward(gy, y, *inputs)` is called on plain arrays, as an ordinary backward() does.
    Nothing is stored in `.grad` and the graph is not freed (callers build a _Graph first, which
    checks that it was not freed already). Returns (steps, skipped ops, totals:
    id(tensor) -> its gradient).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"{caller[:-2]}: expected a Tensor, got {type(root).__name__}")
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
            step = _Step(fn, t, gy)
            for k, (x, gx) in enumerate(zip(inputs, gxs)):
                if gx is None or not (isinstance(x, Tensor) and x.requires_grad):
                    continue
                gx = _conform(gx, x, fn, create_graph=False)  # as the engine: summed, cast
                step.edges.append((k, x, gx))
                prev = totals.get(id(x))
                totals[id(x)] = gx if prev is None else prev + gx
            steps.append(step)
    return steps, skipped, totals


def draw_backward(root, grad=None, show="both", rankdir="LR", max_elements=6, max_nodes=500,
                  max_grad_norm=1e3, legend=True):
    """Draw the graph of `root` annotated for its backward pass; returns a graphviz.Digraph.

    Every op is numbered in the order the engine runs its backward (1 is the op that produced
    `root`); every arrow into an op is labelled with the gradient that op sends back to that input
    (values when small, else shape and norm); each tensor shows its total gradient, the sum over
    its outgoing arrows. Tensors whose gradient is all zero, contains NaN/inf, or has a norm above
    `max_grad_norm` are highlighted, and the title counts them.

    The gradients are computed on the side: `.grad` is not touched and the graph is kept, so this
    can be called before backward() (or after backward(retain_graph=True)). `grad` is the gradient
    to start from, as in `root.backward(grad)`; it is needed when `root` is not a scalar.
    """
    graph = _Graph([root], max_nodes)
    steps, skipped, totals = _trace_backward(root, grad)
    view = _View()
    view.grads = totals
    for i, step in enumerate(steps, 1):
        view.numbers[id(step.op)] = i
        for k, _, gx in step.edges:
            view.edge_grads[(id(step.op), k)] = gx
    view.skipped = {id(op) for op in skipped}
    return _build(graph, view, show, rankdir, max_elements, max_grad_norm, legend)


def backward_frames(root, grad=None, show="both", rankdir="LR", max_elements=6, max_nodes=500,
                    max_grad_norm=1e3, max_frames=200):
    """The backward pass of `root` as a list of pictures, one per step, to step through.

    Frame 0 shows the forward graph and the starting gradient (1 for a scalar output). Frame k
    shows the moment op number k (as in draw_backward) has run its backward: that op highlighted,
    the gradients it just sent back drawn thicker, and every gradient known so far shown. A grey
    gradient is still being summed: more ops will add to it. Every frame has the same layout, so
    stepping through them reads like an animation: pass them to frames_html() (Jupyter shows the
    result inline) or save_frames(). Each frame's `.caption` holds its caption as text.

    Stepping through is for small graphs: more than `max_frames` steps raise a ValueError rather
    than build thousands of pictures.
    """
    graph = _Graph([root], max_nodes)
    steps, skipped, totals = _trace_backward(root, grad, "backward_frames()")
    if len(steps) + 1 > max_frames:
        raise ValueError(
            f"backward_frames: this backward pass has {len(steps)} steps, which would make "
            f"{len(steps) + 1} pictures (max_frames={max_frames}). Step through a smaller graph, "
            "use draw_backward() for the whole pass in one picture, or raise max_frames.")
    numbers = {id(s.op): i for i, s in enumerate(steps, 1)}
    # When does each tensor's gradient become final? After the last step that adds to it.
    last = {id(root): 0}
    for i, step in enumerate(steps, 1):
        for _, x, _ in step.edges:
            last[id(x)] = i
    final_text = {k: _array_text(g, max_elements) for k, g in totals.items()}
    flagged = {k for k, g in totals.items() if _grad_flag(g, max_grad_norm)}

    views, frames, running = [], [], {id(root): totals[id(root)]}
    edges_done = {}
    for i in range(len(steps) + 1):
        view = _View()
        view.numbers = numbers
        view.skipped = {id(op) for op in skipped}
        view.thick = flagged
        new = set()
        if i > 0:
            step = steps[i - 1]
            view.current = id(step.op)
            for k, x, gx in step.edges:
                prev = running.get(id(x))
                running[id(x)] = gx if prev is None else prev + gx
                edges_done[(id(step.op), k)] = gx
                new.add((id(step.op), k))
        for key, text in final_text.items():
            if key in running:
                view.grads[key] = running[key]
                view.grad_state[key] = "shown" if last.get(key, 0) <= i else "partial"
            else:
                view.grad_state[key] = "hidden"
                view.hidden_grads[key] = text
        for step in steps:
            for k, _, gx in step.edges:
                key = (id(step.op), k)
                view.edge_grads[key] = gx
                view.edge_state[key] = ("new" if key in new else
                                        "shown" if key in edges_done else "hidden")
        view.title = _frame_caption(i, steps, root, grad, running, last, max_grad_norm)
        views.append(view)
    # Every caption gets as many lines as the longest, so the title's height never moves the
    # picture between frames.
    height = max(v.title.count("\n") for v in views)
    for view in views:
        caption = view.title
        view.title += "\n" * (height - caption.count("\n"))
        d = _build(graph, view, show, rankdir, max_elements, max_grad_norm, legend=False)
        d.caption = caption
        frames.append(d)
    return frames


def _frame_caption(i, steps, root, grad, running, last, max_grad_norm):
    n = len(steps)
    if i == 0:
        if grad is not None:
            return f"step 0 of {n}: backward starts from the given gradient at the output"
        what = f"d{root.name}/d{root.name}" if root.name else "d output / d output"
        return f"step 0 of {n}: backward starts at the output with gradient {what} = 1"
    step = steps[i - 1]
    out = step.out.name or "its output"
    names = list(dict.fromkeys(x.name for _, x, _ in step.edges))
    if not step.edges:
        to = "no input that needs one"
    elif all(names):
        to = " and ".join(names)
    else:
        count = len({id(x) for _, x, _ in step.edges})
        to = "its input" if count == 1 else f"{count} inputs"
    text = (f"step {i} of {n}: {step.op.name}.backward turns the gradient of {out} into "
            f"gradients for {to} (thick arrows)")
    # What is worth a second sentence: a sum still in progress, or a suspicious gradient.
    notes = []
    for x in {id(x): x for _, x, _ in step.edges}.values():
        who = x.name or "an input"
        if last.get(id(x), 0) > i:
            notes.append(f"{who} is used again, so its gradient (grey) is not complete yet")
        else:
            flag = _grad_flag(running[id(x)], max_grad_norm)
            if flag:
                notes.append(f"{who} gets a {FLAG_TEXT[flag].format(max_grad_norm)}")
    return text + "".join(f"\n{note}" for note in notes)


# ----------------------------------------------------------------------------------------------
# Frames as a slider or as files

class _HTML(str):
    """HTML text that Jupyter displays as HTML (and that is still an ordinary str)."""

    def _repr_html_(self):
        return str(self)


def _inline_svg(drawing):
    svg = drawing.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE, invalid inside HTML


def frames_html(frames, interval_ms=1200, title="Backprop, step by step"):
    """One self-contained HTML page (inline SVGs, a few lines of script) that steps through
    `frames`: a slider, previous/next and play buttons, and the arrow keys (each frame carries
    its own caption). Needs Graphviz's `dot`
    to draw the SVGs. Displayed inline in Jupyter; save it with save_frames(frames, "x.html")."""
    if not frames:
        raise ValueError("frames_html: no frames to show")
    uid = "gg" + uuid.uuid4().hex[:8]  # several players on one notebook page must not collide
    panes = "\n".join(
        f'<div class="gg-frame" style="display:{"block" if i == 0 else "none"}">'
        f'{_inline_svg(f)}</div>' for i, f in enumerate(frames))
    script = f"""
(function() {{
  var root = document.getElementById("{uid}");
  var frames = root.querySelectorAll(".gg-frame");
  var slider = root.querySelector("input");
  var play = root.querySelector(".gg-play"), timer = null;
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) frames[k].style.display = k === i ? "block" : "none";
    slider.value = i;
  }}
  function stop() {{ clearInterval(timer); timer = null; play.textContent = "\\u25B6 play"; }}
  slider.oninput = function() {{ stop(); show(+slider.value); }};
  root.querySelector(".gg-prev").onclick = function() {{ stop(); show(+slider.value - 1); }};
  root.querySelector(".gg-next").onclick = function() {{ stop(); show(+slider.value + 1); }};
  play.onclick = function() {{
    if (timer) {{ stop(); return; }}
    if (+slider.value === frames.length - 1) show(0);
    play.textContent = "\\u275A\\u275A pause";
    timer = setInterval(function() {{
      if (+slider.value >= frames.length - 1) stop(); else show(+slider.value + 1);
    }}, {int(interval_ms)});
  }};
  root.tabIndex = 0;
  root.onkeydown = function(e) {{
    if (e.key === "ArrowLeft") {{ stop(); show(+slider.value - 1); e.preventDefault(); }}
    if (e.key === "ArrowRight") {{ stop(); show(+slider.value + 1); e.preventDefault(); }}
  }};
  show(0);
}})();"""
    body = f"""<div id="{uid}" class="gg-player" style="font-family:{FONT},Arial,sans-serif">
<div style="display:flex;gap:8px;align-items:center;margin-bottom:6px">
<button class="gg-prev" title="previous step (left arrow)">&#9664;</button>
<button class="gg-play">&#9654; play</button>
<button class="gg-next" title="next step (right arrow)">&#9654;</button>
<input type="range" min="0" max="{len(frames) - 1}" value="0" step="1" style="flex:1">
</div>
{panes}
</div>
<script>{script}</script>"""
    return _HTML(body)


def save_frames(frames, path, format=None, interval_ms=1200):
    """Write frames as one HTML slider page (`path` ends in .html) or as numbered files in the
    folder `path`: frame_000.svg, frame_001.svg, ... (`format` "svg" by default, or "png", "pdf").
    Returns the list of paths written. Needs Graphviz's `dot`."""
    import os
    path = os.fspath(path)
    if path.lower().endswith((".html", ".htm")):
        if format not in (None, "html"):
            raise ValueError(f"save_frames: a .html path gets an HTML page, not {format!r}")
        page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                "<title>Backprop, step by step</title></head>\n<body>\n"
                f"{frames_html(frames, interval_ms)}\n</body></html>\n")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return [path]
    format = format or "svg"
    os.makedirs(path, exist_ok=True)
    written = []
    for i, frame in enumerate(frames):
        out = os.path.join(path, f"frame_{i:03d}.{format}")
        with open(out, "wb") as f:
            f.write(frame.pipe(format=format))
        written.append(out)
    return written


# ----------------------------------------------------------------------------------------------
# Models as layers (nn.Module.draw)

def draw_layers(module, rankdir="TB", name=None):
    """Draw a model as its layers: one box per layer with its parameters' names, shapes and sizes,
    containers as frames around their layers, arrows in the order the layers were registered.

    Works with any object that has `named_parameters()` and, for containers,
    `named_children()` (the nn.Module interface; `autograd` itself knows nothing of nn). For
    sequential containers (those that can be indexed) the arrows are the data flow; for other
    modules they show registration order, usually but not always the order forward() uses, so
    they are dashed.
    """
    params = list(module.named_parameters()) if hasattr(module, "named_parameters") else []
    own = {}
    for pname, p in params:
        path, _, leaf = pname.rpartition(".")
        own.setdefault(path, []).append((leaf, p))
    total = sum(int(np.size(p.data if isinstance(p, Tensor) else p)) for _, p in params)

    d = _new_drawing(
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11",
                    "nodesep": "0.3", "ranksep": "0.3"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"color": COLOR["border"], "arrowsize": "0.7"})
    counter = [0]

    def new_id():
        counter[0] += 1
        return f"m{counter[0]}"

    def add(graph, mod, path, label):
        """Draw `mod` into `graph`; returns the (first, last) node ids for arrows."""
        children = list(mod.named_children()) if hasattr(mod, "named_children") else []
        if not children:
            node = new_id()
            graph.node(node, label=_layer_label(mod, label, own.get(path, [])), shape="plain",
                       **{"class": "layer"})
            return node, node
        cluster = f"cluster_{new_id()}"
        with graph.subgraph(name=cluster) as sub:
            n = _count_params(own, path)
            sub.attr(label=f"<<B>{_esc(label)}</B>  <FONT POINT-SIZE=\"9\">{n:,} parameters"
                           f"</FONT>>", labeljust="l", style="rounded,dashed",
                     color=COLOR["border"], fontname=FONT)
            if own.get(path):
                # A container's own parameters are used somewhere in its forward(), which a
                # drawing cannot know: a box beside the layers, not in their chain of arrows.
                sub.node(new_id(), label=_layer_label(mod, "own parameters", own[path]),
                         shape="plain", **{"class": "layer own"})
            ends = []
            for cname, child in children:
                cpath = f"{path}.{cname}" if path else cname
                ends.append(add(sub, child, cpath, f"{cname}: {type(child).__name__}"))
            sequential = hasattr(mod, "__getitem__") and hasattr(mod, "__len__")
            for (_, a), (b, _) in zip(ends, ends[1:]):
                sub.edge(a, b, **({} if sequential else {"style": "dashed"}))
        return ends[0][0], ends[-1][1]

    top = name or type(module).__name__
    first, last = add(d, module, "", top)
    d.node("input", shape="plaintext", fontcolor=COLOR["muted"])
    d.node("output", shape="plaintext", fontcolor=COLOR["muted"])
    d.edge("input", first)
    d.edge(last, "output")
    if not (hasattr(module, "named_children") and list(module.named_children())):
        # A container's frame already carries its name and count; a single layer needs a title.
        d.attr(label=f"<<B>{_esc(top)}</B>: {total:,} parameters>", labelloc="t", labeljust="l")
    return d


def _count_params(own, path):
    """Parameters of the module at `path` and of everything inside it."""
    prefix = path + "."
    return sum(int(np.size(p.data if isinstance(p, Tensor) else p))
               for key, ps in own.items() if not path or key == path or key.startswith(prefix)
               for _, p in ps)


def _layer_label(mod, title, params):
    rows = [_row(f"<B>{_esc(title)}</B>")]
    extra = getattr(mod, "extra_repr", None)
    extra = extra() if callable(extra) else None
    if extra:
        rows.append(_row(_lines(extra, size=9, color=COLOR["muted"])))
    for pname, p in params:
        shape = p.shape if hasattr(p, "shape") else np.shape(p)
        dtype = getattr(p, "dtype", "")
        count = int(np.prod(shape, dtype=np.int64))
        rows.append(_row(_lines(f"{pname} {_shape_text(shape)} {dtype}", mono=True, size=10)
                         + "  " + _lines(f"{count:,}", size=9, color=COLOR["muted"]),
                         bgcolor=COLOR["parameter"]))
    return _table(rows, "#ffffff" if params else COLOR["op"], COLOR["border"])
