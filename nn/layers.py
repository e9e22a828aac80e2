"""Layers: Linear, the activations, Dropout, Flatten, Identity, and MLP built from them."""
import math

import numpy as np

import autograd as ag

from . import functional as F
from . import init
from .module import Module, Parameter, Sequential


class Linear(Module):
    """y = x @ W.T + b with W of shape (out_features, in_features), as in PyTorch.

    Initialised as PyTorch does: W and b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)),
    which is kaiming_uniform_ with a = sqrt(5).

    W is stored column-major (Fortran order; shape, values and indexing are as usual): then
    x @ W.T multiplies two row-major arrays, which OpenBLAS does faster than a product with a
    transposed operand (about 10% on MNIST's first layer, 784 -> 128, batch 128).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, rng=None):
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype, order="F"))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        self.bias = None
        if bias:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x):
        # The commonest shape error of all (a model fed the wrong width); NumPy's own words for it
        # are about gufunc signatures, so say it in the layer's terms.
        shape = x.data.shape if isinstance(x, ag.Tensor) else np.shape(x)
        if shape[-1:] != (self.in_features,):
            got = (f"has {shape[-1]} features (last axis of shape {shape})" if shape
                   else "is a scalar (shape ())")
            hint = ""
            if len(shape) > 2 and math.prod(shape[1:]) == self.in_features:
                hint = (f"; each sample is {shape[1:]}, {self.in_features} values: flatten it "
                        "first, with nn.Flatten() as the model's first layer or "
                        "x.reshape(len(x), -1)")
            raise ValueError(f"Linear: the input {got} but the weight of shape {self.weight.shape} "
                             f"(out_features, in_features) expects {self.in_features}{hint}; "
                             f"at {ag.graph._user_line()}")
        return ag.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": str(self.weight.dtype)}


class _NoArguments(Module):
    """An activation built without arguments, so rebuilt without any."""

    def get_config(self):
        return {}


class Identity(_NoArguments):
    """Gives its input back unchanged (a placeholder layer)."""

    def forward(self, x):
        return x


class ReLU(_NoArguments):
    """max(x, 0), elementwise, as a layer."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x, elementwise, as a layer."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def get_config(self):
        return {"negative_slope": self.negative_slope}


class Sigmoid(_NoArguments):
    """1 / (1 + exp(-x)), elementwise, as a layer."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(_NoArguments):
    """tanh(x), elementwise, as a layer."""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """softmax along `dim`, as a layer: each slice along dim sums to 1."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"

    def get_config(self):
        return {"dim": self.dim}


class LogSoftmax(Softmax):
    """log_softmax along `dim`, as a layer: the log of Softmax, without overflow."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Dropout(Module):
    """While training, zero each element with probability p and scale the rest by 1/(1-p)
    (so the expected value is unchanged and eval() needs no rescaling); identity in eval()."""

    def __init__(self, p=0.5, rng=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability must be between 0 and 1, got {p}")
        self.p, self.rng = p, rng

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self):
        return f"p={self.p}"

    def get_config(self):
        return {"p": self.p}


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one; by default all but the batch dimension."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        shape = x.shape
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        merged = int(np.prod(shape[start:end + 1]))
        return x.reshape(*shape[:start], merged, *shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def get_config(self):
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}


ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh,
    "softmax": Softmax, "log_softmax": LogSoftmax, "identity": Identity, "linear": Identity,
}


def _activation(spec):
    """A fresh activation Module from a name ("relu"), a Module class, or a zero-argument factory."""
    if isinstance(spec, str):
        if spec.lower() not in ACTIVATIONS:
            raise ValueError(f"unknown activation {spec!r}; choose one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[spec.lower()]()
    if isinstance(spec, Module):
        raise TypeError("pass an activation's name or class, not an instance: "
                        "MLP needs a fresh one for every layer")
    module = spec()
    if not isinstance(module, Module):
        raise TypeError(f"activation factory {spec!r} returned a {type(module).__name__}, not a Module")
    return module


class MLP(Sequential):
    """Linear layers of the given sizes with an activation between them.

    ``MLP([784, 128, 10])`` is ``Sequential(Linear(784, 128), ReLU(), Linear(128, 10))``, with
    the same parameter names (``0.weight``, ``2.bias``), so its state dict fits that PyTorch model.
    ``output_activation`` (None by default) is appended after the last Linear; ``dropout`` > 0 puts a
    Dropout after every hidden activation.
    """

    def __init__(self, sizes, activation="relu", output_activation=None, dropout=0.0,
                 bias=True, dtype=np.float32, rng=None):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got {sizes}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, dtype=dtype, rng=rng))
            if i < len(sizes) - 2:
                layers.append(_activation(activation))
                if dropout > 0:
                    layers.append(Dropout(dropout, rng=rng))
        if output_activation is not None:
            layers.append(_activation(output_activation))
        super().__init__(*layers)
        self.sizes = sizes
        self._arguments = {"sizes": sizes, "activation": activation,
                           "output_activation": output_activation, "dropout": dropout,
                           "bias": bias, "dtype": np.dtype(dtype).name}

    def get_config(self):
        # Activations given by name rebuild as they were; given as classes or factories, the
        # model is described layer by layer instead (as the Sequential it is).
        named = all(a is None or isinstance(a, str)
                    for a in (self._arguments["activation"], self._arguments["output_activation"]))
        return dict(self._arguments) if named else None
