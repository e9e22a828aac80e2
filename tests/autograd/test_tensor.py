"""Tensor: construction, dtypes, 0-d tensors as scalars, repr, detach, in-place updates."""
import operator

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad, tensor


# ----------------------------------------------------------------------------------------------
# Construction and attributes

def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 99.0
    assert t.data[0] == 1.0


def test_tensor_data_is_an_ndarray_even_from_a_list():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert type(t.data) is np.ndarray
    assert t.shape == (2, 2)


def test_tensor_function_is_the_same_as_the_class():
    t = tensor([1.0, 2.0], requires_grad=True, name="w", dtype=np.float32)
    assert isinstance(t, Tensor)
    assert t.requires_grad and t.name == "w" and t.dtype == np.float32


def test_shape_ndim_size_dtype_mirror_the_data():
    t = Tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3, 4), 3, 24, np.float32)


def test_python_floats_give_float64_and_ints_int64():
    assert Tensor([1.5, 2.0]).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_


def test_dtype_argument_converts_the_data():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_new_tensor_is_a_leaf_without_grad():
    t = Tensor([1.0])
    assert t.is_leaf and t.grad_fn is None and t.grad is None and not t.requires_grad


def test_result_of_an_op_on_a_tensor_that_requires_grad_has_a_grad_fn():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name == "Multiply"


def test_result_of_an_op_on_constants_does_not_require_grad():
    y = Tensor([1.0]) * 2
    assert not y.requires_grad and y.grad_fn is None


def test_T_transposes_a_matrix():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(t.T.data, np.arange(6.0).reshape(2, 3).T)


def test_string_data_is_refused():
    with pytest.raises(TypeError, match="dtype"):
        Tensor(["a", "b"])


def test_object_arrays_are_refused():
    with pytest.raises(TypeError):
        Tensor(np.array([1.0, None], dtype=object))


def test_numpy_returns_the_data():
    t = Tensor([1.0, 2.0])
    assert t.numpy() is t.data


def test_argmax_gives_an_ndarray_index():
    assert Tensor([1.0, 5.0, 2.0]).argmax() == 1
    np.testing.assert_array_equal(Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(axis=1), [1, 0])


def test_len_and_iteration_go_over_the_first_axis():
    t = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = list(t)
    assert len(t) == 3 and len(rows) == 3
    np.testing.assert_array_equal(rows[2].data, [5.0, 6.0])


def test_tensors_hash_by_identity_so_they_can_be_dict_keys():
    a, b = Tensor([1.0]), Tensor([1.0])
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"


# ----------------------------------------------------------------------------------------------
# requires_grad and dtypes

@pytest.mark.parametrize("data", [[1, 2], [True, False]], ids=["int", "bool"])
def test_integer_and_boolean_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data, requires_grad=True)


def test_switching_requires_grad_on_for_an_int_tensor_is_refused():
    t = Tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad = True


def test_requires_grad_can_be_switched_on_for_a_float_leaf():
    t = Tensor([1.0])
    t.requires_grad = True
    (t * 3).sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0])


def test_float32_tensor_requires_grad_and_keeps_its_dtype():
    t = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert t.dtype == np.float32


SCALAR_OPERATIONS = {
    "add": lambda t: t + 2.5,
    "radd": lambda t: 2.5 + t,
    "sub": lambda t: t - 2.5,
    "rsub": lambda t: 2.5 - t,
    "mul": lambda t: t * 2.5,
    "rmul": lambda t: 2.5 * t,
    "div": lambda t: t / 2.5,
    "rdiv": lambda t: 2.5 / t,
    "pow": lambda t: t ** 2.5,
    "rpow": lambda t: 2.5 ** t,
    "int_pow": lambda t: t ** 2,
    "int_mul": lambda t: 3 * t,
    "maximum": lambda t: autograd.maximum(t, 0.7),
    "where": lambda t: autograd.where(t.data > 1, t, 0.5),
    "clip": lambda t: autograd.clip(t, 0.1, 1.5),
}


@pytest.mark.parametrize("op", SCALAR_OPERATIONS.values(), ids=SCALAR_OPERATIONS.keys())
def test_python_scalar_keeps_float32_in_forward(op):
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    assert op(x).dtype == np.float32


