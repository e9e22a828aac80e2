"""Judging a hand gradient: no blind spots (tiny gradients, rows hidden by scale) and no false
alarms (kinks, rounding), and factors read for what they are (the batch from the loss's mean)."""
import warnings

import numpy as np
import pytest

from autograd import Tensor, compare_gradients, gradcheck, watch
from autograd.check import diagnose

rng = np.random.default_rng(0)
G = rng.standard_normal((4, 3))


# -- tiny gradients -------------------------------------------------------------------------------

def test_a_tiny_gradient_with_its_sign_flipped_is_a_sign_error():
    assert diagnose(-1e-12 * G, 1e-12 * G).diagnosis == "sign"


def test_a_tiny_gradient_is_judged_relative_to_its_own_scale():
    h = 1e-12 * G
    h[0, 0] *= 1.1
    assert diagnose(h, 1e-12 * G).diagnosis == "partial"


def test_a_tiny_gradient_right_to_rounding_is_ok():
    assert diagnose(1e-12 * G * (1 + 1e-14), 1e-12 * G).ok


def test_in_compare_gradients_a_tiny_sign_flipped_gradient_is_caught():
    X = rng.standard_normal((5, 3))
    P = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}

    def loss_fn(W, b):
        return np.sum((X @ W) ** 2) + 1e-12 * np.sum(b * b)

    hand = {"W": 2 * X.T @ (X @ P["W"]), "b": -2e-12 * P["b"]}
    report = compare_gradients(loss_fn, P, hand)
    assert report["W"].ok and report["b"].diagnosis == "sign"


def test_the_floor_follows_the_loss_so_rounding_of_a_cancelled_gradient_is_ok():
    # the gradient of b cancels to ~1e-17 over the batch; the hand sums in another order
    X = np.array([[1.0, 2.0], [-1.0, -2.0]])
    P = {"b": np.array([0.3])}

    def loss_fn(b):
        return np.sum(X * b)

    report = compare_gradients(loss_fn, P, {"b": np.array([3e-17])})
    assert report.ok


# -- rows hidden by the scale of others -----------------------------------------------------------

def unnormalised(dtype=np.float64):
    r = np.random.default_rng(1)
    X = np.column_stack([8e4 * r.uniform(0.5, 1, 20), 0.01 * r.standard_normal(20),
                         r.standard_normal(20)]).astype(dtype)
    T = r.standard_normal((20, 2)).astype(dtype)
    P = {"W": (r.standard_normal((3, 2)) * 1e-5).astype(dtype), "b": np.zeros(2, dtype)}

    def loss_fn(W, b):
        return np.mean((X @ W + b - T) ** 2)

    dz = 2 * (X @ P["W"] + P["b"] - T) / T.size
    return loss_fn, P, {"W": X.T @ dz, "b": dz.sum(axis=0)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_right_gradients_with_unnormalised_features_are_ok(dtype):
    report = compare_gradients(*unnormalised(dtype))
    assert report.ok, str(report)


def test_a_zero_row_hidden_by_the_scale_of_another_feature_is_caught():
    loss_fn, P, hand = unnormalised()
    hand["W"][1] = 0.0  # the 0.01-scale feature's row, ~1e-7 of the largest entry
    row = compare_gradients(loss_fn, P, hand)["W"]
    assert row.diagnosis == "partial" and row.where == "rows 1"


def test_each_column_is_judged_at_its_own_scale_too():
    g = np.array([[1.0, 1e-6], [2.0, 3e-6]])
    h = g.copy()
    h[:, 1] *= 1.5
    assert diagnose(h, g).where == "columns 1"


# -- kinks -----------------------------------------------------------------------------------------

def relu_at_kinks():
    X = np.array([[1.0, -2.0], [0.0, 0.0], [2.0, 1.0]])  # the middle sample gives z == 0
    P = {"W": np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]])}

    def loss_fn(W):
        a = np.maximum(watch("z", X @ W), 0)
        return np.sum(a ** 2) / 2 + np.sum(a)

    z = X @ P["W"]
    return loss_fn, P, z


