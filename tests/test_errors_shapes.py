"""Error catalogue, shapes: every binary op, matmul, the Linear layer and every loss.

Each message must say what was expected (the rule, or the shape wanted), what came (the shapes),
and where (the op or function, and for engine ops the line of the caller's code).

Already covered elsewhere: Add's broadcast error (tests/autograd/test_ops.py), matmul's two shapes
and a 0-d operand (same file), backward(grad=) of the wrong shape (test_backward.py), cross_entropy's
target shapes and the elementwise losses' (N, 1) against (N,) (tests/nn/test_functional.py).
"""
import re

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

A = np.ones((2, 3))
B = np.ones(4)
BROADCAST_RULE = r"cannot be broadcast together \(NumPy's rule: .*equal, or one of them 1\)"


def _where(fn):
    """'<this file>:<line>': the line where the lambda `fn` (one per line below) is written."""
    return f"{__file__}:{fn.__code__.co_firstlineno}"


def _a():
    return Tensor(A, requires_grad=True)


BINARY = {  # name -> (op name in the message, the failing call)
    "add": ("Add", lambda: ag.add(_a(), B)),
    "a + b": ("Add", lambda: _a() + B),
    "np.add": ("Add", lambda: np.add(_a(), B)),
    "subtract": ("Subtract", lambda: ag.subtract(_a(), B)),
    "a - b": ("Subtract", lambda: B - _a()),
    "multiply": ("Multiply", lambda: ag.multiply(_a(), B)),
    "a * b": ("Multiply", lambda: _a() * Tensor(B)),
    "divide": ("Divide", lambda: ag.divide(_a(), B)),
    "a / b": ("Divide", lambda: _a() / B),
    "power": ("Power", lambda: ag.power(_a(), B)),
    "a ** b": ("Power", lambda: _a() ** B),
    "maximum": ("Maximum", lambda: ag.maximum(_a(), B)),
    "np.maximum": ("Maximum", lambda: np.maximum(_a(), B)),
    "minimum": ("Minimum", lambda: ag.minimum(_a(), B)),
    "np.minimum": ("Minimum", lambda: np.minimum(B, _a())),
    "where": ("Where", lambda: ag.where(A > 0, _a(), B)),
    "np.where": ("Where", lambda: np.where(A > 0, _a(), B)),
}


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_shape_mismatch_says_the_rule_both_shapes_the_op_and_the_line(name):
    op, call = BINARY[name]
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{op}: ")  # where: the op
    assert "(2, 3)" in message and "(4,)" in message  # what came
    assert re.search(BROADCAST_RULE, message)  # what was expected
    assert _where(call) in message  # where: the caller's line


def _message(error_type, call):
    with pytest.raises(error_type) as info:
        call()
    return str(info.value)


def test_where_with_a_condition_of_the_wrong_shape_names_its_shape():
    message = _message(ValueError, lambda: ag.where(np.ones(5, bool), _a(), Tensor(A)))
    assert message.startswith("Where: ") and "(5,)" in message and "(2, 3)" in message


def test_broadcast_to_an_incompatible_shape_names_both_shapes():
    message = _message(ValueError, lambda: ag.broadcast_to(_a(), (3, 2)))
    assert message.startswith("BroadcastTo: ") and "(2, 3)" in message and "(3, 2)" in message


# ---- matmul and the Linear layer ------------------------------------------------------------

MATMUL = {
    "2-d @ 2-d": (lambda: _a() @ Tensor(np.ones((4, 5))), r"\(4, 5\)", "second-to-last axis"),
    "2-d @ 1-d": (lambda: _a() @ Tensor(np.ones(4)), r"\(4,\)", "only axis"),
    "ndarray @ Tensor": (lambda: np.ones((5, 4)) @ _a(), None, None),
    "np.dot": (lambda: np.dot(_a(), np.ones((4, 5))), r"\(4, 5\)", "second-to-last axis"),
    "ag.dot": (lambda: ag.dot(_a(), np.ones((4, 5))), r"\(4, 5\)", "second-to-last axis"),
}