@pytest.mark.parametrize("op", SCALAR_OPERATIONS.values(), ids=SCALAR_OPERATIONS.keys())
def test_python_scalar_keeps_float32_in_gradients(op):
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y = op(x)
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_chain_of_unary_functions_stays_float32():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y = autograd.log_softmax(autograd.tanh(x.exp() * 0.5 + 1.0) ** 2, axis=0).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_float32_times_float64_array_gives_float64_as_numpy_does():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = x * np.ones(2, dtype=np.float64)
    assert y.dtype == np.float64


def test_gradient_has_the_dtype_of_its_input_even_after_upcasting():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    w = Tensor(np.full(2, 3.0), requires_grad=True)  # float64
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_gradient_has_the_shape_and_dtype_of_the_data():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (x.sum(axis=0) * 2).sum().backward()
    assert x.grad.shape == (2, 3) and x.grad.dtype == np.float32


def test_astype_changes_dtype_and_casts_the_gradient_back():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


# ----------------------------------------------------------------------------------------------
# 0-d tensors behave as scalars

def test_float_of_a_0d_tensor():
    assert float(Tensor(2.5)) == 2.5


def test_item_of_a_0d_tensor_is_a_python_number():
    v = Tensor(2.5).item()
    assert type(v) is float and v == 2.5


def test_int_and_bool_of_a_0d_tensor():
    assert int(Tensor(3.0)) == 3
    assert bool(Tensor(1.0)) is True and bool(Tensor(0.0)) is False


def test_a_0d_int_tensor_can_index_a_list():
    assert ["a", "b", "c"][Tensor(2)] == "c"


BINARY_OPERATORS = {
    "+": (operator.add, lambda a, b: (1.0, 1.0)),
    "-": (operator.sub, lambda a, b: (1.0, -1.0)),
    "*": (operator.mul, lambda a, b: (b, a)),
    "/": (operator.truediv, lambda a, b: (1 / b, -a / b ** 2)),
    "**": (operator.pow, lambda a, b: (b * a ** (b - 1), a ** b * np.log(a))),
}


@pytest.mark.parametrize("symbol", BINARY_OPERATORS)
def test_python_number_on_the_right_of_an_operator(symbol):
    op, derivative = BINARY_OPERATORS[symbol]
    a = Tensor(1.5, requires_grad=True)
    y = op(a, 2.0)
    assert isinstance(y, Tensor) and y.shape == ()
    assert y.item() == pytest.approx(op(1.5, 2.0))
    y.backward()
    assert a.grad == pytest.approx(derivative(1.5, 2.0)[0])


@pytest.mark.parametrize("symbol", BINARY_OPERATORS)
def test_python_number_on_the_left_of_an_operator(symbol):
    op, derivative = BINARY_OPERATORS[symbol]
    b = Tensor(2.0, requires_grad=True)
    y = op(1.5, b)
    assert isinstance(y, Tensor) and y.shape == ()
    assert y.item() == pytest.approx(op(1.5, 2.0))
    y.backward()
    assert b.grad == pytest.approx(derivative(1.5, 2.0)[1])


@pytest.mark.parametrize("symbol", BINARY_OPERATORS)
def test_two_0d_tensors_on_both_sides_of_an_operator(symbol):
    op, derivative = BINARY_OPERATORS[symbol]
    a, b = Tensor(1.5, requires_grad=True), Tensor(2.0, requires_grad=True)
    op(a, b).backward()
    assert (a.grad, b.grad) == pytest.approx(derivative(1.5, 2.0))


def test_unary_minus_of_a_0d_tensor():
    a = Tensor(1.5, requires_grad=True)
    y = -a
    y.backward()
    assert y.item() == -1.5 and a.grad == -1.0


def test_python_abs_of_a_0d_tensor():
    a = Tensor(-1.5, requires_grad=True)
    y = abs(a)
    y.backward()
    assert y.item() == 1.5 and a.grad == -1.0


