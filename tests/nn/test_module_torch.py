"""Oracle: our state dicts carry PyTorch's key names and shapes, and load into PyTorch and back."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

import nn  # noqa: E402


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()


def test_state_dict_has_pytorch_keys_and_shapes():
    ours = nn.MLP([4, 8, 3]).state_dict()
    theirs = torch_mlp().state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


def test_our_state_dict_loads_into_pytorch_strictly():
    ours = nn.MLP([4, 8, 3])
    theirs = torch_mlp()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    for name, p in ours.named_parameters():
        np.testing.assert_array_equal(theirs.state_dict()[name].numpy(), p.data)


def test_pytorch_state_dict_loads_into_ours():
    theirs = torch_mlp()
    ours = nn.MLP([4, 8, 3]).load_state_dict(theirs.state_dict())
    assert ours.missing_keys == [] and ours.unexpected_keys == []


def test_saved_file_loads_into_pytorch_and_back(tmp_path):
    path = tmp_path / "mlp.npz"
    ours = nn.MLP([4, 8, 3])
    ours.save(path)
    with np.load(path, allow_pickle=False) as archive:
        theirs = torch_mlp()
        theirs.load_state_dict({k: torch.tensor(archive[k]) for k in archive.files})
    round_trip = nn.MLP([4, 8, 3])
    round_trip.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for (name, p), (_, q) in zip(ours.named_parameters(), round_trip.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_float32_model_round_trips_through_pytorch_bit_exactly():
    ours = nn.MLP([3, 5, 2], dtype=np.float32)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    back = nn.MLP([3, 5, 2], dtype=np.float32)
    back.load_state_dict(theirs.state_dict())
    for p, q in zip(ours.parameters(), back.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


class Ours(nn.Module):
    def __init__(self):
        self.embed = nn.Linear(3, 4)
        self.blocks = [nn.Linear(4, 4), nn.Linear(4, 4)]
        self.heads = {"cls": nn.Linear(4, 2), "reg": nn.Linear(4, 1)}


class Theirs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(3, 4)
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
        self.heads = torch.nn.ModuleDict({"cls": torch.nn.Linear(4, 2), "reg": torch.nn.Linear(4, 1)})


def test_lists_and_dicts_of_modules_are_named_like_module_list_and_module_dict():
    assert [n for n, _ in Ours().named_parameters()] == [n for n, _ in Theirs().named_parameters()]


def test_parameter_counts_match_pytorch():
    assert Ours().num_parameters() == sum(p.numel() for p in Theirs().parameters())
