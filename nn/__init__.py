"""nn: neural networks as plain Tensors, a loss and an update rule, on top of `autograd`.

Names follow PyTorch: ``nn.Linear``, ``nn.functional.cross_entropy``, ``nn.optim.Adam``, ``nn.init``.
"""
from . import functional, init, optim
from .init import get_rng, manual_seed
from .layers import (
    MLP, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
)
from .module import Module, Parameter, Sequential

from . import data, train
from .data import DataLoader
from .train import EarlyStopping, History, evaluate, fit

__all__ = [
    "functional", "init", "optim", "manual_seed", "get_rng",
    "Module", "Parameter", "Sequential",
    "Linear", "Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "Flatten", "MLP",
    "data", "train", "DataLoader", "fit", "evaluate", "History", "EarlyStopping",
    "MLPClassifier", "MLPRegressor",
]


def __getattr__(name):
    # The estimators import scikit-learn when it is installed (slow): load them on first use.
    if name in ("MLPClassifier", "MLPRegressor", "estimator"):
        import importlib
        estimator = importlib.import_module(".estimator", __name__)
        return estimator if name == "estimator" else getattr(estimator, name)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
