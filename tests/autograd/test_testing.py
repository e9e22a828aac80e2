"""autograd.testing: hypothesis strategies and assert_gradients_match."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Op, Tensor
from autograd.testing import (assert_gradients_match, broadcastable_shapes, float_arrays, shapes,
                              tensors)


@given(float_arrays((2, 3)))
def test_float_arrays_have_the_requested_shape_and_float64(a):
    assert a.shape == (2, 3) and a.dtype == np.float64


@given(float_arrays((4,), dtype=np.float32))
def test_float_arrays_can_be_float32(a):
    assert a.dtype == np.float32


@given(float_arrays((5,), min_value=0.5, max_value=2.0))
def test_float_arrays_stay_in_their_value_range(a):
    assert ((a >= 0.5) & (a <= 2.0)).all()


@given(float_arrays((6,), min_value=-1, max_value=1, avoid=(0.0,), margin=0.2))
def test_float_arrays_keep_their_margin_from_avoided_points(a):
    assert (np.abs(a) >= 0.2).all() and (np.abs(a) <= 1).all()


@given(float_arrays((6,), min_value=-1, max_value=1, avoid=(-1.0,), margin=0.3))
def test_avoided_points_at_the_edge_push_values_inwards(a):
    assert (a >= -0.7).all() and (a <= 1).all()


@given(float_arrays())
def test_float_arrays_without_a_shape_draw_a_random_one(a):
    assert 1 <= a.ndim <= 3 and a.size >= 1


@given(shapes(min_dims=2, max_dims=2, max_side=3))
def test_shapes_respect_their_bounds(shape):
    assert len(shape) == 2 and all(1 <= n <= 3 for n in shape)


@given(tensors((3,)))
def test_tensors_are_float_tensors_that_require_grad(t):
    assert isinstance(t, Tensor) and t.requires_grad and t.shape == (3,)


@given(broadcastable_shapes())
def test_broadcastable_shapes_broadcast_together(pair):
    a, b = pair
    np.broadcast_shapes(a, b)


@given(broadcastable_shapes().flatmap(
    lambda pair: st.tuples(float_arrays(pair[0]), float_arrays(pair[1]))))
def test_broadcast_multiplication_gradients_match(arrays):
    a, b = arrays
    assert_gradients_match(lambda x, y: x * y, a, b)


def test_float_arrays_refuse_an_empty_range():
    with pytest.raises(ValueError, match="min_value"):
        float_arrays((2,), min_value=1.0, max_value=1.0)


class WrongSquare(Op):
    def forward(self, x):
        return x * x

    def backward(self, gy, y, x):
        return gy * x  # should be 2 x


def test_assert_gradients_match_passes_a_correct_function():
    assert_gradients_match(lambda x: (x.tanh() * x).sum(), np.array([0.3, -1.2, 2.0]))


def test_assert_gradients_match_fails_with_an_assertion_error_on_a_wrong_backward():
    with pytest.raises(AssertionError, match="gradcheck failed"):
        assert_gradients_match(lambda x: WrongSquare()(x).sum(), np.array([1.0, 2.0]))


def test_assert_gradients_match_accepts_a_right_hand_derivation():
    assert_gradients_match(lambda x: (x * x).sum(), np.array([1.0, -2.0]),
                           expected=lambda x: 2 * x)


def test_assert_gradients_match_explains_a_wrong_hand_derivation():
    with pytest.raises(AssertionError, match="sign"):
        assert_gradients_match(lambda x: (x * x).sum(), np.array([1.0, -2.0]),
                               expected=lambda x: -2 * x)


def test_assert_gradients_match_passes_integer_arrays_through_as_constants():
    labels = np.array([2, 0])

    def nll(z, y):
        return -z.log_softmax(axis=1)[np.arange(2), y].sum()

    z = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])
    e = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert_gradients_match(nll, z, labels, expected=lambda zz, y: e - np.eye(3)[y])


def test_assert_gradients_match_checks_the_number_of_hand_gradients():
    with pytest.raises(AssertionError, match="2 differentiable inputs"):
        assert_gradients_match(lambda a, b: (a * b).sum(), np.ones(2), np.ones(2),
                               expected=lambda a, b: b)


def test_importing_autograd_imports_neither_hypothesis_nor_autograd_testing():
    code = ("import sys, autograd; "
            "print('hypothesis' in sys.modules, 'autograd.testing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
