"""derive: the backward pass of a learner's forward, written out as NumPy and as formulas."""
import re

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor, watch
from autograd.derive import DerivationTooLarge, derive

from derive_helpers import autograd_gradients, assert_close, derive_and_check

# The README's tour network: columns are samples, tanh hidden layer, log-softmax over axis 0.
rng = np.random.default_rng(0)
W1 = rng.standard_normal((4, 3)) / np.sqrt(3)
W2 = rng.standard_normal((2, 4)) / np.sqrt(4)
x, y = rng.standard_normal((3, 5)), np.array([0, 1, 1, 0, 1])


def tour_loss(W1, W2):
    h = np.tanh(np.dot(W1, x))
    z = np.dot(W2, h)
    logp = z - np.log(np.sum(np.exp(z), axis=0))
    return -np.mean(logp[y, np.arange(5)])


TOUR = {"W1": W1, "W2": W2}

# A row-per-sample network for the rest.
X = rng.standard_normal((6, 5))
labels = rng.integers(0, 3, 6)
P = {"W1": rng.standard_normal((5, 4)) / 2, "b1": rng.standard_normal(4) / 4,
     "W2": rng.standard_normal((4, 3)) / 2, "b2": rng.standard_normal(3) / 4}


def body(d):
    """The lines of the written function, without comments, def and return."""
    return [line.split("#")[0].strip() for line in d.code.splitlines()[1:-1]]


# -- the code ---------------------------------------------------------------------------------

def test_the_tour_networks_code_is_a_short_hand_derivation():
    d = derive_and_check(tour_loss, TOUR)
    assert d.code.splitlines()[0] == "def gradients(W1, W2, x, y):"
    assert len(d.code.splitlines()) <= 15
    assert body(d) == [
        "h = np.tanh(W1 @ x)",
        "z = W2 @ h",
        "p = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)",
        "Y = np.eye(2)[y].T",
        "dz = (p - Y) / 5",
        "dW2 = dz @ h.T",
        "dh = W2.T @ dz",
        "dz1 = dh * (1 - h**2)",
        "dW1 = dz1 @ x.T",
    ]


def test_each_line_is_commented_with_the_learners_line_that_created_its_op():
    d = derive(tour_loss, TOUR)
    commented = [line.split("  # ", 1) for line in d.code.splitlines() if "  # " in line]
    by_code = {code.strip(): comment.strip() for code, comment in commented}
    assert by_code["h = np.tanh(W1 @ x)"] == "h = np.tanh(np.dot(W1, x))"
    assert by_code["dW2 = dz @ h.T"] == "z = np.dot(W2, h)"
    assert by_code["dz1 = dh * (1 - h**2)"] == "h = np.tanh(np.dot(W1, x))"


def test_str_is_the_code_and_the_function_runs_it_with_this_runs_constants():
    d = derive(tour_loss, TOUR)
    assert str(d) == d.code
    assert set(d.constants) == {"x", "y"} and d.constants["x"] is x
    grads = d.function(**TOUR)
    want = autograd_gradients(tour_loss, TOUR)
    for name in TOUR:
        assert_close(grads[name], want[name], what=name)
    assert_close(d.function(W1, W2)["W1"], want["W1"], what="positional")


def test_the_function_follows_new_parameters():
    d = derive(tour_loss, TOUR)
    new = {"W1": W1 + 0.3, "W2": -W2}
    grads, want = d.function(**new), autograd_gradients(tour_loss, new)
    for name in new:
        assert_close(grads[name], want[name], what=name)


def test_names_are_stable_across_runs():
    assert derive(tour_loss, TOUR).code == derive(tour_loss, TOUR).code


