"""The catalogue's `Function` entries (shapes, indexing, products, casts, nn's losses) on their
example inputs: forward equals the NumPy reference, the gradient equals finite differences, and
values, gradients and second derivatives equal PyTorch's."""
import numpy as np
import pytest

import autograd as ag

from helpers import assert_gradients_match, assert_matches_torch
from op_catalogue import FUNCTIONS, example

SMOOTH = [f for f in FUNCTIONS if f.name != "astype"]  # float32 output: no float64 check


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_forward_equals_its_numpy_reference(spec):
    f, xs = example(spec)
    np.testing.assert_allclose(f(*[ag.Tensor(x) for x in xs]).data, spec.reference(*xs),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", SMOOTH, ids=lambda s: s.name)
def test_function_gradient_equals_finite_differences(spec):
    f, xs = example(spec)
    assert_gradients_match(f, *xs)


@pytest.mark.parametrize("spec", SMOOTH, ids=lambda s: s.name)
def test_function_matches_torch_to_second_order(spec):
    pytest.importorskip("torch", reason="missing resource: torch (pip install -e '.[oracle]')")
    f, xs = example(spec)
    assert_matches_torch(f, spec.theirs, *xs, second_order=True)
