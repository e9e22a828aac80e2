"""Training loop: `fit`, `evaluate`, `History` and `EarlyStopping`.

    history = fit(model, F.cross_entropy, Adam(model.parameters()), train_loader, epochs=10,
                  val=(X_val, y_val))
    history.plot()

One epoch: for every mini-batch, forward, loss, backward, (clip), step; then evaluate on `val`,
step the learning-rate schedule, record the numbers, and ask the callbacks whether to stop.
Progress bars are in nn/progress.py; the `python -m nn.train` command is in nn/cli.py.
"""
import collections.abc
import contextlib
import math
import signal
import sys
import threading
import time
import warnings

import numpy as np

import autograd as ag

from . import functional as F
from .data import DataLoader
from .progress import progress as _progress

METRICS = {"accuracy": F.accuracy}


def _numbers(logs):
    return " ".join(f"{k}={v:.4g}" for k, v in logs.items())


# ----------------------------------------------------------------------------------------------

class History:
    """Per-epoch numbers: `history["train_loss"]`, `history["val_accuracy"]`, ..., and `lr`.

    `interrupted` is True when training was stopped with Ctrl-C (the epochs completed are kept).
    """

    def __init__(self):
        self.epochs = []
        self.logs = {}
        self.interrupted = False

    def append(self, epoch, logs):
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.logs.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.logs[key]

    def __contains__(self, key):
        return key in self.logs

    def keys(self):
        return self.logs.keys()

    def __len__(self):
        return len(self.epochs)

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.logs.items())
        return f"History({len(self)} epochs; last: {last})"

    def plot(self, axes=None):
        """Loss curves (train and val) and one panel per metric; returns the axes. Needs
        matplotlib. The figure it makes lays itself out when drawn or saved, so every label
        stays inside it (fig.savefig needs no bbox_inches)."""
        try:
            import matplotlib.pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError("History.plot draws with matplotlib, which is not installed: "
                              "pip install matplotlib (or pip install glassgrad[notebooks])"
                              ) from None

        names = sorted({k.split("_", 1)[1] for k in self.logs if k.startswith(("train_", "val_"))},
                       key=lambda n: (n != "loss", n))
        if axes is None:
            _, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False,
                                   layout="constrained")
            axes = axes[0]
        for ax, name in zip(axes, names):
            for split in ("train", "val"):
                key = f"{split}_{name}"
                if key in self.logs:
                    ax.plot(self.epochs, self.logs[key], marker="o", label=split)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(name)
            ax.legend()
        return axes


class EarlyStopping:
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs;
    with restore_best=True put the best epoch's weights back at the end."""

    def __init__(self, monitor="val_loss", patience=3, min_delta=0.0, mode="min", restore_best=True):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best = mode, restore_best
        self.best, self.best_epoch, self.best_state, self.wait = None, None, None, 0

    def __call__(self, epoch, logs, model):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the logs only have "
                           f"{sorted(logs)} (pass val= to fit for val_ numbers)")
        value = logs[self.monitor]
        better = (self.best is None or
                  (value < self.best - self.min_delta if self.mode == "min"
                   else value > self.best + self.min_delta))
        if better:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = {k: v.copy() for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, model):
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


# ----------------------------------------------------------------------------------------------
# Checks that turn a confusing failure later into a clear message now

def _loader(data, batch_size, shuffle):
    if data is None or isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return DataLoader(*data, batch_size=batch_size, shuffle=shuffle)
    return data  # any re-iterable of (xb, yb) batches


def _describe(data):
    if isinstance(data, DataLoader):
        return (f"{len(data.X)} samples, batch_size={data.batch_size}, "
                f"drop_last={data.drop_last}")
    return type(data).__name__


def _check_reusable(data, what, epochs):
    """An iterator (a generator, say) gives its batches once: epoch 2 would get nothing."""
    if epochs > 1 and isinstance(data, collections.abc.Iterator):
        raise TypeError(f"fit: {what} is a {type(data).__name__}, an iterator that gives its "
                        f"batches only once, but epochs={epochs}. Pass (X, y), a DataLoader, or "
                        "a list of batches")


def _check_not_empty(data, what):
    if hasattr(data, "__len__") and len(data) == 0:
        hint = ""
        if isinstance(data, DataLoader) and len(data.X):
            hint = (": drop_last=True drops the only, partial batch; use a batch_size of at "
                    f"most {len(data.X)}, or drop_last=False")
        raise ValueError(f"fit: the {what} data gives no batches ({_describe(data)}){hint}")


