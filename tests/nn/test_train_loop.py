"""nn.train: fit, evaluate, History and EarlyStopping (the command: tests/nn/test_cli.py)."""
import os
import re
import signal
import sys

import numpy as np
import pytest

import nn
from nn import functional as F
from nn.train import EarlyStopping, History, evaluate, fit


def spirals_split():
    return nn.data.spirals(50, 3, seed=0, n_test=10)


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
    pytest.importorskip(
        "matplotlib", reason="missing resource: matplotlib (pip install matplotlib)")
    history = History()
    history.append(1, {"train_loss": 1.0, "val_loss": 1.2, "train_accuracy": 0.5, "lr": 0.1})
    history.append(2, {"train_loss": 0.5, "val_loss": 0.8, "train_accuracy": 0.7, "lr": 0.1})
    axes = history.plot()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]


def test_history_plot_keeps_every_label_inside_the_saved_figure(tmp_path):
    pytest.importorskip(
        "matplotlib", reason="missing resource: matplotlib (pip install matplotlib)")
    history = History()
    for epoch in (1, 2, 3):
        history.append(epoch, {"train_loss": 1.0 / epoch, "val_loss": 1.1 / epoch,
                               "train_accuracy": 0.5 + 0.1 * epoch, "lr": 0.1})
    axes = history.plot()
    figure = axes[0].figure
    figure.savefig(tmp_path / "history.png")  # lays the figure out, as any saving does
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    for ax in axes:
        drawn = ax.get_tightbbox(renderer)  # everything drawn for the panel: labels, ticks, title
        assert box.x0 <= drawn.x0 and drawn.x1 <= box.x1 and box.y0 <= drawn.y0 <= drawn.y1 <= box.y1
        label = ax.xaxis.label.get_window_extent(renderer)
        assert ax.xaxis.label.get_text() == "epoch" and box.y0 <= label.y0


def test_history_plot_without_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    history = History()
    history.append(1, {"train_loss": 1.0})
    with pytest.raises(ImportError, match="pip install matplotlib"):
        history.plot()


# ---- bad data is named before it does harm -----------------------------------------------------

def loader_with(X, y):
    return nn.DataLoader(X, y, batch_size=4, shuffle=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_the_inputs_names_the_batch_the_array_and_the_row(bad):
    (X, y), _ = spirals_split()
    X = X.copy()
    X[9, 1] = bad  # batch 3 (rows 8..11), row 1 of that batch
    model = small_model()
    with pytest.raises(ValueError) as info:
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), loader_with(X, y),
            epochs=1, progress=False)
    message = str(info.value)
    assert "batch 3 of epoch 1" in message and "inputs" in message and str(bad) in message
    assert "row 1 of the batch" in message and "first is row 9" in message
    assert "learning rate" not in message


def test_nan_in_float_targets_names_the_targets():
    (X, y), _ = nn.data.sine(40, seed=0)
    y = y.copy()
    y[2, 0] = np.nan
    model = nn.MLP([1, 8, 1])
    with pytest.raises(ValueError, match=r"batch 1 of epoch 1: the targets hold nan \(row 2"):
        fit(model, F.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), loader_with(X, y),
            epochs=1, metrics=(), progress=False)


def test_the_weights_never_see_a_batch_with_nan():
    (X, y), _ = spirals_split()
    X = X.copy()
    X[9, 0] = np.nan
    model = small_model()
    with pytest.raises(ValueError):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), loader_with(X, y),
            epochs=1, progress=False)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_a_loss_that_diverges_from_finite_data_warns_once_about_the_learning_rate():
    (X, y), _ = nn.data.sine(64, seed=0)
    nn.manual_seed(0)
    model = nn.MLP([1, 16, 1])
    with pytest.warns(RuntimeWarning, match="diverged; try a smaller learning rate") as caught:
        history = fit(model, F.mse_loss, nn.optim.SGD(model.parameters(), lr=100.0), (X, y),
                      epochs=20, metrics=(), progress=False)
    assert sum("diverged" in str(w.message) for w in caught) == 1
    assert len(history) < 20  # stopped: with NaN weights every later epoch is NaN too


def test_training_data_that_gives_no_batch_is_an_error_before_training():
    X, y = np.zeros((10, 2), np.float32), np.zeros(10, np.int64)
    model = small_model()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="no batches.*drop_last=True.*batch_size of at most 10"):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
            nn.DataLoader(X, y, batch_size=32, drop_last=True), epochs=2, progress=False)
    assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))


def test_empty_training_data_is_an_error_before_training():
    model = small_model()
    with pytest.raises(ValueError, match="no batches.*0 samples"):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
            (np.zeros((0, 2), np.float32), np.zeros(0, np.int64)), epochs=1, progress=False)


def test_a_generator_of_batches_for_several_epochs_is_an_error_before_training():
    train, _ = spirals_split()
    batches = (batch for batch in nn.DataLoader(*train, batch_size=16))
    model = small_model()
    with pytest.raises(TypeError, match="only once, but epochs=2"):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), batches,
            epochs=2, progress=False)


def test_a_generator_of_batches_serves_one_epoch():
    train, _ = spirals_split()
    batches = (batch for batch in nn.DataLoader(*train, batch_size=16))
    model = small_model()
    history = fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), batches,
                  epochs=1, progress=False)
    assert len(history) == 1


