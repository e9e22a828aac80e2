"""Optimizers, learning-rate schedules and gradient clipping, with PyTorch's update rules.

An optimizer holds ``param_groups`` (each a dict: "params" plus hyper-parameters) and per-parameter
``state`` (momentum buffers and the like, as ndarrays). ``step()`` reads each ``p.grad`` and changes
``p`` in place -- inside ``no_grad()``, through ``p.add_``/``p.mul_``, which bump ``p.version`` so a
graph that still needs the old values can notice. The arithmetic follows PyTorch's documented
algorithms line by line, so 20 steps here and there agree to rounding.

``zero_grad()`` sets every ``p.grad`` to None, as PyTorch does by default; backward then makes
new gradient arrays. ``zero_grad(set_to_none=False)`` writes zeros into each ``p.grad`` array
that nothing else holds, and backward adds into it, so the same arrays serve step after step;
an array a user holds (or a view of it, or one shared with another tensor) is left alone and
replaced by a new one.
"""
import math

import numpy as np

import autograd as ag


def zero_grads(params, set_to_none=True):
    """Reset every p.grad: to None (the default, as PyTorch), or with set_to_none=False to zeros.
    Zeros are written into p.grad's own array when nothing but p holds it, so backward then adds
    into the same array step after step (as in PyTorch); an array that a user or another tensor
    holds is never written into: p gets a new array of zeros instead."""
    for p in params:
        if set_to_none:
            p.grad = None
        elif (p.grad is not None and ag.graph.owns_grad(p) and p.grad.shape == p.data.shape
                and p.grad.dtype == p.data.dtype):
            p.grad.fill(0)
        else:
            p.grad = np.zeros_like(p.data)


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> dict of its buffers (Tensors hash by identity)
        self.param_groups = []
        if isinstance(params, ag.Tensor):
            raise TypeError("params must be an iterable of Tensors (e.g. model.parameters()), "
                            "not a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list: nothing to optimize "
                             "(did the model create its Parameters?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, ag.Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: a parameter group has no parameters")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            where = f"parameter {i} of group {len(self.param_groups)}"
            if not isinstance(p, ag.Tensor):
                raise TypeError(f"{type(self).__name__} optimizes Tensors; {where} is a {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: {where} (shape {p.shape}) does not require grad, "
                                 "so it would never change; create it with requires_grad=True or leave it out")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: {where} (shape {p.shape}) is the result of an "
                                 "operation, not a leaf; optimize the leaf Tensors it was computed from")
            if id(p) in taken:
                raise ValueError(f"{type(self).__name__}: {where} appears in more than one place")
            taken.add(id(p))
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        zero_grads([p for group in self.param_groups for p in group["params"]], set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        with ag.no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {}
                    self._update(p, -grad if maximize else grad, state, group)
        return loss

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    def state_dict(self):
        """PyTorch's layout: parameters are numbered in group order; state holds copies of buffers."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Take the state and hyper-parameters of ``state_dict()``'s output. Everything is checked
        first -- the layout, each buffer's shape and dtype against its parameter, the names of the
        buffers -- so a failed load names what is wrong and changes nothing."""
        name = type(self).__name__
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"state dict has {len(groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"group {i}: state dict has {len(saved['params'])} parameters, the "
                                 f"optimizer has {len(own['params'])}")
            for key, value in saved.items():
                if _is_number(own.get(key)) and not _is_number(value):
                    raise TypeError(f"{name}.load_state_dict: group {i}: {key} must be a number "
                                    f"(as {own[key]!r} is), got {value!r}")
        params = [p for g in self.param_groups for p in g["params"]]
        state = {}
        for i, buffers in state_dict["state"].items():
            try:
                index = int(i)  # "3" too: a state dict that went through JSON
            except (TypeError, ValueError):
                index = -1
            if not 0 <= index < len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i!r}, but the "
                                 f"parameters are numbered 0..{len(params) - 1}")
            p = params[index]
            state[p] = {key: self._checked_buffer(key, value, p, index)
                        for key, value in buffers.items()}
        self.state = state
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    # The buffers each optimizer keeps per parameter; None: not declared (then not checked).
    state_keys = None

    def _checked_buffer(self, key, value, p, index):
        """`value` as a buffer of parameter `p` (number `index`), or an error naming both."""
        where = (f"{type(self).__name__}.load_state_dict: parameter {index}"
                 + (f" ({p.name})" if p.name else "") + f", shape {p.shape} {p.dtype}")
        if self.state_keys is not None and key not in self.state_keys:
            raise ValueError(f"{where}: {key!r} is not a buffer {type(self).__name__} keeps (it "
                             f"keeps {', '.join(self.state_keys)}); is this another optimizer's "
                             "state dict?")
        if value is None or _is_number(value):
            return value  # "step", or a buffer not created yet
        array = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
        if array.ndim == 0 and array.dtype.kind in "iuf":
            return array.item()
        if array.dtype.kind not in "iuf" or not np.can_cast(array.dtype, p.dtype, "same_kind"):
            raise TypeError(f"{where}: {key!r} has dtype {array.dtype}, which cannot be "
                            f"a buffer of a {p.dtype} parameter")
        if array.shape != p.shape:
            raise ValueError(f"{where}: {key!r} has shape {array.shape}, but a buffer must have "
                             "its parameter's shape")
        return np.array(array, dtype=p.dtype)  # a copy: the optimizer owns its buffers

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"  group {i}: {len(g['params'])} tensors, "
                         + ", ".join(f"{k}={v}" for k, v in g.items() if k != "params"))
        return "\n".join(lines + [")"])


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check(name, value, low=0.0):
    if not value >= low:
        raise ValueError(f"invalid {name}: {value} (must be >= {low})")


