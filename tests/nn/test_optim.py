"""Optimizers, schedules and clipping: behaviour that does not need PyTorch to check."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim


def param(values):
    return nn.Parameter(np.array(values, dtype=float))


def with_grad(values, grad):
    p = param(values)
    p.grad = np.array(grad, dtype=float)
    return p


# ---- construction errors -------------------------------------------------------------------
def test_empty_parameter_list_is_a_clear_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_empty_generator_is_a_clear_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(nn.ReLU().parameters())


def test_parameter_that_does_not_require_grad_is_refused():
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([param([1.0]), ag.Tensor([1.0])], lr=0.1)


def test_non_leaf_tensor_is_refused():
    p = param([1.0])
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_non_tensor_is_refused():
    with pytest.raises(TypeError, match="is a ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)


def test_single_tensor_instead_of_a_list_is_refused():
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(param([1.0]), lr=0.1)


def test_parameter_in_two_groups_is_refused():
    p = param([1.0])
    with pytest.raises(ValueError, match="more than one place"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_negative_learning_rate_is_refused():
    with pytest.raises(ValueError, match="invalid lr"):
        optim.Adam([param([1.0])], lr=-1.0)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([param([1.0])], lr=0.1, nesterov=True)


# ---- stepping ------------------------------------------------------------------------------
def test_sgd_step_subtracts_lr_times_grad():
    p = with_grad([1.0, 2.0], [0.5, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_step_updates_in_place_and_bumps_the_version():
    p = with_grad([1.0], [1.0])
    data, version = p.data, p.version
    optim.SGD([p], lr=0.1).step()
    assert p.data is data and p.version > version


def test_step_skips_parameters_without_a_gradient():
    p, q = with_grad([1.0], [1.0]), param([5.0])
    optim.Adam([p, q], lr=0.1).step()
    assert q.data[0] == 5.0 and p.data[0] != 1.0


def test_step_leaves_the_gradient_alone():
    p = with_grad([1.0], [2.0])
    grad = p.grad
    optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    assert p.grad is grad and grad[0] == 2.0


def test_param_groups_use_their_own_settings():
    p, q = with_grad([1.0], [1.0]), with_grad([1.0], [1.0])
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    opt.step()
    assert p.data[0] == pytest.approx(0.9) and q.data[0] == pytest.approx(0.5)
    assert opt.param_groups[0]["momentum"] == 0.0  # defaults fill the rest


def test_maximize_climbs_the_gradient():
    p = with_grad([1.0], [1.0])
    optim.SGD([p], lr=0.1, maximize=True).step()
    assert p.data[0] == pytest.approx(1.1)


def test_step_calls_the_closure_with_grad_enabled_and_returns_its_loss():
    p = param([3.0])
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.data[0] == pytest.approx(2.4)


def test_zero_grad_sets_grads_to_none():
    p = with_grad([1.0], [1.0])
    optim.SGD([p], lr=0.1).zero_grad()
    assert p.grad is None


def test_zero_grad_without_none_rebinds_rather_than_writes():
    shared = np.array([1.0])
    p, q = param([1.0]), param([1.0])
    p.grad = q.grad = shared  # autograd may hand the same array to two tensors
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad[0] == 0.0 and q.grad[0] == 1.0


def test_zero_grad_without_none_writes_zeros_into_an_array_nothing_else_holds():
    p = with_grad([1.0, 2.0], [3.0, 4.0])
    buffer_id = id(p.grad)
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert id(p.grad) == buffer_id and np.all(p.grad == 0)


def test_zero_grad_without_none_leaves_an_array_the_user_holds_alone():
    p = with_grad([1.0, 2.0], [3.0, 4.0])
    mine = p.grad
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(mine, [3.0, 4.0])
    assert p.grad is not mine and np.all(p.grad == 0)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.01)])
def test_training_with_zeroed_grad_buffers_matches_training_with_none(make):
    # set_to_none=False: backward adds into the same .grad arrays step after step
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 5)).astype(np.float32), rng.integers(0, 3, 16)
    runs = []
    for set_to_none in (True, False):
        model = nn.MLP([5, 4, 3], rng=np.random.default_rng(1))
        opt = make(list(model.parameters()))
        buffers = set()
        for _ in range(5):
            opt.zero_grad(set_to_none=set_to_none)
            nn.functional.cross_entropy(model(ag.Tensor(X)), y).backward()
            buffers.update(id(p.grad) for p in model.parameters())
            opt.step()
        if not set_to_none:
            assert len(buffers) == 4  # one array per parameter, for all five steps
        runs.append([(p.data.copy(), p.grad.copy()) for p in model.parameters()])
    for (p1, g1), (p2, g2) in zip(*runs):
        assert p2.dtype == g2.dtype == np.float32
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.AdamW(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.05),
    lambda ps: optim.Adagrad(ps, lr=0.5),
], ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_minimises_a_quadratic(make):
    p = param([3.0, -2.0])
    opt = make([p])
    for _ in range(300):
        opt.zero_grad()
        ((p - 1.0) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=0.05)


def test_adam_first_step_moves_each_coordinate_by_lr():
    p = with_grad([1.0, 1.0], [1e-3, 50.0])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [0.99, 0.99], rtol=1e-5)


def test_adamw_decays_weights_even_without_gradient_signal():
    p = with_grad([2.0], [0.0])
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    assert p.data[0] == pytest.approx(2.0 * (1 - 0.05))


# ---- optimizer state dicts -----------------------------------------------------------------
def run_steps(opt, p, n):
    for _ in range(n):
        opt.zero_grad()
        (p * p * p).sum().backward()
        opt.step()


def test_resuming_from_a_state_dict_continues_exactly():
    p = param([1.0, -0.5])
    opt = optim.Adam([p], lr=0.05, amsgrad=True)
    run_steps(opt, p, 3)
    saved_values, saved_state = p.data.copy(), opt.state_dict()
    run_steps(opt, p, 3)
    q = param(saved_values)
    resumed = optim.Adam([q], lr=0.05, amsgrad=True)
    resumed.load_state_dict(saved_state)
    run_steps(resumed, q, 3)
    np.testing.assert_array_equal(q.data, p.data)


def test_state_dict_numbers_parameters_like_pytorch():
    p, q = with_grad([1.0], [1.0]), with_grad([1.0], [1.0])
    opt = optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1, momentum=0.9)
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]] and set(state["state"]) == {0, 1}


def test_state_dict_holds_copies():
    p = with_grad([1.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.state_dict()["state"][0]["momentum_buffer"][0] = 99.0
    assert opt.state[p]["momentum_buffer"][0] == 1.0


def test_load_state_dict_restores_hyperparameters():
    p = param([1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.load_state_dict({"state": {}, "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.7)]})
    assert opt.param_groups[0]["lr"] == 0.7


def test_load_state_dict_rejects_a_different_layout():
    opt = optim.SGD([param([1.0])], lr=0.1)
    other = optim.SGD([param([1.0]), param([2.0])], lr=0.1)
    with pytest.raises(ValueError, match="has 2 parameters, the optimizer has 1"):
        opt.load_state_dict(other.state_dict())


# ---- schedules -----------------------------------------------------------------------------
def lrs_over(scheduler, opt, epochs):
    seen = []
    for _ in range(epochs):
        seen.append(opt.param_groups[0]["lr"])
        scheduler.step()
    return seen


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    opt = optim.SGD([param([1.0])], lr=1.0)
    np.testing.assert_allclose(lrs_over(optim.StepLR(opt, step_size=2, gamma=0.5), opt, 6),
                               [1, 1, 0.5, 0.5, 0.25, 0.25])


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    opt = optim.SGD([param([1.0])], lr=2.0)
    np.testing.assert_allclose(lrs_over(optim.ExponentialLR(opt, gamma=0.5), opt, 3), [2, 1, 0.5])


def test_cosine_annealing_reaches_eta_min_at_t_max():
    opt = optim.SGD([param([1.0])], lr=1.0)
    lrs = lrs_over(optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1), opt, 5)
    np.testing.assert_allclose(lrs, [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)])
    assert lrs[-1] == pytest.approx(0.1)


def test_scheduler_records_initial_lr_and_last_lr():
    opt = optim.SGD([param([1.0])], lr=0.3)
    sched = optim.ExponentialLR(opt, gamma=0.1)
    sched.step()
    assert opt.param_groups[0]["initial_lr"] == 0.3 and sched.get_last_lr() == [pytest.approx(0.03)]


def test_scheduler_state_dict_resumes_the_schedule():
    opt = optim.SGD([param([1.0])], lr=1.0)
    sched = optim.StepLR(opt, step_size=3)
    for _ in range(4):
        sched.step()
    fresh = optim.StepLR(optim.SGD([param([1.0])], lr=1.0), step_size=3)
    fresh.load_state_dict(sched.state_dict())
    assert fresh.last_epoch == 4 and fresh.get_last_lr() == sched.get_last_lr()


def test_plateau_waits_patience_epochs_before_reducing():
    opt = optim.SGD([param([1.0])], lr=1.0)
    sched = optim.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    lrs = []
    for metric in [5.0, 5.0, 5.0, 5.0, 4.0]:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_plateau_in_max_mode_wants_the_metric_to_grow():
    opt = optim.SGD([param([1.0])], lr=1.0)
    sched = optim.ReduceLROnPlateau(opt, mode="max", patience=0)
    sched.step(0.5)
    sched.step(0.9)
    assert opt.param_groups[0]["lr"] == 1.0
    sched.step(0.8)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


def test_plateau_never_goes_below_min_lr():
    opt = optim.SGD([param([1.0])], lr=1.0)
    sched = optim.ReduceLROnPlateau(opt, patience=0, min_lr=0.05)
    for _ in range(10):
        sched.step(1.0)
    assert opt.param_groups[0]["lr"] == 0.05


def test_plateau_accepts_a_scalar_tensor_metric():
    sched = optim.ReduceLROnPlateau(optim.SGD([param([1.0])], lr=1.0))
    sched.step(ag.Tensor(3.0))
    assert sched.best == 3.0


def test_plateau_rejects_a_factor_that_does_not_reduce():
    with pytest.raises(ValueError, match="factor"):
        optim.ReduceLROnPlateau(optim.SGD([param([1.0])], lr=1.0), factor=1.0)


# ---- gradient clipping ---------------------------------------------------------------------
def test_clip_grad_norm_returns_the_total_norm_before_clipping():
    p, q = with_grad([0.0], [3.0]), with_grad([0.0, 0.0], [0.0, 4.0])
    assert optim.clip_grad_norm_([p, q], max_norm=100.0) == pytest.approx(5.0)


def test_clip_grad_norm_rescales_to_max_norm():
    p, q = with_grad([0.0], [3.0]), with_grad([0.0, 0.0], [0.0, 4.0])
    optim.clip_grad_norm_([p, q], max_norm=1.0)
    total = math.sqrt((p.grad ** 2).sum() + (q.grad ** 2).sum())
    assert total == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(q.grad / p.grad[0], [0.0, 4 / 3])  # direction kept


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = with_grad([0.0], [0.5])
    grad = p.grad
    optim.clip_grad_norm_([p], max_norm=1.0)
    assert p.grad is grad


def test_clip_grad_norm_never_writes_into_a_shared_gradient():
    shared = np.array([30.0, 40.0])
    p, q = param([0.0, 0.0]), param([0.0, 0.0])
    p.grad = q.grad = shared
    optim.clip_grad_norm_([p], max_norm=1.0)
    np.testing.assert_array_equal(q.grad, [30.0, 40.0])


def test_clip_grad_norm_with_inf_norm_uses_the_largest_entry():
    p = with_grad([0.0, 0.0], [-7.0, 2.0])
    assert optim.clip_grad_norm_([p], max_norm=10.0, norm_type=math.inf) == 7.0


def test_clip_grad_norm_keeps_float32_gradients():
    p = nn.Parameter(np.zeros(2, dtype=np.float32))
    p.grad = np.array([30.0, 40.0], dtype=np.float32)
    optim.clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32


def test_clip_grad_norm_can_refuse_a_nonfinite_norm():
    with pytest.raises(RuntimeError, match="nan"):
        optim.clip_grad_norm_([with_grad([0.0], [np.nan])], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_each_entry():
    p = with_grad([0.0, 0.0, 0.0], [-5.0, 0.3, 12.0])
    optim.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, 0.3, 1.0])


# ---- load_state_dict checks every buffer against its parameter ------------------------------

def stepped(name):
    """An optimizer of kind `name` that has taken one step (so it has buffers), and its state."""
    model = nn.MLP([3, 4, 2], rng=np.random.default_rng(0))
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    opt = getattr(optim, name)(model.parameters(), lr=0.01, **kwargs)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    return opt, opt.state_dict()


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


def a_buffer(state):
    return next(k for k, v in state["state"][0].items() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name", ALL)
def test_load_state_dict_rejects_a_buffer_of_the_wrong_shape_naming_the_parameter(name):
    opt, state = stepped(name)
    key = a_buffer(state)
    state["state"][0][key] = np.zeros((5, 5), np.float32)
    with pytest.raises(ValueError, match=rf"parameter 0, shape \(4, 3\).*{key}.*\(5, 5\)"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", [np.full((4, 3), "x"), np.zeros((4, 3), complex)],
                         ids=["strings", "complex"])
def test_load_state_dict_rejects_a_buffer_of_the_wrong_dtype_naming_the_parameter(name, bad):
    opt, state = stepped(name)
    key = a_buffer(state)
    state["state"][0][key] = bad
    with pytest.raises(TypeError, match=rf"parameter 0.*{key}.*dtype"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("name", ALL)
def test_a_failed_load_state_dict_changes_nothing(name):
    opt, state = stepped(name)
    before = opt.state_dict()
    state["state"][1][a_buffer(state)] = np.zeros(7)
    with pytest.raises(ValueError):
        opt.load_state_dict(state)
    after = opt.state_dict()
    for i in before["state"]:
        for key, value in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][key], value)


def test_load_state_dict_rejects_another_optimizers_buffers():
    sgd, _ = stepped("SGD")
    _, adam_state = stepped("Adam")
    with pytest.raises(ValueError, match="'step' is not a buffer SGD keeps.*another optimizer"):
        sgd.load_state_dict(adam_state)


def test_load_state_dict_rejects_state_for_a_parameter_that_does_not_exist():
    opt, state = stepped("Adam")
    state["state"][9] = state["state"][0]
    with pytest.raises(ValueError, match="parameter 9.*numbered 0..3"):
        opt.load_state_dict(state)


def test_load_state_dict_rejects_a_hyperparameter_that_is_not_a_number():
    opt, state = stepped("Adam")
    state["param_groups"][0]["lr"] = "fast"
    with pytest.raises(TypeError, match="lr must be a number"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("name", ALL)
def test_a_checked_state_dict_still_resumes_exactly(name):
    opt, state = stepped(name)
    params = [p for g in opt.param_groups for p in g["params"]]
    fresh = getattr(optim, name)(params, lr=0.01, **({"momentum": 0.9}
                                                    if name in ("SGD", "RMSprop") else {}))
    fresh.load_state_dict(state)
    for p in params:
        p.grad = np.ones_like(p.data)
    copies = [p.data.copy() for p in params]
    opt.step()
    expected = [p.data.copy() for p in params]
    with ag.no_grad():
        for p, c in zip(params, copies):
            p.copy_(c)
    fresh.step()
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.data, e)