def test_batches_that_run_out_after_an_epoch_stop_training_keeping_the_history():
    class OnePass:
        """Re-iterable, but empty after its first pass."""

        def __init__(self, batches):
            self.batches = list(batches)

        def __iter__(self):
            batches, self.batches = self.batches, []
            return iter(batches)

    train, _ = spirals_split()
    model = small_model()
    with pytest.warns(RuntimeWarning, match="no batches in epoch 2.*1 epochs trained"):
        history = fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
                      OnePass(nn.DataLoader(*train, batch_size=16)), epochs=3, progress=False)
    assert history.epochs == [1] and len(history["train_loss"]) == 1


# ---- Ctrl-C, and errors during validation -------------------------------------------------------

class Interrupting(nn.Module):
    """A model that raises `error` on its `at`-th call in the given mode (training or not)."""

    def __init__(self, at, training, error=KeyboardInterrupt):
        self.net, self.calls, self.at = small_model(), 0, at
        self.when_training, self.error = training, error

    def forward(self, x):
        if self.training == self.when_training:
            self.calls += 1
            if self.calls == self.at:
                raise self.error("stop")
        return self.net(x)


def test_ctrl_c_during_training_returns_the_history_so_far_in_training_mode():
    train, val = spirals_split()
    model = Interrupting(at=12, training=True)  # 10 batches an epoch: the 2nd batch of epoch 2
    history = fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2),
                  nn.DataLoader(*train, batch_size=15), epochs=5, val=val, progress=False)
    assert history.interrupted and history.epochs == [1]
    assert model.training and all(m.training for m in model.modules())
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_ctrl_c_during_validation_leaves_the_model_in_training_mode():
    train, val = spirals_split()
    model = Interrupting(at=2, training=False)  # the second validation pass
    history = fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2), train,
                  epochs=5, val=val, progress=False)
    assert history.interrupted and history.epochs == [1]
    assert model.training


def test_an_error_during_validation_does_not_leave_the_model_in_eval_mode():
    train, val = spirals_split()
    model = Interrupting(at=1, training=False, error=RuntimeError)
    with pytest.raises(RuntimeError):
        fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2), train,
            epochs=2, val=val, progress=False)
    assert model.training and all(m.training for m in model.modules())


def test_evaluate_puts_the_model_back_in_its_mode_after_an_error():
    model = Interrupting(at=1, training=False, error=RuntimeError).eval()
    model.train()
    with pytest.raises(RuntimeError):
        evaluate(model, spirals_split()[1], F.cross_entropy)
    assert model.training


def _fit_with_a_sigint_halfway_through_the_first_step(sigint_handler):
    """SIGINT arrives after the first parameter is updated, before the others are; Python's own
    SIGINT handler is `sigint_handler` meanwhile (a process started in the background, with `&`
    or nohup, inherits SIG_IGN)."""
    class InterruptedHalfway(nn.optim.SGD):
        def _update(self, p, grad, state, group):
            super()._update(p, grad, state, group)
            if p is first:
                os.kill(os.getpid(), signal.SIGINT)

    train, _ = spirals_split()
    model = small_model()
    first = next(model.parameters())
    start = [p.data.copy() for p in model.parameters()]
    previous = signal.signal(signal.SIGINT, sigint_handler)
    try:
        history = fit(model, F.cross_entropy, InterruptedHalfway(model.parameters(), lr=0.1),
                      nn.DataLoader(*train, batch_size=150), epochs=3, progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    return history, start, model


def test_a_ctrl_c_in_the_middle_of_an_optimizer_step_waits_for_the_step_to_finish():
    history, start, model = _fit_with_a_sigint_halfway_through_the_first_step(
        signal.default_int_handler)
    assert history.interrupted and history.epochs == []
    # every parameter took the one step, not only the first
    assert all(not np.array_equal(s, p.data) for s, p in zip(start, model.parameters()))


def test_a_ctrl_c_the_process_ignores_leaves_training_running():
    history, _, _ = _fit_with_a_sigint_halfway_through_the_first_step(signal.SIG_IGN)
    assert not history.interrupted and len(history.epochs) == 3


# ---- the progress line without tqdm --------------------------------------------------------------

def test_without_tqdm_the_progress_line_shows_the_validation_numbers_and_the_time(
        monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    train, val = spirals_split()
    model = small_model()
    fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2), train, epochs=2,
        val=val)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 2  # stderr is not a terminal here: one finished line per epoch
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {epoch}/2: 100%")
        assert re.search(r"\[00:0\d, train_loss=\S+ train_accuracy=\S+ val_loss=\S+ "
                         r"val_accuracy=\S+ lr=\S+\]$", line), line


def test_long_runs_show_one_bar_for_the_whole_run(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    train, _ = spirals_split()
    model = small_model()
    fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=1e-2), train, epochs=30)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("training: 100%|") and "30/30" in lines[0]


def test_validation_batches_from_a_generator_for_several_epochs_are_an_error_before_training():
    train, val = spirals_split()
    model = small_model()
    with pytest.raises(TypeError, match="val is a generator.*only once"):
        fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), train, epochs=2,
            val=(batch for batch in nn.DataLoader(*val, batch_size=8)), progress=False)


def test_evaluate_on_no_data_says_so():
    with pytest.raises(ValueError, match="evaluate: the data gave no samples"):
        evaluate(small_model(), (np.zeros((0, 2), np.float32), np.zeros(0, np.int64)),
                 F.cross_entropy)
