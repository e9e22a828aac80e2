"""nn: neural networks as plain Tensors, a loss and an update rule, on top of `autograd`.

Names follow PyTorch: ``nn.Linear``, ``nn.functional.cross_entropy``, ``nn.optim.Adam``, ``nn.init``.
"""
from . import functional, init, optim
from .init import get_rng, manual_seed
from .layers import (
    MLP, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
)
from .module import Module, Parameter, Sequential

from . import data
from .data import DataLoader
from .saving import load


def from_torch(module):
    """The glassgrad model computing what a torch.nn module (Sequential of Linear and
    activations) computes, with copies of its weights; `model.to_torch()` goes back. Needs PyTorch
    (imported only when called)."""
    from .pytorch import module_from_torch
    return module_from_torch(module)


__all__ = [
    "functional", "init", "optim", "manual_seed", "get_rng",
    "Module", "Parameter", "Sequential",
    "Linear", "Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "Flatten", "MLP",
    "data", "train", "DataLoader", "load", "fit", "evaluate", "History", "EarlyStopping",
    "from_torch",
    "MLPClassifier", "MLPRegressor",
]


_LAZY = {"MLPClassifier": "estimator", "MLPRegressor": "estimator", "estimator": "estimator",
         "fit": "train", "evaluate": "train", "History": "train", "EarlyStopping": "train",
         "train": "train"}


def __getattr__(name):
    # Loaded on first use: the estimators import scikit-learn when it is installed (slow), and
    # nn.train must not be imported before `python -m nn.train` runs it.
    if name in _LAZY:
        import importlib
        module = importlib.import_module("." + _LAZY[name], __name__)
        return module if name == _LAZY[name] else getattr(module, name)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
