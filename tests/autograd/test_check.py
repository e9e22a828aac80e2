"""gradcheck, compare_gradients and the diagnosis behind them."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Op, Tensor
from autograd.check import (GradcheckError, GradientReport, compare_gradients, diagnose,
                            gradcheck, watch)
from autograd.testing import float_arrays

rng = np.random.default_rng(0)
G = rng.standard_normal((4, 3))  # a stand-in for autograd's gradient


# -- diagnose: one hand gradient against autograd's ---------------------------------------------

def test_identical_gradients_are_ok():
    assert diagnose(G.copy(), G).diagnosis == "ok"


def test_rounding_level_differences_are_ok():
    assert diagnose(G * (1 + 1e-13), G).ok


def test_a_vector_for_a_row_shaped_bias_is_ok():
    # (n,) for a (1, n) bias: `b -= lr * db` keeps b's shape
    assert diagnose(G[0], G[:1]).ok


def test_wrong_shape_is_diagnosed_as_shape():
    assert diagnose(np.zeros((4, 2)), G).diagnosis == "shape"


def test_shape_hint_suggests_summing_per_sample_gradients_over_the_batch():
    per_sample = np.stack([G, G])
    v = diagnose(per_sample, G)
    assert v.diagnosis == "shape" and "batch axis" in v.hint


def test_a_column_for_a_row_bias_is_a_shape_error_not_ok():
    # b (1, n) -= db (n, 1) would broadcast b to (n, n)
    assert diagnose(G[:1].T.copy(), G[:1]).diagnosis == "transposed"
    assert diagnose(G[0][:, None], G[0]).diagnosis == "shape"


def test_transposed_rectangular_gradient_is_diagnosed_as_transposed():
    assert diagnose(G.T, G).diagnosis == "transposed"


def test_transposed_square_gradient_is_diagnosed_as_transposed():
    S = rng.standard_normal((3, 3))
    assert diagnose(S.T, S).diagnosis == "transposed"


def test_constant_factor_is_diagnosed_as_scaled_with_the_factor():
    v = diagnose(3.5 * G, G)
    assert v.diagnosis == "scaled" and v.scale == pytest.approx(3.5)


def test_factor_n_reads_as_sum_vs_mean_over_the_batch():
    v = diagnose(32 * G, G, batch_sizes=(32,))
    assert v.diagnosis == "scaled" and "sum vs mean over the batch" in v.hint


def test_factor_one_over_n_reads_as_sum_vs_mean_over_the_batch():
    v = diagnose(G / 32, G, batch_sizes=(32,))
    assert v.scale == pytest.approx(1 / 32) and "sum vs mean over the batch" in v.hint


def test_factor_two_hint_mentions_the_half_in_the_squared_error():
    assert "1/2" in diagnose(2 * G, G).hint


def test_a_single_number_off_by_an_arbitrary_factor_is_wrong_not_scaled():
    assert diagnose(np.array(1.7), np.array(0.3)).diagnosis == "wrong"


def test_a_single_number_off_by_the_batch_size_is_scaled():
    assert diagnose(np.array(2.4), np.array(0.3), batch_sizes=(8,)).diagnosis == "scaled"


def test_negated_gradient_is_diagnosed_as_sign_with_a_plain_hint():
    v = diagnose(-G, G)
    assert v.diagnosis == "sign"
    assert "add the gradient instead of subtracting" in v.hint


def test_all_zero_gradient_is_diagnosed_as_zero():
    assert diagnose(np.zeros_like(G), G).diagnosis == "zero"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_is_diagnosed_as_nonfinite_and_located(bad):
    h = G.copy()
    h[2, 1] = bad
    v = diagnose(h, G)
    assert v.diagnosis == "nonfinite" and v.where == "entries (2, 1)"


def test_nonfinite_autograd_gradient_points_at_the_forward_pass():
    g = G.copy()
    g[0, 0] = np.nan
    v = diagnose(G, g)
    assert v.diagnosis == "nonfinite" and "forward" in v.hint


def test_wrong_rows_are_diagnosed_as_partial_and_named():
    h = G.copy()
    h[[1, 3]] += 1.0
    v = diagnose(h, G)
    assert v.diagnosis == "partial" and v.where == "rows 1, 3"


def test_wrong_columns_are_diagnosed_as_partial_and_named():
    h = G.copy()
    h[:, 2] *= -1
    v = diagnose(h, G)
    assert v.diagnosis == "partial" and v.where == "columns 2"


def test_wrong_entries_of_a_vector_are_diagnosed_as_partial_and_named():
    g = G[0].copy()
    h = g.copy()
    h[1] = 7.0
    assert diagnose(h, g).where == "entries 1"


def test_rows_that_are_zero_in_both_do_not_make_a_wrong_gradient_partial():
    g = G.copy()
    g[0] = 0.0  # a dead unit: zero in both, proves nothing
    h = g + rng.standard_normal(g.shape) * (g != 0)
    assert diagnose(h, g).diagnosis == "wrong"


def test_unrelated_values_are_diagnosed_as_wrong():
    assert diagnose(rng.standard_normal(G.shape), G).diagnosis == "wrong"


def test_rows_each_off_by_their_own_factor_get_a_per_unit_hint():
    h = G * np.array([[1.5], [2.0], [0.5], [3.0]])
    v = diagnose(h, G)
    assert v.diagnosis == "wrong" and "each row is off by a factor of its own" in v.hint


def test_nonzero_hand_gradient_where_autograd_has_none_hints_at_a_broken_graph():
    v = diagnose(G, np.zeros_like(G))
    assert v.diagnosis == "wrong" and "does not depend" in v.hint


def test_cosine_is_minus_one_for_a_flipped_sign():
    assert diagnose(-G, G).cosine == pytest.approx(-1.0)


def test_max_relative_error_is_relative_to_the_largest_autograd_entry():
    h = G.copy()
    h[0, 0] += 0.5
    v = diagnose(h, G)
    assert v.max_abs_err == pytest.approx(0.5)
    assert v.max_rel_err == pytest.approx(0.5 / np.abs(G).max())


# -- compare_gradients ---------------------------------------------------------------------------

X = rng.standard_normal((5, 3))
T = rng.standard_normal((5, 2))
PARAMS = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}


def mse_loss(W, b):
    z = watch("z", X @ W + b)
    return ((z - T) ** 2).mean()


def mse_hand(W=PARAMS["W"], b=PARAMS["b"]):
    dz = 2 * (X @ W + b - T) / T.size
    return {"z": dz, "W": X.T @ dz, "b": dz.sum(axis=0)}


def test_correct_hand_gradients_give_an_ok_report():
    report = compare_gradients(mse_loss, PARAMS, mse_hand())
    assert report.ok and report.first_mismatch is None


def test_rows_run_from_the_loss_backwards_with_watched_tensors_first():
    report = compare_gradients(mse_loss, PARAMS, mse_hand())
    assert report.names[0] == "z"
    assert set(report.names) == {"z", "W", "b"}


def test_layers_appear_from_the_output_layer_down():
    P = {"W1": rng.standard_normal((3, 4)), "W2": rng.standard_normal((4, 2))}

    def loss_fn(W1, W2):
        return (np.tanh(X @ W1) @ W2).sum()

    report = compare_gradients(loss_fn, P, {"W1": np.zeros((3, 4)), "W2": np.zeros((4, 2))})
    assert report.names == ["W2", "W1"]


def test_first_mismatch_names_the_first_disagreeing_row():
    hand = mse_hand()
    hand["W"] = -hand["W"]
    report = compare_gradients(mse_loss, PARAMS, hand)
    assert report.first_mismatch == "W"
    assert report["W"].diagnosis == "sign"


def test_report_rows_carry_name_shape_errors_cosine_and_hint():
    row = compare_gradients(mse_loss, PARAMS, mse_hand())["W"]
    assert row.name == "W" and row.shape == (3, 2)
    assert row.max_abs_err < 1e-12 and row.max_rel_err < 1e-12
    assert row.cosine == pytest.approx(1.0) and row.ok and row.hint


def test_unknown_row_name_raises_key_error_listing_the_rows():
    report = compare_gradients(mse_loss, PARAMS, mse_hand())
    with pytest.raises(KeyError, match="the rows are"):
        report["nope"]


def test_summed_gradient_is_scaled_by_the_batch_size_inferred_from_the_data():
    hand = {k: v * 5 for k, v in mse_hand().items()}
    report = compare_gradients(mse_loss, PARAMS, hand)
    assert report["W"].scale == pytest.approx(5)
    assert "sum vs mean over the batch" in report["W"].hint


def test_batch_size_can_be_given_explicitly():
    hand = {k: v * 7 for k, v in mse_hand().items()}
    report = compare_gradients(mse_loss, PARAMS, hand, batch_size=7)
    assert report.batch_size == 7 and "sum vs mean over the batch" in report["W"].hint


def test_data_passed_among_the_params_gives_the_batch_size():
    def loss_fn(W, b, X):
        return ((X @ W + b - T) ** 2).mean()

    hand = {k: v * 5 for k, v in mse_hand().items() if k != "z"}
    report = compare_gradients(loss_fn, {**PARAMS, "X": X}, hand)
    assert "sum vs mean over the batch" in report["W"].hint


def test_parameter_that_the_loss_ignores_has_a_zero_autograd_gradient():
    def loss_fn(W, b):
        return (X @ W).sum()

    report = compare_gradients(loss_fn, PARAMS, {"W": X.T @ np.ones((5, 2)), "b": np.zeros(2)})
    assert report.ok


def test_watch_outside_compare_gradients_returns_its_argument_unchanged():
    t = Tensor([1.0, 2.0])
    assert watch("t", t) is t
    a = np.ones(3)
    assert watch("a", a) is a


def test_watching_the_same_name_twice_raises():
    def loss_fn(W, b):
        watch("z", X @ W)
        return watch("z", X @ W + b).sum()

    with pytest.raises(ValueError, match="twice"):
        compare_gradients(loss_fn, PARAMS, {})


def test_hand_naming_an_unknown_tensor_raises_key_error():
    with pytest.raises(KeyError, match="delta9"):
        compare_gradients(mse_loss, PARAMS, {"delta9": np.zeros(3)})


def test_loss_fn_returning_a_float_raises_type_error():
    with pytest.raises(TypeError, match="left the graph"):
        compare_gradients(lambda W, b: mse_loss(W, b).item(), PARAMS, mse_hand())


def test_loss_fn_returning_a_vector_raises_value_error():
    with pytest.raises(ValueError, match="scalar"):
        compare_gradients(lambda W, b: X @ W + b, PARAMS, {})


def test_watch_is_cleared_when_loss_fn_raises():
    def broken(W, b):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        compare_gradients(broken, PARAMS, {})
    t = Tensor([1.0])
    assert watch("t", t) is t


def test_text_table_fits_in_100_columns():
    long = "a_really_long_parameter_name_for_a_layer"
    P = {long: PARAMS["W"], "b": PARAMS["b"]}

    def loss_fn(b, **w):
        return ((X @ w[long] + b - T) ** 2).mean()

    hand = mse_hand()
    report = compare_gradients(loss_fn, P, {long: np.zeros((2, 3)), "b": -hand["b"]})
    text = str(report)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "first mismatch" in text


def test_text_table_lists_hints_for_mismatching_rows():
    hand = mse_hand()
    hand["b"] = -hand["b"]
    assert "instead of subtracting" in str(compare_gradients(mse_loss, PARAMS, hand))


def test_html_table_has_a_row_per_gradient_and_escapes_names():
    def loss_fn(W, b):
        return watch("<z>", X @ W + b).sum()

    report = compare_gradients(loss_fn, PARAMS, {"<z>": np.ones((5, 2)), "W": np.zeros((3, 2))})
    page = report._repr_html_()
    assert page.count("<tr") == 3 and "&lt;z&gt;" in page and "<table" in page


def test_report_is_a_gradient_report_that_is_truthy_when_ok():
    report = compare_gradients(mse_loss, PARAMS, mse_hand())
    assert isinstance(report, GradientReport) and bool(report) and len(report) == 3


def test_float32_params_are_compared_with_float32_tolerances():
    P32 = {k: v.astype(np.float32) for k, v in PARAMS.items()}
    hand = {k: v.astype(np.float32) for k, v in mse_hand().items()}
    assert compare_gradients(mse_loss, P32, hand).ok


# -- no false alarms: random small networks, differentiated by hand -----------------------------

def act_forward(name, z):
    return {"identity": lambda: z, "tanh": z.tanh, "sigmoid": z.sigmoid, "relu": z.relu,
            "leaky_relu": lambda: z.leaky_relu(0.1)}[name]()


def act_derivative(name, z, a):
    return {"identity": lambda: np.ones_like(z), "tanh": lambda: 1 - a * a,
            "sigmoid": lambda: a * (1 - a), "relu": lambda: (z > 0) * 1.0,
            "leaky_relu": lambda: np.where(z > 0, 1.0, 0.1)}[name]()


def act_numpy(name, z):
    return {"identity": lambda: z, "tanh": lambda: np.tanh(z),
            "sigmoid": lambda: 1 / (1 + np.exp(-z)), "relu": lambda: np.maximum(z, 0),
            "leaky_relu": lambda: np.where(z > 0, z, 0.1 * z)}[name]()


def mlp_loss(acts, loss_kind, X, target):
    def loss_fn(**p):
        a = X
        for i, act in enumerate(acts):
            z = watch(f"z{i}", a @ p[f"W{i}"] + p[f"b{i}"])
            a = act_forward(act, z)
        if loss_kind == "mse":
            return ((a - target) ** 2).mean()
        return -a.log_softmax(axis=1)[np.arange(len(X)), target].mean()
    return loss_fn


def mlp_hand_gradients(params, acts, loss_kind, X, target):
    """Plain backprop for an MLP: delta = dL/dz of each layer, from the top down."""
    zs, as_ = [], [X]
    for i, act in enumerate(acts):
        zs.append(as_[-1] @ params[f"W{i}"] + params[f"b{i}"])
        as_.append(act_numpy(act, zs[-1]))
    out = as_[-1]
    if loss_kind == "mse":
        d_a = 2 * (out - target) / out.size
    else:
        e = np.exp(out - out.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        d_a = (p - np.eye(out.shape[1])[target]) / len(X)
    grads = {}
    for i in reversed(range(len(acts))):
        delta = d_a * act_derivative(acts[i], zs[i], as_[i + 1])
        grads[f"z{i}"] = delta
        grads[f"W{i}"] = as_[i].T @ delta
        grads[f"b{i}"] = delta.sum(axis=0)
        d_a = delta @ params[f"W{i}"].T
    return grads


@st.composite
def small_networks(draw):
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(st.sampled_from(["identity", "tanh", "sigmoid", "relu", "leaky_relu"]),
                         min_size=depth, max_size=depth))
    batch = draw(st.integers(1, 5))
    loss_kind = draw(st.sampled_from(["mse", "cross_entropy"]))
    X = draw(float_arrays((batch, widths[0]), min_value=-2, max_value=2))
    params = {}
    for i in range(depth):
        params[f"W{i}"] = draw(float_arrays((widths[i], widths[i + 1]), min_value=-2, max_value=2))
        params[f"b{i}"] = draw(float_arrays((widths[i + 1],), min_value=-1, max_value=1))
    if loss_kind == "mse":
        target = draw(float_arrays((batch, widths[-1]), min_value=-2, max_value=2))
    else:
        target = np.array(draw(st.lists(st.integers(0, widths[-1] - 1), min_size=batch,
                                        max_size=batch)))
    return acts, loss_kind, X, target, params


@given(small_networks())
def test_correct_gradients_of_random_small_networks_are_always_ok(network):
    acts, loss_kind, X, target, params = network
    hand = mlp_hand_gradients(params, acts, loss_kind, X, target)
    report = compare_gradients(mlp_loss(acts, loss_kind, X, target), params, hand)
    assert report.ok, str(report)


# -- gradcheck -----------------------------------------------------------------------------------

class BadCube(Op):
    """x ** 3 with a wrong backward (2 x^2 instead of 3 x^2)."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy, y, x):
        return gy * 2 * x * x


