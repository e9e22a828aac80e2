"""The way out to PyTorch, and back: a model and its optimizer, converted in one call each.

    torch_model = model.to_torch()                       # torch.nn.Sequential, the same weights
    torch_opt = nn.optim.to_torch(optimizer, torch_model.parameters())
    model = nn.from_torch(torch_model)                   # and back
    optimizer = nn.optim.from_torch(torch_opt, model.parameters())

glassgrad's layers carry PyTorch's names, arguments and parameter names (`0.weight`), and its
optimizers PyTorch's update rules and state (`exp_avg`, `momentum_buffer` ...), so each layer
has exactly one counterpart and training continues where it stopped. PyTorch is an optional
extra: it is imported here only when a conversion is asked for, never by `import nn`.
"""
import importlib
import inspect

import numpy as np

from . import layers, optim
from .module import Module, Sequential

_DTYPES = ("float16", "float32", "float64")


def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError("converting to or from PyTorch needs PyTorch, an optional extra: "
                          "pip install torch (CPU build: see pytorch.org), or pip install -e "
                          "'.[oracle]' in a glassgrad checkout") from None


def _torch_dtype(dtype):
    torch = _torch()
    if np.dtype(dtype).name not in _DTYPES:
        raise TypeError(f"to_torch: parameters of dtype {np.dtype(dtype)} have no PyTorch layer "
                        f"dtype here; use one of {', '.join(_DTYPES)}")
    return getattr(torch, np.dtype(dtype).name)


def _numpy(tensor):
    """A torch tensor's values as a new ndarray (never sharing memory with it)."""
    return tensor.detach().cpu().numpy().copy()


# ---- modules -----------------------------------------------------------------------------------

def _activations(torch):
    """(glassgrad class, torch class, the constructor arguments they share)."""
    tnn = torch.nn
    return [(layers.ReLU, tnn.ReLU, ()), (layers.Sigmoid, tnn.Sigmoid, ()),
            (layers.Tanh, tnn.Tanh, ()), (layers.Identity, tnn.Identity, ()),
            (layers.LeakyReLU, tnn.LeakyReLU, ("negative_slope",)),
            (layers.LogSoftmax, tnn.LogSoftmax, ("dim",)), (layers.Softmax, tnn.Softmax, ("dim",)),
            (layers.Dropout, tnn.Dropout, ("p",)),
            (layers.Flatten, tnn.Flatten, ("start_dim", "end_dim"))]


def module_to_torch(module):
    """The torch.nn module that computes what `module` computes, with copies of its parameters
    (same dtype, same requires_grad) and its train/eval mode."""
    torch = _torch()
    if type(module) in (Sequential, layers.MLP):  # a subclass may compute something else
        converted = torch.nn.Sequential(*[module_to_torch(m) for m in module])
    elif type(module) is layers.Linear:
        weight = module.weight
        converted = torch.nn.Linear(module.in_features, module.out_features,
                                    bias=module.bias is not None, dtype=_torch_dtype(weight.dtype))
        with torch.no_grad():
            for name, p in module.named_parameters():
                theirs = getattr(converted, name)
                theirs.copy_(torch.tensor(p.data))
                theirs.requires_grad_(p.requires_grad)
    else:
        match = [(ours, theirs, args) for ours, theirs, args in _activations(torch)
                 if type(module) is ours]
        if not match:
            raise TypeError(_no_counterpart(f"{type(module).__name__} has no PyTorch counterpart",
                                            "to_torch() converts"))
        _, theirs, args = match[0]
        converted = theirs(**{a: getattr(module, a) for a in args})
    return converted.train(module.training)


def module_from_torch(module):
    """The glassgrad module that computes what the torch.nn module computes, with copies of its
    parameters (same dtype, same requires_grad) and its train/eval mode."""
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch takes a torch.nn.Module, not {type(module).__name__}")
    if type(module) is torch.nn.Sequential:
        converted = Sequential(*[module_from_torch(m) for m in module])
    elif type(module) is torch.nn.Linear:
        dtype = module.weight.dtype
        if str(dtype).removeprefix("torch.") not in _DTYPES:
            raise TypeError(f"from_torch: Linear has parameters of dtype {dtype}; glassgrad "
                            f"layers hold {', '.join(_DTYPES)}")
        converted = layers.Linear(module.in_features, module.out_features,
                                  bias=module.bias is not None, dtype=_numpy(module.weight).dtype,
                                  rng=np.random.default_rng(0))  # (overwritten: spare the global RNG)
        for name, p in converted.named_parameters():
            theirs = getattr(module, name)
            p.data[...] = _numpy(theirs)
            p.requires_grad = theirs.requires_grad
    else:
        match = [(ours, args) for ours, theirs, args in _activations(torch) if type(module) is theirs]
        if not match:
            raise TypeError(_no_counterpart(f"torch.nn.{type(module).__name__} has no glassgrad "
                                            "counterpart", "from_torch() converts"))
        ours, args = match[0]
        values = {a: getattr(module, a) for a in args}
        if values.get("dim", -1) is None:
            raise ValueError(f"from_torch: torch.nn.{type(module).__name__}(dim=None) picks its "
                             "axis from the input's shape; give it a dim")
        converted = ours(**values)
    return converted.train(module.training)


