"""compare_gradients says how a hand derivation went wrong: the cause of the first wrong row,
found by searching the graph, with the op and the learner's line."""
import re

import numpy as np
import pytest

from autograd import compare_gradients, watch
from autograd.check import CAUSES, RecordedGraph, explain

from mistakes import (ACTIVATIONS, SOURCE_000, WRONG_DERIVATIVES, corpus, residual, rnn,
                      source_000, tied_autoencoder, two_layer)

LAYOUTS = [("rows", np.float64), ("cols", np.float64), ("rows", np.float32),
           ("cols", np.float32)]


def first_wrong(report, name=None):
    row = report[name or report.first_mismatch]
    assert not row.ok, str(report)
    return row


# -- one test per family, in both layouts and both float widths ---------------------------------

@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_the_next_layers_delta_used_for_a_layer_is_another_tensors_gradient(layout, dtype):
    report = compare_gradients(*two_layer("tanh", "mse", layout, dtype, "delta_of_the_next_layer",
                                          sizes=(6, 4, 3, 3)))
    row = first_wrong(report)
    assert row.name == "z1" and row.cause == "other_tensor"
    assert "`z2`" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_the_activations_gradient_handed_in_for_the_pre_activation_is_another_tensors(
        layout, dtype):
    report = compare_gradients(*two_layer("tanh", "softmax", layout, dtype,
                                          "activation_gradient_for_pre_activation", watch_a1=True))
    row = first_wrong(report)
    assert row.name == "z1" and row.cause == "other_tensor" and "`a1`" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
@pytest.mark.parametrize("mistake", ["encoder_only", "decoder_only"])
def test_tied_weights_with_one_use_left_out_is_a_missing_term(layout, dtype, mistake):
    row = first_wrong(compare_gradients(*tied_autoencoder(layout, dtype, mistake)))
    assert row.name == "W" and row.cause == "missing_term"
    assert row.op in ("@", ".T") and row.line.startswith("mistakes.py:")


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_a_residuals_identity_path_left_out_is_a_missing_term_naming_the_plus(layout, dtype):
    row = first_wrong(compare_gradients(*residual(layout, dtype, "identity_path_forgotten")))
    assert row.name == "x" and row.cause == "missing_term" and row.op == "+"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backprop_through_time_cut_to_the_last_step_is_a_missing_term(dtype):
    row = first_wrong(compare_gradients(*rnn(dtype, "bptt_cut")))
    assert row.cause == "missing_term" and "runs)" in row.explanation  # names the loop step


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_the_l2_term_forgotten_in_backward_is_a_missing_term(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", layout, dtype,
                                                   "l2_forgotten", l2=0.05)))
    assert row.name == "W1" and row.cause == "missing_term" and "L2" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_the_l2_terms_factor_2_missing_is_a_contribution_at_half_its_size(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", layout, dtype,
                                                   "l2_factor_2_missing", l2=0.05)))
    assert row.cause == "missing_term" and "half its size" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_weight_decay_in_backward_only_is_an_extra_term_on_the_parameter(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", layout, dtype,
                                                   "l2_in_backward_only")))
    assert row.name == "W1" and row.cause == "extra_term"
    assert "weight decay" in row.explanation and "0.02 * `W1`" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_l2_applied_to_a_bias_in_backward_only_is_an_extra_term(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", layout, dtype,
                                                   "l2_on_bias", l2=0.05)))
    assert row.name == "b1" and row.cause == "extra_term"


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
@pytest.mark.parametrize("act, mistake", sorted(WRONG_DERIVATIVES))
def test_a_wrong_activation_derivative_is_a_local_derivative_naming_the_op(act, mistake, layout,
                                                                            dtype):
    report = compare_gradients(*two_layer(act, "mse", layout, dtype, mistake))
    row = first_wrong(report)
    assert row.name == "z1" and row.cause == "local_derivative"
    assert {"sigmoid": "sigmoid", "tanh": "np.tanh", "relu": "np.maximum", "relu_mask": "*",
            "leaky": "np.where"}[act] in row.op
    assert report["z2"].ok and report["W2"].ok


def test_one_minus_a_for_tanh_says_the_square_is_missing_and_points_at_the_line():
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", mistake="no_square")))
    assert "1 - a where 1 - a**2 belongs" in row.explanation
    assert re.match(r"mistakes\.py:\d+$", row.line) and "np.tanh" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_w_where_w_transposed_belongs_is_a_local_derivative_of_the_product(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("sigmoid", "softmax", layout, dtype,
                                                   "W_not_transposed", sizes=(6, 4, 3, 3))))
    assert row.name == "z1" and row.cause == "local_derivative" and row.op == "@"
    assert "`W2` where `W2`.T belongs" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
