"""Initialisers: fill a Tensor in place with numbers drawn the way PyTorch draws them.

Every initialiser takes an optional NumPy ``Generator`` as ``rng=``. Without one it uses the
package-wide generator, which ``nn.manual_seed(n)`` resets, so that building the same model
twice after the same seed gives the same weights.

Fans follow PyTorch's convention for a weight of shape (out, in, *kernel): fan_in is ``in`` times the
kernel size, fan_out is ``out`` times the kernel size.
"""
import functools
import math

import numpy as np

import autograd as ag

_rng = np.random.default_rng()


def manual_seed(seed):
    """Reset the package-wide generator used by initialisers and Dropout; returns it."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng(rng=None):
    """The generator to draw from: ``rng`` if given, else the package-wide one."""
    return _rng if rng is None else rng


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through ``nonlinearity`` (PyTorch's table)."""
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def fan_in_and_fan_out(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write ``values`` into ``tensor`` in place (a Tensor, or a plain ndarray) and return it."""
    if isinstance(tensor, ag.Tensor):
        with ag.no_grad():  # a parameter may only change in place outside the graph
            tensor.copy_(np.asarray(values, dtype=tensor.dtype))
    else:
        tensor[...] = values
    return tensor


def constant_(tensor, value):
    return _fill(tensor, np.full(tensor.shape, value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    return _fill(tensor, get_rng(rng).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    return _fill(tensor, get_rng(rng).normal(mean, std, size=tensor.shape))


def _empty_is_a_no_op(initialiser):
    """A tensor with no elements (a layer with 0 inputs or outputs) has nothing to initialise: it
    is returned as it is, as in PyTorch, rather than dividing by a fan of 0."""
    @functools.wraps(initialiser)
    def run(tensor, *args, **kwargs):
        return tensor if tensor.size == 0 else initialiser(tensor, *args, **kwargs)
    return run


@_empty_is_a_no_op
def xavier_uniform_(tensor, gain=1.0, rng=None):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


@_empty_is_a_no_op
def xavier_normal_(tensor, gain=1.0, rng=None):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


@_empty_is_a_no_op
def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    # std = gain / sqrt(fan); a uniform U(-b, b) has std b / sqrt(3).
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, rng=rng)


@_empty_is_a_no_op
def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, rng=rng)


@_empty_is_a_no_op
def lecun_normal_(tensor, rng=None):
    """randn / sqrt(fan_in): the hand-written NumPy networks' favourite start."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return _fill(tensor, get_rng(rng).standard_normal(tensor.shape) / math.sqrt(fan_in))
