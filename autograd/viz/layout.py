"""Laying a picture out so that it reads on a screen.

Graphviz stacks a graph in ranks: inputs first, then each op and its result. A deep, narrow graph
(a network's forward pass is mostly a chain) drawn left to right makes a strip many times wider
than high. By default (rankdir=None) the direction is chosen from the picture's measured shape:
left to right when that fits within MAX_ASPECT, else top to bottom when that does, else left to
right wrapped into rows, like lines of text (the arrows from the end of one row to the start of
the next are drawn without pulling the rows apart). Measuring needs Graphviz's `dot`; without it
the picture cannot be seen anyway and stays left to right.
"""
import math

from .walk import key

MAX_ASPECT = 3.2   # the widest or tallest a default picture may be (long : short side), "about 3"


class Levels(dict):
    """key(tensor) -> its level: 0 for leaves, and an op's output two levels after its deepest
    input (the op sits in between). `rows` and `per_row` say how the levels wrap."""

    rows, per_row = 1, math.inf

    def row(self, level):
        return int(level // self.per_row)


def depths(graph, rows=1):
    level = Levels()
    for t in graph.tensors:  # forward order: inputs first
        xs = graph.inputs.get(key(t)) if key(t) in graph.expanded else None
        inner = [level[key(x)] for x in (xs or ()) if key(x) in level]
        level[key(t)] = (max(inner) + 2) if inner else (1 if xs else 0)
    level.rows = rows
    if rows > 1:
        level.per_row = math.ceil((max(level.values(), default=0) + 1) / rows)
    return level


def wrap_attrs(level_tail, level_head, levels, rows):
    """Edge attributes that let an arrow run from one row to the next without stretching ranks."""
    if rows <= 1 or levels.row(level_tail) == levels.row(max(level_head, 0)):
        return {}
    return {"constraint": "false"}


def measure(drawing):
    """(width, height) of the rendered picture, or None without `dot`."""
    from .dot import DotNotFoundError
    try:
        plain = drawing.pipe(format="plain", encoding="utf-8")
    except (DotNotFoundError, OSError):
        return None
    _, _, width, height = plain.split("\n", 1)[0].split()[:4]
    return float(width), float(height)


def choose(build, rankdir):
    """The layout, (rankdir, rows), for a picture made by `build(layout)`: `rankdir` as given, or
    chosen from the picture's shape when it is None."""
    if rankdir is not None:
        return rankdir, 1
    size = measure(build(("LR", 1)))
    if size is None or size[0] <= MAX_ASPECT * size[1]:
        return "LR", 1
    wide = size[0] / size[1]
    tall = measure(build(("TB", 1)))
    if tall is not None and tall[1] <= MAX_ASPECT * tall[0]:
        return "TB", 1
    # The fewest rows that fit read best (every row break is a long arrow back): start from the
    # fewest that could (a row's height is not a fixed share, so measure), then add one at a time.
    best, best_aspect = ("LR", 1), wide
    rows = max(2, math.floor(math.sqrt(wide / MAX_ASPECT)))
    for _ in range(8):
        width, height = measure(build(("LR", rows)))
        aspect = max(width / height, height / width)
        if aspect < best_aspect:
            best, best_aspect = ("LR", rows), aspect
        if aspect <= MAX_ASPECT or width < height:
            break
        rows += 1
    return best
