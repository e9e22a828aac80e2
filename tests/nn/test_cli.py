"""`python -m nn.train`: every choice it offers trains well with its defaults, the test set is
looked at once, and a saved model comes back with `nn.load`."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import cli, train
from nn.cli import main

ROOT = Path(__file__).resolve().parents[2]


def last_line(capsys):
    return capsys.readouterr().out.strip().splitlines()[-1]


def score(line):
    """The number in "test accuracy: 98.21% (...)" or "test mse: 0.000123 (...)"."""
    return float(line.split()[2].rstrip("%"))


# ---- --help ---------------------------------------------------------------------------------

def test_help_gives_every_flag_a_line_of_help_and_its_default():
    for action in cli.parser()._actions:
        if action.dest != "help":
            assert action.help and "default" in action.help, action.dest


def test_help_lists_the_defaults_of_every_dataset_and_optimizer(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for dataset in cli.PRESETS:
        assert dataset in text
    for optimizer in cli.OPTIMIZERS:
        assert optimizer in text
    assert "momentum 0.9" in text


def test_every_dataset_has_a_learning_rate_for_every_optimizer():
    assert set(cli.LR) == set(cli.PRESETS)
    assert all(set(rates) == set(cli.OPTIMIZERS) for rates in cli.LR.values())


def test_each_optimizer_gets_its_own_default_learning_rate_and_sgd_momentum():
    params = list(nn.MLP([2, 2]).parameters())
    sgd = cli._optimizer("sgd", params, cli.LR["mnist"]["sgd"], None)
    assert sgd.param_groups[0]["momentum"] == 0.9
    assert cli.LR["mnist"]["sgd"] != cli.LR["mnist"]["adam"]


# ---- every choice reaches its target with its defaults ----------------------------------------

@pytest.mark.parametrize("optimizer", cli.OPTIMIZERS)
def test_xor_is_solved_on_every_seed_with_every_optimizer(optimizer, capsys):
    for seed in range(10):
        assert main(["--dataset", "xor", "--optimizer", optimizer, "--seed", str(seed),
                     "--no-progress"]) == 0
        assert last_line(capsys).startswith("test accuracy: 100.00%"), (optimizer, seed)


@pytest.mark.parametrize("optimizer", cli.OPTIMIZERS)
def test_spirals_reach_98_percent_with_every_optimizer(optimizer, capsys):
    assert main(["--dataset", "spirals", "--optimizer", optimizer, "--no-progress"]) == 0
    assert score(last_line(capsys)) >= 98.0


@pytest.mark.parametrize("optimizer", cli.OPTIMIZERS)
def test_sine_reaches_a_test_mse_below_1e_3_with_every_optimizer(optimizer, capsys):
    assert main(["--dataset", "sine", "--optimizer", optimizer, "--no-progress"]) == 0
    line = last_line(capsys)
    assert line.startswith("test mse: ") and score(line) < 1e-3


def test_the_sine_net_is_that_of_source_004(capsys):
    main(["--dataset", "sine", "--epochs", "1", "--no-progress"])
    out = capsys.readouterr().out
    assert "in_features=1, out_features=200" in out and "Tanh()" in out
    assert "in_features=200, out_features=1" in out


# ---- validation from the training set; the test set once, at the end ---------------------------

def test_validation_is_held_out_of_the_training_set_and_the_test_set_is_left_alone(
        monkeypatch, capsys):
    seen = {}

    def recording_fit(model, loss_fn, optimizer, loader, epochs, val=None, **kwargs):
        seen.update(train=loader.X, val=val[0], scheduler=kwargs.get("scheduler"))
        return real_fit(model, loss_fn, optimizer, loader, epochs, val=val, **kwargs)

    real_fit = train.fit
    monkeypatch.setattr(train, "fit", recording_fit)
    main(["--dataset", "spirals", "--epochs", "2", "--schedule", "plateau", "--no-progress"])
    (X, _), (X_test, _) = nn.data.spirals(300, 3, seed=0)
    rows = {tuple(r) for r in X}
    assert len(seen["val"]) == round(0.2 * len(X)) and len(seen["train"]) + len(seen["val"]) == len(X)
    assert all(tuple(r) in rows for r in seen["val"])               # drawn from the training set
    assert not {tuple(r) for r in seen["val"]} & {tuple(r) for r in seen["train"]}
    assert not {tuple(r) for r in seen["val"]} & {tuple(r) for r in X_test}
    assert isinstance(seen["scheduler"], nn.optim.ReduceLROnPlateau)  # fed val_loss by fit
    out = capsys.readouterr().out
    assert out.count("test accuracy") == 1 and "held out for validation" in out


def test_the_progress_bars_show_validation_numbers_never_test_ones(monkeypatch, capsys):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the text bar: the same with or without tqdm
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    main(["--dataset", "spirals", "--epochs", "3"])
    err = capsys.readouterr().err
    assert err.count("val_loss=") == 3 and "test" not in err


# ---- --save and nn.load -------------------------------------------------------------------------

def test_save_stores_the_architecture_and_prints_how_to_load_it(tmp_path, capsys):
    path = tmp_path / "model.npz"
    main(["--dataset", "spirals", "--epochs", "2", "--no-progress", "--save", str(path)])
    out = capsys.readouterr().out
    assert f"nn.load('{path}')" in out
    model = nn.load(path)
    assert isinstance(model, nn.MLP) and model.sizes == [2, 64, 64, 3]
    (_, _), (X_test, y_test) = nn.data.spirals(300, 3, seed=0)
    accuracy = train.evaluate(model, (X_test, y_test), nn.functional.cross_entropy)["accuracy"]
    assert f"test accuracy: {100 * accuracy:.2f}%" in out  # the very model that was measured


# ---- MNIST ---------------------------------------------------------------------------------------

def test_the_command_trains_on_a_mnist_subset_well_above_chance(capsys, tmp_path, needs_mnist):
    out = tmp_path / "model.npz"
    code = main(["--subset", "3000", "--epochs", "1", "--no-progress", "--save", str(out)])
    assert code == 0
    assert score(last_line(capsys)) > 80.0  # chance is 10%
    model = nn.load(out)
    assert model[0].weight.shape == (300, 784)


def test_the_command_exits_non_zero_with_a_clear_message_when_mnist_is_missing(capsys, tmp_path):
    code = main(["--data-dir", str(tmp_path), "--no-download", "--no-progress"])
    assert code == 2
    assert "MNIST files not found" in capsys.readouterr().err


def test_offline_the_command_fails_fast_saying_what_it_tried(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(nn.data, "MIRRORS", ["http://127.0.0.1:9/mnist/"])  # nothing listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    code = main(["--data-dir", str(tmp_path / "data"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "could not download MNIST" in err and "127.0.0.1:9" in err
    assert not (tmp_path / "data").exists()  # and left no empty folders behind


def test_python_m_nn_train_runs_as_a_command():
    done = subprocess.run([sys.executable, "-m", "nn.train", "--dataset", "xor", "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("test accuracy: 100.00%")
    assert np.isfinite(score(done.stdout.strip().splitlines()[-1]))
