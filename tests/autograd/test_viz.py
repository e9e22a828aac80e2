"""autograd.viz: drawings of the graph and of the backward pass.

Tests that read the DOT source run everywhere. Tests that render SVG need Graphviz's `dot`; they are
skipped only when it is missing (CI installs it). SVG is read back with ElementTree: every node and
edge is a <g> with a class ("node tensor parameter", "node op step-3", "edge input grad" ...) and a
<title> holding the DOT names ("t0", "op4", "t0->op4").
"""
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import Op, Tensor, viz
from autograd.graph import backward_order

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="missing resource: Graphviz's dot program (apt install "
                                      "graphviz / brew install graphviz / conda install graphviz)")
SVG = "{http://www.w3.org/2000/svg}"


# ----------------------------------------------------------------------------------------------
# Reading pictures back

class Node:
    def __init__(self, title, classes, texts, fills):
        self.title, self.classes, self.texts, self.fills = title, classes, texts, fills

    @property
    def text(self):
        return " ".join(self.texts)


class Picture:
    """A drawing rendered to SVG by dot, as nodes and edges."""

    def __init__(self, drawing):
        self.svg = drawing.pipe(format="svg", encoding="utf-8")
        root = ET.fromstring(self.svg)
        self.nodes, self.edges = {}, []
        for g in root.iter(SVG + "g"):
            classes = g.get("class", "").split()
            if not classes or classes[0] not in ("node", "edge"):
                continue
            title = g.findtext(SVG + "title")
            texts = [_clean(t.text) for t in g.iter(SVG + "text")]
            texts = [t for t in texts if t]
            fills = {(e.get("fill") or "").lower() for e in g.iter() if e.get("fill")}
            if classes[0] == "node":
                self.nodes[title] = Node(title, set(classes[1:]), texts, fills)
            else:
                tail, head = title.split("->")
                self.edges.append((tail, head, set(classes[1:]), texts))

    @property
    def title_text(self):
        """The text drawn outside nodes and edges: the picture's title and colour key."""
        root = ET.fromstring(self.svg)
        graph = root.find(SVG + "g")
        return " ".join(_clean(t.text) for t in graph.findall(SVG + "text"))

    def of(self, cls):
        return [n for n in self.nodes.values() if cls in n.classes]

    def tensor(self, name):
        found = [n for n in self.of("tensor") if n.texts and n.texts[0] == name]
        assert len(found) == 1, f"expected one tensor node named {name!r}, found {len(found)}"
        return found[0]

    def edges_from(self, node):
        return [e for e in self.edges if e[0] == node.title]

    def producer(self, tensor_node):
        """The op node with an arrow into this tensor."""
        (op,) = [self.nodes[e[0]] for e in self.edges if e[1] == tensor_node.title]
        return op

    def step(self, op_node):
        (number,) = [int(c[5:]) for c in op_node.classes if c.startswith("step-")]
        return number


def _clean(text):
    """dot writes runs of spaces as no-break spaces; read them back as single spaces."""
    return " ".join((text or "").replace("\xa0", " ").split())


def name_everything(*roots):
    """Give every unnamed tensor of the graph a name (n0, n1, ...) so a picture can be matched
    back to the tensors; returns the tensors found."""
    seen, stack, k = {}, list(roots), 0
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen[id(t)] = t
        if t.name is None:
            t.name, k = f"n{k}", k + 1
        if t.grad_fn is not None:
            stack.extend(x for x in t.grad_fn.inputs if isinstance(x, Tensor))
    return list(seen.values())


def census(*roots):
    """(nodes, edges) a drawing of the whole graph must have, counted independently of viz: a
    node per tensor, per op and per constant input; an edge per op input and per op output."""
    tensors = {id(t): t for t in name_everything(*roots)}
    ops = [t.grad_fn for t in tensors.values() if t.grad_fn is not None]
    consts = sum(1 for op in ops for x in op.inputs if x is not None and not isinstance(x, Tensor))
    edges = sum(1 + sum(1 for x in op.inputs if x is not None) for op in ops)
    return len(tensors) + len(ops) + consts, edges


