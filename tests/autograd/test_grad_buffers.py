"""Where backward writes gradients: into the array a leaf's .grad already holds when nothing else
holds that array (as PyTorch adds in place), into a new array otherwise. A .grad array a user
holds, a view of it, or an array two tensors share is never changed; the numbers are exactly
those of adding into a new array; dtypes are kept. Also: a tensor that only one op used is
visited straight after that op, and that changes no gradient."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor
from autograd.graph import owns_grad


def _leaf(dtype=np.float64):
    return Tensor(np.array([1.0, 2.0, 3.0], dtype=dtype), requires_grad=True)


def _backward(x, scale):
    (x * scale).sum().backward()


# ----------------------------------------------------------------------------------------------
# Accumulating into .grad

def test_a_second_backward_adds_into_the_grad_array_nothing_else_holds():
    x = _leaf()
    _backward(x, 2.0)
    buffer_id = id(x.grad)
    _backward(x, 3.0)
    assert id(x.grad) == buffer_id  # the same array, written in place
    np.testing.assert_array_equal(x.grad, [5.0, 5.0, 5.0])


def test_adding_in_place_gives_exactly_the_numbers_of_adding_into_a_new_array():
    rng = np.random.default_rng(0)
    w, scales = rng.standard_normal(5), rng.standard_normal(4)
    in_place, held = Tensor(w, requires_grad=True), Tensor(w, requires_grad=True)
    kept = []
    for s in scales:
        for x in (in_place, held):
            (x.tanh() * s).sum().backward()
        kept.append(held.grad)  # holding each array forces a new one every time
    assert len({id(g) for g in kept}) == len(scales)
    np.testing.assert_array_equal(in_place.grad, held.grad)


def test_a_grad_array_the_user_holds_is_never_written_into():
    x = _leaf()
    _backward(x, 2.0)
    mine = x.grad
    _backward(x, 3.0)
    np.testing.assert_array_equal(mine, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.grad, [5.0, 5.0, 5.0])


def test_a_view_of_the_grad_array_keeps_it_from_being_written_into():
    x = _leaf()
    _backward(x, 2.0)
    first = x.grad[:1]  # a view: its base is the .grad array
    _backward(x, 3.0)
    np.testing.assert_array_equal(first, [2.0])
    np.testing.assert_array_equal(x.grad, [5.0, 5.0, 5.0])


def test_an_array_shared_by_two_tensors_grads_is_never_written_into():
    x, y = _leaf(), _leaf()
    shared = np.zeros(3)
    x.grad = y.grad = shared
    del shared
    _backward(x, 2.0)
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_a_read_only_grad_array_is_replaced_not_written_into():
    x = _leaf()
    x.grad = np.zeros(3)
    x.grad.flags.writeable = False
    _backward(x, 2.0)
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accumulating_in_place_keeps_the_dtype(dtype):
    x = _leaf(dtype)
    _backward(x, 2.0)
    _backward(x, 3.0)
    assert x.grad.dtype == dtype


def test_a_grad_of_another_shape_set_by_hand_is_replaced_by_the_sum():
    x = _leaf()
    x.grad = np.ones(1)  # broadcasts against the new gradient: NumPy's sum, in a new array
    _backward(x, 2.0)
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0])


def test_owns_grad_is_false_while_anything_else_refers_to_the_array():
    x = _leaf()
    _backward(x, 1.0)
    assert owns_grad(x)
    held = x.grad
    assert not owns_grad(x)
    del held
    assert owns_grad(x)


# ----------------------------------------------------------------------------------------------
# A tensor used by one op is visited right after it

def test_a_chain_of_single_use_tensors_gets_the_chain_rule_gradient():
    x = Tensor(np.array([0.3, -0.2]), requires_grad=True)
    y = x
    for _ in range(50):
        y = (y * 0.9).tanh()
    y.sum().backward()
    g, v = np.ones(2), [x.data]
    for _ in range(50):
        v.append(np.tanh(v[-1] * 0.9))
    for out in reversed(v[1:]):
        g = g * (1 - out * out) * 0.9
    np.testing.assert_allclose(x.grad, g, rtol=1e-12)


def test_a_tensor_used_again_after_a_single_use_waits_for_every_gradient():
    x = Tensor(2.0, requires_grad=True)
    h = x * 3.0  # used by one op here...
    y = h.exp()
    z = y + h * 2.0  # ...and by another one recorded later
    z.backward()
    assert float(x.grad) == pytest.approx((np.exp(6.0) + 2.0) * 3.0)


def test_ops_recorded_without_grad_do_not_count_as_uses():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2.0
    with ag.no_grad():
        h * 5.0  # not recorded: h is still used by one recorded op only
    (h * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_the_same_tensor_twice_among_the_outputs_gets_both_gradients():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    gx, = ag.grad([y, y], [x], grad_outputs=[np.ones(2), np.full(2, 2.0)])
    np.testing.assert_array_equal(gx.data, [9.0, 9.0])
