"""Error catalogue, values and graph use: wrong dtypes, backward twice, a non-scalar output without a
gradient, grad of a tensor outside the graph, an unsupported NumPy function, NaN/inf under
detect_anomaly.

Each message must say what was expected, what came, and where.

Already covered elsewhere: ints/bools refused with "floating-point" (tests/autograd/test_tensor.py),
strings and object arrays refused (same file, type only), a second backward mentions retain_graph
and a non-scalar backward names the shape (test_backward.py), five unsupported NumPy functions
named (test_numpy_api.py), detect_anomaly's NaN in forward (Log) and in backward (Sqrt) with the
line, and inf in forward (test_backward.py).
"""
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor, detect_anomaly, no_grad


def _line_of(marker):
    """The line number in this file of the (unique) source line ending with `marker`."""
    lines = Path(__file__).read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(marker))


def _here(marker):
    return f"test_errors_values.py:{_line_of(marker)}"


# ---- wrong dtypes ------------------------------------------------------------------------------

NOT_FLOAT = {"int": [1, 2], "bool": [True, False], "uint8": np.array([1, 2], np.uint8)}


@pytest.mark.parametrize("name", NOT_FLOAT)
def test_requiring_grad_on_non_float_data_says_float_was_expected_names_the_dtype_and_how_to_fix(name):
    dtype = np.asarray(NOT_FLOAT[name]).dtype
    with pytest.raises(TypeError, match=rf"only floating-point tensors can require grad; this one "
                                        rf"has dtype {dtype}\. Convert first, e\.g\. .*dtype=np\.float64"):
        Tensor(NOT_FLOAT[name], requires_grad=True)


def test_an_int_parameter_is_refused_like_an_int_tensor():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        nn.Parameter(np.array([1, 2]))


def test_requires_grad_underscore_on_an_int_tensor_is_refused_naming_the_dtype():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        Tensor([1, 2]).requires_grad_()


NOT_NUMBERS = {
    "object array": (np.array([1.0, None], dtype=object), "object", "ndarray"),
    "None": (None, "object", "NoneType"),
    "dict": ({"a": 1}, "object", "dict"),
    "list of strings": (["a", "b"], "<U1", "list"),
    "string": ("1.5", "<U3", "str"),
    "complex": ([1 + 2j], "complex128", "list"),
    "datetime": (np.array(["2020-01-01"], dtype="datetime64[D]"), r"datetime64\[D\]", "ndarray"),
}


@pytest.mark.parametrize("name", NOT_NUMBERS)
def test_data_that_is_not_numbers_is_refused_naming_what_was_expected_and_what_came(name):
    data, dtype, kind = NOT_NUMBERS[name]
    with pytest.raises(TypeError, match=rf"Tensor data must be numbers \(bool, int or float\); "
                                        rf"got dtype {dtype} from {kind}"):
        Tensor(data)


def test_ragged_nested_lists_are_refused_with_a_tensor_message():
    with pytest.raises((TypeError, ValueError),
                       match=r"(?s)Tensor data.*(ragged|different lengths|inhomogeneous)"):
        Tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("other, dtype", [("x", "<U1"), (np.array([1, None], dtype=object), "object")],
                         ids=["string", "object array"])
def test_a_non_numeric_operand_in_an_op_is_refused_naming_its_dtype(other, dtype):
    with pytest.raises(TypeError, match=rf"cannot use a value of dtype {dtype} .*expected numbers"):
        Tensor([1.0, 2.0], requires_grad=True) + other


# ---- backward twice, non-scalar outputs ---------------------------------------------------------

def test_a_second_backward_names_the_freed_op_and_says_to_retain_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through Sum a second time: its saved values "
                                           r"were freed.*retain_graph=True to the first backward"):
        y.backward()


def test_backward_after_grad_through_the_same_graph_is_the_same_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ag.exp(x).sum()
    ag.grad(y, x)  # frees the graph too (retain_graph defaults to create_graph, i.e. False)
    with pytest.raises(RuntimeError, match=r"backward through Sum a second time.*retain_graph=True"):
        y.backward()


def test_backward_on_a_non_scalar_says_a_scalar_was_expected_the_shape_and_both_remedies():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"backward\(\) without a gradient needs a scalar output, "
                                           r"but this tensor has shape \(2, 3\); reduce it first "
                                           r"\(e\.g\. loss\.sum\(\) or loss\.mean\(\)\) or pass grad= "
                                           r"an array of shape \(2, 3\)"):
        y.backward()


def test_grad_of_a_non_scalar_output_says_which_output_its_shape_and_what_to_pass():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad\(\) without a gradient needs a scalar output, but "
                                           r"this tensor has shape \(2,\).* or pass grad_outputs\[0\]= "
                                           r"an array of shape \(2,\)"):
        ag.grad(x * x, x)