def test_0d_gradient_is_a_0d_array():
    a = Tensor(1.5, requires_grad=True)
    (a * a).backward()
    assert isinstance(a.grad, np.ndarray) and a.grad.shape == ()


def test_0d_gradients_are_0d_arrays_of_their_own_wherever_they_are_kept():
    # inside backward, 0-d gradients travel as NumPy scalars; what users get is always arrays
    a, b = Tensor(1.5, requires_grad=True), Tensor(2.0, requires_grad=True)
    h = (a * 3.0).retain_grad()
    y = (h + b).tanh()
    y.backward()
    ga, gb = autograd.grad((a * 3.0 + b).tanh(), [a, b])
    for g in (a.grad, b.grad, h.grad, ga.data, gb.data):
        assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float64
    assert len({id(g) for g in (a.grad, b.grad, h.grad)}) == 3
    b.grad += 1  # each is an array of its own
    assert h.grad != b.grad


def test_0d_tensor_times_a_vector_broadcasts():
    a = Tensor(2.0, requires_grad=True)
    (a * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert a.grad.shape == () and a.grad == 6.0


COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda o: o.__name__)
def test_comparison_gives_a_bool_tensor_without_grad(op):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    r = op(x, 2.0)
    assert isinstance(r, Tensor) and r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal(r.data, op(np.array([1.0, 2.0, 3.0]), 2.0))


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda o: o.__name__)
def test_comparison_with_a_python_number_on_the_left(op):
    x = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(op(2.0, x).data, op(2.0, np.array([1.0, 2.0, 3.0])))


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda o: o.__name__)
def test_comparison_of_a_0d_tensor_can_be_turned_into_an_array(op):
    r = op(Tensor(1.0), 0.0)
    assert np.asarray(r).shape == () and np.asarray(r) == op(1.0, 0.0)


def test_comparing_0d_tensors_can_drive_an_if():
    a, b = Tensor(1.0), Tensor(2.0)
    assert (a < b) and not (a > b)


# ----------------------------------------------------------------------------------------------
# repr

def test_repr_of_a_plain_tensor_looks_like_pytorch():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_repr_shows_requires_grad_on_a_leaf():
    assert repr(Tensor(2.0, requires_grad=True)) == "tensor(2., requires_grad=True)"


def test_repr_shows_the_op_that_made_the_tensor():
    y = Tensor(2.0, requires_grad=True) * 3
    assert repr(y) == "tensor(6., grad_fn=Multiply)"


def test_repr_shows_a_dtype_other_than_the_defaults():
    assert "dtype=float32" in repr(Tensor([1.0], dtype=np.float32))


def test_repr_shows_the_name():
    assert "name='w'" in repr(Tensor([1.0], name="w"))


# ----------------------------------------------------------------------------------------------
# detach

def test_detach_shares_the_values():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert np.shares_memory(d.data, x.data)


def test_detached_tensor_is_a_leaf_that_does_not_require_grad():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None


def test_no_gradient_flows_through_a_detached_tensor():
    x = Tensor(3.0, requires_grad=True)
    y = x * x.detach()  # d/dx of x * c with c = 3 is 3, not 2x = 6
    y.backward()
    assert x.grad == 3.0


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf():
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


# ----------------------------------------------------------------------------------------------
# In-place updates and the version counter

