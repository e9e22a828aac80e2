"""Higher-order gradients: grad(create_graph=True) differentiated again, checked against finite
differences of the first derivative; and the functional API (grad, value_and_grad, jacobian,
hessian)."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, grad, hessian, jacobian, value_and_grad

from helpers import assert_second_derivatives_match, f64
from op_catalogue import ALONG_AXIS, BINARY, REDUCTIONS, UNARY


# ----------------------------------------------------------------------------------------------
# Second derivatives of every op, against finite differences of the first derivative

@pytest.mark.parametrize("spec", UNARY, ids=lambda s: s.name)
def test_second_derivative_of_elementwise_op(spec):
    assert_second_derivatives_match(spec.ours, spec.domain.sample(np.random.default_rng(0), (2, 3)))


@pytest.mark.parametrize("spec", UNARY, ids=lambda s: s.name)
def test_second_derivative_of_elementwise_op_on_a_0d_tensor(spec):
    assert_second_derivatives_match(spec.ours, spec.domain.sample(np.random.default_rng(1), ()))


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                                    ((), (2, 2))], ids=str)
@pytest.mark.parametrize("spec", BINARY, ids=lambda s: s.name)
def test_second_derivative_of_binary_op_with_broadcasting(spec, shapes):
    rng = np.random.default_rng(0)
    a = spec.domains[0].sample(rng, shapes[0])
    b = spec.domains[1].sample(rng, shapes[1])
    assert_second_derivatives_match(spec.ours, a, b)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("spec", REDUCTIONS, ids=lambda s: s.name)
def test_second_derivative_of_reduction(spec, axis):
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4) / 7.0  # distinct values
    # reductions are (piecewise) linear except var, std and logsumexp: feed them a curved input
    # so that the chain rule through the reduction's backward is exercised either way
    assert_second_derivatives_match(lambda t: spec.ours(t * t, axis=axis), x)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("spec", ALONG_AXIS, ids=lambda s: s.name)
def test_second_derivative_of_softmax_family(spec, axis):
    assert_second_derivatives_match(lambda t: spec.ours(t, axis=axis), f64(2, 3, 4))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
                                    ((2, 3), (3, 4)), ((2, 2, 3), (3, 2)),
                                    ((2, 1, 2, 3), (3, 3, 2))], ids=str)
def test_second_derivative_of_matmul(shapes):
    # matmul is bilinear: the mixed second derivatives d2/(da db) are what is checked here
    assert_second_derivatives_match(ag.matmul, f64(*shapes[0], seed=0), f64(*shapes[1], seed=1))


def test_second_derivative_of_matmul_of_a_matrix_with_itself():
    assert_second_derivatives_match(lambda a: a @ a, f64(3, 3))


def test_second_derivative_of_linear():
    assert_second_derivatives_match(lambda x, W, b: ag.tanh(ag.linear(x, W, b)),
                                    f64(4, 3), f64(2, 3, seed=1), f64(2, seed=2))


def test_second_derivative_through_indexing_with_repeated_indices():
    idx = np.array([0, 2, 0, 1])
    assert_second_derivatives_match(lambda x: x[idx] ** 3, f64(3, 2))


def test_second_derivative_through_shape_ops():
    def f(x):
        y = ag.transpose(ag.reshape(x, (3, 2)))           # (2, 3)
        y = ag.concatenate([y, ag.broadcast_to(y[:, :1], (2, 2))], axis=1)
        return ag.stack([y, ag.squeeze(ag.expand_dims(y, 0), 0)], axis=0) ** 3
    assert_second_derivatives_match(f, f64(6))


def test_second_derivative_of_a_small_network_loss():
    def loss(x, W):
        return -ag.log_softmax(ag.tanh(x @ W), axis=1)[np.arange(3), np.array([0, 1, 1])].mean()
    assert_second_derivatives_match(loss, f64(3, 4), f64(4, 2, seed=1))


# ----------------------------------------------------------------------------------------------
# grad

def test_grad_returns_a_tuple_of_tensors_and_leaves_dot_grad_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x * x).sum(), x)
    assert isinstance(g, Tensor)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert x.grad is None


def test_grad_of_several_inputs_gives_one_gradient_each():
    a, b = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    ga, gb = grad(a * b, [a, b])
    assert (ga.item(), gb.item()) == (3.0, 2.0)


def test_grad_with_grad_outputs_gives_a_vector_jacobian_product():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(x * x, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(g.data, [2.0, 40.0])


def test_grad_of_several_outputs_adds_their_gradients():
    x = Tensor(2.0, requires_grad=True)
    (g,) = grad([x * x, x * 3], x)
    assert g.item() == 7.0


def test_grad_without_create_graph_gives_a_constant():
    x = Tensor(2.0, requires_grad=True)
    (g,) = grad(x * x, x)
    assert not g.requires_grad


def test_grad_with_create_graph_gives_a_tensor_in_the_graph():
    x = Tensor(2.0, requires_grad=True)
    (g,) = grad(x ** 3, x, create_graph=True)
    assert g.requires_grad and g.item() == 12.0


def test_second_derivative_of_x_cubed_is_6x():
    x = Tensor(2.0, requires_grad=True)
    (g,) = grad(x ** 3, x, create_graph=True)
    (h,) = grad(g, x)
    assert h.item() == pytest.approx(12.0)


def test_third_derivative_of_x_to_the_fourth_is_24x():
    x = Tensor(0.5, requires_grad=True)
    (g1,) = grad(x ** 4, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert g3.item() == pytest.approx(12.0)


def test_backward_on_a_create_graph_gradient_fills_dot_grad_with_the_second_derivative():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])


def test_gradient_penalty_style_loss_differentiates_through_the_gradient():
    # loss = |d(sum(w*x^2))/dx|^2 = sum((2 w x)^2), so d loss / d w = 8 w x^2
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([0.5, -1.0], requires_grad=True)
    (gx,) = grad((w * x * x).sum(), x, create_graph=True)
    (gx * gx).sum().backward()
    np.testing.assert_allclose(w.grad, 8 * w.data * x.data ** 2)


def test_grad_of_an_input_outside_the_graph_is_an_error_naming_it():
    x = Tensor(1.0, requires_grad=True)
    z = Tensor(1.0, requires_grad=True, name="z")
    with pytest.raises(RuntimeError, match=r"(?s)\bz\b.*allow_unused"):
        grad(x * 2, [x, z])


def test_grad_allow_unused_gives_none_for_an_input_outside_the_graph():
    x, z = Tensor(1.0, requires_grad=True), Tensor(1.0, requires_grad=True)
    gx, gz = grad(x * 2, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_grad_of_a_non_scalar_without_grad_outputs_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad_outputs"):
        grad(x * 2, x)


def test_grad_frees_the_graph_unless_asked_to_keep_it():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x)


def test_grad_with_retain_graph_can_be_called_again():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    grad(y, x, retain_graph=True)
    (g,) = grad(y, x)
    assert g.item() == 4.0


def test_grad_keeps_float32():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    (g,) = grad((x * 0.5).sum(), x, create_graph=True)
    (h,) = grad((g * x).sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32


# ----------------------------------------------------------------------------------------------
# value_and_grad, jacobian, hessian

def test_value_and_grad_returns_the_value_and_the_gradient():
    f = value_and_grad(lambda x: (x * x).sum())
    value, g = f(np.array([1.0, 2.0]))
    assert value.item() == 5.0 and not value.requires_grad
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_value_and_grad_with_several_argnums_gives_a_tuple():
    f = value_and_grad(lambda a, b, c: (a * b + c).sum(), argnums=(0, 2))
    value, (ga, gc) = f(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0]))
    assert value.item() == 22.0
    np.testing.assert_array_equal(ga.data, [3.0, 4.0])
    np.testing.assert_array_equal(gc.data, [1.0, 1.0])


def test_value_and_grad_picks_the_argument_named_by_argnums():
    f = value_and_grad(lambda a, b: (a * b * b).sum(), argnums=1)
    _, gb = f(np.array([3.0]), np.array([2.0]))
    np.testing.assert_array_equal(gb.data, [12.0])


def test_value_and_grad_accepts_python_numbers_and_int_arrays():
    f = value_and_grad(lambda x: x ** 2)
    value, g = f(3)
    assert value.item() == 9.0 and g.item() == 6.0


def test_jacobian_of_an_elementwise_function_is_diagonal():
    x = np.array([0.1, 0.5, -0.3])
    J = jacobian(ag.tanh, x)
    assert J.shape == (3, 3)
    np.testing.assert_allclose(J.data, np.diag(1 - np.tanh(x) ** 2))


def test_jacobian_of_a_linear_map_is_its_matrix():
    W = f64(2, 3)
    J = jacobian(lambda x: Tensor(W) @ x, f64(3, seed=1))
    np.testing.assert_allclose(J.data, W)


def test_jacobian_shape_is_output_shape_then_input_shape():
    J = jacobian(lambda x: x.sum(axis=0), f64(2, 3))
    assert J.shape == (3, 2, 3)


def test_jacobian_matches_finite_differences():
    x = f64(2, 2)

    def f(t):
        return ag.softmax(t @ t, axis=1)

    J = jacobian(f, x).data
    eps = 1e-6
    for j in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[j] += eps
        down[j] -= eps
        column = (f(Tensor(up)).data - f(Tensor(down)).data) / (2 * eps)
        np.testing.assert_allclose(J[(...,) + j], column, atol=1e-8)


def test_jacobian_of_an_output_that_ignores_the_input_is_zero():
    J = jacobian(lambda x: Tensor(np.ones(2)) + 0 * x.sum(), np.ones(3))
    np.testing.assert_array_equal(J.data, np.zeros((2, 3)))


def test_hessian_of_a_quadratic_form_is_the_symmetrised_matrix():
    A = f64(3, 3)
    H = hessian(lambda x: 0.5 * (x @ (Tensor(A) @ x)), f64(3, seed=1))
    np.testing.assert_allclose(H.data, (A + A.T) / 2, atol=1e-12)


def test_hessian_of_a_sum_of_cubes_is_diagonal_6x():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(hessian(lambda t: (t ** 3).sum(), x).data, np.diag(6 * x))


def test_hessian_of_logsumexp_is_diag_p_minus_p_p_transposed():
    x = np.array([0.2, -1.0, 0.7])
    p = np.exp(x) / np.exp(x).sum()
    H = hessian(lambda t: ag.logsumexp(t, axis=0), x)
    np.testing.assert_allclose(H.data, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_hessian_of_a_matrix_input_has_shape_x_shape_twice_and_is_symmetric():
    H = hessian(lambda t: (ag.tanh(t) ** 2).sum() * t.sum(), f64(2, 2)).data
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.reshape(4, 4), H.reshape(4, 4).T, atol=1e-12)