def engine_op_order(loss, monkeypatch):
    """The ops in the order a real backward() calls their backward, recorded by wrapping
    every op class involved."""
    ops = [t.grad_fn for t in name_everything(loss) if t.grad_fn is not None]
    calls = []
    for cls in {type(op) for op in ops}:
        def recording(self, *args, _orig=cls.backward):
            if not calls or calls[-1] is not self:  # a subclass may wrap its parent's backward
                calls.append(self)
            return _orig(self, *args)
        monkeypatch.setattr(cls, "backward", recording)
    loss.backward(retain_graph=True)
    return calls


# ----------------------------------------------------------------------------------------------
# The three graphs of the brief

def neuron():
    """micrograd's neuron: o = tanh(w1*x1 + w2*x2 + b)."""
    x1, x2 = Tensor(2.0, name="x1"), Tensor(0.0, name="x2")
    w1 = Tensor(-3.0, requires_grad=True, name="w1")
    w2 = Tensor(1.0, requires_grad=True, name="w2")
    b = Tensor(6.8813735870195432, requires_grad=True, name="b")
    w1x1, w2x2 = w1 * x1, w2 * x2
    w1x1.name, w2x2.name = "w1*x1", "w2*x2"
    total = w1x1 + w2x2
    total.name = "w1*x1 + w2*x2"
    n = total + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


