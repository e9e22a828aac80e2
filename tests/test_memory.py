"""Memory: a training loop does not grow, and a graph is freed the moment backward is done with it.

Reference counting alone must free everything: the garbage collector is switched off during each
check, so a reference cycle anywhere (tensor <-> op, op <-> gradient) would show up as memory that
stays. Ops have no weak-reference slot (they use __slots__), so they are found among the objects the
collector tracks instead.

Already covered elsewhere (tests/autograd/test_backward.py): three hand-picked intermediates of a
small graph freed after backward, a graph never back-propagated freed when its output is dropped,
retain_graph keeping intermediates until the output goes.
"""
import gc
import tracemalloc
import weakref
from contextlib import contextmanager

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor
from autograd.freed import SMALL
from autograd.graph import backward_order


@contextmanager
def collector_off():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ---- a training loop ---------------------------------------------------------------------------

def test_a_thousand_adam_steps_do_not_grow_memory():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 4)).astype(np.float32)
    y = (X[:, :1] * X[:, 1:2] > 0).astype(np.float32)
    model = nn.MLP([4, 16, 16, 1], rng=rng)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    loader = nn.DataLoader(X, y, batch_size=32, seed=0)  # 8 batches an epoch

    def train(steps):
        done = 0
        while done < steps:
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = F.binary_cross_entropy_with_logits(model(Tensor(xb)), yb)
                loss.backward()
                optimizer.step()
                done += 1

    with collector_off():
        tracemalloc.start()
        try:
            train(200)  # Adam's moment buffers and every cache are in place by now
            after_200 = tracemalloc.get_traced_memory()[0]
            train(800)
            after_1000 = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    # One leaked array or graph per step would add tens of bytes at least, 800 times over.
    assert after_1000 - after_200 < 16 * 1024, (after_200, after_1000)
    assert loss_is_finite(model, X, y)


def loss_is_finite(model, X, y):
    with ag.no_grad():
        return np.isfinite(F.binary_cross_entropy_with_logits(model(Tensor(X)), y).item())


# ---- every intermediate tensor and op is freed right after backward ------------------------------

def _build():
    """A graph with a bit of everything: layers, the NumPy API, indexing, a fused loss. Returns the
    parameters, the loss, and probes: weak references to every intermediate tensor and its values,
    and the ids of every op except the loss's own."""
    rng = np.random.default_rng(0)
    model = nn.MLP([3, 5, 4], activation="tanh", rng=rng)
    x = Tensor(rng.standard_normal((6, 3)).astype(np.float32))
    h = model(x)
    h = np.concatenate([h, ag.sigmoid(h[:, :1])], axis=1)
    h = np.maximum(h, 0.1) ** 2 + ag.softmax(h, axis=1)[np.arange(6), 0:1].reshape(6, 1)
    loss = F.cross_entropy(h, np.array([0, 1, 2, 3, 4, 0])) + h.var() * 0.1
    intermediates = [t for t in backward_order(loss) if t.grad_fn is not None and t is not loss]
    tensors = [weakref.ref(t) for t in intermediates] + [weakref.ref(t.data) for t in intermediates]
    op_ids = {id(t.grad_fn) for t in intermediates}
    return list(model.parameters()), loss, tensors, op_ids


def _live_ops(op_ids):
    return [o for o in gc.get_objects() if isinstance(o, ag.Op) and id(o) in op_ids]


def _big(tensors):
    """The probes of intermediates too big for the record backward leaves (autograd/freed.py)."""
    return [r for r in tensors if r() is not None and np.size(r().data if isinstance(r(), Tensor)
                                                            else r()) > SMALL]


def test_every_big_intermediate_is_freed_right_after_backward():
    with collector_off():
        params, loss, tensors, op_ids = _build()
        assert len(op_ids) > 15  # the graph really is non-trivial
        assert all(r() is not None for r in tensors) and len(_live_ops(op_ids)) == len(op_ids)
        big = _big(tensors)
        assert len(big) > 10
        loss.backward()
        assert [r for r in big if r() is not None] == []
        assert loss.grad_fn.inputs is None  # the output keeps its own op, emptied
        assert all(p.grad is not None for p in params)


def test_what_backward_leaves_for_drawing_goes_with_the_output():
    with collector_off():
        params, loss, tensors, op_ids = _build()
        loss.backward()
        del loss  # the record of small tensors and ops hangs off the output, and no longer
        assert [r for r in tensors if r() is not None] == []
        assert _live_ops(op_ids) == []


def test_grad_frees_the_graph_like_backward():
    with collector_off():
        params, loss, tensors, op_ids = _build()
        big = _big(tensors)
        ag.grad(loss, params)
        assert [r for r in big if r() is not None] == []
        del loss
        assert [r for r in tensors if r() is not None] == []
        assert _live_ops(op_ids) == []


def test_a_higher_order_graph_is_freed_by_reference_counting_once_its_results_are_dropped():
    with collector_off():
        x = Tensor([0.3, -0.2, 0.5], requires_grad=True)
        y = (ag.tanh(x) ** 3).sum()
        (g,) = ag.grad(y, x, create_graph=True)
        (gg,) = ag.grad(g.sum(), x, create_graph=True)  # third-order graph on top
        probes = [weakref.ref(t) for t in (y, g, gg)]
        probes += [weakref.ref(t) for t in backward_order(gg) if t is not x]
        assert len(probes) > 10
        del y, g, gg
        assert [r for r in probes if r() is not None] == []


def test_a_backward_that_fails_midway_leaks_nothing_once_the_output_is_dropped():
    with collector_off():
        params, loss, tensors, op_ids = _build()
        with ag.no_grad():
            params[0].mul_(0.5)  # the first layer's weight: backward fails when it gets there
        try:
            loss.backward()
        except RuntimeError as error:
            assert "modified in place" in str(error)
        else:
            pytest.fail("backward should have refused the changed weight")
        del loss
        assert [r for r in tensors if r() is not None] == []
        assert _live_ops(op_ids) == []


def test_a_forward_under_no_grad_keeps_no_graph():
    model = nn.MLP([3, 5, 2], rng=np.random.default_rng(0))
    with ag.no_grad():
        out = model(Tensor(np.ones((4, 3), np.float32)))
    assert out.grad_fn is None and not out.requires_grad
