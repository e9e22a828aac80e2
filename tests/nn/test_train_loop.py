"""nn.train: fit, evaluate, History, EarlyStopping and the `python -m nn.train` command."""
import numpy as np
import pytest

import nn
from nn import functional as F
from nn.train import EarlyStopping, History, evaluate, fit, main


def spirals_split():
    X, y = nn.data.spirals(60, 3, seed=0)
    rows = np.random.default_rng(0).permutation(len(X))
    return (X[rows[:150]], y[rows[:150]]), (X[rows[150:]], y[rows[150:]])


def small_model(seed=0):
    nn.manual_seed(seed)
    return nn.MLP([2, 32, 3], activation="tanh")


def test_fit_returns_one_history_entry_per_epoch_with_train_and_val_numbers():
    train, val = spirals_split()
    model = small_model()
    history = fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2),
                  nn.DataLoader(*train, batch_size=32, seed=0), epochs=3, val=val, progress=False)
    assert history.epochs == [1, 2, 3]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(history[key]) == 3


def test_fit_lowers_the_training_loss():
    train, _ = spirals_split()
    model = small_model()
    history = fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2), train,
                  epochs=20, progress=False)
    assert history["train_loss"][-1] < 0.8 * history["train_loss"][0]


def test_fit_steps_the_schedule_once_per_epoch():
    train, _ = spirals_split()
    model = small_model()
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, F.cross_entropy, opt, train, epochs=3, progress=False,
                  scheduler=nn.optim.StepLR(opt, step_size=1, gamma=0.5))
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_reduce_lr_on_plateau_is_fed_the_validation_loss():
    class Recorder(nn.optim.ReduceLROnPlateau):
        seen = []

        def step(self, metric):
            self.seen.append(metric)
            super().step(metric)

    train, val = spirals_split()
    model = small_model()
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    history = fit(model, F.cross_entropy, opt, train, epochs=2, val=val, progress=False,
                  scheduler=Recorder(opt))
    assert Recorder.seen == pytest.approx(history["val_loss"])


def test_evaluate_gives_the_mean_loss_and_accuracy_without_recording_a_graph():
    train, _ = spirals_split()
    model = small_model()
    result = evaluate(model, train, F.cross_entropy)
    logits = model(nn.Parameter(train[0], requires_grad=False))
    assert result["loss"] == pytest.approx(float(F.cross_entropy(logits, train[1])), rel=1e-5)
    assert result["accuracy"] == pytest.approx(float(F.accuracy(logits, train[1])))
    assert all(p.grad is None for p in model.parameters())


def test_early_stopping_stops_when_the_monitored_number_stops_improving():
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best=False)
    model = small_model()
    flags = [stop(e, {"val_loss": v}, model) for e, v in enumerate([1.0, 0.9, 0.95, 0.97], 1)]
    assert flags == [False, False, False, True]
    assert stop.best_epoch == 2


def test_early_stopping_restores_the_best_weights():
    train, val = spirals_split()
    model = small_model()
    stop = EarlyStopping(monitor="val_loss", patience=1)
    # A learning rate far too large makes the validation loss rise after the first epoch.
    fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=50.0), train, epochs=6,
        val=val, progress=False, callbacks=[stop])
    assert evaluate(model, val, F.cross_entropy)["loss"] == pytest.approx(stop.best, rel=1e-5)


def test_early_stopping_names_the_missing_key():
    with pytest.raises(KeyError, match="val_loss.*train_loss"):
        EarlyStopping()(1, {"train_loss": 1.0}, small_model())


def test_fit_rejects_an_unknown_metric_by_name():
    model = small_model()
    with pytest.raises(ValueError, match="'f1'.*accuracy"):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), spirals_split()[0],
            epochs=1, metrics=("f1",), progress=False)


def test_history_plot_draws_one_panel_per_quantity():
    pytest.importorskip("matplotlib")
    history = History()
    history.append(1, {"train_loss": 1.0, "val_loss": 1.2, "train_accuracy": 0.5, "lr": 0.1})
    history.append(2, {"train_loss": 0.5, "val_loss": 0.8, "train_accuracy": 0.7, "lr": 0.1})
    axes = history.plot()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]


def test_the_command_trains_on_a_mnist_subset_well_above_chance(capsys, tmp_path):
    out = tmp_path / "model.npz"
    code = main(["--subset", "3000", "--epochs", "1", "--no-progress", "--save", str(out)])
    assert code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ")
    assert float(last.split()[2].rstrip("%")) > 80.0  # chance is 10%
    model = nn.MLP([784, 300, 75, 10]).load(out)
    assert model[0].weight.shape == (300, 784)


def test_the_command_exits_non_zero_with_a_clear_message_when_mnist_is_missing(capsys, tmp_path):
    code = main(["--data-dir", str(tmp_path), "--no-download", "--no-progress"])
    assert code == 2
    assert "MNIST files not found" in capsys.readouterr().err