INPLACE = {
    "add_": (lambda t: t.add_(np.array([1.0, 2.0])), [2.0, 4.0]),
    "add_alpha": (lambda t: t.add_(np.array([1.0, 2.0]), alpha=0.5), [1.5, 3.0]),
    "sub_": (lambda t: t.sub_(1.0), [0.0, 1.0]),
    "sub_alpha": (lambda t: t.sub_(Tensor([1.0, 1.0]), alpha=2), [-1.0, 0.0]),
    "mul_": (lambda t: t.mul_(3.0), [3.0, 6.0]),
    "div_": (lambda t: t.div_(Tensor([2.0, 4.0])), [0.5, 0.5]),
    "copy_": (lambda t: t.copy_(np.array([7.0, 8.0])), [7.0, 8.0]),
    "zero_": (lambda t: t.zero_(), [0.0, 0.0]),
    "fill_": (lambda t: t.fill_(5.0), [5.0, 5.0]),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_computes_the_new_values(name):
    update, expected = INPLACE[name]
    t = Tensor([1.0, 2.0])
    update(t)
    np.testing.assert_array_equal(t.data, expected)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_writes_into_the_same_array(name):
    update, _ = INPLACE[name]
    t = Tensor([1.0, 2.0])
    before = t.data
    update(t)
    assert t.data is before


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_returns_the_tensor_itself(name):
    update, _ = INPLACE[name]
    t = Tensor([1.0, 2.0])
    assert update(t) is t


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_bumps_the_version(name):
    update, _ = INPLACE[name]
    t = Tensor([1.0, 2.0])
    assert t.version == 0
    update(t)
    assert t.version == 1


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_keeps_float32(name):
    update, _ = INPLACE[name]
    t = Tensor([1.0, 2.0], dtype=np.float32)
    update(t)
    assert t.dtype == np.float32


def test_versions_count_every_inplace_change():
    t = Tensor([1.0])
    t.add_(1.0).mul_(2.0).zero_()
    assert t.version == 3


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_on_a_leaf_that_requires_grad_is_refused_while_grad_mode_is_on(name):
    update, _ = INPLACE[name]
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        update(t)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_method_on_a_leaf_that_requires_grad_works_under_no_grad(name):
    update, expected = INPLACE[name]
    t = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        update(t)
    np.testing.assert_array_equal(t.data, expected)
    assert t.requires_grad and t.is_leaf


AUGMENTED = {
    "+=": (operator.iadd, [3.0, 4.0]),
    "-=": (operator.isub, [-1.0, 0.0]),
    "*=": (operator.imul, [2.0, 4.0]),
    "/=": (operator.itruediv, [0.5, 1.0]),
}


@pytest.mark.parametrize("symbol", AUGMENTED)
def test_augmented_assignment_under_no_grad_updates_in_place(symbol):
    op, expected = AUGMENTED[symbol]
    t = Tensor([1.0, 2.0], requires_grad=True)
    before = t.data
    with no_grad():
        result = op(t, 2.0)
    assert result is t and t.data is before and t.version == 1
    np.testing.assert_array_equal(t.data, expected)


@pytest.mark.parametrize("symbol", AUGMENTED)
def test_augmented_assignment_on_a_leaf_that_requires_grad_is_refused_in_grad_mode(symbol):
    op, _ = AUGMENTED[symbol]
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        op(t, 2.0)


def test_augmented_assignment_inside_a_graph_is_recorded_like_an_ordinary_op():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y *= x  # y = x * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_item_assignment_under_no_grad_writes_and_bumps_the_version():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with no_grad():
        t[1] = 9.0
    np.testing.assert_array_equal(t.data, [1.0, 9.0, 3.0])
    assert t.version == 1


def test_item_assignment_into_a_tensor_that_requires_grad_is_refused():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="item assignment"):
        t[1] = 9.0


def test_item_assignment_into_a_constant_tensor_is_allowed():
    t = Tensor([1.0, 2.0, 3.0])
    t[Tensor([True, False, True])] = 0.0
    np.testing.assert_array_equal(t.data, [0.0, 2.0, 0.0])


def test_changing_a_saved_input_in_place_makes_backward_raise_naming_tensor_and_op():
    w = Tensor([1.0, 2.0], requires_grad=True, name="W2")
    x = Tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    with no_grad():
        w.sub_(0.1)  # "W2 updated before W1's gradient"
    with pytest.raises(RuntimeError, match=r"(?s)'W2'.*Multiply"):
        y.backward()


def test_changing_a_tensor_after_its_backward_is_done_is_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w.sub_(0.1 * w.grad)
    np.testing.assert_allclose(w.data, [0.8, 1.6])


def test_changing_an_output_that_backward_needs_makes_backward_raise():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # exp's backward reuses its output
    with no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"(?s)Exp.*in place"):
        y.sum().backward()


def test_a_misspelt_attribute_is_an_error_not_silently_stored():
    t = Tensor([1.0])
    with pytest.raises(AttributeError):
        t.requires_gard = True