def test_grad_outputs_of_the_wrong_shape_names_both_shapes():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad\(grad_outputs\[0\]=\.\.\.\): grad_outputs\[0\] has "
                                         r"shape \(3,\) but output 0 has shape \(2,\)"):
        ag.grad(x * x, x, grad_outputs=np.ones(3))


# ---- grad of a tensor that is not in the graph ----------------------------------------------

def test_grad_of_a_tensor_not_in_the_graph_names_it_and_says_how_to_allow_it():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    z = Tensor([1.0, 2.0], requires_grad=True, name="z")
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(z\) is not part of the graph of the "
                                           r"outputs .*allow_unused=True"):
        ag.grad((x * x).sum(), [x, z])


def test_grad_of_an_unnamed_tensor_not_in_the_graph_gives_its_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 0 \(shape \(3,\)\) is not part of the graph"):
        ag.grad((x * x).sum(), Tensor(np.ones(3), requires_grad=True))


def test_grad_of_a_tensor_used_only_under_no_grad_is_not_in_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = Tensor([3.0, 4.0], requires_grad=True, name="w")
    with no_grad():
        scale = (w * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 0 \(w\) is not part of the graph"):
        ag.grad((x * scale).sum(), w)


def test_grad_with_respect_to_something_that_does_not_require_grad_says_what_it_got():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 0 .*ndarray"):
        ag.grad((x * x).sum(), np.ones(2))
    with pytest.raises(RuntimeError, match=r"grad: input 0 .*'?c'?.*requires"):
        ag.grad((x * x).sum(), Tensor([1.0, 2.0], name="c"))


# ---- unsupported NumPy functions ---------------------------------------------------------------

UNSUPPORTED = {
    "np.conjugate": lambda t: np.conjugate(t),
    "np.angle": lambda t: np.angle(t),
    "np.convolve": lambda t: np.convolve(t, t),
    "np.interp": lambda t: np.interp(t, [0.0, 5.0], [1.0, 2.0]),
    "np.median": lambda t: np.median(t),
    "np.percentile": lambda t: np.percentile(t, 50),
    "np.polyval": lambda t: np.polyval(t, 2.0),
    "np.fft.rfft": lambda t: np.fft.rfft(t),
    "np.linalg.qr": lambda t: np.linalg.qr(ag.reshape(t, (2, 2))),
    "np.linalg.eig": lambda t: np.linalg.eig(ag.reshape(t, (2, 2))),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_numpy_function_is_named_with_why_and_the_two_ways_out(name):
    t = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"^{name.replace('.', '[.]')} is not supported on Tensors "
                                        r"\(it would drop the gradient\); use a supported function, "
                                        r"or np\.asarray\(t\) to leave the graph on purpose"):
        UNSUPPORTED[name](t)


def test_np_sort_of_a_tensor_that_requires_grad_keeps_the_gradient_or_names_itself():
    x = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    try:
        top = np.sort(x)[-1]
    except TypeError as error:
        assert "np.sort" in str(error)
        return
    loss = (x * x).sum() + top
    loss.backward()
    np.testing.assert_allclose(x.grad, [7.0, 2.0, 4.0])  # 2x, plus 1 at the largest


# ---- detect_anomaly: the op and the line that created it ---------------------------------------

def test_detect_anomaly_names_inf_in_a_gradient_the_op_and_its_line():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = ag.sqrt(x)  # sqrt-at-zero
        loss = y.sum()
        with pytest.raises(FloatingPointError) as info, np.errstate(divide="ignore"):
            loss.backward()
    message = str(info.value)
    assert message.startswith("detect_anomaly: inf in the gradient of Sqrt, created at ")
    assert _here("# sqrt-at-zero") in message


def test_detect_anomaly_names_a_division_by_zero_and_its_line():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError) as info:
            x / np.array([1.0, 0.0])  # divide-by-zero
    message = str(info.value)
    assert "inf in the forward output of Divide" in message and _here("# divide-by-zero") in message


def test_detect_anomaly_in_an_nn_model_names_the_line_of_the_users_code_not_the_library():
    model = nn.Linear(2, 2)
    with no_grad():
        model.weight.fill_(np.inf)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError) as info:
            model(Tensor(np.zeros((1, 2), np.float32)))  # model-call
    message = str(info.value)
    assert "NaN in the forward output of Linear" in message and _here("# model-call") in message


def test_detect_anomaly_in_a_loss_names_the_loss_op_and_the_users_line():
    logits = Tensor([[np.nan, 0.0], [1.0, 2.0]], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError) as info:
            F.cross_entropy(logits, np.array([0, 1]))  # loss-call
    message = str(info.value)
    assert "NaN in the forward output of CrossEntropy" in message and _here("# loss-call") in message


def test_detect_anomaly_names_the_first_bad_op_not_the_loss_computed_from_it():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError) as info:
            h = ag.log(x)  # first-nan
            (h * 2).sum()
    message = str(info.value)
    assert "NaN in the forward output of Log" in message and _here("# first-nan") in message
