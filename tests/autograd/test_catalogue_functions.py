"""The catalogue's `Function` entries (products, linear algebra, grids, shapes, indexing, casts,
nn's losses) on their example inputs: forward equals the NumPy reference, the gradient equals
central finite differences and the second derivative finite differences of the first (float64),
and values, gradients and second derivatives equal PyTorch's."""
import numpy as np
import pytest

import autograd as ag

from helpers import assert_gradients_match, assert_matches_torch, assert_second_derivatives_match
from op_catalogue import Function, entries

FUNCTIONS = [e for e in entries() if isinstance(e, Function)]


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_forward_equals_its_numpy_reference(spec):
    xs = spec.inputs()
    got, want = spec.ours(*[ag.Tensor(x) for x in xs]), spec.reference(*xs)
    assert isinstance(got, ag.Tensor) and got.shape == np.shape(want)
    np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.finite_differences],
                         ids=lambda s: s.name)
def test_function_gradient_equals_finite_differences(spec):
    assert_gradients_match(spec.ours, *spec.inputs())


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.second_order], ids=lambda s: s.name)
def test_function_second_derivative_equals_finite_differences(spec):
    assert_second_derivatives_match(spec.ours, *spec.inputs())


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_matches_torch(spec):
    pytest.importorskip("torch", reason="missing resource: torch (pip install -e '.[oracle]')")
    assert_matches_torch(spec.ours, spec.theirs, *spec.inputs(), rtol=1e-9, atol=1e-11,
                         second_order=spec.second_order)