def mlp_loss():
    """A 2-layer MLP and cross-entropy (log_softmax, pick the target's log-probability, mean)."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(4, 3)), name="X")
    y = np.array([0, 2, 1, 2])
    W1 = Tensor(rng.normal(size=(5, 3)), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(5), requires_grad=True, name="b1")
    W2 = Tensor(rng.normal(size=(3, 5)), requires_grad=True, name="W2")
    b2 = Tensor(np.zeros(3), requires_grad=True, name="b2")
    h = (X @ W1.T + b1).relu()
    logits = h @ W2.T + b2
    loss = -logits.log_softmax(axis=1)[np.arange(4), y].mean()
    loss.name = "loss"
    return loss, dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2)


def diamond():
    """b = a * c broadcasts (3,) against (2, 1); b is then used twice: d = exp(b) + 2 b."""
    a = Tensor([0.1, 0.2, 0.3], requires_grad=True, name="a")
    c = Tensor([[1.0], [2.0]], requires_grad=True, name="c")
    b = a * c
    b.name = "b"
    e = b.exp()
    e.name = "e"
    twice = b * 2
    twice.name = "twice"
    d = e + twice
    d.name = "d"
    s = d.sum()
    s.name = "s"
    return s, dict(a=a, c=c, b=b)


# ----------------------------------------------------------------------------------------------
# draw: the forward graph

@needs_dot
def test_neuron_picture_has_a_node_per_tensor_and_op_and_an_arrow_per_input_and_output():
    o, _ = neuron()
    pic = Picture(viz.draw(o))
    # tensors x1 w1 x2 w2 b, w1*x1, w2*x2, their sum, n, o; ops Multiply x2, Add x2, Tanh
    assert len(pic.of("tensor")) == 10
    assert len(pic.of("op")) == 5
    assert len(pic.nodes) == 15
    assert len(pic.edges) == 14


@needs_dot
def test_neuron_picture_labels_tensors_with_name_shape_dtype_and_value():
    o, _ = neuron()
    pic = Picture(viz.draw(o))
    assert pic.tensor("w1").texts[:3] == ["w1", "scalar float64", "-3"]
    assert pic.tensor("o").texts[:3] == ["o", "scalar float64", "0.7071"]
    assert sorted(n.texts[0] for n in pic.of("op")) == ["Add", "Add", "Multiply", "Multiply",
                                                        "Tanh"]


@needs_dot
def test_arrows_run_forward_from_inputs_through_the_op_to_its_output():
    o, _ = neuron()
    pic = Picture(viz.draw(o))
    tanh = pic.producer(pic.tensor("o"))
    assert tanh.texts == ["Tanh"]
    assert [e[1] for e in pic.edges_from(pic.tensor("n"))] == [tanh.title]


@needs_dot
def test_parameters_inputs_intermediates_and_the_output_are_styled_apart():
    o, _ = neuron()
    pic = Picture(viz.draw(o))
    names = {kind: sorted(n.texts[0] for n in pic.of(kind))
             for kind in ("parameter", "input", "intermediate", "output")}
    assert names == {"parameter": ["b", "w1", "w2"], "input": ["x1", "x2"],
                     "intermediate": ["n", "w1*x1", "w1*x1 + w2*x2", "w2*x2"], "output": ["o"]}
    for kind in names:  # each kind filled with its own colour
        assert all(viz.COLOR[kind] in n.fills for n in pic.of(kind))
    assert len({viz.COLOR[kind] for kind in names}) == 4


@needs_dot
def test_mlp_with_cross_entropy_picture_has_every_tensor_op_and_constant_of_the_graph():
    loss, _ = mlp_loss()
    nodes, edges = census(loss)
    pic = Picture(viz.draw(loss))
    assert len(pic.nodes) == nodes
    assert len(pic.edges) == edges
    assert {"LogSoftmax", "GetItem", "Matmul", "ReLU"} <= {n.texts[0] for n in pic.of("op")}


@needs_dot
def test_large_tensors_are_summarised_and_small_ones_shown_in_full():
    loss, t = mlp_loss()
    pic = Picture(viz.draw(loss, max_elements=6))
    X = pic.tensor("X")  # 12 values
    assert X.texts[1] == "(4, 3) float64"
    assert X.texts[2].startswith("mean ") and " std " in X.texts[2]
    assert X.texts[3].startswith("min ") and " max " in X.texts[3]
    assert pic.tensor("b2").texts[2] == "[0 0 0]"


def test_op_parameters_appear_in_the_op_label():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    source = viz.draw(x.log_softmax(axis=1)).source
    assert "LogSoftmax" in source and "axis=1" in source


def test_python_numbers_are_drawn_as_small_constant_nodes():
    x = Tensor([1.0, 2.0], requires_grad=True)
    source = viz.draw(x * 2.5).source
    assert "c0 [label=2.5" in source and "c0 -> op1" in source


@needs_dot
def test_draw_accepts_several_roots_and_draws_shared_parts_once():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x.exp()
    pic = Picture(viz.draw(h.sum(), h.mean()))
    assert len([n for n in pic.of("tensor") if n.texts[0] == "x"]) == 1
    assert len(pic.of("output")) == 2
    assert len([n for n in pic.of("op") if n.texts[0] == "Exp"]) == 1


def test_draw_after_backward_with_retain_graph_shows_the_grads():
    o, t = neuron()
    o.backward(retain_graph=True)
    source = viz.draw(o).source
    assert f"grad {t['w1'].grad.item():.4g}" in source


@needs_dot
def test_draw_after_backward_shows_every_tensor_with_its_value_and_gradient():
    o, t = neuron()
    before = Picture(viz.draw(o))
    o.backward()
    pic = Picture(viz.draw(o))
    assert len(pic.nodes) == len(before.nodes) and len(pic.edges) == len(before.edges)
    assert pic.tensor("w1").texts[:4] == ["w1", "scalar float64", "-3", "grad 1"]
    # intermediates too: what backward computed for them (do/dn = 1 - tanh(n)^2 = 0.5)
    assert pic.tensor("n").texts[2:] == ["0.8814", "grad 0.5"]
    assert pic.tensor("o").texts[2:] == ["0.7071", "grad 1"]
    assert pic.tensor("x1").texts[2:] == ["2"]  # needs no gradient, gets none


def test_draw_after_backward_says_which_big_tensors_values_were_freed():
    x = Tensor(np.arange(40.0).reshape(8, 5), name="x")
    W = Tensor(np.ones((5, 3)), requires_grad=True, name="W")
    h = (x @ W).tanh()
    h.name = "h"
    loss = (h * h).mean()
    del h  # nobody keeps the big intermediate: backward lets it go
    loss.backward()
    source = viz.draw(loss).source
    assert "<B>h</B>" in source and "values freed by backward()" in source
    assert 'STYLE="dashed"' in source and "(draw before it to see them)" in source
    assert "<B>W</B>" in source and "grad [" not in source.split("<B>W</B>")[1].split("</TABLE>")[0]


def test_backward_keeps_no_big_intermediate_alive_for_drawing():
    import gc
    import weakref
    W = Tensor(np.ones((50, 50)), requires_grad=True)
    h = W.tanh()
    alive = weakref.ref(h)
    loss = (h * 2.0).sum()
    del h
    loss.backward()
    gc.collect()
    assert alive() is None  # the record holds its name and shape, not the tensor
    assert "values freed by backward()" in viz.draw(loss).source


def test_draw_after_backward_of_a_long_graph_notes_where_the_record_ends():
    t = Tensor(1.0, requires_grad=True, name="start")
    for _ in range(400):
        t = t * 1.01
    t.backward()
    source = viz.draw(t, max_nodes=10_000).source
    assert "the rest of the graph was freed by backward()" in source
    assert "start" not in source


def test_draw_backward_after_backward_explains_retain_graph():
    o, _ = neuron()
    o.backward()
    with pytest.raises(viz.GraphFreedError, match=r"retain_graph=True"):
        viz.draw_backward(o)
    with pytest.raises(viz.GraphFreedError, match=r"draw\(\) still works"):
        viz.backward_frames(o)


def test_watch_names_an_intermediate_result_in_drawings():
    import autograd as ag
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    z = ag.watch("z", w * 3.0)
    assert z.name == "z"
    assert "<B>z</B>" in viz.draw(z.sum()).source


def test_show_chooses_values_gradients_both_or_neither():
    w = Tensor([1.5, 2.5], requires_grad=True, name="w")
    y = (w * w).sum()
    y.backward(retain_graph=True)
    assert "1.5 2.5" in viz.draw(y, show="data").source
    assert "grad [3 5]" not in viz.draw(y, show="data").source
    assert "grad [3 5]" in viz.draw(y, show="grad").source
    assert "1.5 2.5" not in viz.draw(y, show="none").source
    with pytest.raises(ValueError, match="show must be"):
        viz.draw(y, show="values")


def test_a_graph_larger_than_max_nodes_is_cut_with_a_note():
    t = Tensor(1.0, requires_grad=True, name="start")
    for _ in range(100):
        t = t * 1.01 + 0.1
    d = viz.draw(t, max_nodes=40)
    nodes = set(re.findall(r"^\t(\w+) \[", d.source, re.M)) - {"graph", "node", "edge"}
    assert 30 <= len(nodes) <= 41  # at most 40, and the note
    assert "more nodes not drawn" in d.source and "max_nodes=40" in d.source
    assert "start" not in d.source  # the leaf is far from the output, so it is cut


# ----------------------------------------------------------------------------------------------
# draw_backward: numbering, gradients on arrows, highlights

@needs_dot
def test_neuron_ops_are_numbered_in_the_engine_order(monkeypatch):
    o, _ = neuron()
    name_everything(o)
    pic = Picture(viz.draw_backward(o))
    numbered = sorted(pic.of("op"), key=pic.step)
    drawn = [pic.nodes[pic.edges_from(op)[0][1]].texts[0] for op in numbered]
    assert drawn == [t.name for t in backward_order(o) if t.grad_fn is not None]
    real = [op for op in engine_op_order(o, monkeypatch)]
    assert drawn == [_output_name(op, o) for op in real]


def _output_name(op, root):
    (t,) = [t for t in name_everything(root) if t.grad_fn is op]
    return t.name


@needs_dot
def test_mlp_ops_are_numbered_in_the_order_a_real_backward_runs_them(monkeypatch):
    loss, _ = mlp_loss()
    name_everything(loss)
    pic = Picture(viz.draw_backward(loss))
    numbered = sorted(pic.of("op"), key=pic.step)
    assert [pic.step(op) for op in numbered] == list(range(1, len(numbered) + 1))
    drawn = [pic.nodes[pic.edges_from(op)[0][1]].texts[0] for op in numbered]
    real = [_output_name(op, loss) for op in engine_op_order(loss, monkeypatch)]
    assert drawn == real


@needs_dot
def test_each_arrow_into_an_op_is_labelled_with_the_gradient_it_carries():
    o, t = neuron()
    pic = Picture(viz.draw_backward(o))
    # do/dn = 1 - tanh(n)^2 = 0.5; through w1*x1 the gradient for w1 is 0.5 * x1 = 1
    (n_edge,) = pic.edges_from(pic.tensor("n"))
    assert n_edge[3] == ["0.5"]
    (w1_edge,) = pic.edges_from(pic.tensor("w1"))
    assert w1_edge[3] == ["1"]
    (x1_edge,) = pic.edges_from(pic.tensor("x1"))
    assert x1_edge[3] == []  # x1 needs no gradient: its arrow carries none


@needs_dot
def test_the_gradient_shown_on_each_tensor_is_what_backward_computes():
    loss, t = mlp_loss()
    pic = Picture(viz.draw_backward(loss, max_elements=5))
    loss.backward(retain_graph=True)
    b2 = pic.tensor("b2")
    shown = b2.texts[-1]
    assert shown.startswith("grad [")
    np.testing.assert_allclose([float(v) for v in shown[6:-1].split()], t["b2"].grad, rtol=1e-3)


@needs_dot
def test_a_reused_tensor_gets_the_sum_of_the_gradients_on_its_arrows():
    s, t = diamond()
    pic = Picture(viz.draw_backward(s))
    b = pic.tensor("b")
    arrows = pic.edges_from(b)
    assert len(arrows) == 2  # into Exp and into Multiply
    e = np.exp(t["b"].data)
    labels = sorted(" ".join(a[3]) for a in arrows)
    assert labels == sorted([_matrix_text(e), _matrix_text(np.full((2, 3), 2.0))])
    grad_from = next(i for i, text in enumerate(b.texts) if text.startswith("grad"))
    assert " ".join(b.texts[grad_from:]) == "grad " + _matrix_text(e + 2)


def _matrix_text(m):
    """A matrix as the pictures print it (4 significant digits), on one line."""
    text = np.array2string(m, separator=" ", formatter={"float_kind": lambda v: f"{v:.4g}"})
    return " ".join(text.split())


@needs_dot
def test_a_broadcast_input_receives_its_gradient_summed_back_to_its_shape():
    s, t = diamond()
    pic = Picture(viz.draw_backward(s))
    s.backward(retain_graph=True)
    c = pic.tensor("c")
    assert c.texts[1] == "(2, 1) float64"
    (arrow,) = pic.edges_from(c)
    assert " ".join(arrow[3]) == _matrix_text(t["c"].grad)


@needs_dot
def test_the_diamond_picture_has_the_expected_nodes_and_arrows():
    s, _ = diamond()
    pic = Picture(viz.draw_backward(s))
    # tensors a c b e twice d s; ops Multiply Exp Multiply Add Sum; the constant 2
    assert (len(pic.of("tensor")), len(pic.of("op")), len(pic.of("constant"))) == (7, 5, 1)
    assert len(pic.edges) == 13


def nan_and_zero():
    x = Tensor([-1.0, 1.0, 4.0], requires_grad=True, name="x")     # sqrt(-1) is NaN, and so
    dead = Tensor([-1.0, -2.0], requires_grad=True, name="dead")   # is its gradient; relu of
    fine = Tensor([1.0, 2.0], requires_grad=True, name="fine")     # negatives passes none
    with np.errstate(all="ignore"):
        y = x.sqrt().sum() + dead.relu().sum() + (fine * fine).sum()
    return y


@needs_dot
def test_nan_and_zero_gradients_are_highlighted():
    pic = Picture(viz.draw_backward(nan_and_zero()))
    x, dead, fine = pic.tensor("x"), pic.tensor("dead"), pic.tensor("fine")
    assert x.texts[-1] == "grad [nan 0.5 0.25]"
    assert "grad-nonfinite" in x.classes and viz.COLOR["nonfinite"] in x.fills
    assert "grad-zero" in dead.classes and viz.COLOR["zero"] in dead.fills
    assert not any(c.startswith("grad-") for c in fine.classes)
    assert {viz.COLOR["nonfinite"], viz.COLOR["zero"]}.isdisjoint(fine.fills)
    assert "1 × NaN/inf gradient" in pic.title_text
    assert "1 × zero gradient" in pic.title_text


def test_a_gradient_above_max_grad_norm_is_highlighted_as_exploding():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    y = (w * 1e4).sum()
    assert "grad-exploding" in viz.draw_backward(y).source
    assert "grad-exploding" not in viz.draw_backward(y, max_grad_norm=1e5).source


def test_draw_backward_leaves_grads_and_the_graph_untouched():
    o, t = neuron()
    viz.draw_backward(o)
    assert t["w1"].grad is None
    o.backward()  # the graph is still there
    assert t["w1"].grad == pytest.approx(1.0)


def test_draw_backward_of_a_non_scalar_needs_grad_like_backward():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 3
    with pytest.raises(RuntimeError, match="grad="):
        viz.draw_backward(y)
    assert "grad [3 -6]" in viz.draw_backward(y, grad=[1.0, -2.0]).source


class _Blocked(Op):
    """Identity forward; sends no gradient back (for the 'never reached' case)."""

    __slots__ = ()

    def forward(self, x):
        return x.copy()

    def backward(self, gy, y, x):
        return None


def test_an_op_no_gradient_reaches_is_unnumbered_and_marked():
    x = Tensor([1.0], requires_grad=True, name="x")
    y = _Blocked()(x.exp()).sum()
    source = viz.draw_backward(y).source
    assert "no gradient reached it" in source
    assert "step-3" not in source  # Sum and _Blocked ran; Exp never did


# ----------------------------------------------------------------------------------------------
# backward_frames and saving them

@needs_dot
def test_there_is_one_frame_per_backward_step_plus_the_start():
    o, _ = neuron()
    frames = viz.backward_frames(o)
    assert len(frames) == 6
    for k, frame in enumerate(frames[1:], 1):
        (current,) = Picture(frame).of("current")
        assert f"step-{k}" in current.classes


@needs_dot
def test_the_first_frame_shows_only_the_starting_gradient():
    o, _ = neuron()
    first = viz.backward_frames(o)[0]
    assert _visible_grads(first) == {"o": "grad 1"}


@needs_dot
def test_a_frame_shows_the_gradients_of_the_steps_so_far():
    o, _ = neuron()
    after_two = viz.backward_frames(o)[2]  # Tanh, then the Add that takes b
    assert _visible_grads(after_two) == {"o": "grad 1", "n": "grad 0.5", "b": "grad 0.5",
                                         "w1*x1 + w2*x2": "grad 0.5"}


@needs_dot
def test_the_last_frame_shows_every_gradient():
    o, _ = neuron()
    last = viz.backward_frames(o)[-1]
    assert set(_visible_grads(last)) == {"o", "n", "b", "w1", "w2", "w1*x1 + w2*x2", "w1*x1",
                                         "w2*x2"}


def _visible_grads(frame):
    """{tensor name: gradient text} for tensors whose gradient is drawn visibly, that is not in
    its node's own background colour (how frames keep a later gradient's place)."""
    root = ET.fromstring(frame.pipe(format="svg", encoding="utf-8"))
    shown = {}
    for g in root.iter(SVG + "g"):
        if "tensor" not in g.get("class", ""):
            continue
        background = next(e.get("fill") for e in g.iter(SVG + "polygon"))
        texts = list(g.iter(SVG + "text"))
        for t in texts:
            if _clean(t.text).startswith("grad") and t.get("fill") != background:
                shown[_clean(texts[0].text)] = _clean(t.text)
    return shown


@needs_dot
def test_every_frame_has_the_same_layout():
    o, _ = neuron()  # w2's gradient is zero: its node is highlighted in the last frame only
    layouts = {_arrow_paths(f) for f in viz.backward_frames(o)}
    assert len(layouts) == 1


def _arrow_paths(frame):
    """Every arrow's drawn path: they start and end on node borders, so equal paths mean equal
    node positions and sizes."""
    root = ET.fromstring(frame.pipe(format="svg", encoding="utf-8"))
    return tuple((g.findtext(SVG + "title"), g.find(SVG + "path").get("d"))
                 for g in root.iter(SVG + "g") if g.get("class", "").startswith("edge"))


def test_frames_refuse_a_backward_pass_longer_than_max_frames():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(30):
        y = y * 1.5
    with pytest.raises(ValueError, match="30 steps"):
        viz.backward_frames(y, max_frames=20)


@needs_dot
def test_frames_save_as_one_html_page_with_a_slider(tmp_path):
    o, _ = neuron()
    frames = viz.backward_frames(o)
    (path,) = viz.save_frames(frames, tmp_path / "backprop.html")
    page = open(path, encoding="utf-8").read()
    assert page.count("<svg") == len(frames)
    assert f'type="range" min="0" max="{len(frames) - 1}"' in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


@needs_dot
def test_frames_save_as_numbered_files(tmp_path):
    o, _ = neuron()
    paths = viz.save_frames(viz.backward_frames(o), tmp_path / "frames")
    assert [p.rsplit("/", 1)[1] for p in paths] == [f"frame_{i:03d}.svg" for i in range(6)]
    assert open(paths[-1], encoding="utf-8").read().lstrip().startswith("<?xml")


@needs_dot
def test_frames_html_displays_inline_in_jupyter():
    o, _ = neuron()
    html = viz.frames_html(viz.backward_frames(o))
    assert html._repr_html_().count("<svg") == 6


# ----------------------------------------------------------------------------------------------
# Jupyter display, missing dot, missing graphviz

@needs_dot
def test_jupyter_shows_a_drawing_as_svg():
    o, _ = neuron()
    bundle = viz.draw(o)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_without_dot_jupyter_shows_the_dot_text_and_a_hint(monkeypatch, tmp_path):
    o, _ = neuron()
    d = viz.draw(o)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    bundle = d._repr_mimebundle_()
    assert "apt install graphviz" in bundle["text/plain"]
    assert d.source in bundle["text/plain"]
    assert "brew install graphviz" in bundle["text/html"]


def test_without_dot_an_explicit_render_says_what_to_install(monkeypatch, tmp_path):
    o, _ = neuron()
    d = viz.draw(o)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.DotNotFoundError, match="conda install graphviz"):
        d.pipe(format="svg")
    with pytest.raises(viz.DotNotFoundError, match="apt install graphviz"):
        d.render(tmp_path / "out", format="svg")


def test_without_the_graphviz_package_drawing_says_pip_install_glassgrad_viz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    monkeypatch.setattr(viz.dot, "_drawing_class", None)
    o, _ = neuron()
    with pytest.raises(ImportError, match=r"pip install glassgrad\[viz\]"):
        viz.draw(o)


def test_importing_autograd_does_not_import_graphviz():
    import subprocess
    code = ("import sys; sys.modules['graphviz'] = None; import autograd, autograd.viz; "
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


# ----------------------------------------------------------------------------------------------
# draw_layers (nn.Module.draw), on duck-typed modules: autograd knows nothing of nn

class _Module:
    def __init__(self, **members):
        self._children = {k: v for k, v in members.items() if isinstance(v, _Module)}
        self._params = {k: v for k, v in members.items() if isinstance(v, Tensor)}

    def named_children(self):
        return iter(self._children.items())

    def named_parameters(self):
        yield from self._params.items()
        for name, child in self._children.items():
            for k, p in child.named_parameters():
                yield f"{name}.{k}", p


class _Linear(_Module):
    def __init__(self, n_in, n_out):
        super().__init__(weight=Tensor(np.zeros((n_out, n_in)), requires_grad=True),
                         bias=Tensor(np.zeros(n_out), requires_grad=True))


class _ReLU(_Module):
    pass


class _Sequential(_Module):
    def __getitem__(self, i):
        return list(self._children.values())[i]

    def __len__(self):
        return len(self._children)


@needs_dot
def test_draw_layers_draws_each_layer_with_its_parameter_shapes():
    model = _Sequential(**{"0": _Linear(4, 8), "1": _ReLU(), "2": _Linear(8, 3)})
    pic = Picture(viz.draw_layers(model))
    layers = pic.of("layer")
    assert [n.texts[0] for n in layers] == ["0: _Linear", "1: _ReLU", "2: _Linear"]
    assert "weight (8, 4) float64" in layers[0].texts and "bias (3,) float64" in layers[2].texts
    # input -> 0 -> 1 -> 2 -> output
    assert len(pic.edges) == 4
    assert "67 parameters" in pic.svg  # 8*4 + 8 + 3*8 + 3


def test_draw_layers_dashes_arrows_of_modules_that_are_not_sequential():
    model = _Module(encoder=_Linear(2, 2), head=_Linear(2, 1))
    assert "style=dashed" in viz.draw_layers(model).source


@needs_dot
def test_draw_layers_puts_a_containers_own_parameters_beside_its_layers():
    model = _Module(scale=Tensor(np.ones(3), requires_grad=True), body=_Linear(2, 3))
    pic = Picture(viz.draw_layers(model))
    (own,) = pic.of("own")
    assert own.texts[:2] == ["own parameters", "scale (3,) float64"]
    assert not [e for e in pic.edges if own.title in e[:2]]


# ----------------------------------------------------------------------------------------------
# Layout, legend, saving frames as GIF

def readme_tour_loss():
    """The README's tour network: a 3-4-2 tanh net and a hand-written log-softmax loss."""
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.normal(size=(4, 3)) / np.sqrt(3), requires_grad=True, name="W1")
    W2 = Tensor(rng.normal(size=(2, 4)) / np.sqrt(4), requires_grad=True, name="W2")
    x, y = rng.normal(size=(3, 5)), np.array([0, 1, 1, 0, 1])
    z = np.dot(W2, np.tanh(np.dot(W1, x)))
    logp = z - np.log(np.sum(np.exp(z), axis=0))
    return -np.mean(logp[y, np.arange(5)])