def _no_counterpart(what, verb):
    return (f"{what}. {verb} Sequential (and MLP) models of Linear, ReLU, LeakyReLU, Sigmoid, "
            "Tanh, Softmax, LogSoftmax, Identity, Dropout and Flatten. For a model with its own "
            "forward, build the same model on the other side and copy the weights: the state "
            "dicts have the same keys (torch_model.load_state_dict({k: torch.tensor(v) for k, "
            "v in model.state_dict().items()})).")


# ---- optimizers --------------------------------------------------------------------------------

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")


def optimizer_to_torch(optimizer, params):
    """The torch.optim optimizer that continues `optimizer` for `params`: the converted model's
    parameters, in the order of optimizer's own (group by group). Same class, hyper-parameters
    (learning-rate schedules' "initial_lr" included) and state, so the next step is the same."""
    torch = _torch()
    kind = type(optimizer).__name__
    if kind not in _OPTIMIZERS or type(optimizer) is not getattr(optim, kind):
        raise TypeError(f"optim.to_torch: {kind} has no PyTorch counterpart here; it converts "
                        f"{', '.join(_OPTIMIZERS)}")
    ours = [p for g in optimizer.param_groups for p in g["params"]]
    theirs = _same_shapes("optim.to_torch", ours, list(params), lambda t: tuple(t.shape))
    groups, start = [], 0
    for group in optimizer.param_groups:
        n = len(group["params"])
        groups.append({**group, "params": theirs[start:start + n]})
        start += n
    converted = getattr(torch.optim, kind)(groups)
    for p, t in zip(ours, theirs):
        state = optimizer.state.get(p)
        if state:  # else PyTorch's own starting state (Adagrad makes it up front) is ours too
            converted.state[t] = {key: _state_to_torch(torch, key, value, t)
                                  for key, value in state.items()}
    return converted


def optimizer_from_torch(optimizer, params):
    """The glassgrad optimizer that continues the torch.optim `optimizer` for `params` (the
    converted model's parameters, in the order of the torch optimizer's own)."""
    torch = _torch()
    kind = type(optimizer).__name__
    if kind not in _OPTIMIZERS or type(optimizer) is not getattr(torch.optim, kind):
        raise TypeError(f"optim.from_torch: torch.optim.{kind} has no glassgrad counterpart; "
                        f"it converts {', '.join(_OPTIMIZERS)}")
    theirs = [p for g in optimizer.param_groups for p in g["params"]]
    ours = _same_shapes("optim.from_torch", theirs, list(params), lambda p: tuple(p.shape))
    own_keys = set(inspect.signature(getattr(optim, kind)).parameters) | {"initial_lr"}
    groups, start = [], 0
    for group in optimizer.param_groups:
        n = len(group["params"])
        settings = {k: v for k, v in group.items() if k in own_keys}
        if "betas" in settings:
            settings["betas"] = tuple(settings["betas"])
        groups.append({**settings, "params": ours[start:start + n]})
        start += n
    converted = getattr(optim, kind)(groups)
    for t, p in zip(theirs, ours):
        state = optimizer.state.get(t, {})
        if state:
            converted.state[p] = {key: _state_from_torch(torch, key, value, p)
                                  for key, value in state.items()}
    return converted


def _same_shapes(caller, source, target, shape):
    if len(source) != len(target) or any(shape(a) != shape(b) for a, b in zip(source, target)):
        raise ValueError(
            f"{caller}: the optimizer has {len(source)} parameters of shapes "
            f"{[shape(p) for p in source]}, but the parameters given are "
            f"{[shape(p) for p in target]}; pass the converted model's parameters, in order")
    return target


def _state_to_torch(torch, key, value, param):
    if key == "step":  # PyTorch keeps the step count as a tensor of its default float dtype
        return torch.tensor(float(value), dtype=torch.get_default_dtype())
    if isinstance(value, np.ndarray):
        return torch.tensor(value, dtype=param.dtype)
    return value


def _state_from_torch(torch, key, value, param):
    if key == "step":
        return int(value.item() if isinstance(value, torch.Tensor) else value)
    if isinstance(value, torch.Tensor):
        return _numpy(value).astype(param.dtype, copy=False)
    return value
