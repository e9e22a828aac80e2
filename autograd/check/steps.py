"""Steps a learner differentiates in one go: an activation or a softmax, however it was written.

`sigmoid(z)`, `1 / (1 + np.exp(-z))` and `np.power(np.e, -z)` variants; `np.maximum(z, 0)`,
`z * (z > 0)` and `relu(z)`; `np.where(z > 0, z, 0.01 * z)`; a softmax as `exp / sum`. A step is
found from the values, not the spelling: y is a step of x when y is computed from x alone, entry
by entry (or along one axis, for a softmax), and y's values are sigmoid(x), tanh(x), ... of x's.

Each kind lists its derivative as learners write it (with a = the step's output, z its input) and
the classic wrong versions: the derivative left out, taken at the output, a neighbouring formula.
"""
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from . import sites

ACTIVATIONS = {"sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"}
POINTWISE = {"Add", "Subtract", "Multiply", "Divide", "Power", "Negative", "Exp", "Log", "Sqrt",
             "Abs", "Sin", "Cos", "Tanh", "Sigmoid", "ReLU", "LeakyReLU", "Maximum", "Minimum",
             "Where", "Clip", "AsType"}
ALONG_AXIS = {"Sum", "Max", "Min", "Softmax", "LogSoftmax", "LogSumExp", "BroadcastTo"}
MAX_MEMBERS = 16


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


@dataclass
class Step:
    """y computed from x alone as one activation (`kind`), or a softmax along `axis`."""
    x: Tensor
    y: Tensor
    kind: str
    members: set = field(repr=False)  # ids of the tensors from x to y
    axis: int = None
    slope: float = None  # leaky ReLU's slope for z < 0

    @property
    def pointwise(self):
        return self.axis is None


def _grad_inputs(t):
    return [x for x in t.grad_fn.inputs if isinstance(x, Tensor) and x.requires_grad]


def steps_from(graph, x):
    """The steps that start at x: tensors of x's shape computed from x alone (entry by entry, or
    along an axis), whose values identify them as an activation or a softmax of x, or that are
    one op away from x."""
    members, pointwise, order = {id(x)}, {id(x)}, []
    frontier = list(graph.users(x))
    while frontier and len(members) < MAX_MEMBERS:
        grown = False
        for u in sorted(frontier, key=lambda t: t.grad_fn._clock):
            if id(u) in members:
                continue
            name = u.grad_fn.name
            ins = _grad_inputs(u)
            if (name in POINTWISE or name in ALONG_AXIS) and all(id(i) in members for i in ins):
                members.add(id(u))
                order.append(u)
                if name in POINTWISE and all(id(i) in pointwise for i in ins) \
                        and u.shape == x.shape:
                    pointwise.add(id(u))
                frontier.extend(graph.users(u))
                grown = True
        frontier = [u for u in frontier if id(u) not in members]
        if not grown:
            break
    found = []
    for y in order:
        if y.shape != x.shape:
            continue
        inside = {id(t) for t in order if graph.between(t, y) and graph.between(x, t)} | {id(x)}
        if id(y) in pointwise:
            kind, slope = identify(x.data, y.data)
            ins = _grad_inputs(y)
            direct = len(ins) == 1 and ins[0] is x
            if kind is None and direct:
                kind = "op"
            if kind is not None and kind != "identity":
                found.append(Step(x, y, kind, inside, slope=slope))
        else:
            for kind, axis in identify_along(x.data, y.data):
                found.append(Step(x, y, kind, inside, axis=axis))
    return found


def _same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-30)
    return bool(np.all(np.abs(a - b) <= 1e-5 * np.abs(b) + 1e-6 * scale))


def identify(x, y):
    """(kind, slope) for y = f(x) entry by entry, or (None, None)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not np.isfinite(x).all() or not np.isfinite(y).all():
        return None, None
    if _same(y, x):
        return "identity", None
    if _same(y, np.maximum(x, 0)):
        return "relu", None
    neg = x < 0
    if neg.any() and _same(y[~neg], x[~neg]):
        k = float(np.mean(y[neg] / x[neg]))
        if 0 < k < 1 and _same(y, np.where(neg, k * x, x)):
            return "leaky_relu", k
    with np.errstate(over="ignore"):
        for kind, f in (("sigmoid", _sigmoid), ("tanh", np.tanh), ("exp", np.exp),
                        ("square", np.square)):
            if _same(y, f(x)):
                return kind, None
    return None, None


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def identify_along(x, y):
    """[(kind, axis)] for y a softmax or log-softmax of x along an axis."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim == 0 or not np.isfinite(x).all() or not np.isfinite(y).all():
        return []
    out = []
    for axis in range(x.ndim):
        if x.shape[axis] < 2:
            continue
        p = _softmax(x, axis)
        if _same(y, p):
            out.append(("softmax", axis))
        elif _same(y, np.log(np.maximum(p, 1e-300))):
            out.append(("log_softmax", axis))
    return out