def _check_finite(xb, yb, where, data):
    """Raise, naming the array and the row, if the batch holds NaN or inf: it would make the loss
    NaN whatever the learning rate, and the weights NaN one step later."""
    for name, array, whole in (("inputs", xb, "X"), ("targets", yb, "y")):
        a = array if type(array) is np.ndarray else np.asarray(array)
        if a.dtype.kind not in "fc" or np.isfinite(a).all():
            continue
        bad = np.argwhere(~np.isfinite(a))[0]
        value = a[tuple(bad)]
        cell = f"row {bad[0]} of the batch" + (f", column {tuple(int(i) for i in bad[1:])}"
                                               if len(bad) > 1 else "")
        origin = ""
        if isinstance(data, DataLoader):
            full = getattr(data, whole)
            rows = ~np.isfinite(full).reshape(len(full), -1).all(axis=1)
            origin = (f"; {int(rows.sum())} rows of {whole} hold NaN or inf, the first is row "
                      f"{int(np.argmax(rows))}")
        raise ValueError(f"{where}: the {name} hold {value} ({cell}){origin}. NaN or inf in the "
                         "data makes the loss NaN, and every weight one step later: find such "
                         "rows with np.isfinite(a).all(axis=1), then drop or fill them")


def _needs_batch_checks(data):
    """Whether each batch of `data` must be checked for NaN/inf: not for a DataLoader whose arrays
    are finite (one pass over them, rather than one per epoch); where they are not, the batches
    are checked so that the error names the batch it happens in."""
    if not isinstance(data, DataLoader):
        return True
    arrays = (np.asarray(a) for a in (data.X, data.y))
    return not all(a.dtype.kind not in "fc" or np.isfinite(a).all() for a in arrays)