def test_parameter_watch_and_variable_names_come_from_the_learner():
    def loss_fn(W1, b1, W2, b2):
        hidden = np.tanh(X @ W1 + b1)
        scores = watch("scores", hidden @ W2 + b2)
        return F.cross_entropy(scores, labels)
    d = derive_and_check(loss_fn, P)
    lines = body(d)
    assert "hidden = np.tanh(X @ W1 + b1)" in lines
    assert "dscores = (p - Y) / 6" in lines
    assert "dhidden = dscores @ W2.T" in lines
    assert d.code.splitlines()[0] == "def gradients(W1, b1, W2, b2, X, labels):"
    assert '"scores": dscores' in d.code.splitlines()[-1]


def test_unnamed_values_get_names_built_from_their_op():
    def loss_fn(W1, b1, W2, b2):
        return F.cross_entropy(np.tanh(X @ W1 + b1) @ W2 + b2, labels)
    lines = body(derive_and_check(loss_fn, P))
    assert "h1 = np.tanh(X @ W1 + b1)" in lines
    assert "z2 = h1 @ W2 + b2" in lines
    assert "dz1 = dh1 * (1 - h1**2)" in lines


def test_an_unnamed_constant_is_an_argument_x0():
    def loss_fn(W1, b1, W2, b2):
        return F.cross_entropy(np.tanh(np.linspace(-1, 1, 30).reshape(6, 5) @ W1 + b1) @ W2 + b2,
                               labels)
    d = derive_and_check(loss_fn, P)
    assert d.code.splitlines()[0] == "def gradients(W1, b1, W2, b2, x0, labels):"


def test_broadcast_biases_get_their_sums_written_out():
    params = dict(P, b1=np.zeros((1, 4)), b2=0.0)

    def loss_fn(W1, b1, W2, b2):
        return F.cross_entropy(np.tanh(X @ W1 + b1) @ W2 + b2, labels)
    lines = body(derive_and_check(loss_fn, params))
    assert "db1 = dz1.sum(axis=0, keepdims=True)" in lines
    assert "db2 = dz2.sum()" in lines
    lines = body(derive_and_check(loss_fn, P))
    assert "db1 = dz1.sum(axis=0)" in lines


def test_a_value_used_twice_gets_its_gradients_added_explicitly():
    def loss_fn(W1, b1, W2, b2):
        h = np.tanh(X @ W1 + b1)
        return F.cross_entropy(h @ W2 + b2, labels) + 0.1 * np.sum(h * h)
    lines = body(derive_and_check(loss_fn, P))
    assert "dh = dh_a + dh_b + dh_c" in lines
    assert any(re.fullmatch(r"dh_[abc] = dz2 @ W2\.T", line) for line in lines)


@pytest.mark.parametrize("activation, line", [
    (ag.sigmoid, "dz1 = dh * h * (1 - h)"),
    (lambda z: 1 / (1 + np.exp(-z)), "dz1 = dh * h * (1 - h)"),
    (np.tanh, "dz1 = dh * (1 - h**2)"),
    (lambda z: np.maximum(z, 0), "dz1 = dh * (z1 > 0)"),
    (ag.relu, "dz1 = dh * (z1 > 0)"),
    (lambda z: z * (z > 0), "dz1 = dh * (z1 > 0)"),
])
def test_activation_steps_are_written_as_learners_know_them(activation, line):
    def loss_fn(W1, b1, W2, b2):
        h = activation(X @ W1 + b1)
        return F.cross_entropy(h @ W2 + b2, labels)
    assert line in body(derive_and_check(loss_fn, P))


