"""Training loop: `fit`, `evaluate`, `History`, `EarlyStopping`, and the `python -m nn.train` command.

    history = fit(model, F.cross_entropy, Adam(model.parameters()), train_loader, epochs=10,
                  val=(X_val, y_val))
    history.plot()

One epoch: for every mini-batch, forward, loss, backward, (clip), step; then evaluate on `val`,
step the learning-rate schedule, record the numbers, and ask the callbacks whether to stop.
"""
import argparse
import math
import os
import sys
import time

import numpy as np

import autograd as ag

from . import functional as F
from .data import DataLoader

METRICS = {"accuracy": F.accuracy}


# ----------------------------------------------------------------------------------------------
# Progress bars: in a terminal tqdm when it is installed, otherwise a one-line text bar, so the
# main job needs nothing beyond NumPy; in Jupyter a text bar that updates one output in place.

class _TextBar:
    def __init__(self, total, desc, file=sys.stderr):
        self.total, self.desc, self.file, self.n, self.postfix = total, desc, file, 0, ""
        self._last = 0.0

    def update(self, n=1):
        self.n += n
        now = time.monotonic()
        if now - self._last > 0.2 or self.n == self.total:
            self._last = now
            done = int(30 * self.n / max(self.total, 1))
            self.file.write(f"\r{self.desc}: [{'#' * done}{'.' * (30 - done)}] "
                            f"{self.n}/{self.total} {self.postfix}")
            self.file.flush()

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def close(self):
        self.file.write("\n")
        self.file.flush()


class _NotebookBar(_TextBar):
    """In Jupyter: the same text bar, as one output that updates in place (a display id), so a
    saved notebook keeps each epoch's last state ("469/469 ... 3.2 s"), readable anywhere,
    instead of a widget that other viewers show frozen at 0%."""

    def __init__(self, total, desc):
        from IPython.display import display
        super().__init__(total, desc)
        self._start = time.monotonic()
        self._handle = display({"text/plain": self._text()}, raw=True, display_id=True)

    def _text(self, seconds=None):
        done = int(30 * self.n / max(self.total or 1, 1))
        total = f"/{self.total}" if self.total else ""
        took = f" ({seconds:.1f} s)" if seconds is not None else ""
        return (f"{self.desc}: [{'#' * done}{'.' * (30 - done)}] {self.n}{total} batches "
                f"{self.postfix}{took}").rstrip()

    def update(self, n=1):
        self.n += n
        now = time.monotonic()
        if now - self._last > 0.5:
            self._last = now
            self._handle.update({"text/plain": self._text()}, raw=True)

    def close(self):
        self._handle.update({"text/plain": self._text(time.monotonic() - self._start)}, raw=True)


def _in_notebook():
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _progress(total, desc, enabled):
    if not enabled or os.environ.get("TQDM_DISABLE", "0").lower() not in ("", "0", "false"):
        return None
    if _in_notebook():
        return _NotebookBar(total, desc)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar(total, desc)
    return tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True)


# ----------------------------------------------------------------------------------------------

