"""Source 001: a 2-2-1 XOR net that predicts the label mean for every input.

Column vectors, one sample at a time: a = W1 x, z = sigmoid(a + b1), b = W2 z, y_pred =
sigmoid(b + b2), cost = -y log y_pred - (1 - y) log(1 - y_pred). By hand:
    dcost/d(b + b2) = y_pred - y                     (sigmoid + binary cross-entropy)
    dcost/dW2 = (y_pred - y) z^T,    dcost/db2 = y_pred - y
    dcost/d(a + b1) = W2^T (y_pred - y) * z (1 - z)
    dcost/dW1 = dcost/d(a + b1) x^T, dcost/db1 = dcost/d(a + b1)
The learner updates each weight inside loops, as soon as its gradient is known. We run those
loops on copies and read their gradient back from the update: (old - new) / alpha.
"""
import numpy as np

from autograd.check import compare_gradients, watch

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])  # features 4 x 2
Y = np.array([[0], [1], [1], [0]])              # labels 4 x 1
alpha = 0.01


def sigmoid(x):
    return 1 / (1 + np.power(np.e, -x))


def forward(x, W1, W2, b1, b2):
    a = W1.dot(x)
    z = sigmoid(a + b1)
    b = W2.dot(z)
    y = sigmoid(b + b2)
    return a, z, b, y


def initial_weights(outputs=1, seed=565113221):
    # the learner's U(-0.12, 0.12) initialisation
    r = np.random.default_rng(seed)
    epsilon = 0.12
    return {"W1": r.random((2, 2)) * epsilon * 2 - epsilon,
            "b1": r.random((2, 1)) * epsilon * 2 - epsilon,
            "W2": r.random((outputs, 2)) * epsilon * 2 - epsilon,
            "b2": r.random((outputs, 1)) * epsilon * 2 - epsilon}


def cost_for(x, y):
    def loss_fn(W1, b1, W2, b2):
        y_pred = forward(x, W1, W2, b1, b2)[3]
        # elementwise products rather than the learner's y.dot(...): ndarray.dot would turn the
        # Tensor into a plain array and drop it from the graph
        return np.sum(-y * np.log(y_pred) - (1 - y) * np.log(1 - y_pred))
    return loss_fn


def implied_gradients(before, after):
    return {name: (before[name] - after[name]) / alpha for name in before}


def learner_step(w, x, y, *, w2_for_hidden="updated"):
    """One pass of the learner's inner loop body on copies of the weights. `w2_for_hidden`:
    "updated" uses W2 after its update (as written), "old" a copy taken before any update."""
    W1, b1, W2, b2 = (w[k].copy() for k in ("W1", "b1", "W2", "b2"))
    W2_old = W2.copy()
    a, z, b, y_pred = forward(x, W1, W2, b1, b2)
    err = (y_pred - y)[0, 0]  # NumPy 2 no longer turns a (1, 1) array into a number by itself
    for k in range(W2.shape[0]):  # update W2
        for j in range(W2.shape[1]):
            W2[k, j] -= alpha * err * z[j, 0]
    for k in range(b2.shape[0]):  # update b2
        b2[k, 0] -= alpha * err
    W2h = W2 if w2_for_hidden == "updated" else W2_old
    for j in range(W1.shape[0]):  # update W1
        for i in range(W1.shape[1]):
            for k in range(W2.shape[0]):
                W1[j, i] -= alpha * err * W2h[k, j] * z[j, 0] * (1 - z[j, 0]) * x[i, 0]
    for j in range(b1.shape[0]):  # update b1, with k left over from the W1 loop
        b1[j, 0] -= alpha * err * W2h[k, j] * z[j, 0] * (1 - z[j, 0])
    return implied_gradients(w, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})


x = X[3, :].reshape((-1, 1))   # sample [1, 1] with label 0: every weight gets a gradient
y = Y[3, :].reshape((-1, 1))


def test_gradients_computed_before_any_update_match_autograd():
    w = initial_weights()
    report = compare_gradients(cost_for(x, y), w, learner_step(w, x, y, w2_for_hidden="old"))
    assert report.ok, str(report)


def test_updating_w2_before_w1s_gradient_gives_a_w1_mismatch_and_no_w2_mismatch():
    w = initial_weights()
    report = compare_gradients(cost_for(x, y), w, learner_step(w, x, y))
    assert not report["W1"].ok
    assert report["W2"].ok


def test_the_stale_loop_index_in_b1_is_harmless_with_a_single_output():
    # k can only be 0 when W2 has one row, so the leftover k happens to be the right one
    w = initial_weights()
    report = compare_gradients(cost_for(x, y), w, learner_step(w, x, y, w2_for_hidden="old"))
    assert report["b1"].ok


def learner_step_two_outputs(w, x, y):
    """The same loops for a 2-2-2 net, indexing the error by output k (gradients first)."""
    W1, b1 = w["W1"].copy(), w["b1"].copy()
    W2 = w["W2"]
    a, z, b, y_pred = forward(x, W1, W2, b1, w["b2"])
    err = y_pred - y
    for j in range(W1.shape[0]):
        for i in range(W1.shape[1]):
            for k in range(W2.shape[0]):
                W1[j, i] -= alpha * err[k, 0] * W2[k, j] * z[j, 0] * (1 - z[j, 0]) * x[i, 0]
    for j in range(b1.shape[0]):
        b1[j, 0] -= alpha * err[k, 0] * W2[k, j] * z[j, 0] * (1 - z[j, 0])  # k: the last one
    return implied_gradients({"W1": w["W1"], "b1": w["b1"]}, {"W1": W1, "b1": b1})


def test_the_stale_loop_index_in_b1_is_caught_with_two_outputs():
    w = initial_weights(outputs=2)
    y2 = np.array([[0], [1]])
    report = compare_gradients(cost_for(x, y2), w, learner_step_two_outputs(w, x, y2))
    assert report.first_mismatch == "b1"
    assert report["W1"].ok


def pred(X, W1, W2, b1, b2):
    # the learner's pred(), with the rows collected in a list instead of assigned into an
    # array; forward() reads the global x, left over from the training loop, not X[i]
    rows = []
    for i in range(X.shape[0]):
        _, _, _, y_pred_i = forward(x.reshape((-1, 1)), W1, W2, b1, b2)
        rows.append(y_pred_i)
    return np.concatenate(rows)


def test_pred_reading_the_global_x_is_wrong_in_every_row_but_the_last():
    # loss over the four predictions; the hand gradient dL/dy_pred_i is derived for each row's
    # own input, as the learner intended
    def loss_fn(W1, b1, W2, b2):
        y_pred = watch("y_pred", pred(X, W1, W2, b1, b2))
        return np.mean(-Y * np.log(y_pred) - (1 - Y) * np.log(1 - y_pred))

    w = initial_weights()
    own = np.concatenate([forward(X[i].reshape((-1, 1)), w["W1"], w["W2"], w["b1"], w["b2"])[3]
                          for i in range(4)])
    hand = {"y_pred": (own - Y) / (own * (1 - own)) / len(X)}
    report = compare_gradients(loss_fn, w, hand)
    assert report["y_pred"].diagnosis == "partial"
    assert report["y_pred"].where == "rows 0, 1, 2"