def _softmax_rows(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


ONE_HOT = np.eye(3)[labels]


@pytest.mark.parametrize("loss", [
    lambda z: F.cross_entropy(z, labels),
    lambda z: F.nll_loss(F.log_softmax(z, dim=1), labels),
    lambda z: -np.mean(np.log(ag.softmax(z, axis=1))[range(6), labels]),
    lambda z: -np.mean(np.log(_softmax_rows(z)[np.arange(6), labels])),
    lambda z: np.sum(-np.log(_softmax_rows(z)[range(6), labels])) / 6,
    lambda z: -np.sum(ONE_HOT * np.log(_softmax_rows(z))) / 6,
    lambda z: np.mean(-np.sum(ONE_HOT * np.log(_softmax_rows(z)), axis=1)),
    lambda z: -np.mean((z - ag.logsumexp(z, axis=1, keepdims=True))[np.arange(6), labels]),
    lambda z: F.cross_entropy(z, ONE_HOT),
], ids=["cross_entropy", "log_softmax + nll_loss", "log(softmax)[range, y]", "by hand, picked",
        "by hand, summed / N", "by hand, one-hot", "by hand, sum over classes then mean",
        "z - logsumexp", "cross_entropy with probabilities"])
def test_softmax_and_cross_entropy_give_p_minus_y_over_n(loss):
    def loss_fn(W1, b1, W2, b2):
        z = np.tanh(X @ W1 + b1) @ W2 + b2
        return loss(z)
    lines = body(derive_and_check(loss_fn, P))
    fused = [line for line in lines if re.fullmatch(r"dz\d? = \(\w+ - \w+\) / 6", line)]
    assert fused, "\n".join(lines)


def test_a_softmax_over_the_whole_matrix_keeps_its_sum_in_the_fused_step():
    # source 002's bug: the rows of Y do not sum to one over the softmax's axes
    def loss_fn(W1, b1, W2, b2):
        z = np.tanh(X @ W1 + b1) @ W2 + b2
        e = np.exp(z - np.max(z))
        return -np.sum(ONE_HOT * np.log(e / np.sum(e))) / 6
    lines = body(derive_and_check(loss_fn, P))
    assert "dz = (t1 * ONE_HOT.sum(keepdims=True) - ONE_HOT) / 6" in lines


def test_a_watched_value_inside_a_fused_step_is_not_fused_away():
    def loss_fn(W1, b1, W2, b2):
        z = np.tanh(X @ W1 + b1) @ W2 + b2
        p = watch("p", _softmax_rows(z))
        return -np.mean(np.log(p[np.arange(6), labels]))
    d = derive_and_check(loss_fn, P)
    assert "dp" in d.code.splitlines()[-1]


def test_float32_parameters_get_float32_gradients():
    nn.manual_seed(0)
    model = nn.MLP([5, 4, 3])
    loss = F.cross_entropy(model(Tensor(X.astype(np.float32))), labels)
    d = derive(loss, dict(model.named_parameters()))
    grads = d.function(**{n: p.data for n, p in model.named_parameters()})
    loss.backward()
    for n, p in model.named_parameters():
        assert grads[n].dtype == np.float32
        np.testing.assert_allclose(grads[n], p.grad, rtol=1e-5, atol=1e-7)
    assert "dW0 = dz1.T @ x0" in body(d)


# -- derive(loss): a loss computed already ----------------------------------------------------

def test_a_computed_loss_is_derived_with_the_callers_variable_names():
    A = Tensor(W1, requires_grad=True)
    B = Tensor(W2, requires_grad=True)
    hidden = np.tanh(A @ x)
    loss = F.cross_entropy((B @ hidden).T, y)
    d = derive(loss)
    assert d.code.splitlines()[0] == "def gradients(A, B, x, y):"
    assert "hidden = np.tanh(A @ x)" in body(d)
    grads = d.function(A=W1, B=W2)
    loss.backward()
    assert_close(grads["A"], A.grad) and assert_close(grads["B"], B.grad)


def test_deriving_a_loss_after_its_backward_says_what_to_do():
    A = Tensor(W1, requires_grad=True)
    loss = (A * A).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="before backward, or backward\\(retain_graph=True\\)"):
        derive(loss)


def test_a_loss_that_is_not_a_scalar_tensor_is_refused_clearly():
    with pytest.raises(ValueError, match="scalar"):
        derive(lambda W1, W2: np.dot(W1, x), TOUR)
    with pytest.raises(TypeError, match="left the graph"):
        derive(lambda W1, W2: float(np.sum(W1)), TOUR)


# -- large graphs -----------------------------------------------------------------------------

