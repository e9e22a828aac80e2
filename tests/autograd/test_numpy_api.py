"""NumPy interop: NumPy functions called on Tensors stay in the graph with correct gradients;
anything unsupported says so instead of silently dropping the gradient."""
import operator

import numpy as np
import pytest

from autograd import Tensor

from helpers import assert_gradients_match, f64

POS = dict(low=0.5, high=2.0)

# name -> (function of Tensors written with np.*, input arrays)
SUPPORTED = {
    "np.exp": (np.exp, [f64(2, 3)]),
    "np.log": (np.log, [f64(2, 3, **POS)]),
    "np.tanh": (np.tanh, [f64(2, 3)]),
    "np.sqrt": (np.sqrt, [f64(2, 3, **POS)]),
    "np.abs": (np.abs, [f64(2, 3)]),
    "np.sin": (np.sin, [f64(2, 3)]),
    "np.cos": (np.cos, [f64(2, 3)]),
    "np.square": (np.square, [f64(2, 3)]),
    "np.negative": (np.negative, [f64(2, 3)]),
    "np.add": (np.add, [f64(2, 3), f64(3, seed=1)]),
    "np.subtract": (np.subtract, [f64(2, 3), f64(3, seed=1)]),
    "np.multiply": (np.multiply, [f64(2, 3), f64(3, seed=1)]),
    "np.divide": (np.divide, [f64(2, 3), f64(3, seed=1, **POS)]),
    "np.power": (np.power, [f64(2, 3, **POS), f64(3, seed=1)]),
    "np.power_scalar": (lambda t: np.power(t, 3), [f64(2, 3)]),
    "np.maximum": (np.maximum, [f64(2, 3), f64(3, seed=1)]),
    "np.minimum": (np.minimum, [f64(2, 3), f64(3, seed=1)]),
    "np.dot_matrix_vector": (np.dot, [f64(2, 3), f64(3, seed=1)]),
    "np.dot_matrices": (np.dot, [f64(2, 3), f64(3, 2, seed=1)]),
    "np.matmul": (np.matmul, [f64(4, 2, 3), f64(3, 2, seed=1)]),
    "np.sum": (np.sum, [f64(2, 3)]),
    "np.sum_axis": (lambda t: np.sum(t, axis=0), [f64(2, 3)]),
    "np.mean_keepdims": (lambda t: np.mean(t, axis=1, keepdims=True), [f64(2, 3)]),
    "np.max": (lambda t: np.max(t, axis=1), [f64(2, 3)]),
    "np.min": (lambda t: np.min(t), [f64(2, 3)]),
    "np.var": (lambda t: np.var(t, axis=0), [f64(2, 3)]),
    "np.std": (lambda t: np.std(t, axis=1, ddof=1), [f64(2, 3)]),
    "np.where": (lambda a, b: np.where(np.array([True, False, True]), a, b),
                 [f64(2, 3), f64(3, seed=1)]),
    "np.reshape": (lambda t: np.reshape(t, (3, 2)), [f64(2, 3)]),
    "np.transpose": (np.transpose, [f64(2, 3, 4)]),
    "np.transpose_axes": (lambda t: np.transpose(t, (1, 2, 0)), [f64(2, 3, 4)]),
    "np.swapaxes": (lambda t: np.swapaxes(t, 0, 1), [f64(2, 3)]),
    "np.ravel": (np.ravel, [f64(2, 3)]),
    "np.squeeze": (np.squeeze, [f64(1, 3)]),
    "np.expand_dims": (lambda t: np.expand_dims(t, 1), [f64(2, 3)]),
    "np.broadcast_to": (lambda t: np.broadcast_to(t, (2, 3)), [f64(3)]),
    "np.concatenate": (lambda a, b: np.concatenate([a, b], axis=1), [f64(2, 3), f64(2, 1, seed=1)]),
    "np.stack": (lambda a, b: np.stack([a, b]), [f64(2, 3), f64(2, 3, seed=1)]),
    "np.clip": (lambda t: np.clip(t, -0.5, 0.5), [f64(2, 3) + 0.02]),
    "np.copy": (np.copy, [f64(2, 3)]),
    "np.linalg.norm": (np.linalg.norm, [f64(2, 3)]),
}


@pytest.mark.parametrize("name", SUPPORTED)
def test_numpy_function_on_tensors_returns_a_tensor_in_the_graph(name):
    fn, arrays = SUPPORTED[name]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*xs)
    assert isinstance(y, Tensor) and y.requires_grad and y.grad_fn is not None


@pytest.mark.parametrize("name", SUPPORTED)
def test_numpy_function_on_tensors_computes_the_same_values_as_on_arrays(name):
    fn, arrays = SUPPORTED[name]
    np.testing.assert_allclose(fn(*[Tensor(a) for a in arrays]).data, fn(*arrays), rtol=1e-12)


@pytest.mark.parametrize("name", SUPPORTED)
def test_numpy_function_on_tensors_has_correct_gradients(name):
    fn, arrays = SUPPORTED[name]
    assert_gradients_match(fn, *arrays)


def test_numpy_function_mixing_a_tensor_and_an_array():
    W = f64(2, 3)
    assert_gradients_match(lambda x: np.dot(W, x), f64(3, 4, seed=1))