@pytest.mark.parametrize("mistake", ["softmax_diagonal_only", "extra_softmax_prime",
                                     "p_minus_1"])
def test_the_classic_softmax_mistakes_are_local_derivatives_of_the_softmax(layout, dtype, mistake):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", layout, dtype, mistake)))
    assert row.name == "z2" and row.cause == "local_derivative" and "softmax" in row.op


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_p_minus_the_labels_without_the_one_hot_is_a_local_derivative(dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "softmax", "cols", dtype,
                                                   "p_minus_labels")))
    assert row.cause == "local_derivative" and "one-hot" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
def test_an_extra_sigmoid_derivative_on_a_bce_delta_is_a_local_derivative(layout, dtype):
    row = first_wrong(compare_gradients(*two_layer("tanh", "sigmoid_bce", layout, dtype,
                                                   "extra_sigmoid_prime")))
    assert row.name == "z2" and row.cause == "local_derivative" and "twice" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
@pytest.mark.parametrize("head", ["softmax", "mse"])
def test_the_outputs_sent_back_instead_of_the_error_are_values_for_gradient(layout, dtype, head):
    row = first_wrong(compare_gradients(*two_layer("sigmoid", head, layout, dtype,
                                                   "outputs_sent_back")))
    assert row.name == "z1" and row.cause == "values_for_gradient"
    assert "where the gradient of `z2`" in row.explanation


@pytest.mark.parametrize("layout, dtype", LAYOUTS)
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("head", ["softmax", "log_softmax", "mse", "sigmoid_bce"])
def test_right_derivations_of_the_same_nets_are_ok_with_no_cause(act, head, layout, dtype):
    report = compare_gradients(*two_layer(act, head, layout, dtype))
    assert report.ok, str(report)
    assert all(row.cause is None and row.explanation is None for row in report)


# -- source 000: every mistake gets its cause ---------------------------------------------------

@pytest.mark.parametrize("mistake", sorted(SOURCE_000))
def test_every_mistake_of_source_000_gets_its_cause(mistake):
    cause, name, says = SOURCE_000[mistake]
    row = first_wrong(compare_gradients(*source_000(mistake)))
    assert row.name == name and row.cause == cause and says in row.explanation


def test_the_wrong_normalisation_axis_names_both_axes():
    row = first_wrong(compare_gradients(*source_000("normalised_over_the_batch")))
    assert "softmax over axis 0" in row.explanation and "over axis 1" in row.explanation


# -- the corpus of learner mistakes -------------------------------------------------------------

CORPUS = corpus()


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_corpus(case):
    report = compare_gradients(case.loss_fn, case.params, case.hand)
    if case.cause is None:
        assert report.ok, str(report)
        return
    row = first_wrong(report, case.row)
    assert row.cause == case.cause, f"{row.explanation}\n{report}"
    if case.says:
        assert case.says in row.explanation


def test_the_corpus_holds_every_family_and_right_derivations():
    assert {c.cause for c in CORPUS} == set(CAUSES) | {None}
    assert len(CORPUS) > 300


# -- the report ---------------------------------------------------------------------------------

def tanh_no_square():
    return compare_gradients(*two_layer("tanh", "softmax", mistake="no_square"))


def test_the_text_table_shows_the_explanation_under_the_first_wrong_row():
    text = str(tanh_no_square())
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "<-- first" in line)
    assert lines[at + 1].lstrip().startswith("why: local_derivative: your `z1`")
    assert max(len(line) for line in lines) <= 100


def test_the_html_table_shows_the_explanation_under_the_first_wrong_row():
    page = tanh_no_square()._repr_html_()
    assert "local_derivative" in page and "1 - a where 1 - a**2 belongs" in page


def test_rows_further_down_carry_the_cause_of_the_first_wrong_row():
    report = tanh_no_square()
    assert [row.cause for row in report if not row.ok] == ["local_derivative"] * 3
    assert "carries the mistake found at `z1`" in report["W1"].explanation


def test_a_row_that_only_follows_from_a_wrong_row_above_says_so():
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    params = {"W1": rng.standard_normal((3, 4)), "W2": rng.standard_normal((4, 2))}

    def loss_fn(W1, W2):
        z1 = watch("z1", X @ W1)
        z2 = watch("z2", np.tanh(z1) @ W2)
        return np.mean((z2 - T) ** 2)

    h = np.tanh(X @ params["W1"])
    dz2 = 2 * (h @ params["W2"] - T) / T.size + rng.standard_normal((5, 2))  # wrong, somehow
    dz1 = dz2 @ params["W2"].T * (1 - h ** 2)                                # right, given dz2
    report = compare_gradients(loss_fn, params, {"z2": dz2, "z1": dz1})
    assert report.first_mismatch == "z2"
    assert "this step is right" in report["z1"].explanation
    assert "follows from your `z2`" in report["z1"].explanation


