"""The backward engine: deep graphs, accumulation, freeing the graph, retain_grad, seeds, grad
modes and detect_anomaly."""
import gc
import sys
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from autograd.graph import backward_order

DEPTH = 100_000


def _chain(x, depth=DEPTH):
    y = x
    for _ in range(depth):
        y = y * 1.0
    return y


# ----------------------------------------------------------------------------------------------
# Deep graphs

def test_backward_through_a_100000_op_chain_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = _chain(x)
    assert sys.getrecursionlimit() == limit  # the engine must not have raised the limit to cope
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_dropping_an_unused_100000_op_chain_does_not_crash():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = _chain(x)
    probe = weakref.ref(y)
    del y
    gc.collect()
    assert probe() is None


def test_backward_order_lists_roots_first_and_inputs_after_their_users():
    x = Tensor(1.0, requires_grad=True, name="x")
    a = x * 2
    b = x + 1
    c = a * b
    order = backward_order(c)
    assert order[0] is c and order[-1] is x
    position = {id(t): i for i, t in enumerate(order)}
    assert position[id(c)] < position[id(a)] < position[id(x)]
    assert position[id(c)] < position[id(b)] < position[id(x)]
    assert len(order) == 4


def test_backward_order_skips_tensors_that_do_not_require_grad():
    x = Tensor(1.0, requires_grad=True)
    c = Tensor(3.0)
    y = x * c
    assert [t for t in backward_order(y)] == [y, x]


def test_backward_order_is_the_reverse_of_recording_then_the_leaves():
    x, w = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    a = x * w  # recorded first
    b = a.exp()
    c = a + b  # recorded last
    assert backward_order(c) == [c, b, a, x, w]


class _Recorder:
    """Wraps every op class's backward to list the ops in the order a real backward calls them."""

    def __init__(self, monkeypatch, classes):
        self.calls = []
        for cls in classes:
            def recording(op, *args, _orig=cls.backward):
                self.calls.append(op)
                return _orig(op, *args)
            monkeypatch.setattr(cls, "backward", recording)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh", "exp"]),
                          st.integers(0, 1000), st.integers(0, 1000)), min_size=1, max_size=25),
       st.integers(0, 1000))
def test_the_engine_visits_ops_in_backward_order_on_random_graphs(steps, root_pick):
    leaves = [Tensor(0.5, requires_grad=True), Tensor(0.25, requires_grad=True), Tensor(0.1)]
    pool = list(leaves)
    for kind, i, j in steps:  # each new tensor uses one or two earlier ones: any DAG
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append({"add": lambda: a + b, "mul": lambda: a * b,
                     "tanh": lambda: (a * 0.1).tanh(), "exp": lambda: (b * 0.1).exp()}[kind]())
    root = sum(pool[root_pick % len(pool):], Tensor(0.0))
    if not root.requires_grad:
        return
    want = [t.grad_fn for t in backward_order(root) if t.grad_fn is not None]
    with pytest.MonkeyPatch.context() as mp:
        recorder = _Recorder(mp, {type(op) for op in want})
        root.backward()
    assert recorder.calls == want


# ----------------------------------------------------------------------------------------------
# The op contract: what the engine does with the gradients an op's backward returns

class _Shift(ag.Op):
    """x + b with a user-written backward that leaves the broadcast to the engine."""

    def forward(self, x, b):
        return x + b

    def backward(self, gy, y, x, b):
        return gy, gy


def test_a_gradient_with_the_broadcast_shape_is_summed_to_the_input_shape():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.zeros((1, 3)), requires_grad=True)
    (_Shift()(x, b) * np.arange(12.0).reshape(4, 3)).sum().backward()
    np.testing.assert_array_equal(b.grad, [[18.0, 22.0, 26.0]])
    assert x.grad.shape == (4, 3)


class _WrongShape(ag.Op):
    def forward(self, x):
        return x * 2

    def backward(self, gy, y, x):
        return np.ones((5,))


def test_a_gradient_of_a_shape_the_input_cannot_broadcast_to_is_an_error_naming_both():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"_WrongShape.backward gave a gradient of shape "
                                           r"\(5,\) for an input of shape \(3,\)"):
        _WrongShape()(x).sum().backward()


class _Boom(ag.Op):
    def forward(self, x):
        return x * 1.0

    def backward(self, gy, y, x):
        raise ZeroDivisionError("boom")


@pytest.mark.parametrize("w_first", [True, False])
def test_a_backward_that_fails_halfway_leaves_every_leafs_grad_untouched(w_first):
    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    boom = _Boom()(x)
    y = (w * boom if w_first else boom * w).sum()  # w's gradient is complete before _Boom runs
    with pytest.raises(ZeroDivisionError):
        y.backward()
    assert w.grad is None and x.grad is None


