"""Regressions found by the differential fuzzer (test_fuzz_torch.py), each cut down to the smallest
program that showed it. Expected values are PyTorch's, worked out by hand; no PyTorch needed here."""
import math
import warnings

import numpy as np
import pytest

import autograd as ag


def test_power_zero_has_zero_gradient_even_at_zero():
    # d/dx x**0 = 0 everywhere; the general formula 0 * x**-1 is 0 * inf = NaN at x = 0
    x = ag.Tensor([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero on the way either
        (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_numpy_power_zero_has_zero_gradient_at_zero():
    x = ag.Tensor(0.0, requires_grad=True)
    np.power(x, 0).backward()
    assert x.grad == 0.0


def test_power_one_has_zero_second_derivative_at_zero():
    x = ag.Tensor([0.0, 2.0], requires_grad=True)
    (g,) = ag.grad((x ** 1).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x, allow_unused=True)
    np.testing.assert_array_equal(np.zeros(2) if h is None else h.data, [0.0, 0.0])


def test_transpose_method_takes_a_single_axis_for_a_1d_tensor():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    y = x.transpose(0)
    (y * np.array([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# value and gradient of a reduction of the 0-d tensor 1.5 over axis 0 or -1: nothing is reduced
ZERO_D_REDUCTIONS = {
    "sum": (1.5, 1.0), "mean": (1.5, 1.0), "max": (1.5, 1.0), "min": (1.5, 1.0),
    "var": (0.0, 0.0), "logsumexp": (1.5, 1.0),
}


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ZERO_D_REDUCTIONS)
def test_reduction_of_a_0d_tensor_over_axis_0_or_minus_1_reduces_nothing(name, axis):
    x = ag.Tensor(1.5, requires_grad=True)
    y = getattr(ag, name)(x, axis=axis)
    y.backward()
    value, grad = ZERO_D_REDUCTIONS[name]
    assert y.shape == () and x.grad.shape == ()
    assert y.item() == pytest.approx(value) and x.grad == pytest.approx(grad)


def test_comparison_of_a_0d_tensor_holds_a_0d_array():
    c = ag.Tensor(1.0) > 0
    assert isinstance(c.data, np.ndarray) and c.shape == ()
    assert np.asarray(c) == np.True_


@pytest.mark.parametrize("f", [lambda x: ag.leaky_relu(x, 0.2), lambda x: ag.clip(x, 0.0, 1.0)],
                         ids=["leaky_relu", "clip"])
def test_gradient_with_create_graph_through_a_0d_piecewise_op(f):
    x = ag.Tensor(0.5, requires_grad=True)
    (g,) = ag.grad(f(x), x, create_graph=True)
    assert g.item() == 1.0


def test_grad_with_the_same_input_twice_gives_its_gradient_twice():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    g1, g2 = ag.grad((x * x).sum(), [x, x])
    np.testing.assert_array_equal(g1.data, [2.0, 4.0])
    np.testing.assert_array_equal(g2.data, [2.0, 4.0])


def test_grad_of_a_tensor_and_its_no_op_broadcast_gives_both_the_same_gradient():
    # the fuzzer's form of the bug above: broadcast_to to the same shape returns its input
    x = ag.Tensor([0.5, -1.0], requires_grad=True)
    b = ag.broadcast_to(x, (2,))
    loss = (x * np.array([1.0, 2.0])).sum() + (b * np.array([3.0, 4.0])).sum()
    gx, gb = ag.grad(loss, [x, b])
    np.testing.assert_array_equal(gx.data, [4.0, 6.0])
    np.testing.assert_array_equal(gb.data, gx.data)


def test_power_with_tensor_exponent_zero_has_the_exact_mixed_second_derivative():
    # d/db [b a^(b-1)] = a^(b-1) (1 + b ln a) = 1/a at b = 0, in either order
    a = ag.Tensor(2.0, requires_grad=True)
    b = ag.Tensor(0.0, requires_grad=True)
    ga, gb = ag.grad(a ** b, [a, b], create_graph=True)
    assert ag.grad(ga, b)[0].item() == pytest.approx(0.5)
    assert ag.grad(gb, a)[0].item() == pytest.approx(0.5)


@pytest.mark.parametrize("axis", [None, 0, (0, 1)], ids=str)
def test_nanmean_of_float32_stays_float32_as_in_numpy(axis):
    # the count of non-NaN values is an int64 array, and float32 / int64 array is float64
    x = ag.Tensor(np.array([[1.0, np.nan, 2.0], [0.5, 0.25, 4.0]], dtype=np.float32),
                  requires_grad=True)
    y = np.nanmean(x, axis=axis)
    assert y.dtype == np.nanmean(x.data, axis=axis).dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates_keeps_float32_as_in_numpy(edge_order):
    # NumPy's result has f's dtype whatever the coordinates' (float64 here)
    coords = [0.0, 0.5, 1.5, 1.75, 3.0]
    f = ag.Tensor(np.array([0.5, -1.0, 2.0, 0.25, 1.0], dtype=np.float32), requires_grad=True)
    y = np.gradient(f, coords, edge_order=edge_order)
    want = np.gradient(f.data, coords, edge_order=edge_order)
    assert y.dtype == want.dtype == np.float32
    np.testing.assert_allclose(y.data, want, rtol=1e-6)
    y.sum().backward()
    assert f.grad.dtype == np.float32


@pytest.mark.parametrize("a, b", [(-2.0, "x"), ("x", 3)], ids=["number first", "number second"])
def test_logaddexp2_with_a_python_number_keeps_float32_as_in_numpy(a, b):
    # a Python number never changes a dtype; scaled by ln 2 first, it used to become a float64
    # 0-d tensor, which does
    x = ag.Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    y = np.logaddexp2(x if a == "x" else a, x if b == "x" else b)
    want = np.logaddexp2(x.data if a == "x" else a, x.data if b == "x" else b)
    assert y.dtype == want.dtype == np.float32
    np.testing.assert_allclose(y.data, want, rtol=1e-6)


@pytest.mark.parametrize("reduce", [lambda t: np.cumprod(t, axis=0), lambda t: np.prod(t, axis=0)],
                         ids=["cumprod", "prod"])
def test_second_derivative_through_a_product_with_a_factor_near_zero(reduce):
    # sinc(1) is 3.9e-17, not 0: the backward's gy * y / x then had two terms of about 1 / x in
    # its derivative, which cancel and left rounding of order 1 (sinc''(1) came out -3.3 / 0.7)
    w = np.array([[0.3, 0.7]])
    h = ag.hessian(lambda t: (reduce(np.sinc(t)) * w).sum(), np.array([[0.125, 1.0]]))
    sinc2 = np.array([-3.1390579638, 2.0])  # sinc'' at 0.125 (worked out from sin and cos) and 1
    np.testing.assert_allclose(np.diag(h.data.reshape(2, 2)), w[0] * sinc2, rtol=1e-7)


def test_second_derivatives_of_cumprod_with_a_factor_near_zero():
    # sum(cumprod([a, b, c])) = a + ab + abc: the mixed derivatives are 1 + c, b and a
    a, b, c = 1.234567e-17, 2.345, 3.456
    h = ag.hessian(lambda t: np.cumprod(t).sum(), np.array([a, b, c]))
    want = [[0, 1 + c, b], [1 + c, 0, a], [b, a, 0]]
    np.testing.assert_allclose(h.data, want, rtol=1e-12, atol=1e-30)


@pytest.mark.parametrize("x", [0.0, 3.9e-17, 1e-5, -0.0099], ids=str)
def test_sinc_is_smooth_at_0_to_second_order(x):
    # sinc''(0) = -pi**2/3; the formula (cos(pi x) - sinc(x)) / x cancels near 0 (sinc(sinc(1)):
    # sinc(1) is 3.9e-17) and masking it to 0 at 0 made the second derivative 0 there
    t = ag.Tensor(np.array([x]), requires_grad=True)
    (g,) = ag.grad(np.sinc(t).sum(), t, create_graph=True)
    (h,) = ag.grad(g.sum(), t)
    # sinc(x) = sum over k of (-pi**2 x**2)**k / (2k + 1)!, differentiated term by term
    terms = [(-np.pi ** 2) ** k / math.factorial(2 * k + 1) for k in range(1, 9)]
    d1 = sum(c * 2 * k * x ** (2 * k - 1) for k, c in enumerate(terms, 1))
    d2 = sum(c * 2 * k * (2 * k - 1) * x ** (2 * k - 2) for k, c in enumerate(terms, 1))
    np.testing.assert_allclose(g.data, [d1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(h.data, [d2], rtol=1e-12)