# -- derivatives, right and wrong ---------------------------------------------------------------

@dataclass
class Variant:
    """A way of differentiating a step. `change(g)` is the gradient it sends to x for gradient g
    at y, minus the right one; with `free`, the change for a unit of a parameter the search fits
    (a leaky slope), and `text` then has a {k} for its value."""
    key: str
    text: str
    change: callable
    free: bool = False
    offset: float = 0.0  # the parameter shown is offset + the fitted value
    advice: str = ""     # what to check, when the formula alone does not say it


def right_formula(step):
    if step.kind == "leaky_relu":
        return f"1 for z > 0, {step.slope:g} below"
    return {"sigmoid": "a * (1 - a)", "tanh": "1 - a**2", "relu": "(z > 0)", "exp": "exp(z)",
            "square": "2 * z", "op": "its derivative", "softmax": "p * (g - sum(g * p))",
            "log_softmax": "g - p * sum(g)"}[step.kind]


def variants(step, d):
    """The wrong ways of differentiating `step`, given its right local derivative `d` (pointwise
    steps: dy/dx entry by entry)."""
    x = np.asarray(step.x.data, dtype=np.float64)
    a = np.asarray(step.y.data, dtype=np.float64)
    right = right_formula(step)

    def pointwise(key, text, d_wrong):
        d_wrong = np.asarray(d_wrong, dtype=np.float64)
        return Variant(key, text, lambda g: g * (d_wrong - d))

    out = []
    if step.pointwise:
        out.append(pointwise("left_out", f"no derivative at all (its derivative {right} is left "
                             "out)", 1.0))
        if step.kind == "sigmoid":
            s = _sigmoid(a)
            out += [
                pointwise("at_output", "the derivative taken at the output, sigmoid'(a) = "
                          "sigmoid(a) * (1 - sigmoid(a)) with a already sigmoid(z), where "
                          "a * (1 - a) belongs", s * (1 - s)),
                pointwise("one_minus_sigmoid_of_output", "1 - sigmoid(a) with a already "
                          "sigmoid(z), where a * (1 - a) belongs", 1 - s),
                pointwise("one_minus_a", "1 - a where a * (1 - a) belongs (the factor a is "
                          "missing)", 1 - a),
                pointwise("a_only", "a where a * (1 - a) belongs (the factor 1 - a is missing)", a),
                pointwise("on_input", "z * (1 - z), the formula applied to the pre-activation z, "
                          "where a * (1 - a) with a = sigmoid(z) belongs", x * (1 - x)),
                pointwise("tanh_formula", "1 - a**2 (tanh's derivative) where a * (1 - a) "
                          "belongs", 1 - a * a),
            ]
        elif step.kind == "tanh":
            t = np.tanh(a)
            out += [
                pointwise("no_square", "1 - a where 1 - a**2 belongs (the square is missing)",
                          1 - a),
                pointwise("on_input", "1 - z**2, the formula applied to the pre-activation z, "
                          "where 1 - a**2 with a = tanh(z) belongs", 1 - x * x),
                pointwise("at_output", "the derivative taken at the output, 1 - tanh(a)**2 with "
                          "a already tanh(z), where 1 - a**2 belongs", 1 - t * t),
                pointwise("sigmoid_formula", "a * (1 - a) (sigmoid's derivative) where 1 - a**2 "
                          "belongs", a * (1 - a)),
            ]
        elif step.kind == "relu":
            below = (x <= 0).astype(np.float64)
            out += [
                Variant("leaky_slope", "a slope of {k} for z < 0 (leaky ReLU's) where ReLU's "
                        "is 0", lambda g: g * below, free=True),
                pointwise("output_for_mask", "the output a = relu(z) itself where the mask "
                          "(z > 0) belongs", a),
            ]
        elif step.kind == "leaky_relu":
            below = (x <= 0).astype(np.float64)
            out += [
                pointwise("relu_slope", f"ReLU's slope (0 for z < 0) where leaky ReLU's is "
                          f"{step.slope:g}", (x > 0) * 1.0),
                Variant("other_slope", f"a slope of {{k}} for z < 0 where this leaky ReLU's is "
                        f"{step.slope:g}", lambda g: g * below, free=True, offset=step.slope),
            ]
        elif step.kind == "square":
            out.append(pointwise("no_two", "z where 2 * z belongs (the 2 is missing)", x))
        out.append(pointwise("twice", f"the derivative applied twice (an extra factor {right})",
                             d * d))
        return out

    axis = step.axis
    other = [b for b in range(x.ndim) if b != axis and x.shape[b] > 1]
    if step.kind == "softmax":
        p, what = a, "softmax"

        def jt(g, ax):
            return p * (g - np.sum(g * p, axis=ax, keepdims=True))
        diagonal = Variant(
            "diagonal", "only the diagonal of softmax's Jacobian, p * (1 - p), without the "
            "off-diagonal terms -p_i * p_j", lambda g: g * p * (1 - p) - jt(g, axis),
            advice="every score moves every probability")
    elif step.kind == "log_softmax":
        p, what = np.exp(a), "log-softmax"

        def jt(g, ax):
            return g - p * np.sum(g, axis=ax, keepdims=True)
        diagonal = Variant(
            "diagonal", "only the diagonal of log-softmax's Jacobian, 1 - p, without the terms "
            "-p_j of the other entries", lambda g: g * (1 - p) - jt(g, axis),
            advice="is the cross-entropy gradient taken only at the true class?")
    else:
        return out
    out += [
        diagonal,
        Variant("extra_diagonal", "an extra factor p * (1 - p) on the right gradient (the "
                "squared-error recipe error * activation'(z))",
                lambda g: jt(g, axis) * p * (1 - p) - jt(g, axis),
                advice="through softmax and cross-entropy, p - Y already is the gradient of the "
                       "scores"),
        Variant("left_out", "no derivative at all (its Jacobian is left out)",
                lambda g: g - jt(g, axis)),
    ]
    for b in other:
        out.append(Variant(f"axis_{b}", f"the derivative of a {what} over axis {b}",
                           lambda g, b=b: jt(g, b) - jt(g, axis),
                           advice=f"this {what} normalises over axis {axis}; is that the axis "
                                  "you meant?"))
    return out


