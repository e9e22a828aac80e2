"""Oracle: gains, fans and the spread of every random initialiser agree with PyTorch's."""
import math

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

import nn  # noqa: E402
from nn import init  # noqa: E402


@pytest.mark.parametrize("name, param", [
    ("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("selu", None), ("conv1d", None),
])
def test_calculate_gain_matches_pytorch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3, 3), (2, 6, 5)])
def test_fans_match_pytorch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(np.empty(shape)) == expected


# Same distribution from different generators: compare the spread on a large tensor.
INITS = {
    "xavier_uniform": dict(gain=1.5),
    "xavier_normal": dict(gain=0.8),
    "kaiming_uniform": dict(a=math.sqrt(5)),
    "kaiming_normal": dict(mode="fan_out", nonlinearity="relu"),
}


@pytest.mark.parametrize("name", INITS)
def test_initialiser_spread_matches_pytorch(name):
    kwargs = INITS[name]
    torch.manual_seed(0)
    ours = getattr(init, name + "_")(nn.Parameter(np.empty((300, 200))), **kwargs, rng=np.random.default_rng(0))
    theirs = getattr(torch.nn.init, name + "_")(torch.empty(300, 200, dtype=torch.float64), **kwargs)
    assert ours.data.std() == pytest.approx(theirs.std().item(), rel=0.02)
    if name.endswith("uniform"):  # then the largest value is close to the bound
        assert np.abs(ours.data).max() == pytest.approx(theirs.abs().max().item(), rel=1e-3)
