"""Property tests: for every op, over random shapes (0-d, size-1 and size-0 axes included), random
broadcastable pairs and safe value ranges, the forward pass equals NumPy's and the gradient equals
central finite differences, with the input's shape and dtype.

Values are drawn from a grid of multiples of 1/32: two values are then either equal or at least
1/32 apart, so a finite-difference step of 1e-6 never straddles a kink or a tie by accident (ties
that do occur are exact, and at an exact tie central differences give maximum's half-and-half).
"""
import functools

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor

from helpers import assert_gradients_match
from op_catalogue import ALONG_AXIS, ANY, BINARY, REDUCTIONS, UNARY, Domain

MAX_SIDE = 3
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=MAX_SIDE)
AXES_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=MAX_SIDE)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE)


@functools.lru_cache(maxsize=None)
def grid(domain):
    """The safe values of a domain, on a grid of 1/32 (built once per domain: strategies are
    costly to construct)."""
    allowed = [k for k in range(int(np.ceil(domain.lo * 32)), int(np.floor(domain.hi * 32)) + 1)
               if domain.allows(k / 32)]
    return st.sampled_from(allowed).map(lambda k: k / 32)


def arrays(shape, domain=ANY, unique=False, dtype=np.float64):
    return hnp.arrays(dtype, shape, elements=grid(domain), unique=unique)


def axes_of(ndim):
    """A NumPy axis argument valid for `ndim` dimensions: None, an int or a tuple."""
    if ndim == 0:
        return st.none()
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                     hnp.valid_tuple_axes(ndim, min_size=1))


def check(f, *xs, atol=1e-6):
    assert_gradients_match(f, *xs, atol=atol)


# ----------------------------------------------------------------------------------------------
# Elementwise

@pytest.mark.parametrize("spec", UNARY, ids=lambda s: s.name)
@given(data=st.data())
def test_unary_forward_and_gradient_on_random_shapes(spec, data):
    x = data.draw(arrays(data.draw(SHAPES, label="shape"), spec.domain), label="x")
    np.testing.assert_allclose(spec.ours(Tensor(x)).data, spec.reference(x), rtol=1e-12)
    check(spec.ours, x)


@given(data=st.data())
def test_every_unary_op_keeps_float32_in_value_and_gradient(data):
    spec = data.draw(st.sampled_from(UNARY), label="op")
    shape = data.draw(SHAPES, label="shape")
    x = data.draw(arrays(shape, spec.domain, dtype=np.float32), label="x")
    t = Tensor(x, requires_grad=True)
    y = spec.ours(t)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and t.grad.dtype == np.float32


BROADCASTABLE_PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                        min_side=0, max_side=MAX_SIDE)


@pytest.mark.parametrize("spec", BINARY, ids=lambda s: s.name)
@given(data=st.data())
def test_binary_forward_and_gradient_on_broadcastable_pairs(spec, data):
    shapes = data.draw(BROADCASTABLE_PAIRS, label="shapes").input_shapes
    a = data.draw(arrays(shapes[0], spec.domains[0]), label="a")
    b = data.draw(arrays(shapes[1], spec.domains[1]), label="b")
    np.testing.assert_allclose(spec.ours(Tensor(a), Tensor(b)).data, spec.reference(a, b),
                               rtol=1e-12)
    check(spec.ours, a, b)


@given(st.data())
def test_binary_op_with_a_python_scalar_on_random_shapes(data):
    x = data.draw(arrays(data.draw(SHAPES), Domain(0.5, 2.0)))
    c = data.draw(st.sampled_from([0.5, 1.25, 2.0]))
    name = data.draw(st.sampled_from(["add", "subtract", "multiply", "divide", "power"]))
    op = getattr(ag, name)
    check(lambda t: op(t, c), x)
    check(lambda t: op(c, t), x)


@given(st.data())
def test_clip_with_random_bounds(data):
    lo = data.draw(st.sampled_from([-1.0, -0.25, 0.0]))
    hi = data.draw(st.sampled_from([0.5, 1.0]))
    x = data.draw(arrays(data.draw(SHAPES), Domain(-2.0, 2.0, kinks=(lo, hi))))
    np.testing.assert_array_equal(ag.clip(Tensor(x), lo, hi).data, np.clip(x, lo, hi))
    check(lambda t: ag.clip(t, lo, hi), x)


