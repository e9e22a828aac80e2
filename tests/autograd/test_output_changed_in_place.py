"""An op's output changed in place after the forward pass never gives a silently wrong gradient.

Whether an op's backward reads its output `y` is read off its code when the class is defined
(`Op.uses_output`), so no op can forget to declare it. Checked here over the whole op catalogue:
every intermediate result of every entry's graph is changed in place under no_grad(), and
backward must then either raise the in-place error or give exactly the gradients it gives
without the change. Every op class of autograd and nn is reached by some catalogue entry
(test_op_catalogue.py), so an op added later is covered here as soon as it is catalogued.
"""
import ast
import importlib
import inspect
import textwrap

import numpy as np
import pytest

import autograd as ag
from autograd import Op, Tensor, no_grad
from autograd.graph import _reads_argument

from op_catalogue import entries, example, op_classes


def _computed(y):
    """The tensors of y's graph that an op computed, in the order they were computed."""
    seen, out, stack = set(), [], [y]
    while stack:
        t = stack.pop()
        if id(t) in seen or not isinstance(t, Tensor) or t.grad_fn is None:
            continue
        seen.add(id(t))
        out.append(t)
        stack.extend(t.grad_fn.inputs)
    return sorted(out, key=lambda t: t.grad_fn._clock)


def _gradients(spec, changed=None, create_graph=False):
    """The gradients of sum(y * w) with respect to the entry's inputs, after changing the
    intermediate result number `changed` (None: nothing) in place."""
    f, xs = example(spec)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    y = f(*leaves)
    w = np.cos(np.arange(y.size) + 0.5).reshape(y.shape).astype(y.dtype)
    if changed is not None:
        t = _computed(y)[changed]
        with no_grad():
            t.mul_(1.5)
            t.add_(0.25)
    grads = ag.grad(y, leaves, grad_outputs=w, create_graph=create_graph, allow_unused=True)
    return [None if g is None else g.data for g in grads]


def _changeable(spec):
    """The numbers of the intermediate results that can be changed in place (a broadcast view
    is read-only)."""
    f, xs = example(spec)
    ts = _computed(f(*[Tensor(x, requires_grad=True) for x in xs]))
    return [k for k, t in enumerate(ts) if t.data.flags.writeable]


CASES = [(spec, k) for spec in entries() for k in _changeable(spec)]


@pytest.mark.parametrize("create_graph", [False, True], ids=["backward", "create_graph"])
@pytest.mark.parametrize("spec, k", CASES, ids=[f"{s.name}-{k}" for s, k in CASES])
def test_output_changed_in_place_raises_or_leaves_the_gradients_unchanged(spec, k, create_graph):
    want = _gradients(spec, create_graph=create_graph)
    try:
        got = _gradients(spec, changed=k, create_graph=create_graph)
    except RuntimeError as e:
        assert "in place" in str(e), e
        return
    for g, h in zip(got, want):
        np.testing.assert_array_equal(g, h, err_msg=f"{spec.name}: a gradient changed silently")


# ----------------------------------------------------------------------------------------------
# The bug that started it, and the mechanism

def test_power_exponent_gradient_is_right_after_its_output_is_scaled_in_place():
    a = Tensor([0.5, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.5, -2.0, 0.5], requires_grad=True)
    y = a ** b
    with no_grad():
        y *= 10
    y.sum().backward()
    np.testing.assert_allclose(b.grad, a.data ** b.data * np.log(a.data))
    np.testing.assert_allclose(a.grad, b.data * a.data ** (b.data - 1))


def _op(backward):
    return type("Custom", (Op,), {"__slots__": (), "forward": lambda self, x: x * 2,
                                  "backward": backward})


def test_an_op_whose_backward_reads_y_uses_its_output():
    assert _op(lambda self, gy, y, x: gy * y).uses_output


def test_an_op_whose_backward_ignores_y_does_not_use_its_output():
    assert not _op(lambda self, gy, y, x: gy * x).uses_output


def test_the_output_argument_is_found_by_position_whatever_its_name():
    assert _op(lambda self, g, out, x: g * out).uses_output
    assert not _op(lambda self, g, out, x: g * x).uses_output


def test_reading_y_inside_an_inner_function_counts():
    def backward(self, gy, y, x):
        scale = lambda: y * 2  # noqa: E731
        return gy * scale()
    assert _op(backward).uses_output


def test_reading_y_through_star_args_counts():
    assert _op(lambda self, gy, *rest: gy * rest[0]).uses_output
    assert not _op(lambda self, gy, y=None, *xs: gy).uses_output


def test_a_subclass_with_its_own_backward_is_judged_again():
    reads = _op(lambda self, gy, y, x: gy * y)
    ignores = type("Ignores", (reads,), {"__slots__": (), "backward": lambda self, gy, y, x: gy})
    inherits = type("Inherits", (reads,), {"__slots__": ()})
    assert not ignores.uses_output and inherits.uses_output


def test_a_class_may_override_what_its_code_says():
    shape_only = type("ShapeOnly", (Op,), {"__slots__": (), "uses_output": False,
                                           "backward": lambda self, gy, y, x: gy.reshape(y.shape)})
    assert not shape_only.uses_output


def test_code_that_cannot_be_read_counts_as_reading_y():
    assert _reads_argument(np.add, 2)


def test_every_op_of_the_engine_declares_what_its_backward_reads():
    for cls in op_classes():
        if "uses_output" not in vars(cls) or "backward" not in vars(cls):
            continue
        if _reads_argument(cls.backward, 2):
            assert cls.uses_output, f"{cls.__name__}.backward reads y but uses_output is False"


def _declared_uses_output(cls):
    """The value a class sets `uses_output` to in its own body (None where it sets none)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):  # defined where no source is (a test's own classes)
        return None
    for node in tree.body[0].body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "uses_output"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    return None


# The ops whose backward reads y: each once said `uses_output = True` in its body; now the
# engine reads it off their code.
READ_THEIR_OUTPUT = [
    "reduce.Max", "activation.Sigmoid", "activation.Softmax",
    "activation.LogSoftmax", "activation.LogSumExp", "elementwise.Exp", "elementwise.Sqrt",
    "elementwise.Tanh", "trig.Tan", "trig.Hypot", "trig.Sinc", "logexp.Expm1", "logexp.LogAddExp",
    "logexp.Cbrt", "scan.Cumprod", "scan.Prod", "solve.Inv", "solve.Det", "solve.Solve",
    "solve.Pinv", "decompositions.Cholesky", "decompositions.Eigh", "decompositions.Svd"]


@pytest.mark.parametrize("name", READ_THEIR_OUTPUT)
def test_an_op_that_reads_its_output_is_found_to_use_it(name):
    module, cls = name.split(".")
    op = getattr(importlib.import_module(f"autograd.ops.{module}"), cls)
    assert op.uses_output and _reads_argument(op.backward, 2)


def test_an_op_declares_uses_output_only_to_override_what_its_code_says():
    redundant = [cls.__name__ for cls in op_classes() if "backward" in vars(cls)
                 and _declared_uses_output(cls) == _reads_argument(cls.backward, 2)]
    assert not redundant, (f"{', '.join(redundant)} set uses_output to what the engine reads off "
                           f"their backward anyway: delete the line")
