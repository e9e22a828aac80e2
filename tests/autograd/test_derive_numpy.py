"""derive on forwards written with the NumPy functions beyond the core: a convolution layer by hand,
a recurrent loop that assigns into its states, a stable binary cross-entropy, products and
running totals, a loss through a linear solve. The written code reproduces the engine's gradients
to 1e-12 in float64 (derive_and_check), and reads as a learner would write it."""
import re

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd import Tensor

from derive_helpers import derive_and_check

rng = np.random.default_rng(16)


def body(d):
    """The lines of the written function, without comments, def and return."""
    return [line.split("#")[0].strip() for line in d.code.splitlines()[1:-1]]


# -- a convolution layer by hand, as notebook 09 writes it ---------------------------------------

K = 3
images, classes = rng.standard_normal((2, 1, 6, 6)), np.array([1, 0])


def conv2d(x, W, b):
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(xp, (K, K), axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", windows, W) + b[:, None, None]


def maxpool(a):
    n, c, h, w = a.shape
    return np.max(a.reshape(n, c, h // 2, 2, w // 2, 2), axis=(3, 5))


def cnn_loss(W1, b1, W2, b2):
    z1 = conv2d(images, W1, b1)
    a1 = np.maximum(z1, 0)
    p1 = maxpool(a1)
    flat = p1.reshape(p1.shape[0], -1)
    logits = flat @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(classes)), classes])


CNN = {"W1": rng.standard_normal((4, 1, K, K)) / 3, "b1": rng.standard_normal(4) / 10,
       "W2": rng.standard_normal((4 * 3 * 3, 3)) / 6, "b2": np.zeros(3)}


def test_a_hand_written_convolution_layer_derives_to_the_engines_gradients():
    derive_and_check(cnn_loss, CNN)


def test_the_convolutions_backward_is_an_einsum_with_swapped_subscripts():
    d = derive_and_check(cnn_loss, CNN)
    lines = body(d)
    assert "z1 = np.einsum('nchwij,ocij->nohw', windows, W1) + b1[:, None, None]" in lines
    assert "dW1 = np.einsum('nchwij,nohw->ocij', windows, dz1)" in lines
    assert any(line.endswith("= dz1.sum(axis=(0, 2, 3)).reshape((4, 1, 1))") for line in lines)
    # the images are data: their windows are an argument, and get no gradient
    assert "windows" in d.arguments and "dwindows" not in d.code


def test_the_gradient_of_the_input_goes_back_through_the_windows_and_the_padding():
    def loss_fn(x, W):
        windows = sliding_window_view(np.pad(x, ((0, 0), (1, 1), (1, 1))), (K, K), axis=(1, 2))
        return np.sum(np.tanh(np.einsum("nhwij,ij->nhw", windows, W)))
    d = derive_and_check(loss_fn, {"x": rng.standard_normal((2, 5, 4)),
                                   "W": rng.standard_normal((K, K))})
    lines = body(d)
    at = lines.index("for i in range(3):")
    assert re.fullmatch(r"(\w+) = np.zeros_like\(\w+\)", lines[at - 1])
    padded = lines[at - 1].split(" = ")[0]
    assert lines[at + 1:at + 3] == ["for j in range(3):",
                                    f"{padded}[:, i:i + 5, j:j + 4] += dwindows[..., i, j]"]
    assert f"dx = {padded}[:, 1:6, 1:5]" in lines


# -- a recurrent loop that assigns into its states -----------------------------------------------

T, H, D = 4, 3, 2
sequence, target = rng.standard_normal((T, D)), rng.standard_normal(H)


def rnn_loss(Wx, Wh, b):
    h = Tensor(np.zeros((T + 1, H)))  # the states, filled in as the loop goes
    for t in range(T):
        h[t + 1] = np.tanh(sequence[t] @ Wx + h[t] @ Wh + b)
    return np.sum((h[T] - target) ** 2) + 0.1 * np.sum(h[1:] ** 2)


RNN = {"Wx": rng.standard_normal((D, H)) / 2, "Wh": rng.standard_normal((H, H)) / 2,
       "b": rng.standard_normal(H) / 4}


def test_a_recurrent_loop_assigning_h_t_derives_to_the_engines_gradients():
    derive_and_check(rnn_loss, RNN)