@given(st.data())
def test_where_with_a_random_broadcast_condition(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                         max_side=MAX_SIDE)).input_shapes
    cond = data.draw(hnp.arrays(np.bool_, shapes[0]))
    a, b = data.draw(arrays(shapes[1])), data.draw(arrays(shapes[2]))
    np.testing.assert_array_equal(ag.where(cond, Tensor(a), Tensor(b)).data, np.where(cond, a, b))
    check(lambda s, t: ag.where(cond, s, t), a, b)


# ----------------------------------------------------------------------------------------------
# Reductions and the softmax family

def reduced_count(shape, axis):
    """How many elements each output of a reduction over `axis` combines."""
    axes = range(len(shape)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    return int(np.prod([shape[a] for a in axes]))


@pytest.mark.parametrize("spec", REDUCTIONS, ids=lambda s: s.name)
@given(data=st.data())
def test_reduction_forward_and_gradient_over_random_axes(spec, data):
    shape = data.draw(SHAPES, label="shape")
    axis = data.draw(axes_of(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    assume(reduced_count(shape, axis) >= spec.min_count)
    x = data.draw(arrays(shape, unique=spec.distinct), label="x")
    got = spec.ours(Tensor(x), axis=axis, keepdims=keepdims)
    want = spec.reference(x, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    check(lambda t: spec.ours(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("spec", ALONG_AXIS, ids=lambda s: s.name)
@given(data=st.data())
def test_softmax_family_forward_and_gradient_along_random_axes(spec, data):
    shape = data.draw(AXES_SHAPES, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = data.draw(arrays(shape), label="x")
    np.testing.assert_allclose(spec.ours(Tensor(x), axis).data, spec.reference(x, axis),
                               rtol=1e-12, atol=1e-15)
    check(lambda t: spec.ours(t, axis), x)


@given(st.data())
def test_softmax_rows_sum_to_one_even_for_huge_inputs(data):
    shape = data.draw(NONEMPTY_SHAPES)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1000.0, 0.0, 1000.0])))
    y = ag.softmax(Tensor(x), axis).data
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=axis), 1.0)


# ----------------------------------------------------------------------------------------------
# Linear algebra

MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                                  min_side=0, max_side=MAX_SIDE)


@given(st.data())
def test_matmul_forward_and_gradient_on_random_shapes(data):
    shapes = data.draw(MATMUL_SHAPES, label="shapes").input_shapes
    a, b = data.draw(arrays(shapes[0]), label="a"), data.draw(arrays(shapes[1]), label="b")
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12, atol=1e-12)
    check(ag.matmul, a, b)


@given(st.data())
def test_dot_forward_and_gradient_on_random_shapes(data):
    k = data.draw(st.integers(1, MAX_SIDE))
    left = data.draw(st.sampled_from([(k,), (2, k)]))
    right = data.draw(st.sampled_from([(k,), (k, 2)]))
    a, b = data.draw(arrays(left)), data.draw(arrays(right))
    np.testing.assert_allclose(ag.dot(Tensor(a), Tensor(b)).data, np.dot(a, b), atol=1e-12)
    check(ag.dot, a, b)


@given(st.data())
def test_linear_forward_and_gradient_on_random_shapes(data):
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=MAX_SIDE))
    n_in, n_out = data.draw(st.integers(0, MAX_SIDE)), data.draw(st.integers(0, MAX_SIDE))
    x = data.draw(arrays(batch + (n_in,)))
    W = data.draw(arrays((n_out, n_in)))
    if data.draw(st.booleans(), label="bias"):
        b = data.draw(arrays((n_out,)))
        np.testing.assert_allclose(ag.linear(Tensor(x), Tensor(W), Tensor(b)).data,
                                   x @ W.T + b, atol=1e-12)
        check(ag.linear, x, W, b)
    else:
        np.testing.assert_allclose(ag.linear(Tensor(x), Tensor(W)).data, x @ W.T, atol=1e-12)
        check(ag.linear, x, W)


# ----------------------------------------------------------------------------------------------
# Shape ops

@given(st.data())
def test_reshape_to_a_random_compatible_shape(data):
    shape = data.draw(SHAPES)
    x = data.draw(arrays(shape))
    targets = [(-1,), (1, -1), (x.size, 1), shape[::-1]] + ([()] if x.size == 1 else [])
    target = data.draw(st.sampled_from(targets))
    np.testing.assert_array_equal(ag.reshape(Tensor(x), target).data, x.reshape(target))
    check(lambda t: ag.reshape(t, target), x)


