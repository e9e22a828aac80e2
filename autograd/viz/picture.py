"""Building one picture: tensor boxes, op boxes, arrows, the note on what was cut, and the legend."""
from ..tensor import Tensor
from .dot import new_drawing
from .labels import constant_text, edge_text, grad_flag, op_label, tensor_label
from .layout import depths, wrap_attrs
from .style import COLOR, FLAG_TEXT, FONT, MONO, esc, lines
from .walk import is_constant, is_node, key, kind


class View:
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
        self.title_width = None  # frames: one width for every caption, so none moves the picture


SHOW = ("both", "data", "grad", "none")


def build(graph, view, show, layout, max_elements, max_grad_norm, legend):
    """The drawing of `graph` as `view` says; `layout` is (rankdir, rows) from layout.choose."""
    if show not in SHOW:
        raise ValueError(f"show must be 'both', 'data', 'grad' or 'none'; got {show!r}")
    rankdir, rows = layout
    d = new_drawing(
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11",
                    "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "10", "color": COLOR["border"],
                   "arrowsize": "0.7"})
    names = {key(t): f"t{i}" for i, t in enumerate(graph.tensors)}
    level = depths(graph, rows) if rows > 1 else {}
    flags, kinds, marks = {}, set(), set()

    def edge(tail, head, depth_tail, depth_head, **attrs):
        attrs.update(wrap_attrs(depth_tail, depth_head, level, rows))
        d.edge(tail, head, **attrs)

    placed = {}  # wrapped: row -> [(name, attrs)], each row drawn as an invisible cluster

    def node(name, at_level, **attrs):
        if rows > 1:
            placed.setdefault(level.row(max(at_level, 0)), []).append((name, attrs))
        else:
            d.node(name, **attrs)

    for t in graph.tensors:
        if key(t) not in graph.kept:
            continue
        k = kind(t, graph.roots)
        kinds.add(k)
        label, flag = tensor_label(t, k, view, show, max_elements, max_grad_norm)
        classes = ["tensor", k] + ([f"grad-{flag}"] if flag else [])
        if not isinstance(t, Tensor):
            classes.append("freed")
            marks.add("freed")
        if flag:
            flags[flag] = flags.get(flag, 0) + 1
        if view.grads.get(id(t)) is not None and t.requires_grad and show in ("grad", "both"):
            marks.add("grad")
        node(names[key(t)], level.get(key(t), 0), label=label, shape="plain",
             **{"class": " ".join(classes)})

    n_const = 0
    for i, t in enumerate(graph.tensors):
        if key(t) not in graph.expanded:
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
            marks.add("badge")
        out_level = level.get(key(t), 0)
        node(op_name, out_level - 1, label=op_label(op, view), shape="box", style=style,
             fillcolor=fill, penwidth=pen, margin="0.08,0.04", **{"class": " ".join(classes)})
        for k, x in enumerate(graph.inputs[key(t)]):
            if x is None:
                continue
            if is_node(x):
                tail, tail_level = names[key(x)], level.get(key(x), 0)
            else:
                tail, tail_level = f"c{n_const}", out_level - 1
                n_const += 1
                node(tail, tail_level, label=constant_text(x, max_elements), shape="plaintext",
                     fontsize="10", fontcolor=COLOR["muted"], **{"class": "constant"})
            attrs = edge_attrs(view, op, k, x, max_elements, max_grad_norm)
            if "label" in attrs and view.edge_state.get((id(op), k)) != "hidden":
                marks.add("edge_grad")
            edge(tail, op_name, tail_level, out_level - 1, **attrs)
        edge(op_name, names[key(t)], out_level - 1, out_level, **{"class": "output"})

    for r in sorted(placed):
        with d.subgraph(name=f"cluster_row{r}") as sub:
            sub.attr(style="invis", margin="4")
            for name, attrs in placed[r]:
                sub.node(name, **attrs)

    if graph.hidden:
        d.node("collapsed", shape="note", style="filled", fillcolor="#fff8e1",
               fontcolor="#5d4037", **{"class": "collapsed"},
               label=f"{graph.hidden} more nodes not drawn\n"
                     f"(the graph has {graph.total} nodes, more than max_nodes={graph.max_nodes};\n"
                     f"the ones nearest the output are shown. Pass a larger max_nodes to see all)")
        for t in graph.boundary:
            d.edge("collapsed", names[key(t)], style="dashed", **{"class": "collapsed"})
    cut = [t for t in graph.cut if key(t) in graph.kept]
    if cut:
        d.node("cut", shape="note", style="filled", fillcolor="#fff8e1", fontcolor="#5d4037",
               **{"class": "collapsed cut"},
               label="the rest of the graph was freed by backward()\n(it keeps a record of the "
                     "ops nearest the output only;\ndraw before backward(), or call "
                     "backward(retain_graph=True), to see it all)")
        for t in cut:
            d.edge("cut", names[key(t)], style="dashed", **{"class": "collapsed"})

    # Frames leave the key out: a key row that appears mid-way would move the picture.
    title = legend_label(kinds if legend else (), flags if legend else {},
                         marks if legend else (), max_grad_norm, view.title, view.title_width)
    if title:
        d.attr(label=title, labelloc="t", labeljust="l")
    return d


