"""`python -m nn.train`: train an MLP on one of the built-in datasets and report its test score.

Every choice the command offers comes with defaults that work: each dataset has its own network,
epochs and batch size, and each (dataset, optimizer) pair its own learning rate, so that
`python -m nn.train --dataset xor` or `--optimizer sgd`, with nothing else, trains well.
`--help` shows them all.

The test set is looked at once, at the end. Everything decided during training -- the progress
numbers, `--schedule plateau` -- uses a validation split held out from the training set.
"""
import argparse
import sys
import time
from fractions import Fraction

from . import functional as F
from .data import DataLoader

# Per dataset: the network and the run. `val` is the fraction of the training set held out.
PRESETS = {
    "mnist": dict(sizes="784,300,75,10", activation="relu", epochs=12, batch_size=128, val=1 / 12),
    "binary_mnist": dict(sizes="784,64,32,2", activation="relu", epochs=12, batch_size=128,
                         val=1 / 12),
    "spirals": dict(sizes="2,64,64,3", activation="relu", epochs=200, batch_size=32, val=0.2),
    "xor": dict(sizes="2,8,1", activation="tanh", epochs=300, batch_size=4, val=0.0),
    "sine": dict(sizes="1,200,1", activation="tanh", epochs=300, batch_size=32, val=0.2),
}
# Per dataset and optimizer: the learning rate (SGD with momentum MOMENTUM).
LR = {
    "mnist": dict(adam=2e-3, adamw=2e-3, sgd=0.05, rmsprop=1e-3, adagrad=3e-2),
    "binary_mnist": dict(adam=2e-3, adamw=2e-3, sgd=0.05, rmsprop=1e-3, adagrad=3e-2),
    "spirals": dict(adam=1e-2, adamw=1e-2, sgd=0.1, rmsprop=3e-3, adagrad=0.1),
    "xor": dict(adam=0.1, adamw=0.1, sgd=0.5, rmsprop=0.03, adagrad=0.5),
    "sine": dict(adam=1e-2, adamw=1e-2, sgd=0.01, rmsprop=3e-3, adagrad=0.1),
}
MOMENTUM = 0.9
# Adagrad shrinks its own steps as squared gradients add up: no schedule on top, and on MNIST,
# where it then learns slowest, more epochs.
SCHEDULE = dict(adam="cosine", adamw="cosine", sgd="cosine", rmsprop="cosine", adagrad="none")
EPOCHS = {("mnist", "adagrad"): 20}
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")
TARGETS = {"mnist": "test accuracy >= 98%", "binary_mnist": "test accuracy >= 99%",
           "spirals": "test accuracy >= 98%", "xor": "test accuracy 100%",
           "sine": "test MSE < 1e-3"}


def _defaults_table():
    head = f"  {'dataset':<13} {'sizes':<14} {'activation':<10} {'epochs':>6} {'batch':>5} {'val':>5}"
    lines = ["defaults per dataset (each reaches its target with every optimizer):", head]
    for name, p in PRESETS.items():
        lines.append(f"  {name:<13} {p['sizes']:<14} {p['activation']:<10} {p['epochs']:>6} "
                     f"{p['batch_size']:>5} {str(Fraction(p['val']).limit_denominator(100)):>5}   "
                     f"target: {TARGETS[name]}")
    lines += ["", "default learning rate per dataset and optimizer "
              f"(sgd uses momentum {MOMENTUM}; adagrad no schedule,",
              "and " + ", ".join(f"{e} epochs on {d}" for (d, _), e in EPOCHS.items()) + "):",
              f"  {'dataset':<13}" + "".join(f"{o:>9}" for o in OPTIMIZERS)]
    for name, rates in LR.items():
        lines.append(f"  {name:<13}" + "".join(f"{rates[o]:>9.3g}" for o in OPTIMIZERS))
    return "\n".join(lines)


def parser():
    p = argparse.ArgumentParser(
        prog="python -m nn.train", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train an MLP and print its test score, measured once at the end. The "
                    "default: 784-300-75-10 ReLU on MNIST, 12 epochs of Adam (lr 2e-3) with "
                    "cosine annealing, batch 128, 5000 of the training images held out for "
                    "validation.",
        epilog=_defaults_table())
    p.add_argument("--dataset", default="mnist", choices=list(PRESETS),
                   help="what to learn (default: mnist)")
    p.add_argument("--sizes", help="layer sizes, comma-separated (default: per dataset, below)")
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu"],
                   help="hidden layers' activation (default: per dataset, below)")
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS,
                   help="update rule (default: adam)")
    p.add_argument("--lr", type=float,
                   help="learning rate (default: per dataset and optimizer, below)")
    p.add_argument("--momentum", type=float,
                   help=f"momentum of sgd and rmsprop (default: {MOMENTUM} for sgd, 0 for "
                        "rmsprop; the others have none)")
    p.add_argument("--schedule", choices=["cosine", "none", "plateau"],
                   help="learning-rate schedule: cosine annealing to 0 over the epochs, none, or "
                        "plateau (divide by 10 when the validation loss stops falling) "
                        "(default: cosine; none for adagrad)")
    p.add_argument("--epochs", type=int, help="passes over the training set (default: per "
                                              "dataset, below)")
    p.add_argument("--batch-size", type=int, help="samples per step (default: per dataset, below)")
    p.add_argument("--val-fraction", type=float,
                   help="fraction of the training set held out for validation (default: per "
                        "dataset, below: 1/12 of MNIST's 60000 images is 5000)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial weights, the shuffling, the validation split and "
                        "the toy datasets (default: 0)")
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default: $GLASSGRAD_DATA, else "
                        "~/.cache/glassgrad)")
    p.add_argument("--no-download", action="store_true",
                   help="fail instead of downloading MNIST when it is missing (default: "
                        "download it, 11 MB)")
    p.add_argument("--subset", type=int, default=None,
                   help="train on only the first N training examples, for quick runs "
                        "(default: all)")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="write the trained model (architecture and weights) to this .npz file; "
                        "nn.load(PATH) gives it back (default: not saved)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (default: a bar per epoch, showing the numbers)")
    return p


