"""Oracle: every loss gives PyTorch's value and gradient for the same inputs (float64)."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

import autograd as ag  # noqa: E402
import nn.functional as F  # noqa: E402

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 2
CLASSES = np.array([0, 3, 1, 1, 2, 3])
PROBS = RNG.dirichlet(np.ones(4), 6)
CLASS_WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])


def compare(ours_fn, torch_fn, x, *constants, atol=1e-10, grad_rtol=1e-9):
    """Same loss value and same gradient of x, for any reduction (an upstream gradient for 'none')."""
    a = ag.Tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    loss_a = ours_fn(a, *constants)
    loss_b = torch_fn(b, *[torch.tensor(c) if isinstance(c, np.ndarray) else c for c in constants])
    np.testing.assert_allclose(loss_a.data, loss_b.detach().numpy(), rtol=1e-10, atol=atol)
    upstream = RNG.standard_normal(loss_a.shape)
    (loss_a * upstream).sum().backward()
    (loss_b * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=grad_rtol, atol=atol)


def kwargs_torch(kwargs):
    return {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


CE_CASES = {
    "indices": (CLASSES, {}),
    "indices-sum": (CLASSES, dict(reduction="sum")),
    "indices-none": (CLASSES, dict(reduction="none")),
    "indices-smoothing": (CLASSES, dict(label_smoothing=0.1)),
    "indices-weight": (CLASSES, dict(weight=CLASS_WEIGHT)),
    "indices-weight-smoothing": (CLASSES, dict(weight=CLASS_WEIGHT, label_smoothing=0.3)),
    "indices-weight-smoothing-none": (CLASSES, dict(weight=CLASS_WEIGHT, label_smoothing=0.3, reduction="none")),
    "indices-ignore": (np.array([0, -100, 1, 1, -100, 3]), dict(label_smoothing=0.2)),
    "indices-ignore-weight": (np.array([0, 2, 1, 2, 2, 3]), dict(ignore_index=2, weight=CLASS_WEIGHT)),
    "probs": (PROBS, {}),
    "probs-sum": (PROBS, dict(reduction="sum")),
    "probs-none": (PROBS, dict(reduction="none")),
    "probs-smoothing": (PROBS, dict(label_smoothing=0.25)),
    "probs-weight-smoothing": (PROBS, dict(weight=CLASS_WEIGHT, label_smoothing=0.1)),
}


@pytest.mark.parametrize("case", CE_CASES)
def test_cross_entropy_matches_pytorch(case):
    target, kwargs = CE_CASES[case]
    compare(lambda x, t: F.cross_entropy(x, t, **kwargs),
            lambda x, t: torch.nn.functional.cross_entropy(x, t, **kwargs_torch(kwargs)), LOGITS, target)


def test_cross_entropy_with_extra_dimensions_matches_pytorch():
    logits = RNG.standard_normal((2, 3, 5))
    target = RNG.integers(0, 3, (2, 5))
    compare(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
            lambda x, t: torch.nn.functional.cross_entropy(x, t, label_smoothing=0.1), logits, target)


def test_unbatched_cross_entropy_matches_pytorch():
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, LOGITS[0], np.array(2))


def test_cross_entropy_of_huge_logits_matches_pytorch():
    logits = np.array([[1e4, -1e4, 3.0], [-5e3, 1e4, 1e4]])
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits, np.array([1, 2]))


NLL_CASES = {
    "mean": {}, "sum": dict(reduction="sum"), "none": dict(reduction="none"),
    "weight": dict(weight=CLASS_WEIGHT), "ignore": dict(ignore_index=1),
}


@pytest.mark.parametrize("case", NLL_CASES)
def test_nll_loss_matches_pytorch(case):
    kwargs = NLL_CASES[case]
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
    compare(lambda x, t: F.nll_loss(x, t, **kwargs),
            lambda x, t: torch.nn.functional.nll_loss(x, t, **kwargs_torch(kwargs)), log_p, CLASSES)


def test_nll_loss_with_extra_dimensions_matches_pytorch():
    log_p = np.log(RNG.dirichlet(np.ones(3), (2, 5)).transpose(0, 2, 1))  # (N, C, d)
    compare(lambda x, t: F.nll_loss(x, t, reduction="none"),
            lambda x, t: torch.nn.functional.nll_loss(x, t, reduction="none"), log_p, RNG.integers(0, 3, (2, 5)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_loss_matches_pytorch(name, reduction):
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
            lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction), x, y)


PROB_INPUT = RNG.uniform(0.01, 0.99, (5, 3))
BINARY_TARGET = RNG.uniform(0, 1, (5, 3)).round()
ELEMENT_WEIGHT = RNG.uniform(0.5, 2.0, (5, 3))

BCE_CASES = {
    "mean": {}, "sum": dict(reduction="sum"), "none": dict(reduction="none"),
    "weight": dict(weight=ELEMENT_WEIGHT), "row-weight": dict(weight=np.array([1.0, 2.0, 0.5])),
}


@pytest.mark.parametrize("case", BCE_CASES)
def test_binary_cross_entropy_matches_pytorch(case):
    kwargs = BCE_CASES[case]
    compare(lambda x, t: F.binary_cross_entropy(x, t, **kwargs),
            lambda x, t: torch.nn.functional.binary_cross_entropy(x, t, **kwargs_torch(kwargs)),
            PROB_INPUT, BINARY_TARGET)


def test_binary_cross_entropy_at_zero_and_one_matches_pytorch():
    # The gradient there is +-1/1e-12; PyTorch stores that 1e-12 in float32, hence grad_rtol.
    compare(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy,
            np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0]), grad_rtol=1e-7)


BCE_LOGITS_CASES = {
    **BCE_CASES, "pos-weight": dict(pos_weight=np.array([1.0, 3.0, 0.5])),
    "all": dict(pos_weight=np.array([2.0, 3.0, 0.5]), weight=ELEMENT_WEIGHT, reduction="sum"),
}


@pytest.mark.parametrize("case", BCE_LOGITS_CASES)
def test_binary_cross_entropy_with_logits_matches_pytorch(case):
    kwargs = BCE_LOGITS_CASES[case]
    compare(lambda x, t: F.binary_cross_entropy_with_logits(x, t, **kwargs),
            lambda x, t: torch.nn.functional.binary_cross_entropy_with_logits(x, t, **kwargs_torch(kwargs)),
            LOGITS[:5, :3] * 3, RNG.uniform(0, 1, (5, 3)))


def test_bce_with_logits_of_huge_logits_matches_pytorch():
    compare(F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits,
            np.array([1e4, -1e4, 1e4, -1e4]), np.array([1.0, 1.0, 0.0, 0.0]))


@pytest.mark.parametrize("name, kwargs", [
    ("relu", {}), ("sigmoid", {}), ("tanh", {}), ("leaky_relu", dict(negative_slope=0.2)),
    ("softmax", dict(dim=1)), ("softmax", dict(dim=0)), ("log_softmax", dict(dim=1)),
], ids=lambda v: str(v))
def test_activation_function_matches_pytorch(name, kwargs):
    compare(lambda x: getattr(F, name)(x, **kwargs), lambda x: getattr(torch.nn.functional, name)(x, **kwargs),
            LOGITS)


def test_linear_function_matches_pytorch():
    w, b = RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    compare(lambda x: F.linear(x, ag.Tensor(w), ag.Tensor(b)),
            lambda x: torch.nn.functional.linear(x, torch.tensor(w), torch.tensor(b)), LOGITS)
