"""Source 004: a blog's BP network from scratch, regression (sin) then classification.

Part 1: x -> tanh hidden layer -> linear output, one scalar bias per layer, loss 1/2 mean (pred - t)^2.
The blog's delta recursion, for the hidden outputs r_i and the next layer's outputs s_j = sigma(z_j):
    dL/dr_i = sum_j dL/ds_j sigma'(z_j) w_ij
with sigma' computed from the saved output (tanh' = 1 - out^2, sigmoid' = out (1 - out)). Batched:
    dL/dpred = (pred - t) / N,  dL/dW2 = dL/dpred^T r,  dL/db2 = sum of dL/dpred
    dL/dr = dL/dpred W2,        dL/dz = dL/dr * (1 - r^2)
    dL/dW1 = dL/dz^T x,         dL/db1 = sum of dL/dz    (one bias shared by the whole layer)
Part 2: softmax + cross-entropy, d a_j / d z_i = a_i (1 - a_i) if i = j else -a_i a_j, and so
dL/dz = a - t.
Layers are stored one row per neuron, like the blog's Neuron objects: W1 is (hidden x 1).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograd import jacobian, softmax as autograd_softmax
from autograd.check import compare_gradients, watch
from autograd.testing import assert_gradients_match, float_arrays

H, N = 20, 16  # the blog uses 200 hidden neurons; the recursion is the same with 20

rng = np.random.default_rng(4)
x_data = rng.random((N, 1)) * 2 * np.pi - np.pi
t_data = np.sin(x_data)


def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def tanh_derivative(output):
    return 1 - output ** 2


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return sigmoid(x) * (1 - sigmoid(x))


def network(seed=0):
    # the blog's Neuron: random(weight_size) / weight_size; biases -0.1 * random()
    r = np.random.default_rng(seed)
    return {"W1": r.random((H, 1)) / 1, "b1": -0.1 * r.random(),
            "W2": r.random((1, H)) / H, "b2": -0.1 * r.random()}


def forward(W1, b1, W2, b2, x, activation=tanh):
    z = watch("z", np.dot(x, W1.T) + b1)
    r = activation(z)
    pred = watch("pred", np.dot(r, W2.T) + b2)
    return r, pred


def make_loss(x=x_data, t=t_data, activation=tanh):
    def loss_fn(**w):
        pred = forward(**w, x=x, activation=activation)[1]
        return 1 / 2 * np.mean((pred - t) ** 2)
    return loss_fn


def delta_recursion(w, x=x_data, t=t_data, activation=tanh, derivative_from_output=None):
    r, pred = forward(**w, x=x, activation=activation)
    d_pred = (pred - t) / len(x)
    d_r = np.dot(d_pred, w["W2"])
    d_z = d_r * (derivative_from_output or tanh_derivative)(r)
    return {"pred": d_pred, "W2": np.dot(d_pred.T, r), "b2": np.sum(d_pred),
            "z": d_z, "W1": np.dot(d_z.T, x), "b1": np.sum(d_z)}


# -- Part 1: regression ------------------------------------------------------------------------

def test_delta_recursion_with_tanh_from_the_saved_output_matches_autograd():
    w = network()
    report = compare_gradients(make_loss(), w, delta_recursion(w))
    assert report.ok, str(report)


def test_sigmoid_derivative_as_out_times_one_minus_out_matches_autograd():
    w = network()
    hand = delta_recursion(w, activation=sigmoid, derivative_from_output=lambda out: out * (1 - out))
    assert compare_gradients(make_loss(activation=sigmoid), w, hand).ok


def test_sigmoid_derivative_fed_the_saved_output_is_caught_at_the_hidden_layer():
    # sigmoid_derivative expects the pre-activation; the blog gave it the saved output
    w = network()
    hand = delta_recursion(w, activation=sigmoid, derivative_from_output=sigmoid_derivative)
    report = compare_gradients(make_loss(activation=sigmoid), w, hand)
    assert report.first_mismatch == "z"
    assert report["pred"].ok


def blog_prop_backward(w, x, target, learning_rate):
    """The blog's prop_backward for one sample, on copies, vectorised over the neurons of a
    layer; biases[0] belongs to the input layer, biases[1] and biases[2] to the next two."""
    W1, W2 = w["W1"].copy(), w["W2"].copy()
    biases = np.array([0.0, w["b1"], w["b2"]])
    r, pred = forward(W1, biases[1], W2, biases[2], x[None, :])
    r, out = r[0], pred[0, 0]
    delta_out = out - target
    biases[-1] -= delta_out * learning_rate
    hidden_delta = delta_out * W2[0]
    W2[0] -= delta_out * r * learning_rate
    layer_idx = 0  # reversed(range(0, len(layers) - 2)) for three layers
    for neuron_idx in range(H):
        step = hidden_delta[neuron_idx] * tanh_derivative(r[neuron_idx]) * learning_rate
        W1[neuron_idx] -= x * step
        biases[layer_idx] -= step
    return {"W1": (w["W1"] - W1) / learning_rate, "b1": (w["b1"] - biases[1]) / learning_rate,
            "W2": (w["W2"] - W2) / learning_rate, "b2": (w["b2"] - biases[2]) / learning_rate}


def test_hidden_bias_update_lands_on_the_input_layers_slot_so_its_gradient_is_zero():
    w = network()
    x, t = x_data[0], t_data[0, 0]
    report = compare_gradients(make_loss(x=x[None, :], t=t), w,
                               blog_prop_backward(w, x, t, learning_rate=0.0005))
    assert report.first_mismatch == "b1"
    assert report["b1"].diagnosis == "zero"
    assert [row.name for row in report if not row.ok] == ["b1"]


def test_back_propagating_only_the_first_sample_of_a_batch_is_not_the_batch_gradient():
    # "mini-batch": prop_backward runs for i % batch_size == 0, i.e. one sample in each batch
    w = network()
    first_only = delta_recursion(w, x=x_data[:1], t=t_data[:1])
    hand = {k: v for k, v in first_only.items() if k not in ("pred", "z")}
    report = compare_gradients(make_loss(), w, hand)
    assert not report.ok
    assert report.first_mismatch == "b2"


def clipped_gradient(gradient, threshold=10):
    if abs(gradient) <= abs(threshold):
        return gradient
    else:
        return threshold * np.sign(gradient)


def test_gradient_clipping_by_value_is_diagnosed_as_partial_naming_the_clipped_entries():
    w = network()
    t_far = 27 * t_data  # targets far from the predictions: some gradients above 10
    hand = delta_recursion(w, t=t_far)
    hand = {"W2": np.vectorize(clipped_gradient)(hand["W2"])}
    report = compare_gradients(make_loss(t=t_far), w, hand)
    true_w2 = delta_recursion(w, t=t_far)["W2"]
    clipped = np.flatnonzero(np.abs(true_w2[0]) > 10)
    assert 0 < len(clipped) < H
    assert report["W2"].diagnosis == "partial"
    assert report["W2"].where == "columns " + ", ".join(str(i) for i in clipped)


def test_exp_based_tanh_overflowing_to_nan_is_reported_as_nonfinite():
    w = network()
    w["W1"] = w["W1"] * 1000  # pre-activations in the hundreds: exp overflows, inf / inf = NaN
    with np.errstate(over="ignore", invalid="ignore"):
        report = compare_gradients(make_loss(), w, delta_recursion(w))
    assert report["W1"].diagnosis == "nonfinite"


# -- Part 2: classification --------------------------------------------------------------------

def softmax_derivative(a):
    """The blog's result: a_i (1 - a_i) on the diagonal, -a_i a_j off it."""
    return np.diag(a) - np.outer(a, a)