def edge_attrs(view, op, k, x, max_elements, max_grad_norm):
    attrs = {"class": "input"}
    if is_constant(x):
        attrs.update(style="dashed", color=COLOR["muted"], **{"class": "input constant"})
        return attrs
    g = view.edge_grads.get((id(op), k))
    if g is None:
        return attrs
    state = view.edge_state.get((id(op), k), "shown")
    text = edge_text(g, max_elements)
    if state == "hidden":
        # Invisible but present, so the layout matches the frames where it shows (see above).
        attrs["label"] = f"<{lines(text, color='white', mono=True, size=9)}>"
        return attrs
    flag = grad_flag(g, max_grad_norm)
    color = "#d50000" if flag == "nonfinite" else COLOR["grad"]
    attrs["label"] = f"<{lines(text, color=color, mono=True, size=9)}>"
    attrs["class"] = "input grad" + (f" grad-{flag}" if flag else "")
    if state == "new":
        attrs.update(color=COLOR["grad"], penwidth="2.5")
        attrs["class"] += " new"
    return attrs


KINDS = {
    "parameter": "parameter: a leaf that requires grad (what training changes)",
    "input": "input: data, targets, constants (no gradient wanted)",
    "intermediate": "intermediate result",
    "output": "output: the tensor drawn from",
}
MARKS = {
    # what each mark means, in the order the key lists them
    "badge": "step of the backward pass (1 runs first)",
    "edge_grad": "gradient sent back along the arrow, against its direction (backward runs from "
                 "the output to the inputs)",
    "grad": "grad: the tensor's gradient, d output / d tensor",
    "freed": "values freed by backward() (draw before it to see them)",
}


def legend_label(kinds, flags, marks, max_grad_norm, title, title_width=None):
    """The picture's title: the caption (frames), then a key with one line per thing the picture
    uses (colours, warnings, badges, red numbers, dashed boxes): a sample on the left, its meaning
    on the right. (One column of samples: dot stretches cells of a table to the widest row.)"""
    key = []
    for k in ("parameter", "input", "intermediate", "output"):
        if k in kinds:
            key.append((_swatch(COLOR[k]), KINDS[k]))
    for flag in ("nonfinite", "zero", "exploding"):
        if flag in flags:
            text = FLAG_TEXT[flag].format(max_grad_norm)
            key.append((_swatch(COLOR[flag], border=3), f"{flags[flag]} \u00d7 {text}"))
    for m in MARKS:
        if m not in marks:
            continue
        if m == "badge":
            sample = (f'<TD BGCOLOR="{COLOR["badge"]}" FIXEDSIZE="TRUE" WIDTH="18" HEIGHT="14">'
                      '<FONT COLOR="white"><B>1</B></FONT></TD>')
        elif m == "edge_grad":
            sample = f'<TD><FONT COLOR="{COLOR["grad"]}" FACE="{MONO}">0.5</FONT></TD>'
        elif m == "grad":
            sample = f'<TD><FONT COLOR="{COLOR["grad"]}" FACE="{MONO}">grad</FONT></TD>'
        else:
            sample = _swatch("#ffffff", style="dashed")
        key.append((sample, MARKS[m].split(": ", 1)[-1]))
    if not key and not title:
        return None
    rows = []
    if title:
        width = f' WIDTH="{title_width}"' if title_width else ""
        rows.append(f'<TD ALIGN="LEFT" BALIGN="LEFT" COLSPAN="2"{width}>{lines(title)}</TD>')
    for sample, text in key:
        rows.append(f'{sample}<TD ALIGN="LEFT">{esc(text)}</TD>')
    return (f'<<FONT POINT-SIZE="10"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" '
            f'CELLPADDING="1">{"".join(f"<TR>{r}</TR>" for r in rows)}</TABLE></FONT>>')


def _swatch(color, border=1, style=None):
    dashed = f' STYLE="{style}"' if style else ""
    return (f'<TD BGCOLOR="{color}" BORDER="{border}" FIXEDSIZE="TRUE" WIDTH="26" HEIGHT="13"'
            f'{dashed}></TD>')
