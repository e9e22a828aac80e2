"""PyTorch as the oracle for NumPy's functions beyond the core: values, gradients and (where
twice differentiable) second derivatives equal PyTorch's in float64: the scans, and the shape
functions on their examples (PyTorch's side of an affine shape function is the matrix NumPy's
function is, see `Structural.torch_side`). The catalogue's functions at fixed inputs are
compared in test_catalogue_functions.py."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

from helpers import assert_matches_torch, f64  # noqa: E402
from op_catalogue import SCANS, STRUCTURAL, example  # noqa: E402


@pytest.mark.parametrize("spec", STRUCTURAL, ids=lambda s: s.name)
def test_shape_function_matches_torch_on_its_example(spec):
    f, (x,) = example(spec)
    assert_matches_torch(f, spec.torch_side(spec.shape, spec.kwargs), x, second_order=True)


def test_the_torch_side_of_an_affine_shape_function_is_numpys_function():
    spec = [s for s in STRUCTURAL if s.name == "pad"][0]
    x = np.arange(6.0).reshape(2, 3)
    kwargs = {"pad_width": ((1, 2), (0, 3)), "mode": "symmetric"}  # a mode PyTorch lacks
    side = spec.torch_side(x.shape, kwargs)
    np.testing.assert_array_equal(side(torch.tensor(x)).numpy(), np.pad(x, **kwargs))


def test_the_torch_side_of_a_split_gives_each_piece():
    spec = [s for s in STRUCTURAL if s.name == "split"][0]
    x = np.arange(8.0).reshape(4, 2)
    for k, want in enumerate(np.split(x, [1, 3])):
        got = spec.torch_side(x.shape, {"indices_or_sections": [1, 3]}, piece=k)(torch.tensor(x))
        np.testing.assert_array_equal(got.numpy(), want)

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
