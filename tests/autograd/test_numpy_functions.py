"""Behaviours particular to one NumPy function on Tensors: keyword forms, products with zeros,
zero gradients of step functions, the % operator, in-place put_along_axis, every norm, the
linear-algebra conditions, linspace and gradient, and the errors for what has no gradient."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

from helpers import assert_gradients_match, assert_second_derivatives_match, f64


def test_swapaxes_takes_numpys_keywords():
    x = f64(2, 3, 4)
    t = Tensor(x, requires_grad=True)
    np.testing.assert_array_equal(np.swapaxes(t, axis1=0, axis2=2).data, np.swapaxes(x, 0, 2))
    assert_gradients_match(lambda s: np.swapaxes(s, axis1=-1, axis2=1), x)


# -- products with zeros: the product of the others, never y / x -------------------------------

PRODUCTS_WITH_ZEROS = {
    "one zero": [[0.5, 0.0, 2.0], [1.5, -0.7, 3.0]],
    "two zeros in a row": [[0.0, 1.5, 0.0], [0.3, 0.0, -2.0]],
    "all zeros": [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]],
}


@pytest.mark.parametrize("values", PRODUCTS_WITH_ZEROS.values(), ids=PRODUCTS_WITH_ZEROS.keys())
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_with_zeros_has_exact_first_and_second_derivatives(values, axis):
    x = np.array(values)
    assert_gradients_match(lambda t: np.prod(t, axis=axis), x)
    assert_second_derivatives_match(lambda t: np.prod(t, axis=axis), x)


def test_prod_gradient_at_a_single_zero_is_the_product_of_the_others():
    t = Tensor([2.0, 0.0, 3.0], requires_grad=True)
    np.prod(t).backward()
    np.testing.assert_array_equal(t.grad, [0.0, 6.0, 0.0])


@pytest.mark.parametrize("values", PRODUCTS_WITH_ZEROS.values(), ids=PRODUCTS_WITH_ZEROS.keys())
def test_cumprod_with_zeros_has_exact_first_and_second_derivatives(values):
    x = np.array(values)
    assert_gradients_match(lambda t: np.cumprod(t, axis=1), x)
    assert_second_derivatives_match(lambda t: np.cumprod(t, axis=1), x)


# -- step functions and % ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", [np.sign, np.floor, np.ceil, np.rint, np.trunc],
                         ids=lambda f: f.__name__)
def test_step_function_is_in_the_graph_with_a_zero_gradient(fn):
    t = Tensor([-1.3, 0.2, 2.7], requires_grad=True)
    y = fn(t)
    np.testing.assert_array_equal(y.data, fn(t.data))
    assert y.requires_grad
    (y * t).sum().backward()  # d/dt (step(t) * t) = step(t) where step is flat
    np.testing.assert_array_equal(t.grad, fn(t.data))


def test_remainder_operator_on_tensors_numbers_and_arrays():
    a, b = f64(2, 3, low=-2, high=2), f64(3, seed=1, low=0.6, high=0.9)
    t = Tensor(a)
    np.testing.assert_allclose((t % Tensor(b)).data, a % b)
    np.testing.assert_allclose((1.7 % Tensor(b)).data, 1.7 % b)
    np.testing.assert_allclose(np.mod(t, b).data, np.mod(a, b))
    assert_gradients_match(lambda s, u: s % u, np.array([0.3, -0.4, 1.1]), np.array([0.7, 0.9, 2.0]))


# -- put_along_axis ----------------------------------------------------------------------------

def test_put_along_axis_out_of_place_sends_no_gradient_to_the_overwritten_entries():
    x = Tensor(f64(2, 3), requires_grad=True)
    y = ag.put_along_axis(x, np.array([[2], [0]]), 0.0, axis=1)
    np.testing.assert_array_equal(y.data[[0, 1], [2, 0]], [0.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 0], [0, 1, 1]])


def test_put_along_axis_refuses_values_that_need_a_gradient():
    with pytest.raises(TypeError, match="constants"):
        ag.put_along_axis(Tensor(f64(2, 3)), np.array([[0], [1]]), Tensor(1.0, requires_grad=True), 1)


def test_np_put_along_axis_writes_in_place_like_numpy():
    x = f64(2, 3)
    t = Tensor(x.copy())
    assert np.put_along_axis(t, np.array([[1], [2]]), -5.0, axis=1) is None
    np.put_along_axis(x, np.array([[1], [2]]), -5.0, axis=1)
    np.testing.assert_array_equal(t.data, x)


def test_np_put_along_axis_on_a_graph_tensor_follows_item_assignment():
    """NumPy's put_along_axis is an assignment into its argument: on a tensor in a graph it does
    exactly what `t[index] = values` does (an error today, or a recorded assignment)."""
    def run(assign):
        x = Tensor(f64(2, 3), requires_grad=True)
        t = x * 2.0
        try:
            assign(t)
        except Exception as e:  # noqa: BLE001  (the same error either way)
            return type(e), str(e).split(";")[0]
        t.sum().backward()
        return x.grad.tolist()

    idx = np.array([[1], [2]])
    by_put = run(lambda t: np.put_along_axis(t, idx, 0.0, axis=1))
    by_setitem = run(lambda t: t.__setitem__((np.arange(2)[:, None], idx), 0.0))
    assert by_put == by_setitem


# -- norms ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_vector_norm_of_every_order_matches_numpy_and_finite_differences(ord, axis):
    x = f64(3, 4, low=0.2, high=1.0) * np.array([1, -1, 1, -1])  # no zeros, no ties
    x = x + np.arange(12).reshape(3, 4) * 1e-2
    if axis is None:
        x = x[0]
    got = np.linalg.norm(Tensor(x), ord, axis=axis)
    np.testing.assert_allclose(got.data, np.linalg.norm(x, ord, axis=axis), rtol=1e-12)
    assert_gradients_match(lambda t: np.linalg.norm(t, ord, axis=axis), x)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norm_of_every_order_matches_numpy_and_finite_differences(ord, keepdims):
    x = f64(3, 4, 2) + np.arange(24).reshape(3, 4, 2) * 1e-2
    got = np.linalg.norm(Tensor(x), ord, axis=(0, 1), keepdims=keepdims)
    want = np.linalg.norm(x, ord, axis=(0, 1), keepdims=keepdims)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    assert_gradients_match(lambda t: np.linalg.norm(t, ord, axis=(0, 1), keepdims=keepdims), x)


def test_norm_of_zero_has_a_zero_gradient_not_nan():
    t = Tensor(np.zeros(3), requires_grad=True)
    np.linalg.norm(t).backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.0])


def test_norm_without_axis_of_a_3d_tensor_needs_ord_none():
    np.testing.assert_allclose(np.linalg.norm(Tensor(f64(2, 3, 4))).data, np.linalg.norm(f64(2, 3, 4)))
    with pytest.raises(ValueError, match="1-d or 2-d"):
        np.linalg.norm(Tensor(f64(2, 3, 4)), 2)


# -- linear algebra: where gradients exist and where they do not --------------------------------

def test_det_gradient_at_a_singular_matrix_is_the_adjugate():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    assert_gradients_match(np.linalg.det, a)


def test_eigh_eigenvalue_gradient_exists_at_repeated_eigenvalues_but_not_the_vectors():
    a = np.diag([1.0, 1.0, 2.0])
    t = Tensor(a, requires_grad=True)
    np.sum(np.linalg.eigh(t)[0] ** 2).backward()
    np.testing.assert_allclose(t.grad, np.diag([2.0, 2.0, 4.0]))
    t = Tensor(a, requires_grad=True)
    w, v = np.linalg.eigh(t)
    with np.errstate(all="ignore"):
        (v * np.arange(9.0).reshape(3, 3)).sum().backward()
    assert not np.isfinite(t.grad).all()  # documented: eigenvectors of a repeated eigenvalue


def test_eigh_returns_numpys_named_results():
    r = np.linalg.eigh(Tensor(np.diag([2.0, 1.0])))
    np.testing.assert_array_equal(r.eigenvalues.data, [1.0, 2.0])
    assert r.eigenvectors.shape == (2, 2)


def test_full_svd_of_a_non_square_matrix_asks_for_the_thin_one():
    with pytest.raises(TypeError, match="full_matrices=False"):
        np.linalg.svd(Tensor(f64(3, 4), requires_grad=True))


def test_svd_of_a_square_matrix_with_default_arguments():
    x = f64(3, 3)
    u, s, vh = np.linalg.svd(Tensor(x))
    np.testing.assert_allclose((u.data * s.data) @ vh.data, x, atol=1e-12)


def test_slogdet_gives_a_constant_sign_and_a_differentiable_log():
    x = -f64(3, 3) - 3 * np.eye(3)
    sign, logabsdet = np.linalg.slogdet(Tensor(x, requires_grad=True))
    assert not sign.requires_grad and logabsdet.requires_grad
    assert sign.item() == np.linalg.slogdet(x)[0]


def test_inverse_of_a_singular_matrix_is_numpys_error():
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(Tensor(np.ones((2, 2)), requires_grad=True))


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0",
                    reason="np.linalg.cholesky's upper= is new in NumPy 2.0")
def test_cholesky_upper_factor():
    a = f64(3, 3)
    a = a @ a.T + np.eye(3)
    u = np.linalg.cholesky(Tensor(a), upper=True)
    np.testing.assert_allclose(u.data, np.linalg.cholesky(a, upper=True), atol=1e-12)
    assert_gradients_match(lambda t: np.linalg.cholesky(t @ t.T + np.eye(3), upper=True), f64(3, 3))


# -- grids ------------------------------------------------------------------------------------

def test_linspace_with_tensor_endpoints_has_the_gradient_of_each_point():
    start, stop = Tensor(1.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    y = np.linspace(start, stop, 5)
    np.testing.assert_array_equal(y.data, np.linspace(1.0, 3.0, 5))
    y.backward(np.array([1.0, 0.0, 0.0, 0.0, 2.0]))
    assert start.grad == 1.0 and stop.grad == 2.0  # point i is start + (stop - start) i / 4


@pytest.mark.parametrize("num", [0, 1, 2, 6])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_of_any_length_matches_numpy(num, endpoint):
    got = np.linspace(Tensor(f64(2)), Tensor(f64(2, seed=1)), num, endpoint=endpoint, axis=-1)
    np.testing.assert_allclose(got.data, np.linspace(f64(2), f64(2, seed=1), num,
                                                     endpoint=endpoint, axis=-1))


def test_linspace_retstep_gives_the_step_as_a_tensor():
    y, step = np.linspace(Tensor(0.0, requires_grad=True), 2.0, 5, retstep=True)
    assert step.requires_grad and step.item() == 0.5


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("spacing", [(), (0.5,), (0.5, [0.0, 1.0, 1.5, 3.5])], ids=str)
def test_gradient_matches_numpy_for_every_spacing(spacing, edge_order):
    x = f64(3, 4)
    got = np.gradient(Tensor(x), *spacing, edge_order=edge_order)
    want = np.gradient(x, *spacing, edge_order=edge_order)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, rtol=1e-12)
    assert_gradients_match(lambda t: np.stack(np.gradient(t, *spacing, edge_order=edge_order)), x)


# -- statistics ---------------------------------------------------------------------------------

def test_average_with_weights_returned():
    x, w = f64(2, 3), f64(2, 3, seed=1, low=0.5, high=1.0)
    avg, total = np.average(Tensor(x), axis=0, weights=Tensor(w), returned=True)
    want_avg, want_total = np.average(x, axis=0, weights=w, returned=True)
    np.testing.assert_allclose(avg.data, want_avg)
    np.testing.assert_allclose(total.data, want_total)
    assert_gradients_match(lambda s, u: np.average(s, axis=1, weights=u), x, w)


def test_nansum_and_nanmean_skip_nans_and_give_them_no_gradient():
    t = Tensor([[1.0, np.nan, 3.0]], requires_grad=True)
    np.nanmean(t, axis=1).sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.5, 0.0, 0.5]])
    assert np.nansum(t).item() == 4.0


def test_std_and_var_take_ddof_through_numpy():
    x = f64(3, 4)
    np.testing.assert_allclose(np.std(Tensor(x), ddof=1).data, np.std(x, ddof=1))
    assert_gradients_match(lambda t: np.var(t, axis=0, ddof=2), x)


# -- what has no gradient stays an error that says so ------------------------------------------

def test_complex_numbers_cannot_enter_the_graph():
    with pytest.raises(TypeError, match="complex"):
        Tensor([1.0, 2.0], requires_grad=True) * 1j
    with pytest.raises(TypeError, match="dtype complex128"):
        Tensor([1.0]) + np.array([1j])


def test_unsupported_pad_mode_names_the_function_and_the_modes():
    with pytest.raises(TypeError, match=r"np\.pad\(mode='median'\).*constant, edge, reflect"):
        np.pad(Tensor(f64(3)), 1, mode="median")


def test_einsum_with_wrong_subscripts_says_which():
    with pytest.raises(ValueError, match="'ijk'"):
        np.einsum("ijk->i", Tensor(f64(2, 3)))


# -- the same functions as autograd functions and Tensor methods --------------------------------

METHODS = {
    "cumsum": (lambda t: t.cumsum(1), lambda a: a.cumsum(1)),
    "cumprod": (lambda t: t.cumprod(0), lambda a: a.cumprod(0)),
    "prod": (lambda t: t.prod(1, keepdims=True), lambda a: a.prod(1, keepdims=True)),
    "trace": (lambda t: t.trace(1), lambda a: a.trace(1)),
    "diagonal": (lambda t: t.diagonal(-1), lambda a: a.diagonal(-1)),
    "repeat": (lambda t: t.repeat(2, axis=0), lambda a: a.repeat(2, axis=0)),
    "take": (lambda t: t.take([0, 3, 3]), lambda a: a.take([0, 3, 3])),
    "%": (lambda t: t % 0.4, lambda a: a % 0.4),
}


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_matches_the_ndarray_method(name):
    ours, theirs = METHODS[name]
    x = f64(3, 4)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(x))
    assert_gradients_match(ours, x)


@pytest.mark.parametrize("name", ["einsum", "tensordot", "kron", "outer", "inner", "cumsum",
                                  "prod", "pad", "tile", "roll", "flip", "tril", "log1p", "tan",
                                  "arctan2", "hypot", "logaddexp", "sort", "norm", "inv"])
def test_autograd_function_is_the_numpy_function(name):
    calls = {"einsum": ("ij,jk->ik", "A", "B"), "tensordot": ("A", "B", 1), "pad": ("A", 1),
             "tile": ("A", 2), "roll": ("A", 1), "arctan2": ("A", "A"), "hypot": ("A", "A"),
             "logaddexp": ("A", "A"), "kron": ("A", "B"), "outer": ("A", "B"),
             "inner": ("A", "A"), "inv": ("A",)}
    args = calls.get(name, ("A",))
    a, b = f64(3, 3) + 2 * np.eye(3), f64(3, 2, seed=1)
    real = [{"A": a, "B": b}.get(v, v) if isinstance(v, str) else v for v in args]
    as_tensors = [Tensor(v) if isinstance(v, np.ndarray) else v for v in real]
    numpy_fn = np.linalg.norm if name == "norm" else np.linalg.inv if name == "inv" else getattr(np, name)
    np.testing.assert_allclose(getattr(ag, name)(*as_tensors).data, numpy_fn(*real), rtol=1e-12)
