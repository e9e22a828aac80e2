"""The derivative glassgrad takes where an op has a kink, beside PyTorch's (the conventions are
written down in op_catalogue.py, where the fuzzer reads them). Here: std where the variance is 0,
which used to give NaN; and every catalogued kink agrees with PyTorch up to the order it says."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

from helpers import assert_gradients_match, assert_matches_torch
from op_catalogue import BINARY, REDUCTIONS, UNARY


def _torch():
    """PyTorch, the oracle; the tests that need it skip without it."""
    return pytest.importorskip("torch", reason="missing resource: torch (pip install -e '.[oracle]')")

# (shape, axis, ddof): constant input; one value (a 0-d tensor, axis 0 of (1, 3)); a mixture
STD_CASES = [((3,), None, 0), ((2, 3), 1, 0), ((1, 3), 0, 0), ((), None, 0), ((), 0, 0),
             ((2, 3), 0, 1), ((4,), None, 1)]


def _std_inputs(shape):
    x = np.full(shape, 1.5)
    if len(shape) == 2 and shape[0] == 2:
        x[1] = [1.0, 2.0, 4.0]  # one row spread out, one constant
    return x


@pytest.mark.parametrize("shape, axis, ddof", STD_CASES, ids=str)
def test_std_where_the_variance_is_0_has_pytorchs_zero_gradient_to_second_order(shape, axis, ddof):
    torch = _torch()
    x = _std_inputs(shape)
    t, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = ag.std(t, axis=axis, ddof=ddof)
    dims = () if not shape else tuple(range(len(shape))) if axis is None else axis
    yt = (tt.reshape(1) if not shape else tt).std(dim=dims or 0, correction=ddof)
    w = np.cos(np.arange(y.size) + 1.0).reshape(y.shape)
    (g,) = ag.grad((y * w).sum(), t, create_graph=True)
    (gt,) = torch.autograd.grad((yt.reshape(y.shape) * torch.tensor(w)).sum(), tt, create_graph=True)
    u = np.sin(np.arange(x.size) + 0.5).reshape(x.shape)
    (h,) = ag.grad((g * u).sum(), t)
    (ht,) = torch.autograd.grad((gt * torch.tensor(u)).sum(), tt)
    np.testing.assert_allclose(y.data, yt.detach().numpy().reshape(y.shape), atol=1e-15)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), atol=1e-14)
    np.testing.assert_allclose(h.data, ht.numpy(), atol=1e-14)
    assert np.isfinite(g.data).all()


def test_std_of_constant_input_has_a_zero_gradient_and_an_optimizer_step_stays_finite():
    x = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    ag.std(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_np_std_of_a_single_value_has_a_zero_gradient():
    x = Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)
    np.std(x, axis=0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.0]])


def test_std_next_to_zero_variance_still_matches_finite_differences():
    assert_gradients_match(lambda t: ag.std(t, axis=1), np.array([[1.0, 1.0 + 1e-3, 1.0],
                                                                  [0.5, -0.5, 2.0]]))


def _kinked(specs):
    return [s for s in specs if s.kink is not None]


def _on_kink_unary(spec):
    x = np.array([-0.75, 0.0, 0.5, -0.5, 1.0, 0.25])  # every catalogued kink of a unary op
    assert spec.kink.hit(x)
    return [x]


@pytest.mark.parametrize("spec", [s for s in _kinked(UNARY) if s.kink.torch_differs is None],
                         ids=lambda s: s.name)
def test_unary_kinks_take_pytorchs_derivative(spec):
    _torch()
    assert_matches_torch(spec.ours, spec.theirs, *_on_kink_unary(spec), second_order=True)


@pytest.mark.parametrize("spec", [s for s in _kinked(BINARY) if s.kink.torch_differs is None],
                         ids=lambda s: s.name)
def test_binary_ties_take_pytorchs_derivative(spec):
    _torch()
    a, b = spec.kink.at or (np.array([[0.5, -1.0, 2.0]]), np.array([[0.5, 1.0, 2.0],
                                                                     [0.0, -1.0, 3.0]]))
    assert spec.kink.hit(a, b)
    assert_matches_torch(spec.ours, spec.theirs, a, b, second_order=True)


@pytest.mark.parametrize("spec", [s for s in _kinked(REDUCTIONS) if s.kink.torch_differs is None],
                         ids=lambda s: s.name)
@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_reduction_kinks_take_pytorchs_derivative(spec, axis):
    _torch()
    x = np.array([[2.0, 2.0, -1.0, -1.0], [2.0, 2.0, 2.0, 2.0]])  # ties; constant rows, columns
    assert spec.kink.hit(x, axis=axis) or axis is None and spec.name.startswith("std")
    assert_matches_torch(lambda t: spec.ours(t, axis=axis), lambda t: spec.theirs(t, axis, False),
                         x, second_order=True)


def test_a_single_maximum_is_not_a_tie():
    (spec,) = [s for s in REDUCTIONS if s.name == "max"]
    assert not spec.kink.hit(np.array([[0.5, 1.0], [2.0, -1.0]]), axis=1)
    assert spec.kink.hit(np.array([[1.0, 1.0], [2.0, -1.0]]), axis=1)


def test_power_at_exponent_0_differs_from_pytorch_only_in_the_mixed_second_derivative():
    (spec,) = [s for s in BINARY if s.name == "power"]
    assert spec.kink.torch_differs == 2
    a, b = Tensor([1.5, 2.0], requires_grad=True), Tensor([0.0, 1.0], requires_grad=True)
    (ga,) = ag.grad((a ** b).sum(), a, create_graph=True)
    (gab,) = ag.grad(ga.sum(), b)
    np.testing.assert_allclose(gab.data, [1 / 1.5, 1 + np.log(2.0)])  # d/db (b a^(b-1))