def _dataset(name, args):
    """(train Split, test Split) of the dataset."""
    from . import data

    if name == "mnist":
        return data.mnist(args.data_dir, download=not args.no_download)
    if name == "binary_mnist":
        return data.binary_mnist(3, 7, args.data_dir, download=not args.no_download)
    if name == "spirals":
        return data.spirals(300, 3, seed=args.seed)
    if name == "xor":
        return data.xor()
    if name == "sine":
        return data.sine(1024, n_test=256, seed=args.seed)
    raise ValueError(name)


def _optimizer(name, params, lr, momentum):
    from . import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=MOMENTUM if momentum is None else momentum)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=0.0 if momentum is None else momentum)
    if momentum is not None:
        raise SystemExit(f"error: --momentum does not apply to {name} (only to sgd and rmsprop)")
    return {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad}[name](params, lr=lr)


def main(argv=None):
    from . import MLP, manual_seed, optim
    from .data import DatasetError, validation_split
    from .train import evaluate, fit

    args = parser().parse_args(argv)
    preset = PRESETS[args.dataset]
    sizes = args.sizes or preset["sizes"]
    activation = args.activation or preset["activation"]
    default_epochs = EPOCHS.get((args.dataset, args.optimizer), preset["epochs"])
    epochs = default_epochs if args.epochs is None else args.epochs
    schedule = args.schedule or SCHEDULE[args.optimizer]
    batch_size = args.batch_size or preset["batch_size"]
    val_fraction = preset["val"] if args.val_fraction is None else args.val_fraction
    lr = LR[args.dataset][args.optimizer] if args.lr is None else args.lr

    try:
        (X, y), (X_test, y_test) = _dataset(args.dataset, args)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.subset:
        X, y = X[:args.subset], y[:args.subset]
    # the loader's arrays are this run's own: split them in place, without a second copy
    (X, y), (X_val, y_val) = validation_split(X, y, val_fraction, seed=args.seed, copy=False)
    val = (X_val, y_val) if len(X_val) else None

    manual_seed(args.seed)
    model = MLP([int(s) for s in sizes.split(",")], activation=activation)
    if args.dataset == "sine":
        loss_fn, metrics = F.mse_loss, ()
    elif args.dataset == "xor":
        loss_fn, metrics = F.binary_cross_entropy_with_logits, ("accuracy",)
    else:
        loss_fn, metrics = F.cross_entropy, ("accuracy",)
    optimizer = _optimizer(args.optimizer, model.parameters(), lr, args.momentum)
    scheduler = {"cosine": lambda: optim.CosineAnnealingLR(optimizer, T_max=epochs),
                 "plateau": lambda: optim.ReduceLROnPlateau(optimizer, patience=1),
                 "none": lambda: None}[schedule]()

    held_out = f", {len(X_val)} held out for validation" if val else ", no validation split"
    print(f"{model}\ntraining on {len(X)} examples of {args.dataset}{held_out}, for {epochs} "
          f"epochs (batch {batch_size}, {args.optimizer} lr={lr:g}, schedule={schedule}, "
          f"seed={args.seed})", flush=True)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=args.seed)
    start = time.perf_counter()
    history = fit(model, loss_fn, optimizer, loader, epochs, val=val, scheduler=scheduler,
                  metrics=metrics, progress=not args.no_progress)
    seconds = time.perf_counter() - start
    if history.interrupted:
        print(f"training interrupted after {len(history)} of {epochs} epochs")
    result = evaluate(model, (X_test, y_test), loss_fn, metrics)
    if args.save:
        model.save(args.save)
        print(f"saved the model to {args.save}; load it with: "
              f"nn.load({args.save!r})")
    if args.dataset == "sine":
        print(f"test mse: {result['loss']:.3g} ({seconds:.1f} s)")
    else:
        print(f"test accuracy: {100 * result['accuracy']:.2f}% (test loss {result['loss']:.4f}, "
              f"{seconds:.1f} s)")
    return 0
