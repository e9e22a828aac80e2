"""Losses and activations: identities, stability, errors, and gradients by finite differences."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn.functional as F
from autograd.check import gradcheck


def assert_gradient_matches_finite_differences(loss_fn, x):
    """loss_fn maps a Tensor to a loss Tensor (any reduction); autograd.gradcheck compares its
    backward with central differences in float64 (a non-scalar loss through random weights)."""
    gradcheck(loss_fn, ag.Tensor(x, requires_grad=True), atol=1e-7, rtol=1e-5)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Random problems: (logits (N, C), class indices (N,), probabilities (N, C)).
@st.composite
def classification(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.1, 1.0, 5.0]))
    return scale * rng.standard_normal((n, c)), rng.integers(0, c, n), rng.dirichlet(np.ones(c), n)


@st.composite
def regression(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)).copy()
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(shape), rng.standard_normal(shape), rng.uniform(0.05, 0.95, shape)


REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


# ---- cross_entropy: identities ---------------------------------------------------------------
@given(classification())
def test_cross_entropy_equals_nll_of_log_softmax(problem):
    logits, target, _ = problem
    x = ag.Tensor(logits)
    np.testing.assert_allclose(F.cross_entropy(x, target).item(),
                               F.nll_loss(F.log_softmax(x, dim=1), target).item(), rtol=1e-12)


@given(classification())
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(problem):
    logits, target, _ = problem
    x = ag.Tensor(logits, requires_grad=True)
    F.cross_entropy(x, target).backward()
    onehot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(x.grad, (softmax(logits) - onehot) / len(target), atol=1e-12)


@given(classification())
def test_cross_entropy_with_probabilities_is_minus_sum_p_log_q(problem):
    logits, _, probs = problem
    log_q = np.log(softmax(logits))
    expected = -(probs * log_q).sum() / len(probs)
    np.testing.assert_allclose(F.cross_entropy(ag.Tensor(logits), probs).item(), expected, rtol=1e-10)


@given(classification())
def test_cross_entropy_with_onehot_rows_equals_class_indices(problem):
    logits, target, _ = problem
    onehot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(F.cross_entropy(ag.Tensor(logits), onehot).item(),
                               F.cross_entropy(ag.Tensor(logits), target).item(), rtol=1e-12)


@given(classification(), st.floats(0.0, 1.0))
def test_label_smoothing_equals_a_smoothed_probability_target(problem, smoothing):
    logits, target, _ = problem
    c = logits.shape[1]
    smoothed = (1 - smoothing) * np.eye(c)[target] + smoothing / c
    np.testing.assert_allclose(F.cross_entropy(ag.Tensor(logits), target, label_smoothing=smoothing).item(),
                               F.cross_entropy(ag.Tensor(logits), smoothed).item(), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_labels_has_the_gradient_of_its_onehot_rows(reduction):
    # integer labels take the lean path; one-hot float rows take the general one
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    upstream = rng.standard_normal(6) if reduction == "none" else 2.5
    grads = []
    for t in (target, np.eye(4)[target]):
        x = ag.Tensor(logits, requires_grad=True)
        F.cross_entropy(x, t, reduction=reduction).backward(upstream)
        grads.append(x.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)


def test_cross_entropy_with_an_ignore_index_among_the_classes_leaves_those_rows_out():
    logits = np.random.default_rng(4).standard_normal((3, 4))
    full = F.cross_entropy(ag.Tensor(logits[[0, 2]]), np.array([1, 3])).item()
    loss = F.cross_entropy(ag.Tensor(logits), np.array([1, 2, 3]), ignore_index=2)
    assert loss.item() == pytest.approx(full)


def test_cross_entropy_of_labels_has_a_second_derivative():
    logits, target = np.random.default_rng(5).standard_normal((3, 4)), np.array([0, 3, 1])
    x = ag.Tensor(logits, requires_grad=True)
    g, = ag.grad(F.cross_entropy(x, target), [x], create_graph=True)
    (g * g).sum().backward()  # d/dx sum(g^2), with g = (softmax - onehot) / n
    p = softmax(logits)
    gg = (p - np.eye(4)[target]) / 3
    v = 2 * gg
    expected = (p * v - p * (p * v).sum(axis=1, keepdims=True)) / 3  # softmax's Jacobian applied to v
    np.testing.assert_allclose(x.grad, expected, rtol=1e-10, atol=1e-14)


def test_cross_entropy_reductions_agree():
    logits, target = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 2, 1, 2])
    per_sample = F.cross_entropy(ag.Tensor(logits), target, reduction="none").data
    assert per_sample.shape == (4,)
    np.testing.assert_allclose(F.cross_entropy(ag.Tensor(logits), target, reduction="sum").item(), per_sample.sum())
    np.testing.assert_allclose(F.cross_entropy(ag.Tensor(logits), target).item(), per_sample.mean())


def test_cross_entropy_ignores_ignore_index():
    logits = np.random.default_rng(1).standard_normal((3, 4))
    full = F.cross_entropy(ag.Tensor(logits[:2]), np.array([1, 3])).item()
    assert F.cross_entropy(ag.Tensor(logits), np.array([1, 3, -100])).item() == pytest.approx(full)


def test_cross_entropy_accepts_an_unbatched_sample():
    logits = np.array([1.0, 2.0, 0.5])
    expected = -np.log(softmax(logits)[1])
    assert F.cross_entropy(ag.Tensor(logits), np.array(1)).item() == pytest.approx(expected)


def test_cross_entropy_takes_classes_on_axis_one_for_extra_dimensions():
    logits = np.random.default_rng(2).standard_normal((2, 3, 4))  # (N, C, d)
    target = np.array([[0, 1, 2, 1], [2, 2, 0, 0]])
    flat = F.cross_entropy(ag.Tensor(logits.transpose(0, 2, 1).reshape(-1, 3)), target.reshape(-1))
    assert F.cross_entropy(ag.Tensor(logits), target).item() == pytest.approx(flat.item())


def test_cross_entropy_keeps_float32():
    logits = ag.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


# ---- cross_entropy: stability and errors -------------------------------------------------------
def test_cross_entropy_is_finite_for_huge_logits():
    logits = ag.Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]]), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))
    assert loss.item() == pytest.approx((2e4 + 2e4) / 2)


def test_cross_entropy_rejects_a_target_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"must have shape \(4,\), got \(4, 1\)"):
        F.cross_entropy(ag.Tensor(np.zeros((4, 3))), np.zeros((4, 1), dtype=int))


def test_cross_entropy_explains_integer_onehot_targets():
    with pytest.raises(ValueError, match="one-hot rows"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.eye(3, dtype=int)[[0, 2]])


def test_cross_entropy_rejects_probabilities_of_the_wrong_shape():
    with pytest.raises(ValueError, match="probability target must have the input's shape"):
        F.cross_entropy(ag.Tensor(np.zeros((4, 3))), np.zeros(4))


def test_cross_entropy_rejects_an_out_of_range_class():
    with pytest.raises(IndexError, match="target class 3 is out of range for 3 classes"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.array([0, 3]))


def test_cross_entropy_rejects_a_negative_class():
    with pytest.raises(IndexError, match="target class -1"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.array([-1, 0]))


def test_cross_entropy_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="avg")


def test_cross_entropy_refuses_a_target_that_wants_a_gradient():
    with pytest.raises(ValueError, match="detach"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), ag.Tensor(np.ones((2, 3)) / 3, requires_grad=True))


# ---- gradients by finite differences, every loss ---------------------------------------------
@given(classification(), REDUCTIONS, st.sampled_from([0.0, 0.2]))
def test_cross_entropy_indices_gradient_matches_finite_differences(problem, reduction, smoothing):
    logits, target, _ = problem
    assert_gradient_matches_finite_differences(
        lambda x: F.cross_entropy(x, target, reduction=reduction, label_smoothing=smoothing), logits)


@given(classification(), REDUCTIONS)
def test_cross_entropy_probabilities_gradient_matches_finite_differences(problem, reduction):
    logits, _, probs = problem
    assert_gradient_matches_finite_differences(lambda x: F.cross_entropy(x, probs, reduction=reduction),
                                               logits)


@given(classification())
def test_weighted_cross_entropy_gradient_matches_finite_differences(problem):
    logits, target, _ = problem
    weight = np.linspace(0.5, 2.0, logits.shape[1])
    assert_gradient_matches_finite_differences(lambda x: F.cross_entropy(x, target, weight=weight), logits)


@given(classification(), REDUCTIONS)
def test_nll_loss_gradient_matches_finite_differences(problem, reduction):
    logits, target, _ = problem
    assert_gradient_matches_finite_differences(lambda x: F.nll_loss(x, target, reduction=reduction), logits)


@given(regression(), REDUCTIONS)
def test_mse_loss_gradient_matches_finite_differences(problem, reduction):
    x, y, _ = problem
    assert_gradient_matches_finite_differences(lambda t: F.mse_loss(t, y, reduction=reduction), x)


@given(regression(), REDUCTIONS)
def test_l1_loss_gradient_matches_finite_differences(problem, reduction):
    x, y, _ = problem
    x = np.where(np.abs(x - y) < 1e-3, x + 0.1, x)  # keep away from the kink at x == y
    assert_gradient_matches_finite_differences(lambda t: F.l1_loss(t, y, reduction=reduction), x)


@given(regression(), REDUCTIONS)
def test_binary_cross_entropy_gradient_matches_finite_differences(problem, reduction):
    _, y, p = problem
    target = (y > 0).astype(float)
    assert_gradient_matches_finite_differences(
        lambda t: F.binary_cross_entropy(t, target, reduction=reduction), p)


@given(regression(), REDUCTIONS)
def test_binary_cross_entropy_with_logits_gradient_matches_finite_differences(problem, reduction):
    x, _, p = problem
    assert_gradient_matches_finite_differences(
        lambda t: F.binary_cross_entropy_with_logits(t, p, reduction=reduction, pos_weight=1.5), x)


# ---- second derivatives: the fused ops' backward also runs on Tensors -----------------------
def test_cross_entropy_hessian_is_diag_p_minus_p_p_transposed():
    logits = np.array([0.3, -1.2, 2.0])
    hess = ag.hessian(lambda x: F.cross_entropy(x, np.array(1)), ag.Tensor(logits))
    p = softmax(logits)
    np.testing.assert_allclose(np.asarray(hess), np.diag(p) - np.outer(p, p), atol=1e-12)


def test_bce_with_logits_second_derivative_is_sigmoid_times_one_minus_sigmoid():
    x = ag.Tensor(np.array([-3.0, 0.0, 2.5]), requires_grad=True)
    (g,) = ag.grad(F.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0, 1.0]), reduction="sum"),
                   [x], create_graph=True)
    g.sum().backward()
    s = sigmoid(x.data)
    np.testing.assert_allclose(x.grad, s * (1 - s), atol=1e-12)


# ---- binary cross-entropy ------------------------------------------------------------------
def test_binary_cross_entropy_matches_its_formula():
    p, t = np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert F.binary_cross_entropy(ag.Tensor(p), t).item() == pytest.approx(expected)


def test_binary_cross_entropy_clamps_log_of_zero_at_minus_100():
    p = ag.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0]), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(200.0) and np.all(np.isfinite(p.grad))


def test_binary_cross_entropy_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(ag.Tensor(np.array([1.5, 0.2])), np.array([1.0, 0.0]))


def test_bce_with_logits_equals_bce_of_sigmoid():
    x, t = np.array([-2.0, 0.0, 1.5]), np.array([0.0, 1.0, 1.0])
    assert F.binary_cross_entropy_with_logits(ag.Tensor(x), t).item() == pytest.approx(
        F.binary_cross_entropy(ag.Tensor(sigmoid(x)), t).item())


def test_bce_with_logits_is_stable_for_huge_logits():
    x = ag.Tensor(np.array([1e4, -1e4, 1e4]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0, 0.0]), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(1e4)
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0])


def test_bce_with_logits_gradient_is_sigmoid_minus_target_over_n():
    x, t = np.array([-1.0, 0.0, 2.0, 0.5]), np.array([1.0, 0.0, 1.0, 0.3])
    logits = ag.Tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(logits, t).backward()
    np.testing.assert_allclose(logits.grad, (sigmoid(x) - t) / 4)


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.binary_cross_entropy,
                                  F.binary_cross_entropy_with_logits])
def test_elementwise_losses_refuse_to_broadcast_n_by_one_against_n(loss):
    with pytest.raises(ValueError, match=r"shape \(3, 1\) but target has shape \(3,\)"):
        loss(ag.Tensor(np.full((3, 1), 0.5)), np.array([0.0, 1.0, 1.0]))


# ---- regression losses ---------------------------------------------------------------------
def test_mse_loss_is_the_mean_squared_difference():
    assert F.mse_loss(ag.Tensor([1.0, 2.0]), np.array([0.0, 0.0])).item() == pytest.approx(2.5)


def test_l1_loss_is_the_mean_absolute_difference():
    assert F.l1_loss(ag.Tensor([1.0, -3.0]), [0.0, 0.0]).item() == pytest.approx(2.0)


def test_mse_loss_sends_gradient_to_a_tensor_target():
    y = ag.Tensor([1.0, 2.0], requires_grad=True)
    F.mse_loss(ag.Tensor([0.0, 0.0]), y).backward()
    np.testing.assert_allclose(y.grad, [1.0, 2.0])


# ---- nll_loss, accuracy, activations -------------------------------------------------------
def test_nll_loss_picks_minus_the_target_log_probability():
    log_p = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert F.nll_loss(ag.Tensor(log_p), np.array([1, 0])).item() == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


def test_nll_loss_rejects_an_out_of_range_class():
    with pytest.raises(IndexError, match="out of range"):
        F.nll_loss(ag.Tensor(np.zeros((2, 3))), np.array([0, 5]))


def test_accuracy_of_class_scores():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert F.accuracy(ag.Tensor(scores), np.array([1, 0, 0])) == pytest.approx(2 / 3)


def test_accuracy_of_binary_logits_thresholds_at_zero():
    assert F.accuracy(np.array([[2.0], [-1.0], [0.5]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)


def test_accuracy_accepts_onehot_targets():
    assert F.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([[0, 1], [0, 1]])) == 0.5


def test_functional_dropout_is_identity_when_not_training():
    x = ag.Tensor(np.ones(4))
    assert F.dropout(x, 0.5, training=False) is x


def test_linear_function_matches_x_w_transposed_plus_b():
    x, w, b = np.ones((2, 3)), np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0])
    np.testing.assert_allclose(F.linear(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b)).data, x @ w.T + b)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_cross_entropy_gives_the_same_gradient_whatever_the_logits_memory_layout(reduction, layout):
    # Column-layout learners write F.cross_entropy(z.T, y): the logits arrive as a transposed view.
    rng = np.random.default_rng(0)
    y = np.array([0, 2, 1, 2, 0])
    base = rng.normal(size=(3, 5)) if layout == "transposed" else rng.normal(size=(5, 6))
    z = ag.Tensor(base, requires_grad=True)
    logits = z.T if layout == "transposed" else z[:, ::2]
    F.cross_entropy(logits, y, reduction=reduction).sum().backward()
    plain = ag.Tensor(np.ascontiguousarray(logits.data), requires_grad=True)
    F.cross_entropy(plain, y, reduction=reduction).sum().backward()
    expected = plain.grad.T if layout == "transposed" else np.zeros((5, 6))
    if layout == "strided":
        expected[:, ::2] = plain.grad
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12, atol=1e-15)


# ---- swapped arguments -----------------------------------------------------------------------

def test_cross_entropy_with_labels_and_logits_swapped_asks_whether_they_were_swapped():
    logits = ag.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    labels = np.array([0, 2, 1, 1])
    with pytest.raises(TypeError, match=r"did you swap input and target\?"):
        F.cross_entropy(labels, logits)
    with pytest.raises(TypeError, match=r"did you swap input and target\?"):
        F.nll_loss(labels, F.log_softmax(logits))


def test_a_target_that_requires_grad_asks_whether_input_and_target_were_swapped():
    out = ag.Tensor(np.zeros((4, 1)), requires_grad=True)
    with pytest.raises(ValueError, match=r"did you swap input and target\?.*target.detach\(\)"):
        F.binary_cross_entropy_with_logits(np.zeros((4, 1)), out)


# ---- a mean over no targets ----------------------------------------------------------------------

def all_ignored_loss(fn, logits):
    with pytest.warns(RuntimeWarning, match="no target counts.*PyTorch gives a NaN loss"):
        return fn(logits, np.full(4, -100))


@pytest.mark.parametrize("fn", [F.cross_entropy,
                                lambda x, t: F.nll_loss(F.log_softmax(x), t)],
                         ids=["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_a_zero_loss_and_zero_gradients_with_a_warning(fn):
    logits = ag.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    loss = all_ignored_loss(fn, logits)
    loss.backward()
    assert float(loss) == 0.0
    np.testing.assert_array_equal(logits.grad, np.zeros((4, 3)))


def test_a_step_on_a_batch_whose_targets_are_all_ignored_leaves_the_weights_finite():
    import nn
    model = nn.Linear(5, 3)
    before = model.weight.data.copy()
    loss = all_ignored_loss(F.cross_entropy, model(np.ones((4, 5), np.float32)))
    loss.backward()
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_array_equal(model.weight.data, before)


def test_class_weights_that_zero_every_target_are_a_mean_over_nothing_too():
    logits = ag.Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="no target counts"):
        loss = F.cross_entropy(logits, np.array([0, 0, 0]), weight=np.array([0.0, 1.0]))
    loss.backward()
    assert float(loss) == 0.0 and not logits.grad.any()


def test_an_empty_batch_is_a_mean_over_nothing():
    logits = ag.Tensor(np.zeros((0, 3)), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="no target counts"):
        loss = F.cross_entropy(logits, np.zeros(0, np.int64))
    loss.backward()
    assert float(loss) == 0.0 and logits.grad.shape == (0, 3)


def test_some_targets_ignored_still_average_over_the_others_like_pytorch():
    logits = np.random.default_rng(1).standard_normal((4, 3))
    t = np.array([0, -100, 2, -100])
    kept = F.cross_entropy(ag.Tensor(logits[[0, 2]]), t[[0, 2]])
    assert float(F.cross_entropy(ag.Tensor(logits), t)) == pytest.approx(float(kept))