def test_a_mistake_no_single_change_explains_points_at_the_step_after_the_right_rows():
    loss_fn, params, hand = two_layer("tanh", "mse")
    hand["z1"] = hand["z1"] + 0.3 * np.random.default_rng(1).standard_normal(hand["z1"].shape)
    row = first_wrong(compare_gradients(loss_fn, params, hand))
    assert row.cause is None
    assert "the rows after it are right" in row.explanation
    assert "from `z2` to `z1`" in row.explanation and "np.tanh" in row.explanation


def test_a_sign_flip_keeps_its_diagnosis_and_explains_it_without_a_cause():
    loss_fn, params, hand = two_layer("tanh", "mse")
    report = compare_gradients(loss_fn, params, {k: -v for k, v in hand.items()})
    row = first_wrong(report)
    assert row.diagnosis == "sign" and row.cause is None and "sign" in row.explanation


def test_a_mistake_with_a_sign_flip_on_top_is_still_explained():
    loss_fn, params, hand = two_layer("tanh", "mse", mistake="no_square")
    report = compare_gradients(loss_fn, params, {k: -v for k, v in hand.items()})
    assert report["z2"].diagnosis == "sign"
    row = report["z1"]
    assert row.cause == "local_derivative" and "sign flipped" in row.explanation


def test_a_mistake_with_the_sum_over_the_batch_on_top_is_still_explained():
    loss_fn, params, hand = two_layer("sigmoid", "softmax", mistake="sigmoid_of_a")
    report = compare_gradients(loss_fn, params, {k: 6 * v for k, v in hand.items()})
    row = report["z1"]
    assert row.cause == "local_derivative" and "sum vs mean" in row.explanation


# -- explain on its own ---------------------------------------------------------------------------

def test_explain_is_a_function_of_the_graph_and_one_row():
    from autograd import Tensor
    X = np.random.default_rng(0).standard_normal((5, 3))
    W = np.random.default_rng(1).standard_normal((3, 4))
    z = X @ W
    Wt = Tensor(W, requires_grad=True)
    loss = np.tanh(X @ Wt).sum()
    graph = RecordedGraph(loss, {id(Wt): "W"})
    hand = X.T @ (1 - np.tanh(z))  # tanh' without the square
    e = explain(graph, "W", hand)
    assert e.cause == "local_derivative" and "1 - a where 1 - a**2 belongs" in e.sentence


def test_explain_gives_none_when_nothing_reproduces_the_hand_gradient():
    from autograd import Tensor
    X = np.random.default_rng(0).standard_normal((5, 3))
    Wt = Tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    graph = RecordedGraph(np.tanh(X @ Wt).sum(), {id(Wt): "W"})
    assert explain(graph, "W", np.random.default_rng(2).standard_normal((3, 4))) is None


def test_the_line_names_the_learners_file_and_the_op_as_written():
    X = np.random.default_rng(0).standard_normal((4, 3))
    W = np.random.default_rng(1).standard_normal((3, 3))

    def loss_fn(W):
        h = np.maximum(watch("z", np.dot(X, W)), 0)   # the line the explanation points at
        return np.sum(h)

    dz = np.ones((4, 3))         # relu'(z) left out
    row = first_wrong(compare_gradients(loss_fn, {"W": W}, {"z": dz}))
    assert row.op.startswith("np.maximum") and row.line.startswith("test_explain.py:")
    assert "h = np.maximum(watch(" in row.explanation


def test_a_mistake_in_a_transposed_gradient_is_explained_and_the_transpose_named():
    loss_fn, params, hand = two_layer("tanh", "mse", mistake="no_square")
    hand["W1"] = hand["W1"].T
    row = compare_gradients(loss_fn, params, hand)["W1"]
    assert row.diagnosis == "shape" and row.cause == "local_derivative"
    assert row.explanation.endswith("and yours is transposed.")


def test_a_hand_gradient_of_another_tensors_shape_is_named_as_that_tensors_gradient():
    loss_fn, params, hand = two_layer("tanh", "mse", sizes=(6, 4, 5, 3))
    hand["W1"] = hand["W2"]  # (5, 3) for a (4, 5) weight
    row = compare_gradients(loss_fn, params, hand)["W1"]
    assert row.diagnosis == "shape" and row.cause == "other_tensor" and "`W2`" in row.explanation