def test_hand_written_numpy_forward_code_runs_on_tensors():
    # a learner's two-layer network written for ndarrays, unchanged
    def forward(X, W1, b1, W2, b2):
        h = np.maximum(np.dot(X, W1) + b1, 0)
        scores = np.dot(h, W2) + b2
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        return np.log(np.sum(np.exp(shifted), axis=1)) - shifted[:, 0]

    X = f64(4, 3)
    W1 = f64(3, 5, seed=1) + 0.03  # keep pre-activations off relu's kink
    assert_gradients_match(forward, X, W1, f64(5, seed=2), f64(5, 2, seed=3), f64(2, seed=4),
                           atol=1e-5)


def test_numpy_ufunc_keeps_float32():
    t = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert np.exp(t).dtype == np.float32 and np.multiply(t, 2.5).dtype == np.float32


def test_np_maximum_with_zero_splits_the_gradient_at_a_tie():
    x = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    np.sum(np.maximum(x, 0)).backward()
    np.testing.assert_array_equal(x.grad, [0.5, 1.0, 0.0])


def test_np_max_splits_the_gradient_among_ties():
    x = Tensor([[3.0, 3.0], [1.0, 2.0]], requires_grad=True)
    np.sum(np.max(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad, [[0.5, 0.5], [0.0, 1.0]])


# ----------------------------------------------------------------------------------------------
# An ndarray on the left of an operator

LEFT_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow,
}


@pytest.mark.parametrize("symbol", LEFT_OPERATORS)
def test_ndarray_on_the_left_of_an_operator_gives_a_tensor_in_the_graph(symbol):
    op = LEFT_OPERATORS[symbol]
    arr = f64(2, 3, **POS)
    y = op(arr, Tensor(f64(3, seed=1, **POS), requires_grad=True))
    assert isinstance(y, Tensor) and y.requires_grad


@pytest.mark.parametrize("symbol", LEFT_OPERATORS)
def test_ndarray_on_the_left_of_an_operator_has_correct_gradients(symbol):
    op = LEFT_OPERATORS[symbol]
    arr = f64(2, 3, **POS)
    assert_gradients_match(lambda t: op(arr, t), f64(3, seed=1, **POS))


def test_ndarray_on_the_left_of_matmul():
    W = f64(2, 3)
    y = W @ Tensor(f64(3, seed=1), requires_grad=True)
    assert isinstance(y, Tensor) and y.requires_grad
    assert_gradients_match(lambda t: W @ t, f64(3, 4, seed=1))


def test_numpy_scalar_on_the_left_of_an_operator():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.float64(3.0) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


COMPARISON_UFUNCS = [np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal]


@pytest.mark.parametrize("ufunc", COMPARISON_UFUNCS, ids=lambda u: u.__name__)
def test_numpy_comparison_gives_a_bool_tensor_without_grad(ufunc):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    r = ufunc(x, 2.0)
    assert isinstance(r, Tensor) and r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal(r.data, ufunc(np.array([1.0, 2.0, 3.0]), 2.0))


def test_ndarray_on_the_left_of_a_comparison_gives_a_bool_tensor():
    r = np.array([1.0, 5.0]) < Tensor([2.0, 2.0])
    assert isinstance(r, Tensor)
    np.testing.assert_array_equal(r.data, [True, False])


# ----------------------------------------------------------------------------------------------
# Unsupported NumPy, and the explicit way out

UNSUPPORTED = {
    "np.convolve": lambda t: np.convolve(t[0], t[1]),
    "np.linalg.eig": lambda t: np.linalg.eig(t),          # complex in general
    "np.conjugate": lambda t: np.conjugate(t),
    "np.fft.fft": lambda t: np.fft.fft(t),
    "np.gcd": lambda t: np.gcd(t, 2),                      # integer-only
    "np.bitwise_and": lambda t: np.bitwise_and(t, 1),
    "np.add.reduce": lambda t: np.add.reduce(t),
    "np.cumsum with dtype": lambda t: np.cumsum(t, dtype=np.float32),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_numpy_function_raises_a_type_error_naming_it(name):
    with pytest.raises(TypeError, match=name.split(" with ")[0].replace(".", r"\.")):
        UNSUPPORTED[name](Tensor(np.eye(2), requires_grad=True))


def test_ufunc_with_out_is_refused_rather_than_writing_around_the_graph():
    with pytest.raises(TypeError, match="out"):
        np.exp(Tensor([1.0], requires_grad=True), out=np.zeros(1))


def test_np_asarray_gives_the_data():
    t = Tensor([1.0, 2.0], requires_grad=True)
    a = np.asarray(t)
    assert type(a) is np.ndarray and a is t.data


def test_np_array_gives_a_copy_of_the_data():
    t = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array(t)
    assert type(a) is np.ndarray and not np.shares_memory(a, t.data)
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_np_asarray_with_a_dtype_converts():
    assert np.asarray(Tensor([1.5]), dtype=np.float32).dtype == np.float32


def test_values_only_functions_return_plain_arrays():
    t = Tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    assert np.shape(t) == (2, 2)
    np.testing.assert_array_equal(np.argmax(t, axis=1), [1, 0])
    assert np.allclose(t, t)


def test_np_concatenate_with_axis_none_flattens_and_differentiates():
    a, b = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), Tensor([5.0, 6.0], requires_grad=True)
    y = np.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(y.data, np.concatenate([a.data, b.data], axis=None))
    (y * np.arange(6.0)).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(b.grad, [4.0, 5.0])
