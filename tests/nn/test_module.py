"""Module, Parameter, Sequential: finding parameters, modes, state dicts, save/load."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn


class Block(nn.Module):
    """Parameters in every place the walk must look: attribute, list, dict, nested module."""

    def __init__(self):
        self.scale = nn.Parameter(np.ones(3))
        self.layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
        self.heads = {"a": nn.Linear(2, 1), "b": nn.Linear(2, 1, bias=False)}
        self.note = "not a parameter"
        self.buffer = ag.Tensor(np.zeros(2))  # a plain Tensor is not a parameter

    def forward(self, x):
        h = x * self.scale
        for layer in self.layers:
            h = layer(h)
        return self.heads["a"](h) + self.heads["b"](h)


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.zeros(3))
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf


def test_parameter_can_be_frozen():
    assert not nn.Parameter(np.zeros(3), requires_grad=False).requires_grad


def test_parameter_copies_its_data():
    data = np.zeros(3)
    p = nn.Parameter(data)
    data[0] = 1.0
    assert p.data[0] == 0.0


def test_parameter_repr_says_parameter():
    assert repr(nn.Parameter(np.zeros(2))).startswith("Parameter(")


def test_parameters_are_found_in_attributes_lists_dicts_and_submodules():
    names = [name for name, _ in Block().named_parameters()]
    assert names == ["scale", "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                     "heads.a.weight", "heads.a.bias", "heads.b.weight"]


def test_parameters_match_named_parameters():
    block = Block()
    assert [id(p) for p in block.parameters()] == [id(p) for _, p in block.named_parameters()]


def test_shared_parameter_is_listed_once():
    block = Block()
    block.tied = block.layers[0].weight
    assert sum(p is block.tied for p in block.parameters()) == 1


def test_non_recursive_parameters_are_the_modules_own():
    assert [name for name, _ in Block().named_parameters(recurse=False)] == ["scale"]


def test_named_modules_gives_dotted_paths():
    names = [name for name, _ in Block().named_modules()]
    assert names == ["", "layers.0", "layers.1", "layers.2", "heads.a", "heads.b"]


def test_children_are_the_direct_submodules():
    assert len(list(Block().children())) == 5


def test_module_without_init_call_works():
    class Bare(nn.Module):
        def __init__(self):  # no super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x):
            return x * self.w

    bare = Bare()
    assert bare.training and bare(np.ones(2)).shape == (2,)


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="Empty must define forward"):
        type("Empty", (nn.Module,), {})()(1.0)


def test_eval_and_train_switch_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_train_returns_the_module():
    model = nn.Linear(2, 2)
    assert model.eval() is model and model.train() is model


def test_apply_visits_every_module():
    seen = []
    Block().apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen.count("Linear") == 4


def test_zero_grad_sets_grads_to_none():
    model = nn.Linear(2, 1)
    model(ag.Tensor(np.ones((1, 2)))).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_without_none_rebinds_zero_arrays():
    model = nn.Linear(2, 1)
    model(ag.Tensor(np.ones((1, 2)))).sum().backward()
    old = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad == 0) and model.weight.grad is not old and np.all(old == 1)


def test_num_parameters_counts_elements():
    assert nn.Linear(3, 4).num_parameters() == 16


def test_repr_shows_layers_and_parameter_counts():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)  # 9 parameters" in text
    assert "(1): ReLU()" in text and text.endswith(")  # 9 parameters")


# ---- Sequential ----------------------------------------------------------------------------
def test_sequential_names_parameters_by_position():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_applies_layers_in_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    x = ag.Tensor(np.array([[1.0, -2.0]]))
    np.testing.assert_array_equal(model(x).data, np.maximum(model[0](x).data, 0))


def test_sequential_supports_len_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[-1] is layers[-1] and list(model) == layers


def test_sequential_slice_is_a_sequential():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]


def test_sequential_append_adds_a_layer():
    model = nn.Sequential(nn.Linear(2, 3)).append(nn.ReLU())
    assert len(model) == 2


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="item 1 is a function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


# ---- state dicts ---------------------------------------------------------------------------
def test_state_dict_holds_copies():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    state["weight"][...] = 0
    assert np.any(model.weight.data != 0)


def test_load_state_dict_copies_values_in():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_load_state_dict_updates_in_place_and_bumps_version():
    model = nn.Linear(2, 2)
    weight, version = model.weight, model.weight.version
    model.load_state_dict(nn.Linear(2, 2).state_dict())
    assert model.weight is weight and model.weight.version > version


def test_load_state_dict_accepts_tensors():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": ag.Tensor(np.ones((1, 2))), "bias": ag.Tensor(np.zeros(1))})
    np.testing.assert_array_equal(model.weight.data, np.ones((1, 2)))


def test_load_state_dict_names_missing_keys():
    with pytest.raises(RuntimeError, match="missing keys: bias"):
        nn.Linear(2, 1).load_state_dict({"weight": np.zeros((1, 2))})


def test_load_state_dict_names_unexpected_keys():
    state = dict(nn.Linear(2, 1).state_dict(), extra=np.zeros(1))
    with pytest.raises(RuntimeError, match="unexpected keys: extra"):
        nn.Linear(2, 1).load_state_dict(state)


def test_load_state_dict_names_shape_mismatches():
    with pytest.raises(RuntimeError, match=r"weight: expected \(1, 2\), got \(2, 1\)"):
        nn.Linear(2, 1).load_state_dict({"weight": np.zeros((2, 1)), "bias": np.zeros(1)})


def test_failed_load_state_dict_changes_nothing():
    model = nn.Linear(2, 1)
    before = model.state_dict()
    with pytest.raises(RuntimeError):
        model.load_state_dict({"weight": np.zeros((1, 2)), "bias": np.zeros(1), "extra": np.zeros(1)})
    np.testing.assert_array_equal(model.weight.data, before["weight"])


def test_non_strict_load_reports_missing_and_unexpected():
    model = nn.Linear(2, 1)
    result = model.load_state_dict({"weight": np.zeros((1, 2)), "extra": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.weight.data, np.zeros((1, 2)))


def test_non_strict_load_still_rejects_wrong_shapes():
    with pytest.raises(RuntimeError, match="shape mismatches"):
        nn.Linear(2, 1).load_state_dict({"weight": np.zeros((3, 3))}, strict=False)


# ---- save / load -----------------------------------------------------------------------------
def test_save_then_load_round_trips_exactly(tmp_path):
    nn.manual_seed(0)
    a = nn.MLP([3, 5, 2])
    b = nn.MLP([3, 5, 2])
    a.save(tmp_path / "model.npz")
    b.load(tmp_path / "model.npz")
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**32 - 1))
def test_save_load_round_trips_any_mlp_exactly(sizes, dtype, seed):
    a = nn.MLP(sizes, dtype=dtype, rng=np.random.default_rng(seed))
    b = nn.MLP(sizes, dtype=dtype, rng=np.random.default_rng(seed + 1))
    with tempfile.TemporaryDirectory() as folder:
        b.load(a.save(os.path.join(folder, "m.npz")))
    for p, q in zip(a.parameters(), b.parameters()):
        assert p.dtype == q.dtype and np.array_equal(p.data, q.data)


def test_save_keeps_float32_values_bit_exact(tmp_path):
    a = nn.Linear(4, 3, dtype=np.float32)
    b = nn.Linear(4, 3, dtype=np.float32)
    b.load(a.save(tmp_path / "m.npz"))
    assert b.weight.dtype == np.float32
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_save_writes_a_plain_npz_without_pickles(tmp_path):
    nn.Linear(2, 1).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["bias", "weight"]  # the state dict, nothing else


def test_save_describes_the_architecture_in_the_archives_comment(tmp_path):
    import json
    import zipfile
    nn.MLP([2, 3, 1], activation="tanh").save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        record = json.loads(archive.comment)
    assert record["architecture"] == {"type": "MLP", "config": {
        "sizes": [2, 3, 1], "activation": "tanh", "output_activation": None, "dropout": 0.0,
        "bias": True, "dtype": "float32"}}


def test_save_writes_exactly_the_given_path(tmp_path):
    nn.Linear(2, 1).save(tmp_path / "model.weights")
    assert os.listdir(tmp_path) == ["model.weights"]


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "m.npz"
    nn.Linear(2, 1).save(path)
    model = nn.Linear(2, 1)
    model.save(path)
    np.testing.assert_array_equal(nn.Linear(2, 1).load(path).weight.data, model.weight.data)


def test_crash_during_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    nn.Linear(2, 1).save(path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.Linear(2, 1).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


def test_loading_a_corrupt_file_names_it(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ValueError, match="bad.npz"):
        nn.Linear(2, 1).load(path)


def test_loading_a_file_with_damaged_bytes_names_it(tmp_path):
    path = tmp_path / "flipped.npz"
    nn.Linear(20, 10).save(path)
    data = bytearray(path.read_bytes())
    data[200:260] = bytes(60)  # inside the first array's values: the CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="flipped.npz"):
        nn.Linear(20, 10).load(path)


def test_loading_a_truncated_file_names_it(tmp_path):
    path = tmp_path / "cut.npz"
    nn.Linear(20, 10).save(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match="cut.npz.*truncated or corrupt"):
        nn.Linear(20, 10).load(path)


def test_failed_load_leaves_the_file_and_the_model_untouched(tmp_path):
    path = tmp_path / "cut.npz"
    nn.Linear(20, 10).save(path)
    damaged = path.read_bytes()[:300]
    path.write_bytes(damaged)
    model = nn.Linear(20, 10)
    before = model.weight.data.copy()
    with pytest.raises(ValueError):
        model.load(path)
    assert path.read_bytes() == damaged
    np.testing.assert_array_equal(model.weight.data, before)


def test_loading_a_single_npy_array_is_a_clear_error(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        nn.Linear(2, 1).load(path)


def test_loading_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, weight=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="obj.npz"):
        nn.Linear(2, 1).load(path)


def test_loading_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.Linear(2, 1).load(tmp_path / "nope.npz")


def test_loading_another_architecture_names_the_keys(tmp_path):
    nn.MLP([2, 3, 1]).save(tmp_path / "m.npz")
    with pytest.raises(RuntimeError, match="unexpected keys: 0.weight"):
        nn.Linear(2, 1).load(tmp_path / "m.npz")


# ---- nn.load: the model back, architecture included -------------------------------------------

@pytest.mark.parametrize("build", [
    lambda: nn.MLP([4, 8, 3], activation="tanh", dropout=0.1),
    lambda: nn.MLP([4, 8, 3], output_activation="log_softmax", dtype=np.float64),
    lambda: nn.MLP([4, 8, 3], activation=nn.LeakyReLU),  # a class: rebuilt as a Sequential
    lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 5, bias=False), nn.LeakyReLU(0.2),
                          nn.Sequential(nn.Linear(5, 3), nn.Sigmoid()), nn.Softmax(dim=1)),
    lambda: nn.Linear(4, 3),
], ids=["mlp", "mlp-float64", "mlp-activation-class", "sequential", "linear"])
def test_nn_load_gives_back_the_model_that_was_saved(build, tmp_path):
    model = build()
    model.save(tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert repr(loaded).replace("Sequential", "MLP") == repr(model).replace("Sequential", "MLP")
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = ag.Tensor(np.random.default_rng(0).standard_normal((2, 4)).astype(model.state_dict()[
        next(iter(model.state_dict()))].dtype))
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_nn_load_rebuilds_an_mlp_as_an_mlp(tmp_path):
    nn.MLP([3, 5, 2], activation="sigmoid").save(tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert type(loaded) is nn.MLP and loaded.sizes == [3, 5, 2]
    assert isinstance(loaded[1], nn.Sigmoid)


def test_nn_load_of_your_own_module_says_to_build_it_and_call_load(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    Net().save(tmp_path / "net.npz")
    with pytest.raises(ValueError, match=r"saved from a Net.*model\.load\("):
        nn.load(tmp_path / "net.npz")
    Net().load(tmp_path / "net.npz")  # the weights load into the model built by hand


def test_nn_load_of_a_weights_only_npz_says_to_build_the_model(tmp_path):
    np.savez(tmp_path / "w.npz", weight=np.zeros((1, 2)), bias=np.zeros(1))
    with pytest.raises(ValueError, match="without a description of the model"):
        nn.load(tmp_path / "w.npz")


def test_nn_load_never_unpickles(tmp_path):
    class Trap:
        def __reduce__(self):
            return (open, (str(tmp_path / "code-ran"), "w"))

    np.savez(tmp_path / "m.npz", weight=np.array([Trap()], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        nn.load(tmp_path / "m.npz")
    assert not (tmp_path / "code-ran").exists()


def test_a_description_naming_something_other_than_nns_layers_is_refused(tmp_path):
    import json
    import zipfile
    record = {"format": "glassgrad.model", "version": 1, "model": "os",
              "architecture": {"type": "system", "config": {"command": "echo hi"}}}
    np.savez(tmp_path / "m.npz", weight=np.zeros(2))
    with zipfile.ZipFile(tmp_path / "m.npz", mode="a") as archive:
        archive.comment = json.dumps(record).encode()
    with pytest.raises(ValueError, match="cannot rebuild"):
        nn.load(tmp_path / "m.npz")


@pytest.mark.parametrize("content", [b"hello, I am a text file\n", b""], ids=["text", "empty"])
def test_loading_a_file_that_is_not_an_npz_says_so(content, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    for load in (nn.load, nn.Linear(2, 1).load):
        with pytest.raises(ValueError, match=r"model\.npz.*not a \.npz file") as info:
            load(path)
        assert "pickle" not in str(info.value)


@pytest.mark.skipif(os.name != "posix", reason="stale temporaries are found by process id")
def test_a_temporary_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = tmp_path / f".tmp-{child.pid}-abcdefgh.npz"
    live = tmp_path / f".tmp-{os.getpid()}-ijklmnop.npz"  # a save under way in this process
    stale.write_bytes(b"PK half an archive")
    live.write_bytes(b"PK another half")
    nn.Linear(2, 1).save(tmp_path / "m.npz")
    assert not stale.exists() and live.exists()