def tensor(values, **kw):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, **kw)


def test_gradcheck_passes_a_correct_gradient_and_returns_a_truthy_result():
    x = tensor([[0.5, -1.2], [2.0, 0.3]])
    result = gradcheck(lambda t: (t.tanh() * t).sum(), x)
    assert result and result.ok


def test_gradcheck_checks_every_input_that_requires_grad():
    a, b = tensor([1.0, 2.0]), tensor([[0.5], [-0.5]])
    c = Tensor([3.0, 4.0])  # a constant
    result = gradcheck(lambda x, y, k: (x * y * k).sum(), a, b, c)
    assert len(result.inputs) == 2


def test_gradcheck_raises_on_a_wrong_backward():
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: BadCube()(t).sum(), tensor([1.0, 2.0]))


def test_gradcheck_error_shows_shape_errors_worst_index_and_both_values():
    x = tensor([[1.0, 2.0], [3.0, -1.0]], name="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: BadCube()(t).sum(), x)
    message = str(info.value)
    assert "(2, 2)" in message and "max abs err" in message and "max rel err" in message
    assert "(1, 0)" in message  # worst element: 27 expected, 18 computed
    assert "27" in message and "18" in message
    check = info.value.result.inputs[0]
    assert check.numeric == pytest.approx(27, rel=1e-6) and check.analytic == pytest.approx(18)


def test_gradcheck_error_table_fits_in_100_columns():
    x = tensor(np.arange(6.0).reshape(2, 3) + 1, name="a_long_input_name_indeed")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: BadCube()(t).sum(), x)
    assert max(len(line) for line in str(info.value).splitlines()) <= 100