@contextlib.contextmanager
def _whole_steps():
    """Hold a Ctrl-C until the optimizer step in progress is done: an interrupted run never has
    some parameters (or optimizer buffers) updated and others not. Yields `between_steps()`,
    which raises the held KeyboardInterrupt (or calls the handler that was set before)."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is None:
        yield lambda: None  # only the main thread receives signals; None: set outside Python
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))

    def between_steps():
        if caught:
            frame = caught.pop()
            if callable(previous) and previous is not signal.default_int_handler:
                previous(signal.SIGINT, frame)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt

    try:
        yield between_steps
    finally:
        signal.signal(signal.SIGINT, previous)
        between_steps()  # one that came after the last step


# ----------------------------------------------------------------------------------------------

def evaluate(model, data, loss_fn, metrics=("accuracy",), batch_size=1024):
    """Mean loss and metrics over `data` (a DataLoader, (X, y), or batches), without gradients.

    The model is put in eval mode (Dropout off) meanwhile, and back in the mode it was in after,
    even when something goes wrong.
    """
    data = _loader(data, batch_size, shuffle=False)
    return _evaluate(model, data, loss_fn, metrics, _needs_batch_checks(data))


def _evaluate(model, data, loss_fn, metrics, check):
    was_training = getattr(model, "training", False)
    model.eval()
    totals, n = {}, 0
    try:
        with ag.no_grad():
            for i, (xb, yb) in enumerate(data, 1):
                if check:
                    _check_finite(xb, yb, f"evaluate: batch {i}", data)
                out = model(ag.as_tensor(xb))
                value = float(loss_fn(out, yb))
                size = len(xb)
                totals["loss"] = totals.get("loss", 0.0) + value * size
                for m in metrics:
                    totals[m] = totals.get(m, 0.0) + float(METRICS[m](out, yb)) * size
                n += size
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError(f"evaluate: the data gave no samples ({_describe(data)})")
    return {k: v / n for k, v in totals.items()}


def _params(optimizer):
    return [p for group in optimizer.param_groups for p in group["params"]]


def _train_epoch(model, loss_fn, optimizer, train, metrics, clip, bar, epoch, check,
                 between_steps):
    """One pass over `train`; returns the mean train_ numbers, or None if it gave no batches.
    `check`: whether to check each batch for NaN/inf; `between_steps()` raises a held Ctrl-C."""
    from . import optim

    model.train()
    params = _params(optimizer)
    totals, n = {}, 0
    shown = -math.inf  # when the numbers after the bar were last formatted
    for i, (xb, yb) in enumerate(train, 1):
        if check:
            _check_finite(xb, yb, f"fit: batch {i} of epoch {epoch}", train)
        out = model(ag.as_tensor(xb))
        loss = loss_fn(out, yb)
        value = float(loss)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            optim.clip_grad_norm_(params, clip)
        optimizer.step()
        between_steps()
        size = len(xb)
        n += size
        totals["loss"] = totals.get("loss", 0.0) + value * size
        for m in metrics:
            totals[m] = totals.get(m, 0.0) + float(METRICS[m](out.data, yb)) * size
        if bar is not None:
            bar.update(1)
            now = time.monotonic()
            if now - shown >= 0.1:  # a bar redraws at most 10 times a second: format no more often
                shown = now
                bar.set_postfix_str(" ".join(f"{k}={v / n:.4f}" for k, v in totals.items()),
                                    refresh=False)
    return {f"train_{k}": v / n for k, v in totals.items()} if n else None


def fit(model, loss_fn, optimizer, train, epochs, val=None, scheduler=None, clip_grad_norm=None,
        metrics=("accuracy",), progress=True, callbacks=(), batch_size=32):
    """Train `model` for `epochs` epochs and return a History.

    train, val: DataLoaders, (X, y) tuples (batched with `batch_size`), or re-iterables of batches.
    scheduler: stepped once per epoch; a ReduceLROnPlateau is given the val loss (else train loss).
    clip_grad_norm: clip the global gradient norm to this value before every step.
    callbacks: callables (epoch, logs, model) -> True to stop; EarlyStopping is one.
    progress: a bar per epoch (for up to 25 epochs), or one bar for the whole run (for more).

    Bad data is named before it does harm: a batch holding NaN or inf raises a ValueError naming
    the batch, the array and the row; training data that gives no batches raises before training.
    Ctrl-C stops training after the current step (never halfway through one) and returns the
    History of the epochs completed, with `history.interrupted` set; the model is left in
    training mode.
    """
    from . import optim

    for m in metrics:
        if m not in METRICS:
            raise ValueError(f"unknown metric {m!r}; available: {sorted(METRICS)}")
    train = _loader(train, batch_size, shuffle=True)
    val = _loader(val, batch_size, shuffle=False)
    _check_reusable(train, "train", epochs)
    _check_reusable(val, "val", epochs)
    _check_not_empty(train, "training")
    if val is not None:
        _check_not_empty(val, "validation")
    history = History()
    per_epoch = epochs <= 25
    run_bar = None if per_epoch else _progress(epochs, "training", progress, unit="epoch")
    epoch, bar, diverged = 0, None, False
    check_train, check_val = _needs_batch_checks(train), _needs_batch_checks(val)
    try:
        with _whole_steps() as between_steps:
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                bar = _progress(len(train) if hasattr(train, "__len__") else None,
                                f"epoch {epoch}/{epochs}", progress and per_epoch)
                logs = _train_epoch(model, loss_fn, optimizer, train, metrics, clip_grad_norm, bar,
                                    epoch, check_train, between_steps)
                if logs is None:
                    if bar is not None:
                        bar.close()
                        bar = None
                    if epoch == 1:
                        raise ValueError(f"fit: the training data gave no batches in epoch 1 "
                                         f"({_describe(train)})")
                    warnings.warn(f"fit: the training data gave no batches in epoch {epoch} (a "
                                  "one-shot iterable?); stopping with the history of the "
                                  f"{epoch - 1} epochs trained", RuntimeWarning, stacklevel=2)
                    break
                if not math.isfinite(logs["train_loss"]) and not diverged:
                    diverged = True
                    warnings.warn(f"fit: epoch {epoch}: the training loss is {logs['train_loss']}, "
                                  "from finite data: training diverged; try a smaller learning "
                                  "rate, or clip_grad_norm=", RuntimeWarning, stacklevel=2)
                if val is not None:
                    scores = _evaluate(model, val, loss_fn, metrics, check_val)
                    logs.update({f"val_{k}": v for k, v in scores.items()})
                logs["lr"] = optimizer.param_groups[0]["lr"]
                logs["seconds"] = time.perf_counter() - start
                shown = _numbers({k: v for k, v in logs.items() if k != "seconds"})
                if bar is not None:
                    bar.set_postfix_str(shown)
                    bar.close()
                    bar = None
                if run_bar is not None:
                    run_bar.set_postfix_str(shown, refresh=False)
                    run_bar.update(1)
                history.append(epoch, logs)
                if scheduler is not None:
                    if isinstance(scheduler, optim.ReduceLROnPlateau):
                        scheduler.step(logs.get("val_loss", logs["train_loss"]))
                    else:
                        scheduler.step()
                if any([cb(epoch, logs, model) for cb in callbacks]):
                    break
                if diverged and not all(np.isfinite(p.data).all() for p in _params(optimizer)):
                    warnings.warn(f"fit: stopping after epoch {epoch}: the weights hold NaN or "
                                  "inf, so every later step would too", RuntimeWarning, stacklevel=2)
                    break
    except KeyboardInterrupt:
        history.interrupted = True
        model.train()
        print(f"\ninterrupted in epoch {epoch}: returning the history of the {len(history)} "
              "epochs completed (the model keeps the weights of the last step)",
              file=sys.stderr)
    finally:
        for open_bar in (bar, run_bar):
            if open_bar is not None:
                open_bar.close()
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(model)
    return history


# ----------------------------------------------------------------------------------------------

def main(argv=None):
    """`python -m nn.train`: train an MLP from the command line (nn/cli.py)."""
    from .cli import main as command
    return command(argv)


if __name__ == "__main__":
    sys.exit(main())
