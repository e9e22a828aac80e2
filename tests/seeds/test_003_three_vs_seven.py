"""Source 003: a 3-vs-7 MNIST classifier with two sigmoid hidden layers whose loss oscillates.

Network (one sample per row): z1 = X W1 + b1, a1 = sigmoid(z1), z2 = a1 W2 + b2, a2 = sigmoid(z2),
z3 = a2 W3 + b3, probs = softmax(z3) per row, loss = mean over the N samples of -log probs[y].

By hand, from the loss backwards:
    dL/dz3 = (probs - onehot(y)) / N                      (softmax + cross-entropy, averaged)
    dL/dW3 = a2^T dL/dz3,   dL/db3 = column sums of dL/dz3
    dL/dz2 = dL/dz3 W3^T * a2 (1 - a2)                    (sigmoid' written with its output a2)
    dL/dW2 = a1^T dL/dz2,   dL/db2 = column sums
    dL/dz1 = dL/dz2 W2^T * a1 (1 - a1)
    dL/dW1 = X^T dL/dz1,    dL/db1 = column sums

The learner wrote sigmoid' as (1 - sigmoid(a)) with `a` already the activation, and summed the
gradients over the batch while the loss is averaged (a step N times too large).
"""
import numpy as np
import pytest

from autograd.check import compare_gradients, watch

N, D, H1, H2, C = 8, 6, 3, 3, 2  # the learner's tiny (3, 3) hidden layers; 6 pixels, not 784

rng = np.random.default_rng(3)
X = rng.standard_normal((N, D))
y = np.array([0, 1, 1, 0, 1, 0, 0, 1])  # 0 for a "3", 1 for a "7"


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def initial_model():
    # as the learner: randn / sqrt(fan_in), zero biases kept as (1, h) rows
    r = np.random.default_rng(0)
    return {"W1": r.standard_normal((D, H1)) / np.sqrt(D), "b1": np.zeros((1, H1)),
            "W2": r.standard_normal((H1, H2)) / np.sqrt(H1), "b2": np.zeros((1, H2)),
            "W3": r.standard_normal((H2, C)) / np.sqrt(H2), "b3": np.zeros((1, C))}


def forward(W1, b1, W2, b2, W3, b3):
    # np.dot(X, W1) rather than the learner's X.dot(W1): ndarray.dot converts a Tensor argument
    # to a plain array, which would cut W1 out of the graph.
    z1 = watch("z1", np.dot(X, W1) + b1)
    a1 = sigmoid(z1)
    z2 = watch("z2", a1.dot(W2) + b2)
    a2 = sigmoid(z2)
    z3 = watch("z3", a2.dot(W3) + b3)
    exp_scores = np.exp(z3)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    return a1, a2, probs


def loss_fn(**params):
    probs = forward(**params)[2]
    return np.sum(-np.log(probs[range(N), y])) / N


def backprop(model, *, sigmoid_grad, average=True):
    """The learner's backward pass; `sigmoid_grad(a)` is their derivative of the sigmoid, given
    the activation a; `average=False` keeps the gradients summed over the batch."""
    W1, W2, W3 = model["W1"], model["W2"], model["W3"]
    a1, a2, probs = forward(**model)
    delta4 = probs.copy()
    delta4[range(N), y] -= 1
    if average:
        delta4 /= N
    dW3 = a2.T.dot(delta4)
    db3 = np.sum(delta4, axis=0, keepdims=True)
    delta3 = delta4.dot(W3.T) * sigmoid_grad(a2)
    dW2 = a1.T.dot(delta3)
    db2 = np.sum(delta3, axis=0, keepdims=True)
    delta2 = delta3.dot(W2.T) * sigmoid_grad(a1)
    dW1 = np.dot(X.T, delta2)
    db1 = np.sum(delta2, axis=0)
    return {"z3": delta4, "W3": dW3, "b3": db3, "z2": delta3, "W2": dW2, "b2": db2,
            "z1": delta2, "W1": dW1, "b1": db1}


def right_sigmoid_grad(a):
    return a * (1 - a)


def learners_sigmoid_grad(a):
    return 1 - sigmoid(a)


def test_averaged_gradients_with_a_times_one_minus_a_match_autograd():
    model = initial_model()
    report = compare_gradients(loss_fn, model, backprop(model, sigmoid_grad=right_sigmoid_grad))
    assert report.ok, str(report)


def test_one_minus_sigmoid_of_the_activation_is_caught_at_the_second_hidden_delta():
    model = initial_model()
    report = compare_gradients(loss_fn, model,
                               backprop(model, sigmoid_grad=learners_sigmoid_grad))
    assert report.first_mismatch == "z2"
    assert report["z2"].diagnosis == "wrong"


def test_one_minus_sigmoid_leaves_the_output_layer_right():
    model = initial_model()
    report = compare_gradients(loss_fn, model,
                               backprop(model, sigmoid_grad=learners_sigmoid_grad))
    assert report["z3"].ok and report["W3"].ok and report["b3"].ok


@pytest.mark.parametrize("name", ["z3", "W3", "b3", "z2", "W2", "b2", "z1", "W1", "b1"])
def test_summed_gradients_are_diagnosed_as_scaled_by_the_batch_size(name):
    model = initial_model()
    report = compare_gradients(loss_fn, model,
                               backprop(model, sigmoid_grad=right_sigmoid_grad, average=False))
    row = report[name]
    assert row.diagnosis == "scaled"
    assert row.scale == pytest.approx(N)
    assert "sum vs mean over the batch" in row.hint


def test_batch_size_is_inferred_from_the_data_the_loss_reads():
    model = initial_model()
    report = compare_gradients(loss_fn, model,
                               backprop(model, sigmoid_grad=right_sigmoid_grad, average=False))
    assert report.batch_size == N


def test_as_written_the_first_mismatch_is_the_summed_output_delta():
    model = initial_model()
    report = compare_gradients(loss_fn, model, backprop(
        model, sigmoid_grad=learners_sigmoid_grad, average=False))
    assert report.first_mismatch == "z3"
    assert report["z3"].diagnosis == "scaled"
    assert report["z2"].diagnosis == "wrong"
