"""Differential fuzzing: random programs over the whole op catalogue give the same values and
gradients here as in PyTorch.

A program (fuzz_programs.py, fuzz_catalogue.py) is a few leaf tensors and 3 to 25 steps, each
applying a catalogue entry (or detaching a value, or changing one in place under no_grad()) to
earlier values, so subexpressions are shared. Leaves are float64, float32 or a mix; shapes have 0-d, size-1 and
size-0 axes and broadcast in every pattern; axes are negative as often as not; indices repeat.
The same program runs on torch tensors. Forward values and dtypes must match, and so must the
gradients of every value (leaves and intermediates; through backward(), backward() twice on a
kept graph, and ag.grad), and second derivatives (the gradient of a projection of the
create_graph=True gradient). A float32 program must stay float32 throughout.

Values are multiples of 1/8, so exact zeros and exact ties are common. A program that lands
exactly on a kink (relu(0), abs(0), a tie for a max, maximum(a, a), a clip bound, std of equal
values) is compared only where glassgrad's convention and PyTorch's agree, both written down in
op_catalogue.py (`Kink`), and is counted apart from the smooth ones (hypothesis events: run with
`--hypothesis-show-statistics`). Where the two conventions differ (the mixed second derivative
of a ** b at b = 0), the program is discarded, and so is one that sees a kink from different
sides on the two engines (0 in one, 1e-17 in the other: rounding, not a bug).

Where a program changes a value in place, the engine may refuse with its in-place error (it
keeps what backward needs); if it runs, it must match PyTorch running the change as a
straight-through step.

Profiles: `ci` (the default) runs a few hundred programs; `HYPOTHESIS_PROFILE=long` (or
`pytest --hypothesis-profile=long`) tens of thousands. A failing example prints as a script.
"""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")

from hypothesis import HealthCheck, assume, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import autograd as ag  # noqa: E402
from fuzz_catalogue import KINDS, catalogue_ops, drawer, programs  # noqa: E402
from fuzz_programs import Const, to_torch  # noqa: E402
from fuzz_structural import RICHER  # noqa: E402
from op_catalogue import AlongAxis, Binary, Reduction, Unary, entries  # noqa: E402

# Both sides compute in the same precision but in different orders (NumPy's pairwise sums, other
# kernels): in float64 they agree to ~1e-15 relative; a real bug is off by far more than these.
TOLERANCES = {np.float64: (1e-8, 1e-10), np.float32: (1e-3, 1e-4)}  # rtol, atol (times the scale)