@pytest.mark.parametrize("name", MATMUL)
def test_matmul_shape_mismatch_says_what_was_expected_what_came_and_where(name):
    call, other, axis = MATMUL[name]
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith("matmul: ")
    if other is None:  # ndarray (5, 4) on the left of a (2, 3) Tensor
        assert "(5, 4) and (2, 3)" in message and "(4) must equal" in message
    else:
        assert re.search(rf"\(2, 3\) and {other}", message)
        assert f"last axis of the first (3) must equal the {axis}" in message
    assert _where(call) in message


def test_linear_layer_with_the_wrong_number_of_features_says_what_it_expected():
    layer = nn.Linear(4, 2)
    call = lambda: layer(Tensor(np.ones((5, 3))))  # noqa: E731  (its line is checked)
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith("Linear: ")
    assert "(5, 3)" in message and "(2, 4)" in message
    assert re.search(r"expect\w*[^;]*?\b4\b", message)  # the 4 input features the weight wants
    assert _where(call) in message


def test_linear_with_a_bias_of_the_wrong_shape_names_all_three_shapes():
    call = lambda: ag.linear(Tensor(np.ones((5, 3))), Tensor(np.ones((2, 3))), Tensor(B))  # noqa: E731
    with pytest.raises(ValueError, match=r"Linear: shapes \(5, 3\) and \(2, 3\) and \(4,\) " + BROADCAST_RULE):
        call()


# ---- losses ---------------------------------------------------------------------------------

LOSSES = {  # name -> (the call, the expected shape it must name, the shape that came)
    "cross_entropy": (lambda: F.cross_entropy(_a(), np.array([0, 1, 2])), r"\(2,\)", r"\(3,\)"),
    "cross_entropy (N, C, d)": (lambda: F.cross_entropy(Tensor(np.ones((2, 3, 4))), np.zeros((2, 3), int)),
                                r"\(2, 4\)", r"\(2, 3\)"),
    "nll_loss": (lambda: F.nll_loss(_a(), np.zeros((2, 1), int)), r"\(2,\)", r"\(2, 1\)"),
    "mse_loss": (lambda: F.mse_loss(_a(), np.ones((3, 2))), r"\(2, 3\)", r"\(3, 2\)"),
    "l1_loss": (lambda: F.l1_loss(_a(), np.ones((3, 2))), r"\(2, 3\)", r"\(3, 2\)"),
    "binary_cross_entropy": (lambda: F.binary_cross_entropy(_a() * 0.5, np.ones((3, 2))),
                             r"\(2, 3\)", r"\(3, 2\)"),
    "binary_cross_entropy_with_logits": (
        lambda: F.binary_cross_entropy_with_logits(_a(), np.ones((3, 2))), r"\(2, 3\)", r"\(3, 2\)"),
}


@pytest.mark.parametrize("name", LOSSES)
def test_loss_with_a_target_of_the_wrong_shape_names_the_loss_the_expected_and_the_given_shape(name):
    call, expected, came = LOSSES[name]
    function = name.split(" ")[0]
    with pytest.raises(ValueError, match=rf"(?s)^{function}: .*{expected}.*{came}"):
        call()


def test_cross_entropy_with_a_class_weight_of_the_wrong_length_says_one_entry_per_class():
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have one entry per class, "
                                         r"shape \(3,\); got \(2,\)"):
        F.cross_entropy(_a(), np.array([0, 1]), weight=np.ones(2))


def test_nll_loss_with_a_weight_of_the_wrong_length_says_one_entry_per_class():
    with pytest.raises(ValueError, match=r"nll_loss: weight must have one entry per class, "
                                         r"shape \(3,\); got \(2,\)"):
        F.nll_loss(_a(), np.array([0, 1]), weight=np.ones(2))


BCE_WEIGHTS = [(F.binary_cross_entropy, "weight"), (F.binary_cross_entropy_with_logits, "weight"),
               (F.binary_cross_entropy_with_logits, "pos_weight")]


@pytest.mark.parametrize("loss, argument", BCE_WEIGHTS,
                         ids=[f"{f.__name__}-{a}" for f, a in BCE_WEIGHTS])
def test_bce_loss_with_a_weight_of_the_wrong_shape_names_it(loss, argument):
    message = _message(ValueError, lambda: loss(Tensor(np.full((2, 3), 0.5)), np.ones((2, 3)),
                                                **{argument: np.ones(4)}))
    assert message.startswith(f"{loss.__name__}: ") and re.search(rf"\b{argument}\b", message)
    assert "(4,)" in message and "(2, 3)" in message
