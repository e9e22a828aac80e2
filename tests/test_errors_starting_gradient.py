"""The gradient a backward pass starts from is checked in one place, whichever way it comes in:
backward(grad=), grad(grad_outputs=) with and without create_graph, draw_backward(grad=),
backward_frames(grad=), jacobian. A complex gradient is refused (its imaginary part would be
dropped), and so is one of the wrong shape; each error names the call, the argument, and both
shapes or the dtype."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def _output():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    return x, x * 2


def _backward(y, g):
    y.backward(g)


def _grad(y, g):
    ag.grad(y, y.grad_fn.inputs[0], grad_outputs=g)


def _grad_create_graph(y, g):
    ag.grad(y, y.grad_fn.inputs[0], grad_outputs=g, create_graph=True)


def _grad_as_list(y, g):
    ag.grad([y], [y.grad_fn.inputs[0]], grad_outputs=[g])


def _draw_backward(y, g):
    ag.draw_backward(y, grad=g)


def _backward_frames(y, g):
    ag.backward_frames(y, grad=g)


PATHS = {  # the call, and how its errors name it
    "backward": (_backward, r"backward\(grad=\.\.\.\): grad"),
    "grad": (_grad, r"grad\(grad_outputs\[0\]=\.\.\.\): grad_outputs\[0\]"),
    "grad create_graph": (_grad_create_graph, r"grad\(grad_outputs\[0\]=\.\.\.\): grad_outputs\[0\]"),
    "grad of lists": (_grad_as_list, r"grad\(grad_outputs\[0\]=\.\.\.\): grad_outputs\[0\]"),
    "draw_backward": (_draw_backward, r"draw_backward\(grad=\.\.\.\): grad"),
    "backward_frames": (_backward_frames, r"backward_frames\(grad=\.\.\.\): grad"),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("make", [lambda: np.array([1, 1j, 2]), lambda: Tensor([1.0, 1.0, 2.0]).data + 0j],
                         ids=["complex", "complex from a real array"])
def test_a_complex_starting_gradient_is_refused_naming_the_call_and_the_dtype(path, make):
    call, name = PATHS[path]
    x, y = _output()
    with pytest.raises(TypeError, match=name + r" has dtype complex128, but the gradient of .*"
                                       r"must be real numbers \(pass its \.real"):
        call(y, make())
    assert x.grad is None


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("shape", [(2,), (3, 1), (1, 3), ()], ids=str)
def test_a_starting_gradient_of_the_wrong_shape_is_refused_naming_both_shapes(path, shape):
    call, name = PATHS[path]
    x, y = _output()
    with pytest.raises(ValueError, match=name + rf" has shape {shape!r}".replace("(", r"\(")
                       .replace(")", r"\)") + r" but (the tensor|output 0) has shape \(3,\)"):
        call(y, np.ones(shape))
    assert x.grad is None


@pytest.mark.parametrize("path", PATHS)
def test_a_starting_gradient_of_another_real_dtype_is_cast_to_the_outputs(path):
    call, _ = PATHS[path]
    x, y = _output()
    call(y, np.array([1, 2, 3], dtype=np.int32))  # raises nothing
    if path == "backward":
        np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_jacobian_at_a_complex_point_is_refused():
    with pytest.raises(TypeError, match="complex128"):
        ag.jacobian(lambda t: t * 2, np.array([1.0 + 1j]))


def test_a_tensor_starting_gradient_keeps_its_own_graph_with_create_graph():
    x, y = _output()
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = ag.grad(y, x, grad_outputs=v, create_graph=True)
    g.sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 2.0, 2.0])