class History:
    """Per-epoch numbers: `history["train_loss"]`, `history["val_accuracy"]`, ..., and `lr`."""

    def __init__(self):
        self.epochs = []
        self.logs = {}

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
        """Loss curves (train and val) and one panel per metric. Needs matplotlib."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        names = sorted({k.split("_", 1)[1] for k in self.logs if k.startswith(("train_", "val_"))},
                       key=lambda n: (n != "loss", n))
        if axes is None:
            _, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
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


def _loader(data, batch_size, shuffle):
    if data is None or isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return DataLoader(*data, batch_size=batch_size, shuffle=shuffle)
    return data  # any re-iterable of (xb, yb) batches


def evaluate(model, data, loss_fn, metrics=("accuracy",), batch_size=1024):
    """Mean loss and metrics over `data` (a DataLoader, (X, y), or batches), without gradients."""
    data = _loader(data, batch_size, shuffle=False)
    was_training = getattr(model, "training", False)
    model.eval()
    totals, n = {}, 0
    with ag.no_grad():
        for xb, yb in data:
            out = model(ag.as_tensor(xb))
            size = len(xb)
            totals["loss"] = totals.get("loss", 0.0) + float(loss_fn(out, yb)) * size
            for m in metrics:
                totals[m] = totals.get(m, 0.0) + float(METRICS[m](out, yb)) * size
            n += size
    model.train(was_training)
    return {k: v / n for k, v in totals.items()}


def fit(model, loss_fn, optimizer, train, epochs, val=None, scheduler=None, clip_grad_norm=None,
        metrics=("accuracy",), progress=True, callbacks=(), batch_size=32):
    """Train `model` for `epochs` epochs and return a History.

    train, val: DataLoaders, (X, y) tuples (batched with `batch_size`), or re-iterables of batches.
    scheduler: stepped once per epoch; a ReduceLROnPlateau is given the val loss (else train loss).
    clip_grad_norm: clip the global gradient norm to this value before every step.
    callbacks: callables (epoch, logs, model) -> True to stop; EarlyStopping is one.
    """
    from . import optim

    for m in metrics:
        if m not in METRICS:
            raise ValueError(f"unknown metric {m!r}; available: {sorted(METRICS)}")
    train = _loader(train, batch_size, shuffle=True)
    val = _loader(val, batch_size, shuffle=False)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        bar = _progress(len(train) if hasattr(train, "__len__") else None,
                        f"epoch {epoch}/{epochs}", progress)
        totals, n = {}, 0
        shown = -math.inf  # when the numbers after the bar were last formatted
        for xb, yb in train:
            out = model(ag.as_tensor(xb))
            loss = loss_fn(out, yb)
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                optim.clip_grad_norm_(params, clip_grad_norm)
            optimizer.step()
            size = len(xb)
            n += size
            totals["loss"] = totals.get("loss", 0.0) + float(loss) * size
            for m in metrics:
                totals[m] = totals.get(m, 0.0) + float(METRICS[m](out.data, yb)) * size
            if bar is not None:
                bar.update(1)
                now = time.monotonic()
                if now - shown >= 0.1:  # the bar redraws at most 10 times a second: format no more
                    shown = now
                    bar.set_postfix_str(" ".join(f"{k}={v / n:.4f}" for k, v in totals.items()),
                                        refresh=False)
        logs = {f"train_{k}": v / n for k, v in totals.items()}
        if not math.isfinite(logs["train_loss"]):
            print(f"epoch {epoch}: the training loss is {logs['train_loss']}; try a smaller "
                  "learning rate or clip_grad_norm=", file=sys.stderr)
        if val is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, val, loss_fn, metrics).items()})
        logs["lr"] = optimizer.param_groups[0]["lr"]
        if bar is not None:
            bar.set_postfix_str(" ".join(f"{k}={v:.4g}" for k, v in logs.items()))
            bar.close()
        history.append(epoch, logs)
        if scheduler is not None:
            if isinstance(scheduler, optim.ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["train_loss"]))
            else:
                scheduler.step()
        if any([cb(epoch, logs, model) for cb in callbacks]):
            break
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(model)
    return history


# ----------------------------------------------------------------------------------------------
# python -m nn.train

def _dataset(name, args):
    from . import data

    if name == "mnist":
        return data.mnist(args.data_dir, download=not args.no_download)
    if name == "binary_mnist":
        return data.binary_mnist(3, 7, args.data_dir, download=not args.no_download)
    if name == "spirals":
        X, y = data.spirals(300, 3, seed=args.seed)
    elif name == "xor":
        X, y = data.xor()
        return (X, y), (X, y)
    elif name == "sine":
        X, y = data.sine(1024, seed=args.seed)
    else:
        raise ValueError(name)
    rows = np.random.default_rng(args.seed).permutation(len(X))
    cut = int(0.8 * len(X))
    return (X[rows[:cut]], y[rows[:cut]]), (X[rows[cut:]], y[rows[cut:]])


_DEFAULT_SIZES = {"mnist": "784,300,75,10", "binary_mnist": "784,64,32,2", "spirals": "2,64,64,3",
                  "xor": "2,4,1", "sine": "1,64,64,1"}


def main(argv=None):
    from . import MLP, manual_seed, optim
    from .data import DatasetError

    p = argparse.ArgumentParser(
        prog="python -m nn.train",
        description="Train an MLP (default: 784-300-75-10 ReLU on MNIST, 12 epochs of Adam at "
                    "lr 2e-3 with cosine annealing, batch 128) and print the test accuracy.")
    p.add_argument("--dataset", default="mnist", choices=sorted(_DEFAULT_SIZES))
    p.add_argument("--sizes", help="layer sizes, comma-separated (default depends on dataset)")
    p.add_argument("--activation", default="relu", choices=["relu", "tanh", "sigmoid", "leaky_relu"])
    p.add_argument("--optimizer", default="adam", choices=["adam", "adamw", "sgd", "rmsprop", "adagrad"])
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--schedule", default="cosine", choices=["cosine", "none", "plateau"],
                   help="learning-rate schedule over the epochs (default: cosine annealing)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default: $GLASSGRAD_DATA or ~/.cache/glassgrad)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST")
    p.add_argument("--subset", type=int, default=None,
                   help="train on only this many training examples (quick runs)")
    p.add_argument("--save", default=None, help="write the trained weights to this .npz file")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    try:
        (X, y), (X_test, y_test) = _dataset(args.dataset, args)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.subset:
        X, y = X[:args.subset], y[:args.subset]

    manual_seed(args.seed)
    sizes = [int(s) for s in (args.sizes or _DEFAULT_SIZES[args.dataset]).split(",")]
    regression = args.dataset == "sine"
    binary = args.dataset == "xor"
    model = MLP(sizes, activation=args.activation)
    if regression:
        loss_fn, metrics = F.mse_loss, ()
    elif binary:
        loss_fn, metrics = F.binary_cross_entropy_with_logits, ("accuracy",)
    else:
        loss_fn, metrics = F.cross_entropy, ("accuracy",)
    opt_cls = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD,
               "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}[args.optimizer]
    optimizer = opt_cls(model.parameters(), lr=args.lr)
    scheduler = {"cosine": lambda: optim.CosineAnnealingLR(optimizer, T_max=args.epochs),
                 "plateau": lambda: optim.ReduceLROnPlateau(optimizer, patience=1),
                 "none": lambda: None}[args.schedule]()

    print(f"{model}\ntraining on {len(X)} examples of {args.dataset} for {args.epochs} epochs "
          f"(batch {args.batch_size}, {args.optimizer} lr={args.lr}, schedule={args.schedule}, "
          f"seed={args.seed})", flush=True)
    loader = DataLoader(X, y, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    start = time.perf_counter()
    fit(model, loss_fn, optimizer, loader, args.epochs, val=(X_test, y_test),
        scheduler=scheduler, metrics=metrics, progress=not args.no_progress)
    seconds = time.perf_counter() - start
    result = evaluate(model, (X_test, y_test), loss_fn, metrics)
    if args.save:
        model.save(args.save)
        print(f"saved the weights to {args.save}")
    if regression:
        print(f"test mse: {result['loss']:.6f} ({seconds:.1f} s)")
    else:
        print(f"test accuracy: {100 * result['accuracy']:.2f}% (test loss {result['loss']:.4f}, "
              f"{seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