@pytest.mark.parametrize("mask", [lambda z: z > 0, lambda z: z >= 0])
def test_a_mask_that_differs_from_autograd_only_at_kinks_is_ok_with_a_note(mask):
    loss_fn, P, z = relu_at_kinks()
    dz = (np.maximum(z, 0) + 1) * mask(z)
    X = np.array([[1.0, -2.0], [0.0, 0.0], [2.0, 1.0]])
    row = compare_gradients(loss_fn, P, {"z": dz, "W": X.T @ dz})["z"]
    assert row.ok and row.diagnosis == "ok"
    assert "kink" in row.note and "np.maximum" in row.note


def test_a_real_mistake_next_to_a_kink_is_still_caught():
    loss_fn, P, z = relu_at_kinks()
    dz = (np.maximum(z, 0) + 1) * (z > 0)
    dz[0, 0] += 1.0
    assert not compare_gradients(loss_fn, P, {"z": dz})["z"].ok


def test_gradcheck_notes_the_kinks_of_np_maximum_at_zero():
    with pytest.warns(UserWarning, match=r"non-differentiable point; convention: "
                                         r"np\.maximum\(a, b\) at a == b"):
        result = gradcheck(lambda t: np.maximum(t, 0).sum(), Tensor([0.0, 1.5, -2.0],
                                                                    requires_grad=True))
    assert result.ok and len(result.notes) == 1 and "[0]" in result.notes[0]


def test_gradcheck_notes_no_kink_on_a_smooth_function_with_large_curvature():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: (1e6 * t * t).sum(), Tensor([0.0, 1e-3], requires_grad=True),
                         rtol=1e-2)


# -- what a factor is read as -------------------------------------------------------------------

def columns_net():
    """Samples as columns: C = 3 classes, N = 6 samples, the loss averaged over the batch."""
    r = np.random.default_rng(2)
    X = r.standard_normal((4, 6))
    Y = np.eye(3)[[0, 1, 2, 0, 1, 2]].T
    P = {"W": r.standard_normal((3, 4))}

    def loss_fn(W):
        z = watch("z", W @ X)
        p = np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)
        return -np.sum(Y * np.log(p)) / 6

    z = P["W"] @ X
    p = np.exp(z) / np.exp(z).sum(axis=0)
    dz = (p - Y) / 6
    return loss_fn, P, {"z": dz, "W": dz @ X.T}


def test_the_batch_size_comes_from_the_losss_mean_not_the_first_axis_of_the_data():
    loss_fn, P, hand = columns_net()
    report = compare_gradients(loss_fn, P, {k: 6 * v for k, v in hand.items()})
    assert report.batch_size == 6
    assert "sum vs mean over the batch" in report["z"].hint and "6 = N" in report["z"].hint


def test_a_factor_of_the_number_of_classes_is_not_read_as_the_batch_size():
    loss_fn, P, hand = columns_net()
    hint = compare_gradients(loss_fn, P, {k: 3 * v for k, v in hand.items()})["z"].hint
    assert "N" not in hint and "batch" not in hint
    assert "axis 0 of the (3, 6) array" in hint


def test_batch_size_given_explicitly_wins():
    loss_fn, P, hand = columns_net()
    report = compare_gradients(loss_fn, P, {k: 3 * v for k, v in hand.items()}, batch_size=3)
    assert report.batch_size == 3 and "sum vs mean over the batch" in report["z"].hint


def test_an_odd_factor_is_named_exactly_with_no_guess_at_its_cause():
    hint = diagnose(2.5 * G, G).hint
    assert "5/2" in hint and "learning rate" not in hint and "?" not in hint


def test_a_factor_near_a_simple_fraction_says_what_it_is_near():
    assert "about 1/4" in diagnose(0.2443 * G, G).hint


def test_a_mean_over_every_entry_reads_each_averaged_axis_as_a_batch():
    r = np.random.default_rng(3)
    X, T = r.standard_normal((5, 3)), r.standard_normal((5, 2))
    P = {"W": r.standard_normal((3, 2))}

    def loss_fn(W):
        return np.mean((X @ W - T) ** 2)

    dW = X.T @ (2 * (X @ P["W"] - T) / T.size)
    assert "sum vs mean" in compare_gradients(loss_fn, P, {"W": 10 * dW})["W"].hint
    assert "sum vs mean" in compare_gradients(loss_fn, P, {"W": 5 * dW})["W"].hint