def test_a_gradient_of_another_dtype_is_cast_to_the_inputs_dtype():
    class _Upcast(ag.Op):
        def forward(self, x):
            return x * 2

        def backward(self, gy, y, x):
            return (gy * 2).astype(np.float64)

    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    _Upcast()(x).sum().backward()
    assert x.grad.dtype == np.float32


# ----------------------------------------------------------------------------------------------
# Chain rule through shared subgraphs

def test_a_tensor_used_twice_gets_the_sum_of_both_gradients():
    x = Tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_a_0d_tensor_used_three_times_gets_all_three_gradients():
    w = Tensor(2.0, requires_grad=True)
    y = w * w + 3 * w  # dy/dw = 2w + 3 = 7
    y.backward()
    assert w.grad == 7.0


def test_a_diamond_graph_adds_both_paths():
    x = Tensor(2.0, requires_grad=True)
    h = x * x       # 4
    y = h * 3 + h.exp()  # dy/dx = (3 + e^h) * 2x
    y.backward()
    assert float(x.grad) == pytest.approx((3 + np.exp(4.0)) * 4.0)


def test_an_intermediate_used_by_many_ops_accumulates_every_contribution():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    y = (h + h + h * h + h / 2).sum()  # dy/dh = 2 + 2h + 0.5
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * (2.5 + 2 * np.array([2.0, 4.0])))


def test_each_leaf_gets_its_own_gradient_array():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([1.0, 2.0], requires_grad=True)
    ((x + y) * 2).sum().backward()
    x.grad *= 10  # a user (or an in-place gradient clipper) changing one gradient...
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])  # ...must not change another's


def test_gradient_does_not_alias_the_seed_passed_to_backward():
    seed = np.ones(2)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(seed)
    x.grad[0] = 5.0
    np.testing.assert_array_equal(seed, [1.0, 1.0])


# ----------------------------------------------------------------------------------------------
# Accumulation across backward calls

def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])


def test_resetting_grad_to_none_starts_accumulation_over():
    x = Tensor([1.0], requires_grad=True)
    (x * 3).sum().backward()
    x.grad = None
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_backward_leaves_constants_without_grad():
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([5.0])
    (x * c).sum().backward()
    assert c.grad is None


# ----------------------------------------------------------------------------------------------
# Freeing the graph, retain_graph

def test_second_backward_through_a_freed_graph_raises_and_mentions_retain_graph():
    x = Tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_backward_releases_each_ops_inputs():
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    y = h.exp().sum()
    ops = [t.grad_fn for t in backward_order(y) if t.grad_fn is not None]
    y.backward()
    assert all(op.inputs is None for op in ops)


def test_retain_graph_keeps_each_ops_inputs():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 2).exp().sum()
    y.backward(retain_graph=True)
    assert y.grad_fn.inputs is not None


def _graph_with_probes():
    """A small MLP-like graph; weak references to every intermediate tensor and its values. They
    are bigger than what backward keeps to draw the graph after it (autograd/freed.py)."""
    x = Tensor(np.ones((40, 3)))
    W = Tensor(np.full((2, 3), 0.1), requires_grad=True)
    h = ag.linear(x, W)
    a = ag.tanh(h)
    p = ag.softmax(a, axis=1)
    loss = -ag.log(p[np.arange(40), np.arange(40) % 2]).mean()
    probes = [weakref.ref(t) for t in (h, a, p)] + [weakref.ref(t.data) for t in (h, a, p)]
    return W, loss, probes


def test_intermediates_are_freed_right_after_backward_without_the_garbage_collector():
    gc.collect()
    gc.disable()  # only reference counting may free them: no reference cycles allowed
    try:
        W, loss, probes = _graph_with_probes()
        assert all(p() is not None for p in probes)  # the graph holds them before backward
        loss.backward()
        assert [p() is None for p in probes] == [True] * len(probes)
        assert W.grad is not None
    finally:
        gc.enable()


def test_the_small_record_backward_leaves_goes_with_the_output_without_the_garbage_collector():
    gc.collect()
    gc.disable()
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        h = x * 3.0
        probes = [weakref.ref(h), weakref.ref(h.data)]
        loss = (h.tanh() * 2.0).sum()
        del h
        loss.backward()
        assert all(p() is not None for p in probes)  # small: kept, for draw(loss)
        del loss
        assert all(p() is None for p in probes)  # no reference cycle holds them
    finally:
        gc.enable()


def test_a_graph_without_backward_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        W, loss, probes = _graph_with_probes()
        loss_probe = weakref.ref(loss)
        del loss
        assert loss_probe() is None
        assert all(p() is None for p in probes)
    finally:
        gc.enable()


def test_retain_graph_keeps_intermediates_until_the_output_is_dropped():
    gc.collect()
    gc.disable()
    try:
        W, loss, probes = _graph_with_probes()
        loss.backward(retain_graph=True)
        assert all(p() is not None for p in probes)
        del loss
        assert all(p() is None for p in probes)
    finally:
        gc.enable()


# ----------------------------------------------------------------------------------------------
# retain_grad

def test_intermediate_gradients_are_not_kept_by_default():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None


def test_retain_grad_keeps_the_gradient_of_an_intermediate():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, [4.0, 8.0])  # d(h^2)/dh = 2h
    np.testing.assert_array_equal(x.grad, [8.0, 16.0])


def test_retain_grad_on_the_output_keeps_the_seed():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    y.retain_grad()
    y.backward()
    assert y.grad == 1.0


def test_retain_grad_returns_the_tensor_for_chaining():
    x = Tensor([1.0], requires_grad=True)
    h = (x * 2).retain_grad()
    assert isinstance(h, Tensor) and h.grad_fn is not None


def test_retain_grad_on_a_leaf_changes_nothing():
    x = Tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


# ----------------------------------------------------------------------------------------------
# The seed of backward

def test_backward_on_a_non_scalar_without_grad_is_an_error_naming_the_shape():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        y.backward()


def test_backward_on_a_non_scalar_with_an_explicit_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])


def test_backward_accepts_a_tensor_as_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(Tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])


def test_backward_with_a_grad_of_the_wrong_shape_is_an_error_naming_both_shapes():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"(?s)\(3,\).*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_single_element_non_0d_tensor_needs_no_grad():
    x = Tensor([[2.0]], requires_grad=True)
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


def test_backward_on_a_tensor_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_backward_on_a_leaf_sets_its_grad_to_the_seed():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


# ----------------------------------------------------------------------------------------------
# Grad modes

def test_grad_is_enabled_by_default():
    assert is_grad_enabled()


def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_switches_grad_mode_off_and_restores_it():
    with no_grad():
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_restores_grad_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_nested_no_grad_restores_the_outer_mode():
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_as_a_decorator():
    @no_grad()
    def predict(x):
        return x * 2, is_grad_enabled()

    y, enabled = predict(Tensor([1.0], requires_grad=True))
    assert not enabled and not y.requires_grad
    assert is_grad_enabled()


def test_no_grad_decorator_keeps_the_function_name():
    @no_grad()
    def predict(x):
        return x

    assert predict.__name__ == "predict"


def test_enable_grad_as_a_decorator_inside_no_grad():
    @enable_grad()
    def train_step(x):
        return x * 2

    with no_grad():
        y = train_step(Tensor([1.0], requires_grad=True))
    assert y.requires_grad


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["worker"] = is_grad_enabled()

    with no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = is_grad_enabled()
    assert seen == {"worker": True, "main": False}


def test_no_grad_in_another_thread_does_not_affect_this_one():
    entered, release = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(5)
    try:
        assert is_grad_enabled()
        assert (Tensor([1.0], requires_grad=True) * 2).requires_grad
    finally:
        release.set()
        t.join()


# ----------------------------------------------------------------------------------------------
# detect_anomaly

def _line_of(marker):
    """The line number in this file of the (unique) source line containing `marker`."""
    lines = Path(__file__).read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if marker in line and "_line_of" not in line)


def test_detect_anomaly_raises_on_nan_in_forward_naming_the_op_and_the_line():
    x = Tensor([-1.0, 1.0], requires_grad=True)
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as info, np.errstate(invalid="ignore"):
            ag.log(x)  # anomaly-forward
    message = str(info.value)
    assert "NaN" in message and "Log" in message and "forward" in message
    assert f"test_backward.py:{_line_of('# anomaly-forward')}" in message


def test_detect_anomaly_raises_on_nan_in_backward_naming_the_op_and_the_line():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = ag.sqrt(x)  # anomaly-backward: sqrt'(0) is infinite
        z = (y * 0.0).sum()  # 0 * inf = NaN in the gradient of y's input
        with pytest.raises(FloatingPointError) as info, np.errstate(all="ignore"):
            z.backward()
    message = str(info.value)
    assert "Sqrt" in message and "gradient" in message
    assert f"test_backward.py:{_line_of('# anomaly-backward')}" in message


def test_detect_anomaly_raises_on_inf_in_forward():
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"(?s)inf.*Exp"), np.errstate(over="ignore"):
            ag.exp(Tensor([1000.0], requires_grad=True))


def test_without_detect_anomaly_nan_passes_silently():
    with np.errstate(invalid="ignore"):
        y = ag.log(Tensor([-1.0], requires_grad=True))
    assert np.isnan(y.data).all()


def test_detect_anomaly_is_switched_off_after_the_block():
    with detect_anomaly():
        pass
    with np.errstate(invalid="ignore"):
        ag.log(Tensor([-1.0], requires_grad=True))  # no error