class SGD(Optimizer):
    """p -= lr * g, with g optionally given weight decay, momentum (buffer b = momentum b +
    (1 - dampening) g, starting at b = g) and Nesterov's look-ahead g + momentum b."""

    state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        for name, value in [("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)]:
            _check(name, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.add_(g, alpha=-group["lr"])


class Adam(Optimizer):
    """Adam: moving averages m (of g) and v (of g*g), bias-corrected, p -= lr m̂ / (sqrt(v̂) + eps).
    ``weight_decay`` adds wd * p to the gradient (L2); AdamW decays p directly instead.
    ``amsgrad`` uses the largest v seen so far."""

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False):
        _check("lr", lr)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas {betas}: each must be in [0, 1)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        if wd and self.decoupled:
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # One scratch array per step, written with out=: the update allocates nothing else.
        tmp = np.subtract(g, m)
        tmp *= 1 - beta1
        m += tmp                                    # m = m + (1 - beta1)(g - m)
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v *= beta2
        v += tmp                                    # v = beta2 v + (1 - beta2) g^2
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias1 = 1 - beta1 ** state["step"]
        root_bias2 = math.sqrt(1 - beta2 ** state["step"])
        # lr/bias1 m / (sqrt(v)/root_bias2 + eps), with root_bias2 moved out of the denominator:
        # the same value (rounded a little differently) with one pass over the parameter fewer.
        denom = np.sqrt(v, out=tmp)
        denom += group["eps"] * root_bias2
        step = np.divide(m, denom, out=tmp)
        step *= lr * root_bias2 / bias1
        p.sub_(step)                                # p -= lr/bias1 * m / (sqrt(v/bias2) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square: v = alpha v + (1 - alpha) g*g,
    p -= lr g / (sqrt(v) + eps); ``centered`` subtracts the squared running mean of g from v."""

    state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        for name, value in [("lr", lr), ("alpha", alpha), ("eps", eps), ("weight_decay", weight_decay),
                            ("momentum", momentum)]:
            _check(name, value)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, g, state, group):
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            mean = state["grad_avg"]
            mean += (1 - alpha) * (g - mean)
            avg = np.sqrt(v - mean * mean)
        else:
            avg = np.sqrt(v)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += np.divide(g, avg, out=avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.add_(np.divide(g, avg, out=avg), alpha=-group["lr"])


class Adagrad(Optimizer):
    """Per-coordinate steps that shrink with the sum of squared gradients: s += g*g,
    p -= lr_t g / (sqrt(s) + eps), with lr_t = lr / (1 + (t - 1) lr_decay)."""

    state_keys = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=False):
        for name, value in [("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)]:
            _check(name, value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        if not state:
            state.update(step=0, sum=np.full_like(p.data, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        std = np.sqrt(s)
        std += group["eps"]
        p.add_(np.divide(g, std, out=std), alpha=-lr)


def to_torch(optimizer, params):
    """The same optimizer in torch.optim for `params` (a converted model's parameters, in order,
    e.g. `model.to_torch().parameters()`), with its settings and state: training goes on there
    exactly as it would have here. Needs PyTorch."""
    from .pytorch import optimizer_to_torch
    return optimizer_to_torch(optimizer, params)


def from_torch(optimizer, params):
    """The reverse of `to_torch`: a torch.optim optimizer continued here for `params`."""
    from .pytorch import optimizer_from_torch
    return optimizer_from_torch(optimizer, params)


# ---- learning-rate schedules -------------------------------------------------------------------
class _Schedule:
    """What every learning-rate schedule shares: the last rates, and its state as a dict."""

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        vars(self).update(state_dict)


class LRScheduler(_Schedule):
    """Sets each group's "lr" as a function of the number of ``step()`` calls (``last_epoch``).

    Like PyTorch, constructing a scheduler performs step 0, and each group remembers its starting
    rate as "initial_lr" (the ``base_lrs``).
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"resuming at last_epoch={last_epoch}, but group {i} has no 'initial_lr'")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """The new rate of each group for epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]



class StepLR(LRScheduler):
    """Multiply the rate by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return lrs
        return [lr * self.gamma for lr in lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by gamma every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        return lrs if self.last_epoch == 0 else [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2: half a cosine from base_lr
    down to eta_min over T_max epochs (and back up after, as in PyTorch). PyTorch computes the same
    numbers recursively from the previous rate; this closed form differs only if something else
    also changes the rate."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * factor for base in self.base_lrs]


class ReduceLROnPlateau(_Schedule):
    """Multiply the rate by ``factor`` once the metric passed to ``step(metric)`` has not improved
    for more than ``patience`` epochs; then wait ``cooldown`` epochs before counting again.

    "Improved" means below best * (1 - threshold) in mode "min" with threshold_mode "rel"
    (best - threshold with "abs"; above best * (1 + threshold) or best + threshold in mode "max").
    Rates never go below ``min_lr`` (a number, or one per group), and changes smaller than ``eps``
    are skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"factor must be below 1 to reduce the rate, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"expected {n_groups} min_lr values (one per group), got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value, best):
        if self.mode == "min":
            return value < (best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return value > (best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metric):
        value = float(metric.item() if isinstance(metric, ag.Tensor) else metric)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad epochs during a cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]



# ---- gradient clipping -------------------------------------------------------------------------
def _with_grads(parameters):
    params = [parameters] if isinstance(parameters, ag.Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    Returns the norm before clipping (a NumPy float: use it as a float, or call ``.item()``).
    Gradients are replaced (``p.grad = p.grad * coef``), never written into: they may share memory.
    """
    params = _with_grads(parameters)
    if not params:
        return np.float64(0.0)
    norm_type = float(norm_type)
    norms = [np.linalg.norm(p.grad.ravel(), ord=norm_type) for p in params]
    total = np.linalg.norm(np.array(norms), ord=norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}; "
                           "pass error_if_nonfinite=False to clip anyway")
    coef = float(max_norm) / (float(total) + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = p.grad * coef  # a Python float keeps float32 gradients float32
    return np.float64(total)


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element into [-clip_value, clip_value] (replacing, not writing into, p.grad)."""
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        p.grad = np.clip(p.grad, -clip_value, clip_value)