def test_each_assignment_into_the_states_is_written_as_a_copy_and_a_write():
    lines = body(derive_and_check(rnn_loss, RNN))
    first = next(i for i, line in enumerate(lines) if line.endswith(" = np.zeros((5, 3))"))
    state = lines[first].split(" = ")[0]
    assert lines[first + 1] == f"{state}[1] = h1"  # h = zeros, as the learner wrote; h[1] = ...
    copies = [i for i, line in enumerate(lines) if re.fullmatch(r"[th]\w* = t\d\.copy\(\)", line)]
    assert [lines[i + 1].split(" = ")[1] for i in copies] == ["h2", "h3", "h4"]
    # the gradient of the states before a write: the written row cut out (the zeros before the
    # first write are data, with no gradient)
    assert [line[-7:] for line in lines if re.fullmatch(r"d\w+\[\d\] = 0", line)] == \
        ["[4] = 0", "[3] = 0", "[2] = 0"]


def test_an_assignment_repeating_a_position_gives_the_gradient_to_the_last_write_only():
    rows = np.array([0, 2, 0])

    def loss_fn(x, v):
        y = x * 2
        y[rows] = np.sin(v)
        return np.sum(y ** 2)
    derive_and_check(loss_fn, {"x": rng.standard_normal((3, 2)), "v": rng.standard_normal((3, 2))})


# -- a stable binary cross-entropy with logaddexp --------------------------------------------------

features, labels = rng.standard_normal((8, 3)), (rng.random(8) > 0.5).astype(float)


def bce_loss(w, c):
    z = features @ w + c
    # log(1 + e^-z) for y = 1 and log(1 + e^z) for y = 0, without overflow
    return np.mean(labels * np.logaddexp(0, -z) + (1 - labels) * np.logaddexp(0, z))


def test_a_logaddexp_binary_cross_entropy_derives_to_the_engines_gradients():
    lines = body(derive_and_check(bce_loss, {"w": rng.standard_normal(3), "c": np.array(0.3)}))
    # d/dz log(e^0 + e^z) = e^z / (e^0 + e^z) = np.exp(z - logaddexp(0, z))
    assert any(re.fullmatch(r"dz_\w = dt\d \* np.exp\(z - t\d\)", line) for line in lines)


# -- products and running totals -----------------------------------------------------------------

def test_prod_and_cumsum_derive_to_the_engines_gradients():
    def loss_fn(a):
        growth = np.cumprod(1 + 0.1 * a, axis=1)
        return np.sum(np.cumsum(growth, axis=0) * np.prod(a, axis=0)) + np.prod(a)
    d = derive_and_check(loss_fn, {"a": rng.uniform(0.5, 1.5, (3, 4))})
    assert any(".cumsum(axis=0)" in line and "[::-1]" in line for line in body(d)), d.code


def test_a_product_with_a_zero_factor_derives_without_dividing_by_it():
    a = rng.uniform(0.5, 1.5, (3, 4))
    a[1, 2] = 0.0
    d = derive_and_check(lambda a: np.sum(np.prod(a, axis=1) ** 2)
                         + np.sum(np.cumprod(a, axis=1)), {"a": a})
    grads = d.function(a=a)
    assert np.all(np.isfinite(grads["a"]))


# -- linear solves -------------------------------------------------------------------------------

A0 = rng.standard_normal((3, 3)) + 3 * np.eye(3)
rhs, wanted = rng.standard_normal(3), rng.standard_normal(3)


def test_a_loss_through_a_linear_solve_derives_to_the_engines_gradients():
    def loss_fn(A, b):
        x = np.linalg.solve(A, b)
        return np.sum((x - wanted) ** 2)
    d = derive_and_check(loss_fn, {"A": A0, "b": rhs})
    assert "db = np.linalg.solve(A.T, dx)" in body(d)
    assert "dA = -np.outer(np.linalg.solve(A.T, dx), x)" in body(d)


def test_a_loss_through_an_inverse_and_a_log_determinant_derives_to_the_engines_gradients():
    def loss_fn(S):
        precision = np.linalg.inv(S)
        return rhs @ precision @ rhs + np.linalg.slogdet(S)[1]
    derive_and_check(loss_fn, {"S": A0 @ A0.T})


def test_trigonometry_and_the_exp_log_family_derive_to_the_engines_gradients():
    def loss_fn(x):
        angle = np.arctan2(np.sin(x), np.cos(x) + 2)
        return np.sum(np.log1p(np.expm1(angle) ** 2) + np.hypot(x, 1) * np.arcsinh(x))
    d = derive_and_check(loss_fn, {"x": rng.standard_normal(5)})
    assert any(line.startswith("d") and "np.cos(x)" in line for line in body(d)), d.code


def test_the_maths_names_the_rule_of_each_new_op():
    d = derive_and_check(rnn_loss, RNN)
    assert r"\leftarrow" in d.math
    d = derive_and_check(cnn_loss, CNN)
    assert r"\operatorname{einsum}(\text{nchwij,nohw->ocij}" in d.math
