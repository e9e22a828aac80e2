"""derive on every network of the seed tests and the notebooks: the written code reproduces the
engine's gradients, and reads like the seeds' hand derivations where they have one."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "autograd"))
from derive_helpers import derive_and_check  # noqa: E402

import test_000_mnist_two_layer as s000  # noqa: E402
import test_001_xor as s001  # noqa: E402
import test_002_mnist_mlp_jacobian as s002  # noqa: E402
import test_003_three_vs_seven as s003  # noqa: E402
import test_004_blog_bp_network as s004  # noqa: E402


def lines(d):
    return [line.split("#")[0].strip() for line in d.code.splitlines()[1:-1]]


# -- the seed tests' networks -------------------------------------------------------------------

@pytest.mark.parametrize("options", [{"l2": 0.01}, {"class_axis": 1}, {"squash_logits": True}],
                         ids=["l2", "softmax over the batch", "activation before softmax"])
def test_000_two_layer_column_network(options):
    d = derive_and_check(s000.make_loss(**options), s000.weights())
    if options.get("l2"):
        assert "dfinal_in = p - Y" in lines(d)
        assert "dhidden_in = dhidden_outputs * hidden_outputs * (1 - hidden_outputs)" in lines(d)


def test_001_xor_sample_and_predictions():
    d = derive_and_check(s001.cost_for(s001.x, s001.y), s001.initial_weights())
    assert "dW1 = da @ x.T" in lines(d)

    def pred_loss(W1, b1, W2, b2):
        y_pred = s001.pred(s001.X, W1, W2, b1, b2)
        return np.mean(-s001.Y * np.log(y_pred) - (1 - s001.Y) * np.log(1 - y_pred))
    derive_and_check(pred_loss, s001.initial_weights())
    derive_and_check(s001.cost_for(s001.x, np.array([[0], [1]])), s001.initial_weights(outputs=2))


def test_002_relu_mlp_batched_and_per_sample():
    d = derive_and_check(s002.make_loss(), s002.weights())
    assert "dz3 = (p - targets) / 4" in lines(d)
    assert "dz2 = dh2 * (z2 > 0)" in lines(d)
    derive_and_check(s002.make_loss(softmax=s002.softmax_1d), s002.weights())

    def one_sample(**w):  # the learner's per-sample forward, -sum(t log p) of one row
        p = s002.forward(**w, X=s002.features[0], softmax=s002.softmax_1d)[3]
        return -np.sum(s002.targets[0] * np.log(p))
    derive_and_check(one_sample, s002.weights())


def test_003_three_vs_seven():
    d = derive_and_check(s003.loss_fn, s003.initial_model())
    assert "dz3 = (probs - Y) / 8" in lines(d)
    assert "dz2 = da2 * a2 * (1 - a2)" in lines(d)
    assert "dW1 = X.T @ dz1" in lines(d)


@pytest.mark.parametrize("activation, step", [(s004.tanh, "dz = dr * (1 - r**2)"),
                                              (s004.sigmoid, "dz = dr * r * (1 - r)")])
def test_004_blog_regression(activation, step):
    d = derive_and_check(s004.make_loss(activation=activation), s004.network())
    assert step in lines(d)
    derive_and_check(s004.make_loss(x=s004.x_data[:1], t=s004.t_data[0, 0]), s004.network())


def test_004_blog_classification():
    r = np.random.default_rng(7)
    X, T = r.random((5, 10)), np.eye(12)[[0, 4, 11, 4, 2]]
    w = {"W1": r.random((6, 10)) / 10 - 0.05, "b1": -0.1 * r.random(), "W2": r.random((12, 6)) / 6}

    def loss_fn(W1, b1, W2):
        h = np.maximum(0, np.dot(X, W1.T) + b1)
        z = np.dot(h, W2.T)
        e = np.exp(z)
        a = e / np.sum(e, axis=1, keepdims=True)
        return np.mean(-np.sum(T * np.log(a), axis=1))
    assert "dz = (a - T) / 5" in lines(derive_and_check(loss_fn, w))

    t = np.array([0.1, 0.6, 0.1, 0.1, 0.1])

    def blog_ce(z):  # one sample: -t . log softmax(z)
        e = np.exp(z)
        return -np.dot(t, np.log(e / np.sum(e)))
    derive_and_check(blog_ce, {"z": np.array([1.0, 2.0, 0.5, -1.0, 3.0])})


# -- the notebooks' networks --------------------------------------------------------------------

def test_notebook_02_xor_columns():
    X = np.array([[1.0], [1.0]])

    def sigmoid(s):
        return 1 / (1 + np.exp(-s))

    def loss_fn(W1, b1, W2, b2):
        y = sigmoid(W2 @ sigmoid(W1 @ X + b1) + b2)
        return np.sum(-0.0 * np.log(y) - 1.0 * np.log(1 - y))
    derive_and_check(loss_fn, s001.initial_weights())


def test_notebook_03_tanh_mlp_with_mse():
    nn.manual_seed(0)
    model = nn.MLP([1, 8, 1], activation="tanh")
    xb = np.linspace(-3, 3, 16, dtype=np.float32)[:, None]
    loss = F.mse_loss(model(Tensor(xb)), np.sin(xb))
    d = ag.derive(loss, dict(model.named_parameters()))
    grads = d.function(**{n: p.data for n, p in model.named_parameters()})
    loss.backward()
    for n, p in model.named_parameters():
        np.testing.assert_allclose(grads[n], p.grad, rtol=1e-4, atol=1e-6)
    assert "dz1 = dh1 * (1 - h1**2)" in lines(d)


def test_notebook_04_softmax_regression():
    r = np.random.default_rng(0)
    X, labels = r.standard_normal((6, 3)), np.array([0, 1, 2, 3, 1, 2])
    T = np.eye(4)[labels]
    params = {"W": r.standard_normal((3, 4)), "b": np.zeros(4)}
    d = derive_and_check(lambda W, b: F.cross_entropy(np.dot(X, W) + b, labels), params)
    assert "dz1 = (p - Y) / 6" in lines(d)

    def whole_matrix(W, b):
        z = np.dot(X, W) + b
        zz = z - np.max(z)
        return -np.sum(T * np.log(np.exp(zz) / np.sum(np.exp(zz)))) / 6
    derive_and_check(whole_matrix, params)
    for t in (np.eye(5)[4], np.array([0.1, 0.6, 0.1, 0.1, 0.1])):
        d = derive_and_check(lambda z: -np.sum(t * np.log(ag.softmax(z))),
                             {"z": np.array([1.0, 2.0, 0.5, -1.0, 3.0])})
        assert "dz = p1 - t" in lines(d)


def test_notebook_05_column_layout_mnist():
    r = np.random.default_rng(0)
    X, Y = r.random((20, 8)), np.eye(10)[r.integers(0, 10, 8)].T

    def sigmoid(x, der=False):
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s) if der else s

    def loss_fn(wih, who):
        p = np.exp(np.dot(who, sigmoid(np.dot(wih, X))))
        p = p / np.sum(p, axis=0, keepdims=True)
        return -np.sum(Y * np.log(p))
    w = {"wih": r.standard_normal((5, 20)) / np.sqrt(20), "who": r.standard_normal((10, 5)) / 2}
    d = derive_and_check(loss_fn, w)
    assert any(re.fullmatch(r"dz\d = p(_\d)? - Y", line) for line in lines(d))


def test_notebooks_06_and_11_three_vs_seven_with_arange():
    N = 8

    def loss_fn(**model):
        probs = s003.forward(**model)[2]
        return -np.sum(np.log(probs[np.arange(N), s003.y])) / N
    assert "dz3 = (probs - Y) / 8" in lines(derive_and_check(loss_fn, s003.initial_model()))


def test_notebook_07_template_network():
    r = np.random.default_rng(0)
    X, y = r.standard_normal((8, 5)), r.integers(0, 3, 8)
    params = {"W1": r.standard_normal((5, 4)) * 0.5, "b1": np.zeros(4),
              "W2": r.standard_normal((4, 3)) * 0.5, "b2": np.zeros(3)}

    def forward(W1, b1, W2, b2, X, y):
        z1 = ag.watch("z1", np.dot(X, W1) + b1)
        h = np.tanh(z1)
        z2 = ag.watch("z2", np.dot(h, W2) + b2)
        e = np.exp(z2 - np.max(z2, axis=1, keepdims=True))
        p = e / np.sum(e, axis=1, keepdims=True)
        n = X.shape[0]
        return -np.sum(np.log(p[np.arange(n), y])) / n
    d = derive_and_check(lambda **p: forward(**p, X=X, y=y), params)
    assert "dz2 = (p - Y) / 8" in lines(d) and "dz1 = dh * (1 - h**2)" in lines(d)


def test_notebook_08_relu_mlp_float32_and_hand_cross_entropy():
    nn.manual_seed(3)
    model = nn.MLP([2, 3, 3])
    X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.2, 0.1]], dtype=np.float32)
    labels = np.array([0, 2, 1, 2])

    def hand_cross_entropy(logits, labels):
        p = ag.softmax(logits, axis=1)
        return -ag.log(p)[np.arange(len(labels)), labels].mean()
    for loss_fn in (F.cross_entropy, hand_cross_entropy):
        loss = loss_fn(model(Tensor(X)), labels)
        d = ag.derive(loss, dict(model.named_parameters()))
        grads = d.function(**{n: p.data for n, p in model.named_parameters()})
        model.zero_grad()
        loss.backward()
        for n, p in model.named_parameters():
            np.testing.assert_allclose(grads[n], p.grad, rtol=1e-5, atol=1e-7)
        assert any(re.fullmatch(r"dz2 = \(p\d? - Y\) / 4", line) for line in lines(d))
