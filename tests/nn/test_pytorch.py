"""The way out to PyTorch: `model.to_torch()`, `nn.from_torch(module)`, `optim.to_torch(...)` and
`optim.from_torch(...)`. A converted model computes the same outputs (float64: to 1e-12); a round
trip gives back exactly the same weights; a converted optimizer continues training exactly as the
original would have. PyTorch stays optional: `import nn` never imports it."""
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def _torch():
    try:
        import torch
    except ImportError:
        pytest.skip("missing resource: torch, PyTorch's CPU build (pip install -e '.[oracle]')")
    return torch


RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 6))
LABELS = RNG.integers(0, 3, 32)


def trained_mlp(dtype=np.float64, steps=5, **kwargs):
    model = nn.MLP([6, 10, 8, 3], dtype=dtype, rng=np.random.default_rng(1), **kwargs)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(ag.Tensor(X.astype(dtype))), LABELS).backward()
        optimizer.step()
    return model, optimizer


def ours_out(model, x):
    with ag.no_grad():
        return model(ag.Tensor(x)).data


def theirs_out(module, x):
    torch = _torch()
    with torch.no_grad():
        return module(torch.tensor(x)).numpy()


# ---- PyTorch stays optional --------------------------------------------------------------------

def test_importing_nn_and_autograd_never_imports_torch():
    code = ("import sys, autograd, nn, nn.optim, nn.pytorch; "
            "model = nn.MLP([2, 3, 1]); nn.optim.SGD(model.parameters(), lr=0.1); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_torch_converting_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ImportError, match=r"pip install torch"):
        nn.MLP([2, 3, 1]).to_torch()


# ---- models --------------------------------------------------------------------------------------

def test_a_trained_float64_mlp_converted_gives_the_same_outputs_to_1e_12():
    torch = _torch()
    model, _ = trained_mlp(np.float64)
    converted = model.to_torch()
    assert isinstance(converted, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in converted.parameters())
    np.testing.assert_allclose(theirs_out(converted, X), ours_out(model, X), rtol=0, atol=1e-12)


def test_a_trained_float32_mlp_converted_stays_float32_with_the_same_outputs():
    torch = _torch()
    model, _ = trained_mlp(np.float32)
    converted = model.to_torch()
    assert all(p.dtype == torch.float32 for p in converted.parameters())
    x = X.astype(np.float32)
    np.testing.assert_allclose(theirs_out(converted, x), ours_out(model, x), rtol=1e-5, atol=1e-6)


def test_converted_weights_are_exactly_ours_under_pytorchs_names():
    _torch()
    model, _ = trained_mlp()
    theirs = {k: v.numpy() for k, v in model.to_torch().state_dict().items()}
    ours = model.state_dict()
    assert theirs.keys() == ours.keys()
    for key in ours:
        np.testing.assert_array_equal(theirs[key], ours[key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_round_trip_through_pytorch_gives_back_exactly_the_same_model(dtype):
    _torch()
    model, _ = trained_mlp(dtype, output_activation="log_softmax")
    back = nn.from_torch(model.to_torch())
    assert repr(back).replace("Sequential", "MLP", 1) == repr(model)
    for (name, p), (name_back, q) in zip(model.named_parameters(), back.named_parameters()):
        assert name == name_back and q.dtype == p.dtype
        np.testing.assert_array_equal(q.data, p.data)
    x = X.astype(dtype)
    np.testing.assert_array_equal(ours_out(back, x), ours_out(model, x))


def test_a_pytorch_model_converted_gives_its_outputs():
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 5), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 2), torch.nn.Softmax(dim=1)).double()
    ours = nn.from_torch(theirs)
    x = X.reshape(32, 2, 3)
    np.testing.assert_allclose(ours_out(ours, x), theirs_out(theirs, x), rtol=0, atol=1e-12)


def test_frozen_parameters_and_eval_mode_carry_over_both_ways():
    _torch()
    model = nn.MLP([3, 4, 2], dropout=0.25)
    model[0].bias.requires_grad = False
    model.eval()
    converted = model.to_torch()
    assert not converted[0].bias.requires_grad and converted[0].weight.requires_grad
    assert not any(m.training for m in converted.modules())
    back = nn.from_torch(converted)
    assert not back[0].bias.requires_grad and not any(m.training for m in back.modules())


