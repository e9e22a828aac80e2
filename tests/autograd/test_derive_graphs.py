"""derive on graphs drawn from the op catalogue: the written code reproduces the engine's
gradients (to 1e-12 in float64) for every op, and for random graphs with broadcasting, reuse of a
value by several ops (fan-out) and reductions."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag

from derive_helpers import derive_and_check
from op_catalogue import ALONG_AXIS, BINARY, REDUCTIONS, UNARY
from test_derive_rules import EXAMPLES


@pytest.mark.parametrize("label, make", EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_every_example_op_derives_to_the_engines_gradients(label, make):
    out = make()
    leaves = [t for t in ag.backward_order(out) if t.grad_fn is None]
    weights = np.random.default_rng(0).standard_normal(out.shape)
    values = {f"w{k}": t.data.copy() for k, t in enumerate(leaves)}
    ops = [t for t in ag.backward_order(out) if t.grad_fn is not None][::-1]

    def loss_fn(**params):  # the example's ops again, on the parameters given
        new = {id(t): params[f"w{k}"] for k, t in enumerate(leaves)}
        for t in ops:
            op = t.grad_fn.__class__.__new__(t.grad_fn.__class__)
            for slot in _slots(op):
                if hasattr(t.grad_fn, slot):
                    setattr(op, slot, getattr(t.grad_fn, slot))
            new[id(t)] = op(*[new.get(id(x), x) for x in t.grad_fn.inputs])
        return (new[id(out)] * weights).sum()
    derive_and_check(loss_fn, values)


def _slots(op):
    names = []
    for klass in type(op).__mro__:
        if klass is ag.Op:
            break
        names += [s for s in getattr(klass, "__slots__", ()) if not s.startswith("_")]
    return names


# -- random graphs ---------------------------------------------------------------------------

SHAPES = [(3, 4), (4,), (1, 4), (3, 1), ()]


def _squash(t, domain):
    """t mapped into the domain's safe interval (so log, sqrt and divisors stay finite)."""
    mid, half = (domain.hi + domain.lo) / 2, (domain.hi - domain.lo) / 2 * 0.9
    return mid + half * ag.tanh(t)


@st.composite
def programs(draw):
    """A list of instructions building a graph from parameters p0, p1, p2 of given shapes."""
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(3)]
    steps = []
    n_values = 3
    shape_of = list(shapes)
    for _ in range(draw(st.integers(2, 7))):
        kind = draw(st.sampled_from(["unary", "binary", "reduce", "along"]))
        a = draw(st.integers(0, n_values - 1))
        if kind == "unary":
            steps.append(("unary", draw(st.integers(0, len(UNARY) - 1)), a))
        elif kind == "binary":
            b = draw(st.integers(0, n_values - 1))
            try:
                out = np.broadcast_shapes(shape_of[a], shape_of[b])
            except ValueError:
                continue
            steps.append(("binary", draw(st.integers(0, len(BINARY) - 1)), a, b))
            shape_of.append(out)
            n_values += 1
            continue
        elif kind == "reduce":
            if not shape_of[a]:
                continue
            axis = draw(st.sampled_from([None, 0, -1]))
            keep = draw(st.booleans())
            k = draw(st.integers(0, len(REDUCTIONS) - 1))
            count = np.prod(shape_of[a]) if axis is None else shape_of[a][axis]
            if count < REDUCTIONS[k].min_count:  # std of one value: sqrt' at 0
                continue
            steps.append(("reduce", k, a, axis, keep))
            shape_of.append(_reduced(shape_of[a], axis, keep))
            n_values += 1
            continue
        else:
            if not shape_of[a]:
                continue
            steps.append(("along", draw(st.integers(0, len(ALONG_AXIS) - 1)), a))
        shape_of.append(shape_of[a])
        n_values += 1
    return shapes, steps


def _reduced(shape, axis, keep):
    axes = range(len(shape)) if axis is None else [axis % len(shape)]
    if keep:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _build(steps, params):
    values = list(params)
    for step in steps:
        kind, k, a = step[:3]
        if kind == "unary":
            e = UNARY[k]
            values.append(e.ours(_squash(values[a], e.domain)))
        elif kind == "binary":
            e = BINARY[k]
            values.append(e.ours(_squash(values[a], e.domains[0]), _squash(values[step[3]],
                                                                            e.domains[1])))
        elif kind == "reduce":
            e = REDUCTIONS[k]
            x = values[a]
            if e.distinct or e.min_count > 1:  # max/min/std want distinct values: add a ramp
                x = x + np.arange(x.size).reshape(x.shape) * 0.37
            values.append(e.ours(x, axis=step[3], keepdims=step[4]))
        else:
            values.append(ALONG_AXIS[k].ours(values[a], -1))
    # every value reaches the loss, each through its own weights: fan-out everywhere
    rng = np.random.default_rng(1)
    return sum(((v * rng.standard_normal(v.shape)).sum() for v in values[3:]),
               start=(values[0] * 0.5).sum())


@given(programs(), st.integers(0, 2 ** 16))
def test_random_graphs_from_the_catalogue_derive_to_the_engines_gradients(program, seed):
    shapes, steps = program
    rng = np.random.default_rng(seed)
    params = {f"p{i}": rng.uniform(-1.5, 1.5, size=s) for i, s in enumerate(shapes)}

    def loss_fn(p0, p1, p2):
        return _build(steps, [p0, p1, p2])
    derive_and_check(loss_fn, params)
