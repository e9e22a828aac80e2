"""Property: in a random small MLP, each family's mistake planted at a random layer is explained
with its cause, and the same derivation without the mistake is ok."""
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import compare_gradients, watch
from autograd.check import CAUSES

ACTS = {  # forward as learners write it, and its derivative from z and a
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
    "leaky": (lambda z: np.where(z > 0, z, 0.1 * z), lambda z, a: np.where(z > 0, 1.0, 0.1)),
}
WRONG = {  # a wrong derivative per activation (a local derivative)
    "sigmoid": lambda z, a: 1 - a,
    "tanh": lambda z, a: 1 - a,
    "relu": lambda z, a: np.ones_like(z),
    "leaky": lambda z, a: (z > 0) * 1.0,
}
LAM = 0.05


@st.composite
def planted(draw):
    """A network (depth 2-4, equal hidden widths so that deltas of two layers can be swapped),
    one family's mistake at one hidden layer, rows or columns, float64 or float32."""
    depth = draw(st.integers(2, 4))
    return dict(family=draw(st.sampled_from(CAUSES)), depth=depth,
                width=draw(st.integers(2, 5)), batch=draw(st.integers(2, 6)),
                act=draw(st.sampled_from(sorted(ACTS))), layer=draw(st.integers(0, depth - 2)),
                rows=draw(st.booleans()),
                dtype=draw(st.sampled_from([np.float64, np.float32])),
                seed=draw(st.integers(0, 2 ** 20)))


def build(family, depth, width, batch, act, layer, rows, dtype, seed, plant=True):
    rng = np.random.default_rng(seed)
    f, df = ACTS[act]
    n_in, n_out = width + 1, width
    X = rng.standard_normal((batch, n_in)).astype(dtype)
    T = rng.standard_normal((batch, n_out)).astype(dtype)
    if not rows:
        X, T = X.T.copy(), T.T.copy()
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    P = {}
    for i in range(depth):
        shape = (sizes[i], sizes[i + 1]) if rows else (sizes[i + 1], sizes[i])
        P[f"W{i}"] = (rng.standard_normal(shape) / np.sqrt(sizes[i])).astype(dtype)
        P[f"b{i}"] = (0.1 * rng.standard_normal(sizes[i + 1] if rows else (sizes[i + 1], 1))
                      ).astype(dtype)
    l2 = LAM if family == "missing_term" else 0.0

    def dense(a, W, b):
        return a @ W + b if rows else W @ a + b

    def loss_fn(**p):
        a = X
        for i in range(depth):
            z = watch(f"z{i}", dense(a, p[f"W{i}"], p[f"b{i}"]))
            a = f(z) if i < depth - 1 else z
        loss = np.mean((a - T) ** 2)
        if l2:
            loss = loss + l2 * sum(np.sum(p[f"W{i}"] ** 2) for i in range(depth))
        return loss

    # the learner's backward pass
    zs, acts = [], [X]
    for i in range(depth):
        zs.append(dense(acts[-1], P[f"W{i}"], P[f"b{i}"]))
        acts.append(f(zs[-1]) if i < depth - 1 else zs[-1])
    d = 2 * (acts[-1] - T) / T.size
    deltas, hand = {}, {}
    for i in reversed(range(depth)):
        if plant and family == "other_tensor" and i == layer:
            d = deltas[i + 1]  # the next layer's delta, used for this one
        deltas[i] = d
        hand[f"z{i}"] = d
        hand[f"W{i}"] = acts[i].T @ d if rows else d @ acts[i].T
        hand[f"b{i}"] = d.sum(axis=0) if rows else d.sum(axis=1, keepdims=True)
        if l2:
            forgot = plant and i == layer
            hand[f"W{i}"] = hand[f"W{i}"] + (0 if forgot else 2 * l2) * P[f"W{i}"]
        if plant and family == "extra_term" and i == layer:
            hand[f"W{i}"] = hand[f"W{i}"] + 0.1 * P[f"W{i}"]
        if i == 0:
            break
        W = P[f"W{i}"]
        sent = acts[i + 1] if plant and family == "values_for_gradient" and i - 1 == layer else d
        da = sent @ W.T if rows else W.T @ sent
        wrong = plant and family == "local_derivative" and i - 1 == layer
        d = da * (WRONG if wrong else {k: v[1] for k, v in ACTS.items()})[act](zs[i - 1], acts[i])
    return loss_fn, P, {k: np.asarray(v, dtype=dtype) for k, v in hand.items()}


@settings(max_examples=60, deadline=None)
@given(planted())
def test_a_mistake_planted_at_a_random_layer_of_a_random_mlp_is_explained_with_its_cause(net):
    report = compare_gradients(*build(**net))
    assume(not report.ok)  # e.g. a ReLU derivative left out where every unit is active
    row = report[report.first_mismatch]
    assert row.cause == net["family"], f"{net}\n{row.explanation}\n{report}"


@settings(max_examples=30, deadline=None)
@given(planted())
def test_the_same_derivation_without_the_mistake_is_ok(net):
    report = compare_gradients(*build(**net, plant=False))
    assert report.ok, str(report)
