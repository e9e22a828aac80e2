"""Assignment into a tensor in a graph: `x[index] = v`, `x[index] += v`, and `x *= 2`, `x -= y`.

The assignment is recorded as an op; x (the same Python object) then stands for the new value.
Specified here: the forward pass is NumPy's, exactly (repeated indices: the last write wins, and
`+=` does not accumulate repeats); the gradients equal finite differences and those of the same
computation written out of place (where, concatenate); values saved by earlier ops are intact;
names and views of x see the change, and a change through a view reaches its base, as in NumPy;
an assignment copies x's array only when something else can see it; leaves that require grad are
refused.
"""
import operator

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, no_grad

from helpers import (assert_gradients_match, assert_matches_torch, assert_second_derivatives_match,
                     projection)
from op_catalogue import ASSIGNMENTS

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def grid_arrays(shape):
    """Values on a grid of 1/8: exact in float64, so equal results are equal to the last bit."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-16, 16).map(lambda k: k / 8))


@st.composite
def indices(draw, shape, kinds=("basic", "integers", "first-axis integers", "mask", "mixed")):
    """Any NumPy index into an array of `shape`: basic (ints, slices, None, ...), integer arrays
    (repeats likely), a boolean mask, or integers on the first axis with a slice after."""
    kind = draw(st.sampled_from(kinds), label="index kind")
    if kind == "basic":
        return draw(hnp.basic_indices(shape, allow_newaxis=True))
    if kind == "integers":
        return draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)))
    rows = hnp.arrays(np.intp, st.integers(1, 5), elements=st.integers(-shape[0], shape[0] - 1))
    if kind == "first-axis integers":
        return draw(rows)
    if kind == "mask":
        return draw(hnp.arrays(np.bool_, shape))
    return (draw(rows),) + (slice(None, None, draw(st.sampled_from([1, -1, 2]))),) * (len(shape) > 1)


@st.composite
def assignable_shapes(draw, target):
    """A shape that broadcasts to `target` (NumPy's rule for the value of x[index] = value)."""
    ndim = draw(st.integers(0, len(target)))
    kept = target[len(target) - ndim:]
    return tuple(draw(st.sampled_from([n, 1])) for n in kept)


def target_shape(shape, index):
    return np.empty(shape)[index].shape


setitem = ASSIGNMENTS[0]


# ---- the forward pass is NumPy's; gradients are finite differences ----------------------------

@pytest.mark.parametrize("spec", ASSIGNMENTS, ids=lambda s: s.name)
@given(data=st.data())
def test_assignment_forward_is_numpys_and_gradients_match_finite_differences(spec, data):
    shape = data.draw(SHAPES, label="shape")
    index = data.draw(indices(shape), label="index")
    x = data.draw(grid_arrays(shape), label="x")
    v = data.draw(grid_arrays(data.draw(assignable_shapes(target_shape(shape, index)))), label="v")
    y = spec.ours(Tensor(x, requires_grad=True), index, Tensor(v, requires_grad=True))
    np.testing.assert_array_equal(y.data, spec.reference(x, index, v))
    assert y.grad_fn.name == "SetItem"
    assert_gradients_match(lambda s, t: spec.ours(s, index, t), x, v)


def _repeats(shape, index):
    """Whether the index names some position of an array of `shape` more than once."""
    positions = np.arange(int(np.prod(shape))).reshape(shape)[index]
    return len(np.unique(positions)) < positions.size


@pytest.mark.parametrize("spec", ASSIGNMENTS, ids=lambda s: s.name)
@given(data=st.data())
def test_assignment_matches_torch_where_no_index_repeats(spec, data):
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("missing resource: torch, the oracle (pip install -e '.[oracle]')")
    shape = data.draw(SHAPES, label="shape")
    index = data.draw(indices(shape, kinds=("basic", "integers", "mask", "mixed")), label="index")
    assume(not _repeats(shape, index) and not _has_newaxis_or_step(index))
    x = data.draw(grid_arrays(shape), label="x")
    v = data.draw(grid_arrays(data.draw(assignable_shapes(target_shape(shape, index)))), label="v")
    assert_matches_torch(lambda s, t: spec.ours(s, index, t), lambda s, t: spec.theirs(s, index, t),
                         x, v, second_order=True)


def _has_newaxis_or_step(index):
    """None and negative steps: PyTorch's indexing has no negative steps (and we keep it simple)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(p is None or (isinstance(p, slice) and (p.step or 1) < 0) for p in parts)


@given(data=st.data())
def test_assignment_of_a_number_or_an_array_gives_x_its_gradient(data):
    shape = data.draw(SHAPES, label="shape")
    index = data.draw(indices(shape), label="index")
    x = data.draw(grid_arrays(shape), label="x")
    value = data.draw(st.one_of(st.just(2.5), grid_arrays(target_shape(shape, index))), label="value")
    np.testing.assert_array_equal(setitem.ours(Tensor(x), index, value).data,
                                  setitem.reference(x, index, value))
    assert_gradients_match(lambda s: setitem.ours(s, index, value), x)


def test_a_repeated_index_keeps_the_last_value_and_only_it_gets_the_gradient():
    x = Tensor(np.zeros(4), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[[2, 0, 2]] = v
    np.testing.assert_array_equal(y.data, [2.0, 0.0, 3.0, 0.0])
    (y * Tensor([10.0, 20.0, 30.0, 40.0])).sum().backward()
    np.testing.assert_array_equal(v.grad, [0.0, 10.0, 30.0])
    np.testing.assert_array_equal(x.grad, [0.0, 20.0, 0.0, 40.0])


def test_plus_equals_with_a_repeated_index_adds_once_as_numpy_does():
    x = Tensor(np.arange(4.0), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[[0, 0, 2]] += v  # NumPy: y[0] = x[0] + 2 (not + 1 + 2), y[2] = x[2] + 3
    np.testing.assert_array_equal(y.data, [2.0, 1.0, 5.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(v.grad, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 1.0])


def test_a_broadcast_value_gets_its_gradient_summed_over_the_positions_it_filled():
    x = Tensor(np.zeros((3, 4)), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    y[1:] = v  # one row, written into two
    y.sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.grad, [[1.0] * 4, [0.0] * 4, [0.0] * 4])


def test_assignment_into_a_0d_tensor_with_ellipsis_or_an_empty_tuple():
    def f(s, t):
        h = s * 1
        h[...] = t * 2
        g = s * 1
        g[()] += t
        return h + g

    np.testing.assert_array_equal(f(Tensor(2.0), Tensor(3.0)).data, 11.0)
    assert_gradients_match(f, np.array(2.0), np.array(3.0))


def test_the_functional_setitem_returns_a_new_tensor_and_leaves_x_alone():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ag.setitem(x, [0, 2], Tensor([7.0, 8.0]))
    np.testing.assert_array_equal(y.data, [7.0, 2.0, 8.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    assert x.is_leaf and y.grad_fn.name == "SetItem"


# ---- the same as the computation written out of place ----------------------------------------

def _grads(f, *arrays):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    y = f(*xs)
    y.backward(projection(y.shape))
    return y.data, [x.grad for x in xs]


def assert_same_values_and_gradients(f, g, *arrays):
    (y1, grads1), (y2, grads2) = _grads(f, *arrays), _grads(g, *arrays)
    np.testing.assert_array_equal(y1, y2)
    for a, b in zip(grads1, grads2):
        if a is None or b is None:  # an input neither uses
            assert a is None and b is None
            continue
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_masked_assignment_equals_where(data):
    shape = data.draw(SHAPES, label="shape")
    mask = data.draw(hnp.arrays(np.bool_, shape), label="mask")
    x = data.draw(grid_arrays(shape), label="x")
    v = data.draw(grid_arrays(data.draw(assignable_shapes(shape))), label="v")

    def assigning(s, t):
        y = s * 1
        y[mask] = ag.broadcast_to(t, shape)[mask]
        return y

    assert_same_values_and_gradients(assigning, lambda s, t: ag.where(mask, t, s), x, v)


@given(data=st.data())
def test_assigning_a_block_of_rows_equals_concatenate(data):
    shape = data.draw(SHAPES, label="shape")
    start = data.draw(st.integers(0, shape[0] - 1), label="start")
    stop = data.draw(st.integers(start + 1, shape[0]), label="stop")
    x = data.draw(grid_arrays(shape), label="x")
    v = data.draw(grid_arrays(data.draw(assignable_shapes((stop - start,) + shape[1:]))), label="v")

    def assigning(s, t):
        y = s * 1
        y[start:stop] = t
        return y

    def concatenating(s, t):
        middle = ag.broadcast_to(t, (stop - start,) + shape[1:])
        return ag.concatenate([s[:start], middle * 1, s[stop:]])

    assert_same_values_and_gradients(assigning, concatenating, x, v)


# ---- values saved before the assignment -------------------------------------------------------

USERS = {  # ops whose backward needs the values they were given (or the values they produced)
    "exp (saves its output)": lambda h: ag.exp(h),
    "multiply (saves its inputs)": lambda h: h * h,
    "sigmoid": lambda h: ag.sigmoid(h),
    "a slice of it": lambda h: h[..., :1] * h,
    "its sum": lambda h: h.sum() * h,
}


@pytest.mark.parametrize("user", USERS)
@given(data=st.data())
def test_assignment_after_the_value_was_used_by_another_op_leaves_that_ops_gradient_right(user, data):
    shape = data.draw(SHAPES, label="shape")
    index = data.draw(indices(shape), label="index")
    x = data.draw(grid_arrays(shape), label="x")
    v = data.draw(grid_arrays(data.draw(assignable_shapes(target_shape(shape, index)))), label="v")
    use = USERS[user]

    def in_place(s, t):
        h = ag.tanh(s)
        used = use(h)  # recorded before h changes
        h[index] = t
        return used + h

    def out_of_place(s, t):
        h = ag.tanh(s)
        return use(h) + ag.setitem(h, index, t)

    assert_same_values_and_gradients(in_place, out_of_place, x, v)
    assert_gradients_match(in_place, x, v)


def test_an_exp_output_overwritten_row_by_row_still_gives_exps_gradient():
    z = Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    e = ag.exp(z)  # Exp's backward reads this output
    total = e.sum()
    e[0] = 0.0
    e[1] = e[1] * 2
    (total + e.sum()).backward()
    np.testing.assert_allclose(z.grad, np.exp(z.data) * [[1.0, 1.0], [3.0, 3.0]])


def test_a_second_backward_through_a_retained_graph_gives_the_same_gradients():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * x
    loss_before = h.sum()
    h[1] = 0.0
    loss = loss_before + (h * h).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    x.grad = None
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)
    np.testing.assert_allclose(first, 2 * x.data + [4.0, 0.0, 108.0])


def test_second_derivatives_through_an_assignment_match_finite_differences():
    def f(s, t):
        h = s * s
        h[[0, 2]] = t * s[1]
        return h * h

    assert_second_derivatives_match(f, np.array([0.5, -1.0, 1.5]), np.array([2.0, -0.5]))


# ---- x stays the same object, and stands for the new value ------------------------------------

def test_after_assignment_x_is_the_same_object_with_the_new_value_and_a_setitem_grad_fn():
    x = Tensor([1.0, 2.0], requires_grad=True) * 1
    before, version = id(x), x.version
    x[0] = 5.0
    assert id(x) == before and x.version == version + 1
    assert x.grad_fn.name == "SetItem" and not x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(x.data, [5.0, 2.0])


def test_assigning_a_tensor_that_requires_grad_into_a_constant_puts_the_constant_in_the_graph():
    W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = Tensor(np.zeros((2, 3)))  # preallocated, then filled row by row
    for i in range(2):
        out[i, :2] = W[i] * 2
    assert out.requires_grad and out.grad_fn.name == "SetItem"
    (out * 3).sum().backward()
    np.testing.assert_array_equal(W.grad, np.full((2, 2), 6.0))


def test_every_name_for_x_sees_the_change():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True) * 1
    same = x
    x[1] += 10.0
    x *= 2.0
    assert same is x
    np.testing.assert_array_equal(same.data, [2.0, 24.0, 6.0])


def test_under_no_grad_assignment_still_writes_into_the_array_unrecorded():
    x = Tensor([1.0, 2.0], requires_grad=True) * 1
    data, fn = x.data, x.grad_fn
    with no_grad():
        x[0] = 7.0
    assert x.data is data and x.grad_fn is fn
    np.testing.assert_array_equal(data, [7.0, 2.0])


# ---- copy-on-write ----------------------------------------------------------------------------

def test_assignment_writes_into_the_array_when_nothing_else_can_see_it():
    W = Tensor(np.ones((100, 3)), requires_grad=True)
    out = Tensor(np.zeros((100, 3)))
    arrays = set()
    for i in range(100):
        out[i] = W[i] * i
        arrays.add(id(out.data))
    assert len(arrays) == 1  # one array, written 100 times, not 100 copies
    out.sum().backward()
    np.testing.assert_array_equal(W.grad, np.arange(100.0)[:, None] * np.ones((1, 3)))


def test_assignment_copies_an_array_that_an_earlier_op_saved_and_leaves_the_saved_one_intact():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    saved = h.data
    square = h * h  # Multiply keeps h's values for its backward
    h[0] = 100.0
    assert h.data is not saved
    np.testing.assert_array_equal(saved, [1.0, 2.0, 3.0])
    square.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_a_plain_array_that_shares_x_memory_keeps_the_old_values():
    x = Tensor([1.0, 2.0], requires_grad=True) * 1
    mine = x.data  # a name for the array: so it is copied, not written into
    x[0] = 9.0
    np.testing.assert_array_equal(mine, [1.0, 2.0])


# ---- views, both ways -------------------------------------------------------------------------

def test_a_slice_taken_before_the_assignment_sees_the_new_values_and_their_gradient():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = Tensor(10.0, requires_grad=True)
    h = x * 1
    row = h[0]
    h[0, 1] = v
    np.testing.assert_array_equal(row.data, [1.0, 10.0])  # as NumPy's view would
    (row * Tensor([1.0, 5.0])).sum().backward()
    assert v.grad == 5.0
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0], [0.0, 0.0]])


def test_changing_a_row_through_its_view_changes_the_matrix():
    x = Tensor([[1.0, 3.0], [2.0, 2.0]], requires_grad=True)
    out = x * 1
    row = out[0]
    row /= row.sum()
    np.testing.assert_array_equal(out.data, [[0.25, 0.75], [2.0, 2.0]])
    assert row.data.base is not None and np.shares_memory(row.data, out.data)


@given(x=grid_arrays(st.tuples(st.integers(1, 4), st.integers(1, 4))).map(lambda a: np.abs(a) + 1))
def test_normalising_rows_in_a_loop_over_the_rows_equals_dividing_by_the_row_sums(x):
    def loop(s):
        out = s * 1
        for row in out:
            row /= row.sum()
        return out

    assert_same_values_and_gradients(loop, lambda s: s / s.sum(axis=1, keepdims=True), x)


VIEW_WRITES = {
    "transpose": (lambda h: h.T, lambda a: a.T),
    "reshape": (lambda h: h.reshape(6), lambda a: a.reshape(6)),
    "slice of a slice": (lambda h: h[1:][:, ::2], lambda a: a[1:][:, ::2]),
    "expand_dims": (lambda h: ag.expand_dims(h, 0)[0], lambda a: np.expand_dims(a, 0)[0]),
}


@pytest.mark.parametrize("view", VIEW_WRITES)
def test_assignment_through_a_view_reaches_the_base_as_in_numpy(view):
    ours, numpys = VIEW_WRITES[view]
    x = np.arange(6.0).reshape(2, 3)
    want = x.copy()
    numpys(want)[0] = -1.0

    def f(s, t):
        h = s * 1
        ours(h)[0] = t
        return h

    np.testing.assert_array_equal(f(Tensor(x), Tensor(-1.0)).data, want)
    assert_gradients_match(f, x, np.array(-1.0))


def test_a_view_of_a_view_is_made_again_when_the_base_changes():
    h = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True) * 1
    corner = h[1:][:, 1:]
    h *= 10.0
    np.testing.assert_array_equal(corner.data, [[40.0, 50.0]])


def test_writing_into_a_broadcast_view_is_refused_as_read_only():
    h = Tensor([1.0, 2.0], requires_grad=True) * 1
    wide = ag.broadcast_to(h, (3, 2))
    with pytest.raises(ValueError, match="read-only"):
        wide[0, 0] = 5.0


def test_a_value_that_requires_grad_cannot_go_into_a_detached_alias():
    h = Tensor([1.0, 2.0], requires_grad=True) * 1
    alias = h.detach()
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        alias[0] = h[1]


def test_a_detached_alias_sees_an_assignment_into_its_original():
    h = Tensor([1.0, 2.0], requires_grad=True) * 1
    alias = h.detach()
    h[0] = 5.0
    np.testing.assert_array_equal(alias.data, [5.0, 2.0])
    assert not alias.requires_grad


# ---- in-place arithmetic ----------------------------------------------------------------------

AUGMENTED = {"+=": (operator.iadd, operator.add), "-=": (operator.isub, operator.sub),
             "*=": (operator.imul, operator.mul), "/=": (operator.itruediv, operator.truediv)}


@pytest.mark.parametrize("symbol", AUGMENTED)
@given(data=st.data())
def test_in_place_arithmetic_equals_the_out_of_place_expression(symbol, data):
    in_place, out_of_place = AUGMENTED[symbol]
    shape = data.draw(SHAPES, label="shape")
    x = data.draw(grid_arrays(shape), label="x")
    other = data.draw(grid_arrays(data.draw(assignable_shapes(shape))).map(lambda a: a + 3.0),
                      label="other")  # away from 0, for /=

    def changing(s, t):
        h = ag.sin(s)
        name = h
        saved = h * h
        h = in_place(h, t)
        assert h is name  # the same object: every name sees the change
        return h + saved

    assert_same_values_and_gradients(
        changing, lambda s, t: out_of_place(ag.sin(s), t) + ag.sin(s) * ag.sin(s), x, other)


METHODS = {  # in-place method on h, and the same out of place
    "add_": (lambda h, t: h.add_(t), lambda h, t: h + t),
    "sub_ with alpha": (lambda h, t: h.sub_(t, alpha=0.5), lambda h, t: h - 0.5 * t),
    "mul_": (lambda h, t: h.mul_(t), lambda h, t: h * t),
    "div_": (lambda h, t: h.div_(t), lambda h, t: h / t),
    "copy_": (lambda h, t: h.copy_(t), lambda h, t: ag.broadcast_to(t, h.shape) * 1),
    "fill_": (lambda h, t: h.fill_(t[0]), lambda h, t: ag.broadcast_to(t[0], h.shape) * 1),
    "zero_": (lambda h, t: h.zero_(), lambda h, t: h * 0),
}


@pytest.mark.parametrize("method", METHODS)
def test_in_place_methods_on_a_tensor_in_a_graph_are_recorded_like_the_operators(method):
    in_place, out_of_place = METHODS[method]
    x, other = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), np.array([1.5, 2.0, 2.5])

    def changing(s, t):
        h = ag.tanh(s)
        saved = h * h
        assert in_place(h, t) is h
        return h + saved

    assert_same_values_and_gradients(
        changing, lambda s, t: out_of_place(ag.tanh(s), t) + ag.tanh(s) * ag.tanh(s), x, other)


def test_an_in_place_method_on_a_constant_with_a_value_that_requires_grad_passes_the_gradient():
    w = Tensor([1.0, 2.0], requires_grad=True)
    total = Tensor(np.zeros(2))
    total.add_(w, alpha=3.0)
    total.sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_in_place_arithmetic_keeps_the_dtype_as_numpy_does():
    h = Tensor(np.ones(3, np.float32), requires_grad=True) * 1
    h += Tensor(np.full(3, 0.5), requires_grad=True)  # float64 added into float32
    assert h.dtype == np.float32


def test_in_place_arithmetic_that_would_change_the_shape_is_an_error_naming_both_shapes():
    h = Tensor([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        h += Tensor([[1.0], [2.0]])


# ---- what stays refused -----------------------------------------------------------------------

def _plus_equals_at_0(w):
    w[0] += 1.0


def _plus_equals_on_a_slice(w):
    w[:1] += 1.0


LEAF_CHANGES = {
    "x[i] = v": lambda w: w.__setitem__(0, 1.0),
    "x[mask] = v": lambda w: w.__setitem__(w > 0, 0.0),
    "x[i] += v": _plus_equals_at_0,
    "x[a:b] += v": _plus_equals_on_a_slice,
    "x *= 2": lambda w: operator.imul(w, 2.0),
    "x -= y": lambda w: operator.isub(w, Tensor([1.0, 1.0])),
    "view[i] = v": lambda w: w[:1].__setitem__(0, 1.0),
}


@pytest.mark.parametrize("change", LEAF_CHANGES)
def test_changing_a_leaf_that_requires_grad_is_refused_with_the_advice(change):
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match=r"(?s)leaf tensor 'w' that requires grad.*no_grad"):
        LEAF_CHANGES[change](w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w.is_leaf


def test_assigning_a_value_that_requires_grad_into_an_integer_tensor_is_a_type_error():
    counts = Tensor(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="int64"):
        counts[0] = Tensor(1.5, requires_grad=True)


def test_a_value_of_the_wrong_shape_is_an_error_naming_the_shapes():
    h = Tensor(np.zeros((2, 3)), requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"SetItem.*\(2,\)"):
        h[0] = Tensor([1.0, 2.0])


# ---- the graph, drawn -------------------------------------------------------------------------

def test_a_drawing_shows_the_assignment_and_the_old_value_it_replaced():
    x = Tensor([1.0, -2.0], requires_grad=True, name="x")
    h = x * 1
    h.name = "h"
    square = h * h
    h[h < 0] = 0.0
    source = ag.draw(square + h).source
    assert "SetItem" in source and source.count("<B>h</B>") == 2  # before and after
