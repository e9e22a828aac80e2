"""Source 002: a 784-300-75-10 ReLU MLP whose accuracy rises while its loss rises too.

One sample per row. h1 = relu(x W1 + b1), h2 = relu(h1 W2 + b2), z3 = h2 W3 + b3, p = softmax(z3),
loss = mean over the n samples of -sum(t log p). The learner goes through the softmax with its full
Jacobian, J[i][j] = p_i (delta_ij - p_j), one sample at a time, accumulating "deltas" that are
minus the gradients (their update is w += lr * delta / n). By hand, per sample:
    -dL/dp  = t / p
    -dL/dz3 = J^T (t / p) = J (t / p)        (J is symmetric; this is t - p, since sum(t) = 1)
    -dL/dh2 = -dL/dz3 W3^T,  -dL/d(pre-activation 2) = that * relu'(h2), and so on down,
    delta_W = input^T (error term), delta_b = error term, both summed over the samples.
Sizes are shrunk (12-8-6-10): the formulas do not depend on them.
"""
import numpy as np
import pytest

from autograd import jacobian, softmax as autograd_softmax
from autograd.check import compare_gradients, watch

D, H1, H2, O, n = 12, 8, 6, 10, 4

rng = np.random.default_rng(2)
features = rng.uniform(0, 1, (n, D))
targets = np.eye(O)[[3, 7, 1, 3]]


def weights():
    r = np.random.default_rng(5)
    return {"W1": r.standard_normal((D, H1)) / np.sqrt(D), "b1": r.normal(0, 0.1, H1),
            "W2": r.standard_normal((H1, H2)) / np.sqrt(H1), "b2": r.normal(0, 0.1, H2),
            "W3": r.standard_normal((H2, O)) / np.sqrt(H2), "b3": r.normal(0, 0.1, O)}


def activation_ReLU(x):
    return x * (x > 0)


def activation_dReLU(x):
    return 1. * (x > 0)


def softmax_1d(x):
    """The learner's softmax, written for one sample: max and sum run over every entry."""
    z = x - np.max(x)
    return np.exp(z) / np.sum(np.exp(z))


def softmax_rows(x):
    """Their fix, vectorised: one softmax per row."""
    z = x - np.max(x, axis=1, keepdims=True)
    return np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)


def dsoftmax(x):
    vec_len = len(x)
    J = np.zeros((vec_len, vec_len))
    for i in range(vec_len):
        for j in range(vec_len):
            if i == j:
                J[i][j] = x[i] * (1 - x[j])
            else:
                J[i][j] = -x[i] * x[j]
    return J


def forward(W1, b1, W2, b2, W3, b3, X, softmax=softmax_rows):
    h1 = activation_ReLU(np.dot(X, W1) + b1)
    h2 = activation_ReLU(np.dot(h1, W2) + b2)
    z3 = watch("z3", np.dot(h2, W3) + b3)
    return h1, h2, z3, softmax(z3)


def make_loss(softmax=softmax_rows):
    def loss_fn(**w):
        p = forward(**w, X=features, softmax=softmax)[3]
        return (1 / len(p)) * -np.sum(targets * np.log(p))  # categorical_cross_entropy
    return loss_fn


def train_deltas(w, *, output_error, bias_step):
    """The learner's per-sample loop. `output_error(y, p)` is their `error`; `bias_step(term,
    old)` gives the new bias delta from a sample's error term and the running delta."""
    delta = {k: np.zeros(np.shape(v)) for k, v in w.items()}
    output_terms = []
    for X, y in zip(features, targets):
        h1, h2, _, p = forward(**w, X=X, softmax=softmax_1d)
        output_error_term = output_error(y, p).dot(dsoftmax(p))
        h2_error_term = np.dot(output_error_term, w["W3"].T) * activation_dReLU(h2)
        h1_error_term = np.dot(h2_error_term, w["W2"].T) * activation_dReLU(h1)
        delta["W1"] += h1_error_term * X[:, None]
        delta["b1"] = bias_step(h1_error_term, delta["b1"])
        delta["W2"] += h2_error_term * h1[:, None]
        delta["b2"] = bias_step(h2_error_term, delta["b2"])
        delta["W3"] += output_error_term * h2[:, None]
        delta["b3"] = bias_step(output_error_term, delta["b3"])
        output_terms.append(output_error_term)
    # w += lr * delta / n, so the gradient they follow is -delta / n
    hand = {k: -v / n for k, v in delta.items()}
    hand["z3"] = -np.array(output_terms) / n
    return hand


def cross_entropy_error(y, p):
    return y / p


def accumulate(term, old):
    return old + term


def test_softmax_jacobian_double_loop_equals_autograds_jacobian():
    z = np.random.default_rng(0).standard_normal(O)
    J = dsoftmax(softmax_1d(z))
    np.testing.assert_allclose(J, np.asarray(jacobian(autograd_softmax, z)), atol=1e-14)


def test_per_sample_backprop_through_the_jacobian_matches_autograd():
    w = weights()
    hand = train_deltas(w, output_error=cross_entropy_error, bias_step=accumulate)
    report = compare_gradients(make_loss(), w, hand)
    assert report.ok, str(report)


def test_bias_deltas_assigned_instead_of_accumulated_are_caught_in_every_bias_only():
    w = weights()
    hand = train_deltas(w, output_error=cross_entropy_error, bias_step=lambda term, old: term)
    report = compare_gradients(make_loss(), w, hand)
    assert {row.name for row in report if not row.ok} == {"b1", "b2", "b3"}


@pytest.mark.parametrize("bias", ["b1", "b2", "b3"])
def test_bias_delta_summed_over_axis_0_of_one_sample_is_a_shape_error(bias):
    # as written: np.sum(term, axis=0) of a 1-D term adds the units up into one number
    w = weights()
    hand = train_deltas(w, output_error=cross_entropy_error,
                        bias_step=lambda term, old: np.sum(term, axis=0))
    report = compare_gradients(make_loss(), w, hand)
    assert report[bias].diagnosis == "shape"
    assert "single number" in report[bias].hint


def test_softmax_over_the_whole_batch_matrix_is_caught_at_the_output_delta():
    # the learner's batched derivation, p - t per row (averaged), with p from their 1-D softmax
    w = weights()
    p = forward(**w, X=features, softmax=softmax_1d)[3]
    hand = {"z3": (p - targets) / n}
    report = compare_gradients(make_loss(softmax=softmax_1d), w, hand)
    assert report.first_mismatch == "z3"


def test_mse_error_through_the_jacobian_is_not_the_cross_entropy_gradient():
    # their `error = y - final_outputs` is minus the gradient of 1/2 |p - t|^2, not of -t log p
    w = weights()
    hand = train_deltas(w, output_error=lambda y, p: y - p, bias_step=accumulate)
    report = compare_gradients(make_loss(), w, hand)
    assert report.first_mismatch == "z3"
    assert report["z3"].diagnosis == "wrong"