def test_gradcheck_checks_non_scalar_outputs():
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: BadCube()(t), tensor([1.0, -2.0, 0.5]), seed=0)


def test_gradcheck_warns_and_checks_float32_inputs_in_float64():
    x = Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float64 copy"):
        result = gradcheck(lambda t: (t.sin() * t).sum(), x)
    assert result.ok


def test_gradcheck_without_differentiable_inputs_raises_value_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t.sum(), Tensor([1.0]))


def test_fast_gradcheck_passes_a_correct_gradient():
    W = tensor(rng.standard_normal((6, 4)))
    x = rng.standard_normal((3, 6))
    assert gradcheck(lambda w: (x @ w).tanh().sum(), W, fast=True, seed=0).ok


def test_fast_gradcheck_catches_a_wrong_backward():
    with pytest.raises(GradcheckError, match="fast=False"):
        gradcheck(lambda t: BadCube()(t).sum(), tensor(rng.standard_normal(50)), fast=True, seed=0)


def test_relu_at_zero_is_reported_as_a_non_differentiable_point_not_an_error():
    with pytest.warns(UserWarning, match=r"non-differentiable point; convention: relu'\(0\) = 0"):
        result = gradcheck(lambda t: t.relu().sum(), tensor([0.0, 1.5, -2.0]))
    assert result.ok


