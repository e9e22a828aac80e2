"""Oracle: 20 steps of every optimizer and schedule give PyTorch's numbers (float64)."""
import math

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

import nn  # noqa: E402
from nn import optim  # noqa: E402

STEPS = 20
SHAPES = [(3, 4), (4,)]


def fake_gradient(values, step):
    """A gradient that changes with the parameters and the step, so every state buffer matters."""
    return np.cos(values * (1 + step)) + 0.3 * values ** 3 - 0.1 * step


def paired_params(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [nn.Parameter(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def run_both(make_ours, make_theirs, groups=None):
    ours, theirs = paired_params()
    if groups is None:
        opt_a, opt_b = make_ours(ours), make_theirs(theirs)
    else:  # one dict of options per parameter: a param group each
        opt_a = make_ours([dict(g, params=[p]) for g, p in zip(groups, ours)])
        opt_b = make_theirs([dict(g, params=[p]) for g, p in zip(groups, theirs)])
    for step in range(STEPS):
        for p, q in zip(ours, theirs):
            grad = fake_gradient(p.data, step)
            p.grad, q.grad = grad, torch.tensor(grad)
        opt_a.step()
        opt_b.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-6,
                                       err_msg=f"after step {step + 1}")
    return ours, theirs


OPTIMIZERS = {
    "sgd": dict(lr=0.05),
    "sgd-momentum": dict(lr=0.05, momentum=0.9),
    "sgd-dampening": dict(lr=0.05, momentum=0.9, dampening=0.5),
    "sgd-nesterov": dict(lr=0.05, momentum=0.8, nesterov=True),
    "sgd-weight-decay": dict(lr=0.05, momentum=0.5, weight_decay=0.1),
    "sgd-maximize": dict(lr=0.01, momentum=0.5, maximize=True),
    "adam": dict(lr=0.01),
    "adam-amsgrad": dict(lr=0.01, amsgrad=True),
    "adam-weight-decay": dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6),
    "adamw": dict(lr=0.01),
    "adamw-amsgrad": dict(lr=0.02, weight_decay=0.3, amsgrad=True),
    "rmsprop": dict(lr=0.01),
    "rmsprop-centered": dict(lr=0.01, centered=True),
    "rmsprop-momentum": dict(lr=0.01, momentum=0.9, alpha=0.9),
    "rmsprop-all": dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
    "adagrad": dict(lr=0.1),
    "adagrad-decay": dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5),
}
CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


@pytest.mark.parametrize("config", OPTIMIZERS)
def test_optimizer_matches_pytorch_for_20_steps(config):
    name = CLASSES[config.split("-")[0]]
    kwargs = OPTIMIZERS[config]
    run_both(lambda ps: getattr(optim, name)(ps, **kwargs),
             lambda ps: getattr(torch.optim, name)(ps, **kwargs))


def test_param_groups_match_pytorch():
    groups = [dict(lr=0.1, momentum=0.9), dict(lr=0.01, nesterov=True, momentum=0.5)]
    run_both(lambda gs: optim.SGD(gs, lr=0.05), lambda gs: torch.optim.SGD(gs, lr=0.05), groups=groups)


def test_adam_param_groups_match_pytorch():
    groups = [dict(lr=0.02, amsgrad=True), dict(betas=(0.5, 0.9), weight_decay=0.2)]
    run_both(lambda gs: optim.Adam(gs, lr=0.01), lambda gs: torch.optim.Adam(gs, lr=0.01), groups=groups)


# ---- schedules -----------------------------------------------------------------------------
def paired_optimizers(lrs=(0.1, 0.03)):
    ours, theirs = paired_params()
    opt_a = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ours, lrs)])
    opt_b = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(theirs, lrs)])
    return opt_a, opt_b


SCHEDULES = {
    "step": ("StepLR", dict(step_size=3, gamma=0.5)),
    "exponential": ("ExponentialLR", dict(gamma=0.9)),
    "cosine": ("CosineAnnealingLR", dict(T_max=20)),
    "cosine-restarting": ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
}


@pytest.mark.parametrize("config", SCHEDULES)
def test_schedule_matches_pytorch_for_20_epochs(config):
    name, kwargs = SCHEDULES[config]
    opt_a, opt_b = paired_optimizers()
    sched_a, sched_b = getattr(optim, name)(opt_a, **kwargs), getattr(torch.optim.lr_scheduler, name)(opt_b, **kwargs)
    for epoch in range(STEPS):
        np.testing.assert_allclose(sched_a.get_last_lr(), sched_b.get_last_lr(), rtol=0, atol=1e-12,
                                   err_msg=f"epoch {epoch}")
        opt_a.step()
        opt_b.step()
        sched_a.step()
        sched_b.step()


# A loss curve with improvements, plateaus, tiny improvements and noise.
METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.8499, 0.8499, 0.85, 0.86, 0.7, 0.7, 0.71, 0.72,
           0.7, 0.69999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.4, 0.4, 0.4, 0.4]

PLATEAUS = {
    "default": dict(patience=2),
    "abs-threshold": dict(patience=1, threshold=0.01, threshold_mode="abs", factor=0.5),
    "cooldown": dict(patience=1, cooldown=2, factor=0.5),
    "min-lr": dict(patience=0, factor=0.3, min_lr=[0.01, 0.02]),
    "max-mode": dict(mode="max", patience=1, threshold=0.05),
    "max-abs": dict(mode="max", patience=2, threshold=0.02, threshold_mode="abs", cooldown=1),
}


@pytest.mark.parametrize("config", PLATEAUS)
def test_reduce_on_plateau_matches_pytorch(config):
    kwargs = PLATEAUS[config]
    opt_a, opt_b = paired_optimizers()
    sched_a = optim.ReduceLROnPlateau(opt_a, **kwargs)
    sched_b = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_b, **kwargs)
    for epoch, metric in enumerate(METRICS):
        sched_a.step(metric)
        sched_b.step(metric)
        np.testing.assert_allclose([g["lr"] for g in opt_a.param_groups], [g["lr"] for g in opt_b.param_groups],
                                   rtol=0, atol=1e-12, err_msg=f"epoch {epoch}")


# ---- clipping ------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    ours, theirs = paired_params()
    for p, q in zip(ours, theirs):
        grad = fake_gradient(p.data, 1)
        p.grad, q.grad = grad, torch.tensor(grad)
    norm_a = optim.clip_grad_norm_(ours, max_norm, norm_type)
    norm_b = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert norm_a == pytest.approx(norm_b.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_pytorch():
    ours, theirs = paired_params()
    for p, q in zip(ours, theirs):
        grad = fake_gradient(p.data, 2)
        p.grad, q.grad = grad, torch.tensor(grad)
    optim.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
