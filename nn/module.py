"""Module, Parameter and Sequential: a model is an object holding Parameters and other Modules.

There is no registration step. A module's parameters are found by walking its attributes, and
the lists, tuples and dicts among them, so ``self.layers = [Linear(2, 3), Linear(3, 1)]`` just
works. Names are dotted paths, as in PyTorch: ``layers.1.bias``, or ``0.weight`` in a Sequential.
"""
from collections import namedtuple

import numpy as np

import autograd as ag

from .optim import zero_grads


class Parameter(ag.Tensor):
    """A Tensor that a Module owns and an optimizer updates; it requires grad unless told not to."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True, name=None):
        if isinstance(data, ag.Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Parameter(")
        extras = [] if self.dtype == np.float64 else [f"dtype={self.dtype}"]
        if not self.requires_grad:
            extras.append("requires_grad=False")
        return "Parameter(" + ", ".join([body] + extras) + ")"


def _walk(name, value):
    """(dotted name, member) for every Parameter or Module in ``value``, looking inside containers."""
    if isinstance(value, (Parameter, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(f"{name}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{name}.{key}", item)


IncompatibleKeys = namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")


class Module:
    """Base class of every layer and model: subclasses set attributes and write ``forward``."""

    # A class attribute, so that a subclass which never calls Module.__init__ still works.
    training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- walking the tree --------------------------------------------------------------
    def _members(self):
        """Direct Parameters and sub-Modules with their names, in attribute order."""
        for name, value in vars(self).items():
            yield from _walk(name, value)

    def named_children(self):
        for name, member in self._members():
            if isinstance(member, Module):
                yield name, member

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, prefix="", _seen=None):
        """This module and every module below it, each once (a shared module keeps its first name)."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, member in module._members():
                if not isinstance(member, Parameter):
                    continue
                if remove_duplicate and id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def num_parameters(self):
        return sum(p.size for p in self.parameters())

    def apply(self, fn):
        """Call ``fn(module)`` on every module below this one, then on this one; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients -----------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    # ---- state ---------------------------------------------------------------------------
    def state_dict(self):
        """Every parameter's name and a copy of its values (a shared parameter under each name)."""
        return {name: p.data.copy() for name, p in self.named_parameters(remove_duplicate=False)}

    def load_state_dict(self, state_dict, strict=True):
        """Copy values in by name. Checks everything first, so a failed load changes nothing.

        Wrong shapes are always an error; missing and unexpected keys are errors when ``strict``.
        Values may be ndarrays, Tensors or anything ``np.asarray`` accepts (PyTorch tensors too).
        Returns (missing_keys, unexpected_keys).
        """
        own = dict(self.named_parameters(remove_duplicate=False))
        values = {key: np.asarray(_data(value)) for key, value in state_dict.items()}
        missing = [key for key in own if key not in values]
        unexpected = [key for key in values if key not in own]
        wrong_shape = [f"{key}: expected {own[key].shape}, got {values[key].shape}"
                       for key in own if key in values and values[key].shape != own[key].shape]
        # Strings and objects would fail (or turn into NaN) halfway through the copying below.
        wrong_dtype = [f"{key}: expected numbers castable to {own[key].dtype}, got dtype {values[key].dtype}"
                       for key in own if key in values
                       and not np.can_cast(values[key].dtype, own[key].dtype, casting="same_kind")]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if wrong_shape:
            problems.append("shape mismatches: " + "; ".join(wrong_shape))
        if wrong_dtype:
            problems.append("wrong dtypes: " + "; ".join(wrong_dtype))
        if problems:
            error = TypeError if wrong_dtype else RuntimeError
            raise error(f"cannot load state dict into {type(self).__name__}: " + " | ".join(problems))
        with ag.no_grad():
            for key, p in own.items():
                if key in values:
                    p.copy_(values[key].astype(p.dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write the parameters to ``path`` as .npz (no pickle), atomically, with a description of
        the architecture when the model is built from nn's layers (then ``nn.load(path)`` gives
        the model back). Returns ``path``.

        The bytes go to a temporary file in the same directory, are flushed to disk, and only then
        replace ``path`` in a single rename: a crash leaves either the old file or the new one.
        """
        from . import saving  # saving knows every layer class, so it is imported on first use
        return saving.save(self, path)

    def load(self, path, strict=True):
        """Read parameters saved by ``save`` into this model; returns self. A damaged file, or one
        that is not an .npz archive, raises a ValueError naming it. Never unpickles."""
        from . import saving
        arrays, _ = saving.read(path)
        self.load_state_dict(arrays, strict=strict)
        return self

    def get_config(self):
        """The constructor arguments (plain numbers, strings, lists) that rebuild this module, for
        ``nn.load``; None when it cannot be rebuilt that way (the default for your own Modules)."""
        return None

    # ---- PyTorch ---------------------------------------------------------------------------
    def to_torch(self):
        """The same model as a torch.nn module (Sequential of Linear and activations), with
        copies of the weights in their dtype; `nn.from_torch` goes back. Needs PyTorch."""
        from .pytorch import module_to_torch
        return module_to_torch(self)

    # ---- display -------------------------------------------------------------------------
    def extra_repr(self):
        """The text between the parentheses of this module's one-line repr."""
        return ""

    def draw(self, **kwargs):
        """The model as a picture: layers with their parameter shapes (a graphviz Digraph)."""
        return ag.viz.draw_layers(self, **kwargs)

    def name_parameters(self):
        """Give every unnamed parameter its dotted name (e.g. "0.weight"), so that drawings and
        gradient reports can say which one they mean. Returns self."""
        for name, p in self.named_parameters():
            if p.name is None:
                p.name = name
        return self

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            count = self.num_parameters()
            return head + ")" + (f"  # {count:,} parameters" if count else "")
        lines = [head]
        for name, child in children:
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        lines.append(f")  # {self.num_parameters():,} parameters")
        return "\n".join(lines)


def _data(value):
    return value.data if isinstance(value, ag.Tensor) else value


class Sequential(Module):
    """Modules applied one after another; named by position (``0.weight``) like PyTorch's."""

    def __init__(self, *modules):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules; item {i} is a {type(module).__name__}")
        self.layers = list(modules)

    def _members(self):
        for i, module in enumerate(self.layers):
            yield str(i), module
        for name, value in vars(self).items():  # whatever else a subclass adds
            if name != "layers":
                yield from _walk(name, value)

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def get_config(self):
        from .saving import describe
        specs = [describe(module) for module in self.layers]
        return None if None in specs else {"layers": specs}

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential takes Modules, not {type(module).__name__}")
        self.layers.append(module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)