# PyTorch's own remarks: a performance hint about the strides of the gradient of an empty tensor,
# and the degrees of freedom of a variance over no elements (as NumPy's, and glassgrad's, NaN)
pytestmark = [pytest.mark.filterwarnings("ignore:grad and param do not obey"),
              pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")]

OPS = catalogue_ops()
# Programs rich in curvature for the second-derivative test: values flowing elementwise, through
# reductions, softmaxes and matrix products
CURVED = catalogue_ops(lambda s: isinstance(s, (Unary, Binary, Reduction, AlongAxis))
                       or s.name.startswith(("matmul", "dot", "linear")))


def fuzz_settings():
    """Programs per test (there are twelve): 25 under the everyday profiles (`ci`, `dev`: 40
    examples a test), 300 in all; as many as a fuzzing profile asks (`long`: 2000), 24 000 in all,
    about 15 minutes of one core. Each test is short, so that a run cut off early has finished
    most of them. Most of a fuzzer's draws are declined steps or discarded programs: expected."""
    asked = settings.default.max_examples
    return settings(max_examples=asked if asked >= 1000 else 25,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


# ----------------------------------------------------------------------------------------------
# Running programs on both sides

def weights(shape, k, phase=0.5):
    """Fixed, distinct weights for output k: every element of every output counts differently."""
    n = int(np.prod(shape, dtype=int))
    return np.cos(1.7 * np.arange(n) + 0.9 * k + phase).reshape(shape)


def _operands(step, values, side):
    return [(i.value if side == "ours" else to_torch(i.value)) if isinstance(i, Const)
            else values[i] for i in step.items]


def _numpy(x):
    if isinstance(x, ag.Tensor):
        return x.data
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x._is_zerotensor():  # PyTorch's lazy known-zero gradient (abs'', ...): no memory to read
            return np.zeros(tuple(x.shape), dtype=torch.empty(0, dtype=x.dtype).numpy().dtype)
        return x.numpy()
    return np.asarray(x)


def _shares_memory(i, values):
    """Whether value i shares memory with another value (a view, or the same tensor: astype to
    its own dtype gives its input back), or cannot be written at all (a broadcast)."""
    x = values[i]
    return not x.data.flags.writeable or any(
        np.may_share_memory(v.data, x.data) for k, v in enumerate(values) if k != i)


def run_ours(prog):
    values = [ag.Tensor(x, requires_grad=r) for x, r in zip(prog.leaves, prog.requires_grad)]
    n = len(prog.leaves)
    kinked = prog.kink_operands["ours"] = {}
    for k, step in enumerate(prog.steps):
        operands = _operands(step, values, "ours")
        if step.inplace and _shares_memory(step.items[0], values):
            # a view: PyTorch's straight-through step could not change what it shares memory with
            event("discarded: an in-place change of a value that shares memory with another")
            assume(False)
        if step.kink is not None:  # as they are now: a later step may change them in place
            kinked[k] = [np.array(_numpy(x)) for x in operands]
        y = step.ours(*operands)
        assert isinstance(y, ag.Tensor), f"{step.code(n + k)} gave a {type(y).__name__}"
        values.append(y)
    return values


def run_theirs(prog):
    values = [torch.tensor(x, requires_grad=r) for x, r in zip(prog.leaves, prog.requires_grad)]
    kinked = prog.kink_operands["theirs"] = {}
    for k, step in enumerate(prog.steps):
        operands = _operands(step, values, "theirs")
        if step.kink is not None:
            kinked[k] = [np.array(_numpy(x)) for x in operands]
        values.append(step.theirs(*operands))
    return values


def loss_of(prog, values, side):
    total = None
    for k in prog.sinks():
        w = weights(prog.shapes[k], k).astype(prog.dtypes[k])
        term = (values[k] * (w if side == "ours" else torch.tensor(w))).sum()
        total = term if total is None else total + term
    return total


def assert_close(prog, ours, theirs, what):
    ours, theirs = _numpy(ours), _numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch gives {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, PyTorch gives {theirs.dtype}"
    rtol, atol = TOLERANCES[np.float32 if prog.float32 else np.float64]
    # Terms that cancel leave rounding residue of the size of the terms: of the largest value the
    # program computes, not of the (perhaps 0) result
    scale = max(prog.magnitude, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * scale, err_msg=what)


def _code(prog, k):
    n = len(prog.leaves)
    return f"v{k}" if k < n else prog.steps[k - n].code(k).replace("\n    ", "; ")


def _who_reads(prog, i):
    n = len(prog.leaves)
    return "; ".join(_code(prog, n + k) for k, s in enumerate(prog.steps) if i in s.args)


def _classify_kink(prog, k, order, on):
    """Step k's kink, from its operands as they were when it ran (compared already): discards a
    program that sees the kink from different sides, or lands on it where the conventions
    differ at this derivative `order` (0: the values); else notes the convention in `on`."""
    step = prog.steps[k]
    a, b = prog.kink_operands["ours"][k], prog.kink_operands["theirs"][k]
    near = step.kink.near
    if prog.float32 and step.kink.near_float32 is not None:
        near = step.kink.near_float32
    for ga, gb in zip(step.kink.gap(*a, **step.kink_kw), step.kink.gap(*b, **step.kink_kw)):
        if not np.array_equal(np.sign(ga), np.sign(gb)) or np.any((gb != 0) & (np.abs(gb) <= near)):
            event("discarded: a kink seen from different sides (rounding)")
            assume(False)
    if step.kink.hit(*b, **step.kink_kw):
        differs = step.kink.torch_differs
        if differs is not None and differs <= order:
            event(f"discarded: on a kink where PyTorch differs at order {differs}: "
                  f"{step.kink.ours}; PyTorch: {step.kink.torch}")
            assume(False)
        on.append(step.kink.ours if differs is None else
                  f"{step.kink.ours} (PyTorch's differs only from order {differs})")


def check_forward(prog, ours, theirs, order):
    """Same values everywhere, in the order they were computed; and the kinks: before a step's
    value is compared, its kink is classified (`_classify_kink`), and the program says (as a
    hypothesis event) which kinks it lands on."""
    n = len(prog.leaves)
    prog.magnitude = max([1.0] + [float(np.abs(_numpy(v)).max(initial=0.0)) for v in theirs])
    on = []
    for k in range(len(ours)):
        if k >= n and prog.steps[k - n].kink is not None:
            _classify_kink(prog, k - n, order, on)
        if k in prog.retired:
            continue  # changed in place: compared as the value that replaced it
        assert_close(prog, ours[k], theirs[k], f"value of {_code(prog, k)}")
        assert ours[k].requires_grad == theirs[k].requires_grad, \
            f"{_code(prog, k)}: requires_grad is {ours[k].requires_grad}, in PyTorch " \
            f"{theirs[k].requires_grad}"
    event("on a kink, where both engines take the same derivative: " + "; ".join(sorted(set(on)))
          if on else "smooth")
    if any(s.inplace for s in prog.steps):
        event("changes a value in place")


def _assume_finite(grads):
    # An overflow inside a step (exp(800) in a / exp(b)) can give NaN gradients on both sides,
    # which would compare equal and test nothing.
    for g in grads:
        assume(g is None or np.isfinite(_numpy(g)).all())


def check_gradients(prog, ours, theirs, grads_ours, grads_theirs):
    """Compare gradients from the last value back to the leaves: the first mismatch met this way
    points at the backward of an op that reads that value."""
    _assume_finite(grads_theirs)
    for k in reversed(range(len(ours))):
        if k in prog.retired:
            continue  # changed in place: its gradient is that of the value that replaced it
        if any((ours[k] is ours[j] or theirs[k] is theirs[j]) and j not in prog.retired
               for j in range(k)):
            continue  # the same tensor twice: a no-op (astype to its own dtype)
        ga, gb = grads_ours[k], grads_theirs[k]
        ga = np.zeros(prog.shapes[k], prog.dtypes[k]) if ga is None else ga
        gb = np.zeros(prog.shapes[k], prog.dtypes[k]) if gb is None else gb
        assert_close(prog, ga, gb, f"gradient of v{k}, read by: {_who_reads(prog, k) or 'the loss'}")


def refused_in_place(prog, run):
    """run(), or True when the engine refuses it with its in-place error after a program that
    changed a value in place (any other error is a failure)."""
    try:
        run()
    except RuntimeError as e:
        if "in place" in str(e) and any(s.inplace for s in prog.steps):
            event("in-place change: backward refused with the in-place error")
            return True
        raise
    return False


def _backward(values, loss, times):
    """`.grad` of every value after `times` backward passes (the second one accumulates)."""
    for v in values:
        if v.grad_fn is not None:
            v.retain_grad()
    for k in range(times):
        loss.backward(retain_graph=k < times - 1)
    return [v.grad for v in values]


# ----------------------------------------------------------------------------------------------
# The tests

KINDS_OF_PROGRAM = ["float64", "mixed"]  # float32 programs have a test of their own


@pytest.mark.parametrize("how", ["backward", "backward twice", "grad"])
@pytest.mark.parametrize("kind", KINDS_OF_PROGRAM)
@fuzz_settings()
@given(data=st.data())
def test_random_programs_match_pytorch_values_and_gradients(kind, how, data):
    program = data.draw(programs(OPS, RICHER, kind), label="program")
    ours, theirs = run_ours(program), run_theirs(program)
    check_forward(program, ours, theirs, order=1)
    loss_ours, loss_theirs = loss_of(program, ours, "ours"), loss_of(program, theirs, "theirs")
    if not loss_theirs.requires_grad:  # detach() cut every output off the leaves
        assert not loss_ours.requires_grad
        return
    got = {}
    if how == "grad":  # gradients of every value at once, .grad left alone
        wanted = [k for k, v in enumerate(theirs) if v.requires_grad]

        def run():
            got["ours"] = ag.grad(loss_ours, [ours[k] for k in wanted], allow_unused=True)
        if refused_in_place(program, run):
            return
        grads_ours, grads_theirs = [None] * len(ours), [None] * len(theirs)
        for k, ga, gb in zip(wanted, got["ours"], torch.autograd.grad(
                loss_theirs, [theirs[k] for k in wanted], allow_unused=True)):
            grads_ours[k], grads_theirs[k] = ga, gb
    else:
        times = 2 if how == "backward twice" else 1
        if refused_in_place(program, lambda: got.setdefault("ours", _backward(ours, loss_ours,
                                                                             times))):
            return
        grads_ours, grads_theirs = got["ours"], _backward(theirs, loss_theirs, times)
        for g in grads_ours:
            assert g is None or isinstance(g, np.ndarray), f".grad is a {type(g).__name__}"
    check_gradients(program, ours, theirs, grads_ours, grads_theirs)


@pytest.mark.parametrize("times", [1, 2], ids=["backward", "backward twice"])
@fuzz_settings()
@given(data=st.data())
def test_random_float32_programs_stay_float32_and_match_pytorch(times, data):
    program = data.draw(programs(OPS, RICHER, "float32"), label="program")
    ours, theirs = run_ours(program), run_theirs(program)
    for k, v in enumerate(ours):  # (unless NumPy promotes: a float64 constant inside a function)
        assert v.dtype == np.float32 or theirs[k].dtype == torch.float64, \
            f"{_code(program, k)} is {v.dtype} in a float32 program"
    check_forward(program, ours, theirs, order=1)
    loss_ours, loss_theirs = loss_of(program, ours, "ours"), loss_of(program, theirs, "theirs")
    if not loss_theirs.requires_grad:
        return
    got = {}
    if refused_in_place(program, lambda: got.setdefault("ours", _backward(ours, loss_ours, times))):
        return
    for k, g in enumerate(got["ours"]):
        assert g is None or g.dtype == ours[k].dtype, f"the gradient of v{k} is {g.dtype}"
    check_gradients(program, ours, theirs, got["ours"], _backward(theirs, loss_theirs, times))


def _second_order(program, values, side):
    """d(loss)/d(leaves) with a graph, then the gradient of a fixed projection of it; both as
    {leaf index: gradient}, for the leaves that require grad."""
    wanted = [k for k, r in enumerate(program.requires_grad) if r]
    leaves = [values[k] for k in wanted]
    loss = loss_of(program, values, side)
    grad = ag.grad if side == "ours" else torch.autograd.grad
    g = grad(loss, leaves, create_graph=True, allow_unused=True)
    proj = None
    for k, gi in zip(wanted, g):
        if gi is None or not gi.requires_grad:
            continue  # a gradient that is a constant adds nothing to the second derivative
        u = weights(gi.shape, k, phase=2.0).astype(program.dtypes[k])
        term = (gi * (u if side == "ours" else torch.tensor(u))).sum()
        proj = term if proj is None else proj + term
    h = [None] * len(leaves) if proj is None else grad(proj, leaves, allow_unused=True)
    return dict(zip(wanted, g)), dict(zip(wanted, h))


def check_second_derivatives(program):
    ours, theirs = run_ours(program), run_theirs(program)
    check_forward(program, ours, theirs, order=2)
    if not loss_of(program, theirs, "theirs").requires_grad:
        return  # detach() cut every output off the leaves
    got = {}
    if refused_in_place(program, lambda: got.setdefault("ours", _second_order(program, ours,
                                                                              "ours"))):
        return
    (g_ours, h_ours), (g_theirs, h_theirs) = got["ours"], _second_order(program, theirs, "theirs")
    _assume_finite(list(g_theirs.values()) + list(h_theirs.values()))
    for k in g_theirs:
        zero = np.zeros(program.shapes[k], program.dtypes[k])
        assert_close(program, zero if g_ours[k] is None else g_ours[k],
                     zero if g_theirs[k] is None else g_theirs[k],
                     f"gradient (create_graph=True) of v{k}")
        assert_close(program, zero if h_ours[k] is None else h_ours[k],
                     zero if h_theirs[k] is None else h_theirs[k],
                     f"second derivative (gradient of sum(grad * u)) of v{k}")


@pytest.mark.parametrize("kind", KINDS_OF_PROGRAM)
@fuzz_settings()
@given(data=st.data())
def test_random_programs_match_pytorch_second_derivatives(kind, data):
    check_second_derivatives(data.draw(programs(CURVED, RICHER, kind), label="program"))


@pytest.mark.parametrize("kind", KINDS_OF_PROGRAM)
@fuzz_settings()
@given(data=st.data())
def test_random_programs_with_every_op_match_pytorch_second_derivatives(kind, data):
    check_second_derivatives(data.draw(programs(OPS, RICHER, kind), label="program"))


def test_the_fuzzer_draws_every_catalogue_entry():
    assert set(OPS) == {spec.name for spec in entries()}
    for spec in entries():
        assert drawer(spec) in KINDS.values()


def test_every_richer_drawer_belongs_to_a_catalogue_entry():
    assert set(RICHER) <= set(OPS), set(RICHER) - set(OPS)
