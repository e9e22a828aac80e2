"""Size-0 dimensions work as in NumPy and PyTorch, forward and backward, second order included:
the softmax family over an empty axis, products with no features or an empty batch, reductions,
indexing, joining. Only a maximum or minimum of no values is an error, NumPy's own."""
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

from helpers import assert_matches_torch



def torch():
    """PyTorch, the oracle; the tests that need it skip without it."""
    return pytest.importorskip("torch", reason="missing resource: torch (pip install -e '.[oracle]')")


def rand(*shape):
    return np.random.default_rng(0).uniform(-1, 1, size=shape)


def match(ours, theirs, *shapes):
    torch()
    assert_matches_torch(ours, theirs, *[rand(*s) for s in shapes], second_order=True)


# The shapes: an empty axis normalised over, an empty axis beside a full one, all empty.
SOFTMAX_CASES = [((2, 0), 1), ((2, 0), 0), ((0, 3), 0), ((0, 3), -1), ((0,), 0), ((2, 0, 3), 1)]


@pytest.mark.parametrize("shape, axis", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_over_size_0_dimensions_matches_torch(name, shape, axis):
    match(lambda t: getattr(ag, name)(t, axis), lambda t: getattr(t, name)(axis), shape)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((0, 3), 1), ((0, 3), 0), ((2, 0, 3), (0, 1))],
                         ids=str)
def test_logsumexp_over_size_0_dimensions_matches_torch(shape, axis, keepdims):
    match(lambda t: ag.logsumexp(t, axis, keepdims), lambda t: t.logsumexp(axis, keepdims), shape)


def test_logsumexp_of_nothing_is_minus_infinity_with_an_empty_gradient():
    x = Tensor(np.zeros((0,)), requires_grad=True)
    y = ag.logsumexp(x, axis=None)
    y.backward()
    assert y.item() == -np.inf and x.grad.shape == (0,)


@pytest.mark.parametrize("shapes", [((4, 0), (3, 0), (3,)), ((2, 5, 0), (3, 0), (3,)),
                                    ((0, 2), (3, 2), (3,)), ((4, 0), (0, 0), (0,))], ids=str)
def test_linear_with_no_input_features_or_no_rows_matches_torch(shapes):
    linear = torch().nn.functional.linear
    match(ag.linear, linear, *shapes)
    match(ag.linear, linear, *shapes[:2])


@pytest.mark.parametrize("shapes", [((0, 2, 3), (3,)), ((3,), (0, 3, 2)), ((0, 2, 3), (0, 3, 2)),
                                    ((2, 0), (0, 3)), ((0,), (0,)), ((0,), (0, 3)), ((2, 0), (0,)),
                                    ((0, 3), (3,)), ((2, 0, 4, 3), (3,))], ids=str)
def test_matmul_with_empty_batches_and_vectors_matches_torch(shapes):
    match(ag.matmul, torch().matmul, *shapes)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)], ids=str)
@pytest.mark.parametrize("name", ["sum", "var", "std"])
def test_reductions_over_size_0_dimensions_match_numpy_and_torch(name, axis):
    x = np.zeros((0, 3))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy: degrees of freedom <= 0
        want = getattr(np, name)(x, axis=axis)
    t = Tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):  # var of nothing divides by 0, in NumPy too
        y = getattr(ag, name)(t, axis=axis)
        y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(y.data, want)
    assert t.grad.shape == (0, 3)


def test_mean_of_nothing_is_nan_as_in_numpy_with_an_empty_gradient():
    t = Tensor(np.zeros((2, 0)), requires_grad=True)
    with np.errstate(all="ignore"):  # a sum divided by 0, in NumPy too
        y = ag.mean(t, axis=1)
        y.backward(np.ones(2))
    np.testing.assert_array_equal(y.data, [np.nan, np.nan])
    assert t.grad.shape == (2, 0)


@pytest.mark.parametrize("name, ufunc", [("max", "maximum"), ("min", "minimum")])
@pytest.mark.parametrize("axis", [None, 0, (0, 1)], ids=str)
def test_max_and_min_of_no_values_raise_numpys_error_naming_the_shape(name, ufunc, axis):
    t = Tensor(np.zeros((0, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=rf"{name} of a tensor of shape \(0, 3\) over axis 0, which "
                                         rf"has size 0.*zero-size array to reduction operation "
                                         rf"{ufunc} which has no identity"):
        getattr(ag, name)(t, axis=axis)
    with pytest.raises(ValueError, match="zero-size array"):
        getattr(np, name)(t, axis=axis)
    with pytest.raises(ValueError):  # NumPy's own refusal, for comparison
        getattr(np, name)(t.data, axis=axis)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_over_a_full_axis_of_an_empty_tensor_are_empty(name):
    match(lambda t: getattr(ag, name)(t, axis=1), lambda t: getattr(t, "a" + name)(1), (0, 3))


INDICES = {  # name: (shape, index)
    "no ints": ((2, 3), np.array([], dtype=np.int64)),
    "an all-false mask": ((2, 3), np.zeros(2, dtype=bool)),
    "an empty slice": ((2, 3), slice(1, 1)),
    "repeated ints beside an empty axis": ((0, 3), (slice(None), np.array([0, 2, 0]))),
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing_that_selects_nothing_or_from_nothing_matches_torch(name):
    shape, index = INDICES[name]

    def theirs(t):
        parts = index if isinstance(index, tuple) else (index,)
        return t[tuple(torch().tensor(p) if isinstance(p, np.ndarray) else p for p in parts)]
    match(lambda t: t[index], theirs, shape)


@pytest.mark.parametrize("shapes, axis", [(((2, 0), (2, 3)), 1), (((0, 3), (0, 3)), 0),
                                          (((0, 3), (2, 3)), 0), (((0, 3), (0, 3)), 1)], ids=str)
def test_concatenate_with_size_0_pieces_matches_torch(shapes, axis):
    match(lambda a, b: ag.concatenate([a, b], axis), lambda a, b: torch().cat([a, b], axis), *shapes)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_of_empty_tensors_matches_torch(axis):
    match(lambda a, b: ag.stack([a, b], axis), lambda a, b: torch().stack([a, b], axis),
          (0, 3), (0, 3))


@pytest.mark.parametrize("start", [0, 1, 2])
def test_flatten_of_an_empty_tensor_keeps_the_leading_axes(start):
    match(lambda t: ag.flatten(t, start), lambda t: t.flatten(start), (0, 3, 2))


@pytest.mark.parametrize("shapes", [((0, 3), (3,)), ((0, 1), (1, 3)), ((2, 0), (2, 1)), ((0,), ())],
                         ids=str)
@pytest.mark.parametrize("op", ["add", "multiply", "maximum", "divide"])
def test_elementwise_ops_broadcast_over_size_0_dimensions(op, shapes):
    match(getattr(ag, op), getattr(torch(), op), *shapes)


@pytest.mark.parametrize("n_in, n_out", [(0, 3), (3, 0), (0, 0)])
def test_a_linear_layer_with_no_inputs_or_outputs_initialises_and_trains(n_in, n_out):
    import nn  # PyTorch: initialising a tensor with no elements is a no-op, the bias bound 0
    layer = nn.Linear(n_in, n_out)
    x = Tensor(np.ones((4, n_in), dtype=np.float32), requires_grad=True)
    y = layer(x)
    (y * 2).sum().backward()
    assert y.shape == (4, n_out) and x.grad.shape == (4, n_in)
    np.testing.assert_array_equal(layer.bias.grad, np.full(n_out, 8.0))
    assert layer.weight.grad.shape == (n_out, n_in)
