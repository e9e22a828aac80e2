"""PyTorch as the oracle for NumPy's functions beyond the core: values, gradients and (where
twice differentiable) second derivatives equal PyTorch's in float64, for every catalogue entry
that PyTorch has an equivalent of."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

from helpers import assert_matches_torch, f64  # noqa: E402
from op_catalogue import FIXED, SCANS  # noqa: E402


@pytest.mark.parametrize("spec", [s for s in FIXED if s.theirs is not None], ids=lambda s: s.name)
def test_matches_torch(spec):
    assert_matches_torch(spec.ours, spec.theirs, *spec.inputs(), rtol=1e-9, atol=1e-11,
                         second_order=spec.second_order)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("spec", SCANS, ids=lambda s: s.name)
def test_scan_matches_torch(spec, axis):
    assert_matches_torch(lambda t: spec.ours(t, axis), lambda t: spec.theirs(t, axis),
                         f64(2, 3, 4), second_order=True)


def test_cumprod_with_zeros_matches_torch():
    x = np.array([[0.5, 0.0, 2.0, 0.0, 1.5], [1.2, -0.7, 0.0, 3.0, 0.4]])
    assert_matches_torch(lambda t: np.cumprod(t, axis=1), lambda t: t.cumprod(dim=1), x,
                         second_order=True)


def test_prod_with_zeros_matches_torch():
    x = np.array([[0.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
    assert_matches_torch(lambda t: np.prod(t, axis=1), lambda t: t.prod(dim=1), x,
                         second_order=True)
