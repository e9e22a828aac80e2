"""Oracle: with the same weights and inputs, every layer gives PyTorch's outputs and gradients."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

import autograd as ag  # noqa: E402
import nn  # noqa: E402

RNG = np.random.default_rng(0)


def copy_weights(ours, theirs):
    """Our parameters into the PyTorch module, by name."""
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})


def compare(ours, theirs, x):
    """Same output, same input gradient, same parameter gradients (upstream gradient random)."""
    a = ag.Tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    np.testing.assert_allclose(out_a.data, out_b.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = RNG.standard_normal(out_a.shape)
    (out_a * upstream).sum().backward()
    (out_b * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-14)
    grads_b = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    assert [name for name, _ in ours.named_parameters()] == list(grads_b)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads_b[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_linear_matches_pytorch():
    ours, theirs = nn.Linear(5, 3, dtype=np.float64), torch.nn.Linear(5, 3, dtype=torch.float64)
    copy_weights(ours, theirs)
    compare(ours, theirs, RNG.standard_normal((4, 5)))


def test_linear_without_bias_matches_pytorch():
    ours, theirs = nn.Linear(5, 3, bias=False, dtype=np.float64), torch.nn.Linear(5, 3, bias=False, dtype=torch.float64)
    copy_weights(ours, theirs)
    compare(ours, theirs, RNG.standard_normal((2, 5)))


def test_linear_on_a_batch_of_sequences_matches_pytorch():
    ours, theirs = nn.Linear(4, 2, dtype=np.float64), torch.nn.Linear(4, 2, dtype=torch.float64)
    copy_weights(ours, theirs)
    compare(ours, theirs, RNG.standard_normal((3, 5, 4)))


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
    (nn.Identity(), torch.nn.Identity()),
    (nn.Flatten(), torch.nn.Flatten()),
    (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
], ids=repr)
def test_parameter_free_layer_matches_pytorch(ours, theirs):
    compare(ours, theirs, RNG.standard_normal((3, 4, 2)) * 3)


def test_dropout_in_eval_mode_matches_pytorch():
    compare(nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval(), RNG.standard_normal((4, 4)))


def test_dropout_scales_kept_values_like_pytorch():
    x = np.ones((50, 50))
    ours = nn.Dropout(0.3)(ag.Tensor(x)).data
    theirs = torch.nn.Dropout(0.3)(torch.tensor(x)).numpy()
    assert np.unique(ours).tolist() == pytest.approx(np.unique(theirs).tolist())


def test_mlp_matches_the_equivalent_pytorch_sequential():
    ours = nn.MLP([6, 5, 4, 3], activation="tanh", output_activation="log_softmax", dtype=np.float64)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.Tanh(),
        torch.nn.Linear(4, 3), torch.nn.LogSoftmax(dim=-1)).double()
    copy_weights(ours, theirs)
    compare(ours, theirs, RNG.standard_normal((7, 6)))


def test_linear_init_uses_pytorch_bounds():
    # Same distribution, different generators: compare the ranges the two fill.
    ours, theirs = nn.Linear(16, 4000), torch.nn.Linear(16, 4000)
    for name in ("weight", "bias"):
        a, b = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        assert np.abs(a).max() == pytest.approx(np.abs(b).max(), rel=1e-2)
        assert a.std() == pytest.approx(b.std(), rel=0.05)