def test_a_per_sample_loop_is_too_large_to_read_and_says_so():
    def loss_fn(W1, b1, W2, b2):
        total = 0
        for n in range(60):
            total = total + F.cross_entropy((np.tanh(X[n % 6] @ W1 + b1) @ W2 + b2)[None, :],
                                            labels[n % 6:n % 6 + 1])
        return total / 60
    with pytest.raises(DerivationTooLarge) as error:
        derive(loss_fn, P)
    message = str(error.value)
    assert re.search(r"records \d{3} ops", message)
    assert "one line" in message and "loop" in message
    assert "whole batch at once" in message and "smaller example" in message
    d = derive_and_check(loss_fn, P, max_steps=None)
    assert len(d.steps) > 200


# -- maths and display ------------------------------------------------------------------------

def test_the_maths_has_one_formula_per_step_with_the_learners_names():
    d = derive(tour_loss, TOUR)
    rows = d.math.split("\\\\\n")
    assert len(rows) == len(d.steps)
    assert r"\frac{\partial L}{\partial W_{2}} &= \delta_{z}\, h^\top" in d.math
    assert r"\delta_{z_{1}} &= \delta_{h} \odot (1 - h^2)" in d.math
    assert r"h &= \tanh(W_{1} x)" in d.math


def test_in_jupyter_it_shows_the_maths_with_the_code_behind_a_toggle():
    page = derive(tour_loss, TOUR)._repr_html_()
    assert "$$" in page and r"\begin{aligned}" in page
    assert "<details>" in page and "dz1 = dh * (1 - h**2)" in page


# -- compare ----------------------------------------------------------------------------------

def test_compare_points_at_the_first_step_where_the_hand_derivation_departs():
    d = derive(tour_loss, TOUR)
    h = np.tanh(W1 @ x)
    z = W2 @ h
    p = np.exp(z) / np.exp(z).sum(axis=0)
    dz = (p - np.eye(2)[y].T) / 5
    wrong_dz1 = (W2.T @ dz) * (1 - np.tanh(h) ** 2)  # tanh applied twice
    c = d.compare({"dz": dz, "W2": dz @ h.T, "dz1": wrong_dz1, "W1": wrong_dz1 @ x.T})
    assert not c.ok and c.first_mismatch == "z1"
    assert c.step.code == "dz1 = dh * (1 - h**2)"
    assert "dz1 = dh * (1 - h**2)" in str(c) and c.explanation in str(c)
    right = d.compare({"dz": dz, "W2": dz @ h.T})
    assert right.ok and "match" in str(right)


def test_compare_refuses_a_name_the_derivation_does_not_have():
    with pytest.raises(KeyError, match="not a name of the derivation"):
        derive(tour_loss, TOUR).compare({"dq": np.zeros(3)})


# -- ops without a rule, and rules that are wrong ----------------------------------------------

class Cube(ag.Op):
    __slots__ = ()

    def forward(self, x):
        return x ** 3

    def backward(self, gy, y, x):
        return 3 * gy * x * x


def test_an_op_without_a_rule_is_written_as_a_call_to_its_backward():
    def loss_fn(W1, W2):
        return np.sum(Cube()(np.dot(W1, x)) * 0.1)
    d = derive_and_check(loss_fn, TOUR)
    assert "op_cube.backward(" in d.code


class WronglyRuledCube(Cube):
    __slots__ = ()
    code = "x**3", "gy * 2 * x**2"  # should be 3 x^2
    tex = "x^3", r"gy \odot 2 x^2"


def test_a_rule_that_disagrees_with_its_backward_is_caught_and_not_used():
    def loss_fn(W1, W2):
        return np.sum(WronglyRuledCube()(np.dot(W1, x)) * 0.1)
    with pytest.warns(RuntimeWarning, match="rule of WronglyRuledCube disagrees"):
        d = derive(loss_fn, TOUR)
    want = autograd_gradients(loss_fn, TOUR)
    assert_close(d.function(**TOUR)["W1"], want["W1"])