def _aspect(drawing):
    from autograd.viz.layout import measure
    width, height = measure(drawing)
    return max(width / height, height / width)


@needs_dot
@pytest.mark.parametrize("picture", ["draw", "draw_backward", "frame", "draw_after_backward"])
def test_default_layout_of_the_readme_network_fits_a_screen(picture):
    loss = readme_tour_loss()
    if picture == "draw_after_backward":
        loss.backward()
    drawing = {"draw": viz.draw, "draw_backward": viz.draw_backward,
               "frame": lambda r: viz.backward_frames(r)[-1],
               "draw_after_backward": viz.draw}[picture](loss)
    assert _aspect(drawing) <= 3.2


@needs_dot
def test_a_long_chain_is_wrapped_into_rows():
    t = Tensor(1.0, requires_grad=True, name="x")
    for _ in range(40):  # too long for one row, and for one column
        t = t.tanh()
    drawing = viz.draw(t)
    assert "cluster_row1" in drawing.source
    assert _aspect(drawing) <= 3.2


def test_an_explicit_rankdir_is_kept():
    o, _ = neuron()
    assert "rankdir=TB" in viz.draw(o, rankdir="TB").source
    assert "rankdir=LR" in viz.draw_backward(o, rankdir="LR").source


def test_the_legend_explains_badges_red_numbers_and_the_direction_gradients_flow():
    o, _ = neuron()
    source = viz.draw_backward(o).source
    assert "step of the backward pass" in source
    assert "gradient sent back along the arrow, against its direction" in source
    assert "from the output to the inputs" in source
    assert "step of the backward pass" not in viz.draw(o).source


def test_autograd_exports_save_frames():
    import autograd
    assert autograd.save_frames is viz.save_frames and "save_frames" in autograd.__all__


@needs_dot
def test_frames_save_as_an_animated_gif(tmp_path):
    from PIL import Image
    o, _ = neuron()
    frames = viz.backward_frames(o)
    (path,) = viz.save_frames(frames, tmp_path / "backprop.gif", interval_ms=500)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(frames)
        assert gif.info["duration"] == 500
    assert [p.name for p in tmp_path.iterdir()] == ["backprop.gif"]  # no folder, no leftovers


def test_saving_frames_to_an_unknown_extension_is_an_error_and_writes_nothing(tmp_path):
    o, _ = neuron()
    frames = viz.backward_frames(o)
    with pytest.raises(ValueError, match=r"'\.mp4'.*'\.html'.*'\.gif'"):
        viz.save_frames(frames, tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []
