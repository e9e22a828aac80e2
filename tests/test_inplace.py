"""In-place safety: a value saved for backward that is changed afterwards makes backward raise.

Tensors carry a version counter, bumped by every in-place change; an op remembers when it was
recorded, and backward refuses to use an input (or an output its backward reads) that changed since.
The error names the tensor and the op. Optimizer steps taken after backward, as in every ordinary
training loop, never trip it.

Already covered elsewhere, not repeated here: each in-place method's values, return value and version
bump (tests/autograd/test_tensor.py, INPLACE table), `+=` and item assignment under no_grad and their
refusal in grad mode (same file), a step bumping the version (tests/nn/test_optim.py), the basic
`sub_`-then-backward error and Exp's changed output (test_tensor.py).
"""
import operator
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, detect_anomaly, no_grad

INPLACE_ERROR = "modified in place"


def _line_of(marker):
    """The line number in this file of the (unique) source line ending with `marker`."""
    lines = Path(__file__).read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(marker))


# ---- source 001: "W2 updated before W1's gradient", caught by the engine ----------------------

XOR_X, XOR_Y = np.array([[1.0], [1.0]]), np.array([[0.0]])  # sample [1, 1], label 0


def _xor_weights():
    """Source 001's 2-2-1 net: weights in U(-0.12, 0.12), column-vector layout."""
    rng = np.random.default_rng(565113221)
    return [Tensor(rng.uniform(-0.12, 0.12, shape), requires_grad=True, name=name)
            for name, shape in [("W1", (2, 2)), ("b1", (2, 1)), ("W2", (1, 2)), ("b2", (1, 1))]]


def _xor_forward(W1, b1, W2, b2):
    """Hidden activations, prediction and binary cross-entropy cost for the one sample."""
    z = ag.sigmoid(W1 @ XOR_X + b1)
    y_pred = ag.sigmoid(W2 @ z + b2)
    cost = (-XOR_Y * ag.log(y_pred) - (1 - XOR_Y) * ag.log(1 - y_pred)).sum()
    return z, y_pred, cost


def test_source_001_updating_W2_before_backward_makes_backward_raise_naming_W2_and_the_op():
    W1, b1, W2, b2 = _xor_weights()
    z, y_pred, cost = _xor_forward(W1, b1, W2, b2)
    alpha = 0.01
    with no_grad():
        W2 -= alpha * (y_pred.data - XOR_Y) @ z.data.T  # the learner's W2 update, done first
    with pytest.raises(RuntimeError, match=rf"(?s)'W2'.*{INPLACE_ERROR}.*Matmul"):
        cost.backward()  # ... and only then W1's gradient, which needs the old W2


def test_source_001_in_the_right_order_gradients_first_then_updates_never_trips():
    weights = _xor_weights()
    for _ in range(3):
        *_, cost = _xor_forward(*weights)
        for w in weights:
            w.grad = None
        cost.backward()
        with no_grad():
            for w in weights:
                w -= 0.5 * w.grad
    assert [w.version for w in weights] == [3, 3, 3, 3]


# ---- every way of changing a saved parameter in place ----------------------------------------

def _sgd_step(model):
    model.weight.grad = np.ones_like(model.weight.data)
    nn.optim.SGD([model.weight], lr=0.1).step()


def _adam_step(model):
    model.weight.grad = np.ones_like(model.weight.data)
    nn.optim.Adam([model.weight], lr=0.1).step()


def _no_grad(change):
    def run(model):
        with no_grad():
            change(model.weight)
    return run


WAYS = {
    "+=": _no_grad(lambda w: operator.iadd(w, 1.0)),
    "-=": _no_grad(lambda w: operator.isub(w, 0.5 * np.ones(w.shape, np.float32))),
    "*=": _no_grad(lambda w: operator.imul(w, 2.0)),
    "/=": _no_grad(lambda w: operator.itruediv(w, 2.0)),
    "t[...] =": _no_grad(lambda w: w.__setitem__((0, 1), 5.0)),
    "t[mask] =": _no_grad(lambda w: w.__setitem__(w > 0, 0.0)),
    "add_": _no_grad(lambda w: w.add_(1.0)),
    "sub_": _no_grad(lambda w: w.sub_(Tensor(np.ones(w.shape, np.float32)), alpha=0.1)),
    "mul_": _no_grad(lambda w: w.mul_(3.0)),
    "div_": _no_grad(lambda w: w.div_(3.0)),
    "copy_": _no_grad(lambda w: w.copy_(np.zeros(w.shape))),
    "zero_": _no_grad(lambda w: w.zero_()),
    "fill_": _no_grad(lambda w: w.fill_(7.0)),
    "SGD step": _sgd_step,
    "Adam step": _adam_step,
    "load_state_dict": lambda model: model.load_state_dict(nn.Linear(3, 2).state_dict()),
}


@pytest.mark.parametrize("way", WAYS)
def test_changing_a_saved_parameter_in_place_makes_backward_raise_naming_it_and_the_op(way):
    model = nn.Linear(3, 2, rng=np.random.default_rng(0)).name_parameters()
    loss = model(Tensor(np.ones((4, 3), np.float32))).sum()
    WAYS[way](model)
    with pytest.raises(RuntimeError, match=rf"(?s)'weight'.*{INPLACE_ERROR}.*Linear"):
        loss.backward()


def test_changing_a_constant_input_in_place_makes_backward_raise():
    # The batch gets no gradient, but the weight's gradient is computed from it.
    X = Tensor(np.ones((4, 3)), name="X")
    W = Tensor(np.ones((3, 2)), requires_grad=True, name="W")
    loss = (X @ W).sum()
    X.mul_(0.0)  # no no_grad() needed: X does not require grad
    with pytest.raises(RuntimeError, match=rf"(?s)'X'.*{INPLACE_ERROR}.*Matmul"):
        loss.backward()


def test_changing_an_intermediate_in_place_makes_backward_raise_describing_it_by_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    loss = (h * h).sum()
    with no_grad():
        h += 1.0
    with pytest.raises(RuntimeError, match=rf"(?s)shape \(2,\).*{INPLACE_ERROR}.*Multiply"):
        loss.backward()


def test_under_detect_anomaly_the_inplace_error_gives_the_line_that_created_the_op():
    with detect_anomaly():
        w = Tensor([1.0, 2.0], requires_grad=True, name="w")
        loss = (w * w).sum()  # creates-the-multiply
    with no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    message = str(info.value)
    assert "'w'" in message and "Multiply" in message
    assert f"test_inplace.py:{_line_of('# creates-the-multiply')}" in message


# ---- realistic orderings in a training loop --------------------------------------------------

def test_a_step_between_two_backwards_through_a_retained_graph_makes_the_second_raise():
    model = nn.Linear(2, 1, rng=np.random.default_rng(0)).name_parameters()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = model(Tensor(np.ones((3, 2), np.float32))).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match=rf"(?s)'weight'.*{INPLACE_ERROR}.*Linear"):
        loss.backward()


def test_a_step_after_the_first_of_two_losses_makes_the_second_backward_raise():
    model = nn.MLP([2, 3, 1], rng=np.random.default_rng(0)).name_parameters()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    out = model(Tensor(np.ones((4, 2), np.float32)))
    first, second = out.sum(), (out * out).mean()
    first.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match=rf"(?s)'2\.(weight|bias)'.*{INPLACE_ERROR}"):
        second.backward()


OPTIMIZERS = {
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "SGD momentum nesterov wd": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                                        weight_decay=1e-3),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.01),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.5),
    "Adagrad": lambda ps: nn.optim.Adagrad(ps, lr=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_ordinary_loop_forward_backward_step_never_trips_the_check(name):
    model = nn.MLP([2, 8, 1], rng=np.random.default_rng(0))
    optimizer = OPTIMIZERS[name](model.parameters())
    (X, y), _ = nn.data.xor()
    versions = [p.version for p in model.parameters()]
    for _ in range(5):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(Tensor(X)), y)
        loss.backward()
        nn.optim.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    # each step changed every parameter in place (at least one version bump per step)
    assert all(p.version >= v + 5 for p, v in zip(model.parameters(), versions))


def test_evaluating_under_no_grad_between_steps_never_trips_the_check():
    model = nn.Linear(2, 1, rng=np.random.default_rng(0))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    X = Tensor(np.ones((3, 2), np.float32))
    for _ in range(3):
        loss = model(X).sum()
        with no_grad():
            model(X)  # a validation pass in the middle
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


# ---- outputs that a backward reads -----------------------------------------------------------

OUTPUT_OPS = {
    "exp": ag.exp, "log": ag.log, "sqrt": ag.sqrt, "abs": ag.abs, "sin": ag.sin, "cos": ag.cos,
    "tanh": ag.tanh, "sigmoid": ag.sigmoid, "relu": ag.relu,
    "leaky_relu": lambda x: ag.leaky_relu(x, 0.1), "clip": lambda x: ag.clip(x, 0.6, 1.5),
    "softmax": ag.softmax, "log_softmax": ag.log_softmax, "logsumexp": ag.logsumexp,
    "square": lambda x: x ** 2, "cube": lambda x: x ** 3, "reciprocal": lambda x: 1.0 / x,
    "negative": lambda x: -x, "sum": lambda x: x.sum(axis=1), "mean": lambda x: x.mean(axis=0),
    "max": lambda x: x.max(axis=1), "min": lambda x: x.min(), "var": lambda x: x.var(axis=1),
    "std": lambda x: x.std(), "fancy index": lambda x: x[[0, 1, 1]],
    "matmul": lambda x: x @ x.T, "float32": lambda x: x.astype(np.float32),
}


@pytest.mark.parametrize("name", OUTPUT_OPS)
def test_changing_an_output_in_place_never_gives_a_silently_wrong_gradient(name):
    """Either the op's backward does not read its output (then the gradient is still right) or
    the change is caught. A backward that reads a changed output without saying so would be wrong."""
    f = OUTPUT_OPS[name]
    values = np.array([[0.5, 1.2, 0.9], [1.4, 0.7, 1.1]])
    reference = Tensor(values, requires_grad=True)
    f(reference).sum().backward()
    x = Tensor(values, requires_grad=True)
    y = f(x)
    loss = y.sum()
    with no_grad():
        y.mul_(3.0)
    try:
        loss.backward()
    except RuntimeError as error:
        assert INPLACE_ERROR in str(error)
    else:
        np.testing.assert_allclose(x.grad, reference.grad)


# ---- views and detach() share the data, so they must share the version -----------------------

VIEWS = {
    "reshape": lambda x: x.reshape(4),
    "T": lambda x: x.T,
    "transpose": lambda x: x.transpose(),
    "slice": lambda x: x[0],
    "flatten": lambda x: x.flatten(),
    "squeeze": lambda x: ag.squeeze(ag.expand_dims(x, 0)),
    "expand_dims": lambda x: ag.expand_dims(x, 0),
}


def test_inplace_change_through_a_detached_alias_makes_backward_raise():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, name="x")
    loss = (x * x).sum()
    alias = x.detach()  # shares x's values (no copy)
    alias -= 1.0
    with pytest.raises(RuntimeError, match=rf"(?s)'x'.*{INPLACE_ERROR}.*Multiply"):
        loss.backward()


@pytest.mark.parametrize("view", VIEWS)
def test_inplace_change_through_a_view_makes_backward_raise(view):
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    loss = (x * x).sum()
    v = VIEWS[view](x)
    with no_grad():
        v.mul_(10.0)
    with pytest.raises(RuntimeError, match=rf"(?s)'x'.*{INPLACE_ERROR}.*Multiply"):
        loss.backward()


def test_inplace_change_of_a_base_after_its_view_was_saved_makes_backward_raise():
    X = Tensor(np.arange(1.0, 7.0).reshape(3, 2), name="X")
    W = Tensor(np.ones((2, 1)), requires_grad=True, name="W")
    loss = (X[:2] @ W).sum()  # Matmul saves the view X[:2]
    X.mul_(0.0)
    with pytest.raises(RuntimeError, match=rf"(?s){INPLACE_ERROR}.*Matmul"):
        loss.backward()


def test_inplace_change_through_a_detached_alias_bumps_the_original_version():
    x = Tensor([1.0, 2.0], requires_grad=True)
    alias = x.detach()
    alias.add_(1.0)
    assert x.version == 1