def target_variants(step, auto):
    """For a softmax whose input's gradient is s * (p - Y) with a one-hot Y (softmax and
    cross-entropy): [(Variant, change at the input)] for the classic wrong targets, p - 1 and
    p - y with the labels y as numbers."""
    if step.kind not in ("softmax", "log_softmax") or step.y.ndim != 2:
        return []
    p = np.asarray(step.y.data, dtype=np.float64)
    return _target_changes(np.exp(p) if step.kind == "log_softmax" else p, auto, step.axis)


def _one_hot_targets(p, g, axis):
    """(s, Y) when g = s * (p - Y) with a one-hot Y along axis and s > 0, else None."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p > 0, g / p, np.nan)
    if not np.isfinite(ratio).all():
        return None
    s = float(np.median(ratio.max(axis=axis)))  # a row's largest ratio is at a wrong class
    if s <= 0:
        return None
    target = p - g / s
    onehot = np.round(target)
    if np.abs(target - onehot).max() <= 1e-4 and np.isin(onehot, (0, 1)).all() \
            and (onehot.sum(axis=axis) == 1).all():
        return s, onehot
    return None


def _target_changes(p, g, axis, diagonal=False):
    g = np.asarray(g, dtype=np.float64)
    found = _one_hot_targets(p, g, axis)
    if found is None:
        return []
    s, Y = found
    labels = np.expand_dims(Y.argmax(axis=axis), axis)
    out = [
        (Variant("p_minus_1", "p - 1 where p - Y belongs (the -1 is subtracted from every "
                 "class, not only the true one)", None,
                 advice="the one-hot target Y is missing"), s * (p - 1) - g),
        (Variant("p_minus_labels", "p - y with the class labels y as numbers, where p - Y "
                 "with the one-hot Y belongs", None,
                 advice="turn the labels into one-hot rows first"), s * (p - labels) - g),
    ]
    if diagonal:  # -Y/p through the diagonal p * (1 - p) only: -Y * (1 - p)
        out.insert(0, (Variant("diagonal", "only the diagonal of softmax's Jacobian, p * (1 - p), "
                               "without the off-diagonal terms -p_i * p_j", None,
                               advice="is the cross-entropy gradient taken only at the true "
                                      "class?"), -s * Y * (1 - p) - g))
    return out


# Losses that take logits and apply a softmax or a sigmoid inside (nn.functional's cross_entropy,
# binary_cross_entropy_with_logits): one op to the graph, two steps to a learner.
FUSED = {"CrossEntropy": "softmax", "BinaryCrossEntropyWithLogits": "sigmoid"}


def fused_variants(graph, use, x):
    """[(Variant, change at x)] for the classic wrong gradients of such a loss at its logits x:
    an extra activation derivative on top of p - Y (or a - t), and the wrong targets."""
    fn = use.grad_fn
    kind = FUSED.get(fn.name)
    if kind is None or fn.inputs[0] is not x:
        return []
    c = np.asarray(graph.share(use, x), dtype=np.float64)  # the right gradient through the loss
    z = np.asarray(x.data, dtype=np.float64)
    if kind == "sigmoid":
        a = _sigmoid(z)
        return [(Variant("extra_sigmoid_prime", "an extra factor a * (1 - a) (sigmoid's "
                         "derivative) on the right gradient", None,
                         advice="through a sigmoid and binary cross-entropy, a - t already is "
                                "the gradient of the logits"), c * a * (1 - a) - c)]
    if z.ndim != 2:
        return []
    axis = getattr(fn, "axis", 1) % z.ndim
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return [(Variant("extra_diagonal", "an extra factor p * (1 - p) on the right gradient (the "
                     "squared-error recipe error * activation'(z))", None,
                     advice="through softmax and cross-entropy, p - Y already is the gradient "
                            "of the scores"), c * p * (1 - p) - c)] + \
        _target_changes(p, c, axis, diagonal=True)


def op_variants(graph, t, i):
    """[(text, change of the gradient at input i)] for the usual wrong derivatives of t's op."""
    fn = t.grad_fn
    xs = [np.asarray(v, dtype=np.float64) for v in fn._xs]
    g = np.asarray(graph.grad(t), dtype=np.float64)
    u = fn.inputs[i]
    gxs = fn.backward(g, np.asarray(t.data, dtype=np.float64), *xs)
    gxs = gxs if isinstance(gxs, tuple) else (gxs,)
    if gxs[i] is None:
        return []
    right = graph.conform(np.asarray(gxs[i], dtype=u.dtype), u).astype(np.float64)
    wrong = []
    name = fn.name
    if name == "Matmul" and xs[0].ndim == 2 and xs[1].ndim == 2:
        a, b = xs
        other = fn.inputs[1 - i]
        who = sites.short_name(graph, other) if hasattr(other, "grad_fn") else "the other factor"
        if i == 0 and b.shape[0] == b.shape[1]:
            wrong.append((f"{who} where {who}.T belongs (in the backward pass the error goes "
                          "back through the transposed weights)", g @ b))
        if i == 1 and a.shape[0] == a.shape[1]:
            wrong.append((f"{who} where {who}.T belongs", a @ g))
    elif name == "Linear" and i == 0 and xs[1].ndim == 2 and xs[1].shape[0] == xs[1].shape[1]:
        wrong.append(("W.T where W belongs (x @ W.T sends the error back through W)",
                      g.reshape(-1, g.shape[-1]) @ xs[1].T))
    elif name == "Multiply" and len(xs) == 2:
        wrong.append(("its own value as the factor, where the other factor belongs "
                      "(d(a * b)/da = b)", g * xs[i]))
    elif name == "Subtract" and i == 1:
        wrong.append(("+1 for the subtracted side, where -1 belongs (d(a - b)/db = -1)", g))
    elif name == "Divide" and i == 0:
        wrong.append(("the denominator as a factor, where 1/denominator belongs "
                      "(d(a / b)/da = 1/b)", g * xs[1]))
    elif name == "Divide" and i == 1:
        wrong.append(("a / b**2 without its minus sign (d(a / b)/db = -a / b**2)",
                      g * xs[0] / xs[1] ** 2))
    out = []
    for text, alt in wrong:
        try:
            alt = graph.conform(np.asarray(alt, dtype=u.dtype), u).astype(np.float64)
        except (RuntimeError, ValueError):
            continue
        out.append((text, alt - right))
    return out