def test_softmax_derivative_formula_equals_autograds_jacobian():
    z = np.random.default_rng(1).standard_normal(12)
    a = autograd_softmax(z).data
    np.testing.assert_allclose(softmax_derivative(a), np.asarray(jacobian(autograd_softmax, z)),
                               atol=1e-14)


def probability_vectors(n):
    return float_arrays((n,), min_value=0.0, max_value=1.0).filter(
        lambda v: v.sum() > 1e-3).map(lambda v: v / v.sum())


@given(st.integers(2, 12).flatmap(
    lambda c: st.tuples(float_arrays((c,), min_value=-5, max_value=5), probability_vectors(c))))
def test_cross_entropy_through_softmax_has_logit_gradient_a_minus_t(logits_and_target):
    z, t = logits_and_target

    def softmax(values):  # the blog's: exponentials over their sum
        e = np.exp(values)
        return e / np.sum(e)

    def ce_loss(zz):
        return -np.dot(t, np.log(softmax(zz)))

    assert_gradients_match(ce_loss, z, expected=lambda zz: softmax(zz) - t)


def test_classification_network_gradients_match_autograd():
    # 784-40-12 shrunk to 10-6-12: ReLU hidden layer with one shared bias, no output bias
    r = np.random.default_rng(7)
    X = r.random((5, 10))
    T = np.eye(12)[[0, 4, 11, 4, 2]]
    w = {"W1": r.random((6, 10)) / 10 - 0.05, "b1": -0.1 * r.random(), "W2": r.random((12, 6)) / 6}

    def loss_fn(W1, b1, W2):
        h = np.maximum(0, np.dot(X, W1.T) + b1)
        z = watch("z", np.dot(h, W2.T))
        e = np.exp(z)
        a = e / np.sum(e, axis=1, keepdims=True)
        return np.mean(-np.sum(T * np.log(a), axis=1))

    pre = np.dot(X, w["W1"].T) + w["b1"]
    h = np.maximum(0, pre)
    z = np.dot(h, w["W2"].T)
    a = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    d_z = (a - T) / len(X)
    d_pre = np.dot(d_z, w["W2"]) * (h > 0)
    hand = {"z": d_z, "W2": np.dot(d_z.T, h), "W1": np.dot(d_pre.T, X), "b1": np.sum(d_pre)}
    report = compare_gradients(loss_fn, w, hand)
    assert report.ok, str(report)
