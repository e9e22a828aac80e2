"""NumPy's functions beyond the core, called on Tensors exactly as on ndarrays: the shape functions
and the scans over random shapes, arguments and axes (hypothesis), einsum and tensordot over random
subscripts and axes, with the same values as NumPy and gradients equal to central finite
differences (float64). The catalogue's functions at fixed inputs are checked, with their second
derivatives, in test_catalogue_functions.py."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor

from helpers import assert_gradients_match, assert_second_derivatives_match, f64
from op_catalogue import SCANS, STRUCTURAL, one_tensor
from test_ops_properties import arrays


def _as_list(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


# ----------------------------------------------------------------------------------------------
# Shape functions over random shapes and arguments

@pytest.mark.parametrize("spec", STRUCTURAL, ids=lambda s: s.name)
@given(data=st.data())
def test_shape_function_forward_and_gradient_on_random_shapes(spec, data):
    shape = data.draw(hnp.array_shapes(min_dims=spec.min_dims, max_dims=spec.max_dims,
                                       min_side=1, max_side=4), label="shape")
    params = data.draw(spec.params(shape), label="params")
    x = data.draw(arrays(shape, unique=spec.distinct), label="x")
    want = _as_list(spec.call_reference(x, **params))
    got = _as_list(spec.ours(Tensor(x), **params))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, Tensor) and g.shape == np.shape(w)
        np.testing.assert_array_equal(g.data, w)
    assume(sum(np.size(w) for w in want) > 0)
    assert_gradients_match(lambda t: one_tensor(spec.ours(t, **params)), x)


@given(data=st.data())
def test_every_shape_function_keeps_float32(data):
    spec = data.draw(st.sampled_from(STRUCTURAL), label="op")
    shape = data.draw(hnp.array_shapes(min_dims=max(spec.min_dims, 1), max_dims=spec.max_dims,
                                       min_side=1, max_side=3), label="shape")
    params = data.draw(spec.params(shape), label="params")
    t = Tensor(data.draw(arrays(shape, unique=spec.distinct, dtype=np.float32)), requires_grad=True)
    y = one_tensor(spec.ours(t, **params))
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and t.grad.dtype == np.float32


@pytest.mark.parametrize("spec", SCANS, ids=lambda s: s.name)
@given(data=st.data())
def test_scan_forward_and_gradient_along_random_axes(spec, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape))
    np.testing.assert_allclose(spec.ours(Tensor(x), axis).data, spec.reference(x, axis=axis),
                               rtol=1e-12, atol=1e-15)
    assert_gradients_match(lambda t: spec.ours(t, axis), x)


@pytest.mark.parametrize("spec", SCANS, ids=lambda s: s.name)
@pytest.mark.parametrize("axis", [0, -1])
def test_second_derivative_of_scan(spec, axis):
    assert_second_derivatives_match(lambda t: spec.ours(t, axis), f64(3, 4))


# ----------------------------------------------------------------------------------------------
# einsum and tensordot with random subscripts and axes

@st.composite
def einsum_problem(draw):
    """Random operands (1 to 3) with random letters, repeated letters and ellipses included,
    and an output that is implicit or any subset of the letters."""
    sizes = dict(zip("abcde", draw(st.lists(st.integers(1, 3), min_size=5, max_size=5))))
    ell = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    subs, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        letters = draw(st.lists(st.sampled_from("abcde"), max_size=3))
        with_ellipsis = draw(st.booleans())
        k = draw(st.integers(0, len(ell))) if with_ellipsis else 0
        subs.append(("..." if with_ellipsis else "") + "".join(letters))
        lead = tuple(draw(st.sampled_from([1, n])) for n in ell[len(ell) - k:])
        shapes.append(lead + tuple(sizes[c] for c in letters))
    used = sorted(set("".join(subs)) - {"."})
    if draw(st.booleans()):
        spec = ",".join(subs)
    else:
        out = draw(st.permutations(used))[:draw(st.integers(0, len(used)))]
        dots = "..." if any("..." in s for s in subs) else ""
        spec = ",".join(subs) + "->" + dots + "".join(out)
    return spec, shapes


@given(problem=einsum_problem(), data=st.data())
def test_einsum_with_random_subscripts(problem, data):
    spec, shapes = problem
    xs = [data.draw(arrays(s)) for s in shapes]
    want = np.einsum(spec, *xs)
    got = np.einsum(spec, *[Tensor(x) for x in xs])
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    assume(np.size(want) > 0)
    assert_gradients_match(lambda *ts: np.einsum(spec, *ts), *xs)


@given(data=st.data())
def test_tensordot_over_random_axes(data):
    a_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    n = data.draw(st.integers(0, len(a_shape)))
    summed = list(data.draw(st.permutations(range(len(a_shape))))[:n])
    free = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    b_axes = data.draw(st.permutations(range(n + len(free))))
    b_shape = [0] * (n + len(free))
    for k, i in enumerate(summed):
        b_shape[b_axes[k]] = a_shape[i]
    for k, size in enumerate(free):
        b_shape[b_axes[n + k]] = size
    axes = (summed, list(b_axes[:n]))
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(tuple(b_shape)))
    np.testing.assert_allclose(np.tensordot(Tensor(a), Tensor(b), axes).data,
                               np.tensordot(a, b, axes), rtol=1e-12, atol=1e-12)
    assert_gradients_match(lambda s, t: np.tensordot(s, t, axes), a, b)
