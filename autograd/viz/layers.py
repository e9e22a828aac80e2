"""draw_layers: a model as its layers (what nn's `Module.draw()` shows)."""
import numpy as np

from ..tensor import Tensor
from .dot import new_drawing
from .labels import shape_text
from .style import COLOR, FONT, esc, lines, row, table


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

    d = new_drawing(
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
            sub.attr(label=f"<<B>{esc(label)}</B>  <FONT POINT-SIZE=\"9\">{n:,} parameters"
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
        d.attr(label=f"<<B>{esc(top)}</B>: {total:,} parameters>", labelloc="t", labeljust="l")
    return d


def _count_params(own, path):
    """Parameters of the module at `path` and of everything inside it."""
    prefix = path + "."
    return sum(int(np.size(p.data if isinstance(p, Tensor) else p))
               for key, ps in own.items() if not path or key == path or key.startswith(prefix)
               for _, p in ps)


def _layer_label(mod, title, params):
    rows = [row(f"<B>{esc(title)}</B>")]
    extra = getattr(mod, "extra_repr", None)
    extra = extra() if callable(extra) else None
    if extra:
        rows.append(row(lines(extra, size=9, color=COLOR["muted"])))
    for pname, p in params:
        shape = p.shape if hasattr(p, "shape") else np.shape(p)
        dtype = getattr(p, "dtype", "")
        count = int(np.prod(shape, dtype=np.int64))
        rows.append(row(lines(f"{pname} {shape_text(shape)} {dtype}", mono=True, size=10)
                         + "  " + lines(f"{count:,}", size=9, color=COLOR["muted"]),
                         bgcolor=COLOR["parameter"]))
    return table(rows, "#ffffff" if params else COLOR["op"], COLOR["border"])