LAYERS = {
    "ReLU": lambda: nn.ReLU(), "Sigmoid": lambda: nn.Sigmoid(), "Tanh": lambda: nn.Tanh(),
    "Identity": lambda: nn.Identity(), "LeakyReLU": lambda: nn.LeakyReLU(0.2),
    "Softmax": lambda: nn.Softmax(dim=0), "LogSoftmax": lambda: nn.LogSoftmax(dim=-1),
    "Dropout": lambda: nn.Dropout(0.3), "Flatten": lambda: nn.Flatten(0, 1),
    "Linear without bias": lambda: nn.Linear(3, 3, bias=False, dtype=np.float64),
}


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_converts_with_its_arguments_and_back(name):
    torch = _torch()
    layer = LAYERS[name]().eval()
    converted = layer.to_torch()
    assert type(converted).__name__ == name.split()[0]
    x = np.random.default_rng(2).standard_normal((4, 3))
    with torch.no_grad():
        np.testing.assert_allclose(converted(torch.tensor(x)).numpy(), ours_out(layer, x),
                                   rtol=0, atol=1e-12)
    back = nn.from_torch(converted)
    assert type(back) is type(layer) and repr(back) == repr(layer)


def test_a_module_with_its_own_forward_is_a_clear_error_naming_it():
    _torch()

    class TwoHeads(nn.Module):
        def __init__(self):
            self.body = nn.Linear(2, 2)

        def forward(self, x):
            return self.body(x) * 2

    with pytest.raises(TypeError, match=r"(?s)TwoHeads has no PyTorch counterpart.*state_dict"):
        nn.Sequential(nn.Linear(2, 2), TwoHeads()).to_torch()


def test_a_pytorch_layer_glassgrad_lacks_is_a_clear_error_naming_it():
    torch = _torch()
    with pytest.raises(TypeError, match=r"torch\.nn\.Conv2d has no glassgrad counterpart"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)))


# ---- optimizers ----------------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD momentum nesterov wd": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                                        weight_decay=1e-3),
    "SGD plain": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "Adam amsgrad": lambda ps: nn.optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.01),
    "RMSprop centered momentum": lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.5,
                                                             centered=True),
    "Adagrad": lambda ps: nn.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "two groups and a schedule": lambda ps: _scheduled(ps),
}


def _scheduled(params):
    params = list(params)
    optimizer = nn.optim.Adam([{"params": params[:2], "lr": 0.02}, {"params": params[2:]}], lr=0.01)
    nn.optim.StepLR(optimizer, step_size=1, gamma=0.5).step()
    return optimizer


def _train_ours(model, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(ag.Tensor(X)), LABELS).backward()
        optimizer.step()


def _train_theirs(model, optimizer, steps):
    torch = _torch()
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(X)), torch.tensor(LABELS)).backward()
        optimizer.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_converted_optimizer_continues_training_exactly_as_ours_would(name):
    _torch()
    model = nn.MLP([6, 10, 3], dtype=np.float64, rng=np.random.default_rng(1))
    optimizer = OPTIMIZERS[name](model.parameters())
    _train_ours(model, optimizer, 3)
    torch_model = model.to_torch()
    torch_optimizer = nn.optim.to_torch(optimizer, torch_model.parameters())
    _train_ours(model, optimizer, 5)
    _train_theirs(torch_model, torch_optimizer, 5)
    for p, q in zip(model.parameters(), torch_model.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.data, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_optimizer_round_trip_through_pytorch_gives_back_exactly_the_same_state(name):
    _torch()
    model = nn.MLP([6, 10, 3], dtype=np.float64, rng=np.random.default_rng(1))
    optimizer = OPTIMIZERS[name](model.parameters())
    _train_ours(model, optimizer, 3)
    torch_model = model.to_torch()
    back_model = nn.from_torch(torch_model)
    back = nn.optim.from_torch(nn.optim.to_torch(optimizer, torch_model.parameters()),
                               back_model.parameters())
    assert type(back) is type(optimizer)
    ours, theirs = optimizer.state_dict(), back.state_dict()
    assert theirs["param_groups"] == ours["param_groups"]
    ours, theirs = _buffers(ours), _buffers(theirs)  # (plain SGD keeps none)
    assert theirs.keys() == ours.keys()
    for i, state in ours.items():
        assert theirs[i].keys() == state.keys()
        for key, value in state.items():
            np.testing.assert_array_equal(theirs[i][key], value)


def _buffers(state_dict):
    return {i: state for i, state in state_dict["state"].items() if state}


def test_a_pytorch_optimizer_continues_here_exactly_as_it_would_there():
    torch = _torch()
    model = nn.MLP([6, 10, 3], dtype=np.float64, rng=np.random.default_rng(1)).to_torch()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    _train_theirs(model, optimizer, 3)
    ours = nn.from_torch(model)
    our_optimizer = nn.optim.from_torch(optimizer, ours.parameters())
    _train_theirs(model, optimizer, 4)
    _train_ours(ours, our_optimizer, 4)
    for p, q in zip(ours.parameters(), model.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_converting_an_optimizer_for_parameters_of_other_shapes_is_an_error_listing_them():
    _torch()
    model = nn.MLP([2, 3, 1])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"\(3, 2\).*converted model's parameters"):
        nn.optim.to_torch(optimizer, nn.MLP([2, 4, 1]).to_torch().parameters())