@given(st.data())
def test_transpose_by_a_random_permutation(data):
    shape = data.draw(SHAPES)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = data.draw(arrays(shape))
    np.testing.assert_array_equal(ag.transpose(Tensor(x), axes).data, np.transpose(x, axes))
    check(lambda t: ag.transpose(t, axes), x)


@given(st.data())
def test_swapaxes_of_random_axes(data):
    shape = data.draw(AXES_SHAPES)
    a = data.draw(st.integers(-len(shape), len(shape) - 1))
    b = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape))
    np.testing.assert_array_equal(ag.swapaxes(Tensor(x), a, b).data, np.swapaxes(x, a, b))
    check(lambda t: ag.swapaxes(t, a, b), x)


@given(st.data())
def test_flatten_from_a_random_axis(data):
    shape = data.draw(SHAPES)
    start = data.draw(st.integers(0, max(len(shape) - 1, 0)))
    x = data.draw(arrays(shape))
    assert ag.flatten(Tensor(x), start).shape == shape[:start] + (int(np.prod(shape[start:])),)
    check(lambda t: ag.flatten(t, start), x)


@given(st.data())
def test_expand_dims_at_a_random_axis(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    x = data.draw(arrays(shape))
    assert ag.expand_dims(Tensor(x), axis).shape == np.expand_dims(x, axis).shape
    check(lambda t: ag.expand_dims(t, axis), x)


@given(st.data())
def test_squeeze_of_random_size_one_axes(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.one_of(st.none(), st.sampled_from(ones)) if ones else st.none())
    x = data.draw(arrays(shape))
    assert ag.squeeze(Tensor(x), axis).shape == np.squeeze(x, axis).shape
    check(lambda t: ag.squeeze(t, axis), x)


@given(st.data())
def test_broadcast_to_a_random_compatible_shape(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3,
                                                         max_side=MAX_SIDE))
    x = data.draw(arrays(shapes.input_shapes[0]))
    target = shapes.result_shape
    assert ag.broadcast_to(Tensor(x), target).shape == target
    check(lambda t: ag.broadcast_to(t, target), x)


@given(st.data())
def test_concatenate_random_pieces_along_a_random_axis(data):
    shape = data.draw(AXES_SHAPES)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, MAX_SIDE), min_size=1, max_size=3))
    pieces = []
    for n in sizes:
        s = list(shape)
        s[axis] = n
        pieces.append(data.draw(arrays(tuple(s))))
    np.testing.assert_array_equal(ag.concatenate([Tensor(p) for p in pieces], axis).data,
                                  np.concatenate(pieces, axis))
    check(lambda *ts: ag.concatenate(list(ts), axis=axis), *pieces)


@given(st.data())
def test_stack_random_tensors_along_a_random_axis(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    n = data.draw(st.integers(1, 3))
    pieces = [data.draw(arrays(shape)) for _ in range(n)]
    np.testing.assert_array_equal(ag.stack([Tensor(p) for p in pieces], axis).data,
                                  np.stack(pieces, axis))
    check(lambda *ts: ag.stack(list(ts), axis=axis), *pieces)


# ----------------------------------------------------------------------------------------------
# Indexing

@given(st.data())
def test_basic_indexing_with_random_ints_slices_ellipsis_and_newaxis(data):
    shape = data.draw(SHAPES)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = data.draw(arrays(shape))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    check(lambda t: t[index], x)


@given(st.data())
def test_integer_array_indexing_with_repeats_accumulates(data):
    shape = data.draw(NONEMPTY_SHAPES)
    index = data.draw(hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    x = data.draw(arrays(shape))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    check(lambda t: t[index], x)


@given(st.data())
def test_boolean_mask_indexing(data):
    shape = data.draw(AXES_SHAPES)
    mask_dims = data.draw(st.integers(1, len(shape)))
    mask = data.draw(hnp.arrays(np.bool_, shape[:mask_dims]))
    x = data.draw(arrays(shape))
    np.testing.assert_array_equal(Tensor(x)[mask].data, x[mask])
    check(lambda t: t[mask], x)