def test_abs_within_eps_of_zero_is_reported_as_a_non_differentiable_point():
    # the central difference straddles the kink: 0.1 against abs'(1e-7) = 1
    with pytest.warns(UserWarning, match=r"abs'\(0\) = 0"):
        assert gradcheck(lambda t: t.abs().sum(), tensor([1e-7, 1.0]))


def test_tied_maxima_are_reported_as_a_non_differentiable_point():
    with pytest.warns(UserWarning, match="max: tied entries share the gradient equally"):
        assert gradcheck(lambda t: t.max(), tensor([1.0, 1.0, 1.0]))


def test_a_wrong_gradient_at_a_smooth_point_is_still_an_error_next_to_a_kink():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(GradcheckError):
            gradcheck(lambda t: BadCube()(t).sum() + t.relu().sum(), tensor([0.0, 2.0]))


def test_gradcheck_result_text_fits_in_100_columns():
    result = gradcheck(lambda t: (t * t).sum(), tensor(np.ones((2, 3)), name="x" * 40))
    assert max(len(line) for line in str(result).splitlines()) <= 100


def test_gradcheck_does_not_change_the_inputs():
    x = tensor([0.1, 0.2])
    before = x.data.copy()
    gradcheck(lambda t: (t * t).sum(), x)
    assert np.array_equal(x.data, before) and x.grad is None
