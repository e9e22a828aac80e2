"""Non-differentiable points (kinks and ties): where a graph sits on one, the convention autograd
follows there, and the other values that are just as right.

At a kink such as relu at 0 the two one-sided slopes differ (0 and 1), and any value between them
is a valid gradient (a subgradient): autograd picks one (relu'(0) = 0, as PyTorch), a learner's
mask `(z > 0)` or `(z >= 0)` picks another. gradcheck uses this to tell a kink from an error;
compare_gradients to accept a hand gradient that differs from autograd's only there.
"""
import numpy as np

from ..tensor import Tensor

KINKED = ("ReLU", "Abs", "LeakyReLU", "Maximum", "Minimum", "Max", "Min", "Clip")


def near_kink(op, xs, tol):
    """Whether op's inputs `xs` (arrays) lie within tol of one of its kinks or ties."""
    name = op.name
    if name in ("ReLU", "Abs", "LeakyReLU"):
        return bool((np.abs(xs[0]) <= tol).any())
    if name in ("Maximum", "Minimum"):
        return bool((np.abs(np.asarray(xs[0]) - np.asarray(xs[1])) <= tol).any())
    if name in ("Max", "Min"):
        x = np.asarray(xs[0])
        y = np.max(x, axis=op.axis, keepdims=True) if name == "Max" else \
            np.min(x, axis=op.axis, keepdims=True)
        return bool(((np.abs(x - y) <= tol).sum(axis=op.axis) > 1).any())
    if name == "Clip":
        x = np.asarray(xs[0])
        return any(b is not None and (np.abs(x - b) <= tol).any() for b in (op.lo, op.hi))
    return False


def convention(op):
    """Ask the engine, on a tiny example, what gradient it gives at this op's kink."""
    from .. import ops
    name = op.name

    def grad_at(fn, *points):
        leaves = [Tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in points]
        fn(*leaves).sum().backward()
        return [lf.grad for lf in leaves]

    if name == "ReLU":
        return f"relu'(0) = {_short_num(grad_at(ops.relu, 0.0)[0])}"
    if name == "Abs":
        return f"abs'(0) = {_short_num(grad_at(ops.abs, 0.0)[0])}"
    if name == "LeakyReLU":
        return (f"leaky_relu'(0) = "
                f"{_short_num(grad_at(lambda x: ops.leaky_relu(x, op.slope), 0.0)[0])}")
    if name in ("Max", "Min"):
        g = grad_at(ops.max if name == "Max" else ops.min, [1.0, 1.0])[0]
        how = ("tied entries share the gradient equally" if np.allclose(g, 0.5)
               else f"ties get {g.tolist()}")
        return f"{name.lower()}: {how}"
    if name in ("Maximum", "Minimum"):
        ga, gb = grad_at(ops.maximum if name == "Maximum" else ops.minimum, 1.0, 1.0)
        return (f"np.{name.lower()}(a, b) at a == b: a gets {_short_num(ga)}, "
                f"b gets {_short_num(gb)}")
    if name == "Clip":
        g = grad_at(lambda x: ops.clip(x, 0.0, 1.0), 0.0)[0]
        return "clip passes the gradient at its bounds" if g == 1 else \
            "clip blocks the gradient at its bounds"
    return None


def _short_num(a):
    return f"{float(np.asarray(a)):g}"


def conventions_near(fns, tol):
    """The conventions of the ops among `fns` whose inputs lie within tol of a kink, as one line
    ('' when none)."""
    found = []
    for fn in fns:
        if fn.name not in KINKED or fn.inputs is None:
            continue
        xs = [x.data if isinstance(x, Tensor) else x for x in fn.inputs]
        if near_kink(fn, xs, tol):
            text = convention(fn)
            if text and text not in found:
                found.append(text)
    return "; ".join(found)


# -- the other right answers at exact kinks (compare_gradients) ---------------------------------

# How a hand-written mask treats the kink: "strict" as `(z > 0)`, "inclusive" as `(z >= 0)`, "half"
# as the average of the two one-sided slopes.
VARIANTS = ("strict", "inclusive", "half")


def _kinks(fn):
    """(ties, slopes) for an op at exact kinks: the entries (a boolean array) where it sits on
    one, and for each variant {input index: the slope (or share) there}; None when it has none.
    `z * (z > 0)`, a product with a 0/1 mask, counts as a kink at z == 0."""
    xs, name = fn._xs, fn.name
    if name in ("ReLU", "LeakyReLU", "Abs"):
        ties = np.asarray(xs[0]) == 0
        low = {"ReLU": 0.0, "LeakyReLU": getattr(fn, "slope", 0.0), "Abs": -1.0}[name]
        return ties, {v: {0: s} for v, s in zip(VARIANTS, (low, 1.0, 0.0 if name == "Abs"
                                                            else (1 + low) / 2))}
    if name in ("Maximum", "Minimum"):
        a, b = np.broadcast_arrays(np.asarray(xs[0]), np.asarray(xs[1]))
        return a == b, {v: {0: s, 1: 1.0 - s} for v, s in zip(VARIANTS, (0.0, 1.0, 0.5))}
    if name == "Clip":
        x = np.asarray(xs[0])
        ties = np.zeros(x.shape, dtype=bool)
        for bound in (fn.lo, fn.hi):
            if bound is not None:
                ties |= x == bound
        return ties, {v: {0: s} for v, s in zip(VARIANTS, (0.0, 1.0, 0.5))}
    i = _mask_product(fn)
    if i is not None:
        return np.asarray(xs[i]) == 0, {v: {i: s} for v, s in zip(VARIANTS, (0.0, 1.0, 0.5))}
    return None


def _mask_product(fn):
    """For `z * (z > 0)` (a product with a constant 0/1 mask): the index of z, else None."""
    if fn.name != "Multiply":
        return None
    for i in (0, 1):
        z, m = fn.inputs[i], fn.inputs[1 - i]
        if isinstance(z, Tensor) and z.requires_grad and \
                not (isinstance(m, Tensor) and m.requires_grad):
            mask = np.asarray(m.data if isinstance(m, Tensor) else m)
            if mask.shape == z.shape and np.isin(mask, (0, 1)).all():
                return i
    return None


def tie_count(fn):
    """How many entries of fn sit exactly on a kink."""
    found = _kinks(fn)
    return 0 if found is None else int(np.count_nonzero(found[0]))


def kink_changes(graph, variant):
    """The changes a variant makes to autograd's gradients, as {id: (tensor, delta)} at the inputs
    of the ops that sit exactly on a kink, and the kinked ops it changed (their outputs)."""
    seeds, where = {}, []
    for t in graph.computed:
        fn = t.grad_fn
        found = _kinks(fn)
        if found is None or not found[0].any():
            continue
        ties, slopes = found
        ones = np.ones(ties.shape)
        current = fn.backward(ones, fn.forward(*fn._xs), *fn._xs)  # autograd's slopes
        current = current if isinstance(current, tuple) else (current,)
        gy = np.asarray(graph.grad(t), dtype=np.float64)
        for i, slope in slopes[variant].items():
            x = fn.inputs[i]
            if not (isinstance(x, Tensor) and x.requires_grad) or current[i] is None:
                continue
            now = np.broadcast_to(np.asarray(current[i], dtype=np.float64), ties.shape)
            delta = graph.conform(gy * ties * (slope - now), x)
            if np.any(delta):
                old = seeds.get(id(x), (x, 0))[1]
                seeds[id(x)] = (x, old + delta)
                if not any(u is t for u in where):
                    where.append(t)
    return seeds, where
