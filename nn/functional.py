"""Losses and activations as plain functions of Tensors (PyTorch's ``torch.nn.functional``).

The activations are autograd's ops under PyTorch's names. Three losses are fused ops written
with ``autograd.Op`` -- cross_entropy, binary_cross_entropy and binary_cross_entropy_with_logits --
because composing them from log/exp would overflow for large logits or divide by zero at
probabilities of exactly 0 or 1, and because their gradients are short: (softmax - target) and
(sigmoid - target). The rest are compositions of ordinary ops.
"""
import warnings

import numpy as np

import autograd as ag

from . import init

REDUCTIONS = ("none", "mean", "sum")


# ---- activations ---------------------------------------------------------------------------
relu, sigmoid, tanh = ag.relu, ag.sigmoid, ag.tanh  # autograd's own: one call fewer per layer


def leaky_relu(x, negative_slope=0.01):
    return ag.leaky_relu(x, negative_slope)


def softmax(x, dim=-1):
    return ag.softmax(x, axis=dim)


def log_softmax(x, dim=-1):
    return ag.log_softmax(x, axis=dim)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight of shape (out_features, in_features)."""
    return ag.linear(x, weight, bias)


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: keep each element with probability 1-p and divide the kept ones by 1-p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = init.get_rng(rng).random(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


# ---- helpers -------------------------------------------------------------------------------
def _array(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


def _check_reduction(fn, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _constant_target(fn, target):
    """The target as an ndarray; it gets no gradient, so say so rather than silently drop it."""
    if isinstance(target, ag.Tensor) and target.requires_grad:
        raise ValueError(f"{fn}: the target (shape {tuple(target.shape)}) requires grad, but no "
                         f"gradient flows to a target: did you swap input and target? {fn} takes "
                         f"the model's output first, {fn}(output, target). If the target really "
                         "is computed, pass target.detach()")
    return _array(target)


def _check_not_labels(fn, input, target):
    """Integer input is class labels, never logits: the commonest cause is swapped arguments."""
    if np.issubdtype(_array(input).dtype, np.integer):
        raise TypeError(f"{fn}: input holds integers (dtype {_array(input).dtype}, shape "
                        f"{tuple(input.shape)}): class labels, not scores: did you swap input and "
                        f"target? {fn}(logits, labels) takes the model's output first (here the "
                        f"target has shape {tuple(np.shape(_array(target)))})")


def _nothing_counts(fn, ignore_index):
    """Why a mean over no targets is 0 here, not PyTorch's NaN: a NaN loss would make every
    weight NaN at the next step, while no target means nothing to learn from -- zero gradient."""
    warnings.warn(f"{fn}: no target counts (the batch is empty, or every target equals "
                  f"ignore_index={ignore_index} or has weight 0), so the mean is over nothing: the "
                  "loss is 0 and every gradient is zero (PyTorch gives a NaN loss here)",
                  RuntimeWarning, stacklevel=3)


def _check_same_shape(fn, input, target):
    # Broadcasting (N, 1) against (N,) would silently compare every prediction with every target.
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{fn}: input has shape {tuple(input.shape)} but target has shape "
                         f"{tuple(target.shape)}; they must match (reshape one of them)")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_class_indices(fn, t, shape, axis, ignore_index):
    """Check integer targets against input of ``shape`` (classes on ``axis``); returns the mask of
    targets that count (not ``ignore_index``)."""
    expected, n_classes = shape[:axis] + shape[axis + 1:], shape[axis]
    if t.shape != expected:
        hint = " (one-hot rows? pass them as floats, or their argmax)" if t.shape == shape else ""
        raise ValueError(f"{fn}: class-index target for input of shape {shape} must have shape "
                         f"{expected}, got {t.shape}{hint}")
    kept = t != ignore_index
    bad = kept & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"{fn}: target class {t[bad].flat[0]} is out of range for {n_classes} "
                         f"classes (valid: 0..{n_classes - 1})")
    return kept


def _plain_labels(t, shape, ignore_index):
    """Whether integer targets t for logits of shape (N, C) are N valid classes, none ignored (two
    reductions; anything else goes through `_check_class_indices`, which says what is wrong)."""
    n, n_classes = shape
    return (t.shape == (n,) and n > 0 and not 0 <= ignore_index < n_classes  # (0 rows: a mean over nothing)
            and 0 <= np.minimum.reduce(t) and np.maximum.reduce(t) < n_classes)


# ---- cross-entropy ---------------------------------------------------------------------------
# How derive writes a loss's reduction ("none", "mean", "sum") into the forward code, and the
# scaling of its gradient: {0} is the value, {1} the mean's divisor, {2} the class axis.
_REDUCE_CODE = {"none": "", "mean": "; {0} = {1}", "sum": "; {0} = {0}.sum()"}
_SCALE_CODE = {"none": "{0} = {0} * np.expand_dims(gy, {2})", "mean": "{0} = {0} * gy / {1}",
               "sum": "{0} = {0} * gy"}


class CrossEntropy(ag.Op):
    """loss_i = -sum_c W_ic log softmax(x)_ic over the class axis, then summed or divided by ``denom``.

    W (a constant) is the target distribution times the class weights. The gradient of the
    per-sample loss is softmax(x) * sum_c W_ic - W_ic, which is softmax - target when the
    target's rows sum to one and there are no class weights.
    """

    __slots__ = ("W", "axis", "reduction", "denom")

    def __init__(self, W, axis, reduction, denom):
        super().__init__()
        self.W, self.axis, self.reduction, self.denom = W, axis, reduction, denom

    def code(self, x):
        a = f"axis={self.axis}, keepdims=True"
        logp = f"y = x - x.max({a}); y = y - np.log(np.exp(y).sum({a})); y = -(W * y).sum(axis={self.axis})"
        grad = f"gx = np.exp(x - x.max({a})); gx = gx / gx.sum({a}) * W.sum({a}) - W; "
        return (logp + _REDUCE_CODE[self.reduction].format("y", "y.sum() / denom"),
                grad + _SCALE_CODE[self.reduction].format("gx", "denom", self.axis))

    tex = (r"-\textstyle\sum W \odot \log \operatorname{softmax}(x)",
           r"gy \odot (\operatorname{softmax}(x) \textstyle\sum W - W)")

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)  # exp never overflows
        log_p = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        loss = -(self.W * log_p).sum(axis=self.axis)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        return np.asarray(total if self.reduction == "sum" else total / self.denom)

    def backward(self, gy, y, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        e = np.exp(shifted)
        p = e / e.sum(axis=self.axis, keepdims=True)
        grad = p * self.W.sum(axis=self.axis, keepdims=True) - self.W
        if self.reduction == "none":
            return grad * np.expand_dims(gy, self.axis)
        return grad * (gy if self.reduction == "sum" else gy / self.denom)

    def params(self):
        return {"reduction": self.reduction}


class CrossEntropyLabels(ag.Op):
    """The everyday cross-entropy: logits (N, C), integer labels (N,), no weights or smoothing.

    loss_i = log sum_c exp(x_ic) - x_i,t_i; its gradient is softmax(x_i) - onehot(t_i). The
    softmax computed by forward is kept for backward rather than computed twice.
    """

    __slots__ = ("t", "reduction", "p", "at")
    name = "CrossEntropy"  # one loss to the learner, whichever op computes it

    def code(self, x):
        a, picked = "axis=1, keepdims=True", "[np.arange(len(t)), t]"
        forward = (f"y = x - x.max({a}); y = np.log(np.exp(y).sum(axis=1)) - y{picked}"
                   + _REDUCE_CODE[self.reduction].format("y", "y.mean()"))
        grad = f"gx = np.exp(x - x.max({a})); gx = gx / gx.sum({a}); gx{picked} -= 1; "
        return forward, grad + _SCALE_CODE[self.reduction].format("gx", "len(t)", 1)

    tex = (r"-\textstyle\sum \log \operatorname{softmax}(x)_{[t]}",
           r"gy \odot (\operatorname{softmax}(x) - \operatorname{onehot}(t))")

    def __init__(self, t, reduction):
        super().__init__()
        self.t, self.reduction, self.p, self.at = t, reduction, None, None

    def forward(self, x):
        n, c = x.shape
        # `at` indexes the rows laid end to end (C order): ravel() of the arrays made from x is then
        # a view that can be written into; logits given transposed are laid out again first
        x = np.ascontiguousarray(x)
        self.at = np.arange(0, n * c, c) + self.t  # where each target's logit sits in x.ravel()
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)  # exp never overflows
        p = np.exp(shifted)
        total = np.add.reduce(p, axis=1, keepdims=True)
        p /= total
        self.p = p  # the softmax, kept for backward
        loss = np.log(total[:, 0])
        loss -= shifted.ravel()[self.at]
        if self.reduction == "none":
            return loss
        total_loss = np.add.reduce(loss)
        return np.asarray(total_loss if self.reduction == "sum" else total_loss / n)

    def backward(self, gy, y, x):
        if isinstance(gy, ag.Tensor):  # create_graph: the gradient must itself be differentiable in x
            onehot = np.zeros(x.shape, dtype=x.dtype)
            onehot.ravel()[self.at] = 1
            g = np.exp(ag.log_softmax(x, axis=1)) - onehot
        elif self.reduction != "none":  # (softmax - onehot) * scale, made in one new array
            scale = gy if self.reduction == "sum" else gy / len(x)
            g = self.p * scale
            g.ravel()[self.at] -= scale
            return g
        else:
            g = self.p.copy()
            g.ravel()[self.at] -= 1
        if self.reduction == "none":
            return g * gy[:, None]
        return g * (gy if self.reduction == "sum" else gy / len(x))

    def params(self):
        return {"reduction": self.reduction}


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C) -- or (C,), or (N, C, d1, ...) -- with
    ``target`` either class indices (integers of shape (N,) / () / (N, d1, ...)) or class
    probabilities (floats, the same shape as input). Same arguments and numbers as PyTorch's,
    with one exception: the mean over no targets at all (every target is ``ignore_index``, or
    the batch is empty) is a loss of 0 with zero gradients and a RuntimeWarning saying so, where
    PyTorch returns NaN -- which one optimizer step would spread to every weight.
    """
    fn = "cross_entropy"
    _check_reduction(fn, reduction)
    _check_not_labels(fn, input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0 and 1, got {label_smoothing}")
    shape = tuple(input.shape)
    t = _constant_target(fn, target)
    if (len(shape) == 2 and weight is None and label_smoothing == 0 and t.dtype.kind in "iu"
            and _plain_labels(t, shape, ignore_index)):
        return CrossEntropyLabels(t, reduction)(input)  # the everyday case, kept lean
    if len(shape) == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a scalar")
    axis = 0 if len(shape) == 1 else 1
    n_classes = shape[axis]
    w = None if weight is None else _array(weight).astype(input.dtype)
    if w is not None and w.shape != (n_classes,):
        raise ValueError(f"{fn}: weight must have one entry per class, shape ({n_classes},); got {w.shape}")
    class_shape = [1] * len(shape)
    class_shape[axis] = n_classes  # to broadcast per-class numbers along the class axis

    if t.dtype.kind in "iu":
        kept = _check_class_indices(fn, t, shape, axis, ignore_index)
        onehot = np.moveaxis(np.eye(n_classes, dtype=input.dtype)[np.where(kept, t, 0)], -1, axis)
        kept_c = np.expand_dims(kept, axis)
        W = ((1 - label_smoothing) * onehot + label_smoothing / n_classes) * kept_c
        if w is not None:
            W = W * w.reshape(class_shape)
        # PyTorch's mean divides by the total weight of the targets that count.
        sample_w = kept_c * onehot * (1.0 if w is None else w.reshape(class_shape))
        denom = sample_w.sum()
    elif np.issubdtype(t.dtype, np.floating):
        if t.shape != shape:
            raise ValueError(f"{fn}: a probability target must have the input's shape {shape}, got "
                             f"{t.shape} (for class indices pass integers of shape {shape[:axis] + shape[axis + 1:]})")
        W = (t * (1 - label_smoothing) + label_smoothing / n_classes).astype(input.dtype)
        if w is not None:
            W = W * w.reshape(class_shape)
        denom = int(np.prod(shape)) // n_classes  # mean over samples, whatever the weights
    else:
        raise TypeError(f"{fn}: target must hold integer class indices or float probabilities, "
                        f"got dtype {t.dtype}")
    if reduction == "mean" and denom == 0:
        _nothing_counts(fn, ignore_index)
        W, denom = np.zeros_like(W), 1
    return CrossEntropy(W, axis, reduction, denom)(input)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) at class indices ``target`` (N,)."""
    fn = "nll_loss"
    _check_reduction(fn, reduction)
    _check_not_labels(fn, input, target)
    shape = tuple(input.shape)
    axis = 0 if len(shape) == 1 else 1
    n_classes = shape[axis]
    t = _constant_target(fn, target)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype {t.dtype}")
    kept = _check_class_indices(fn, t, shape, axis, ignore_index)
    safe_t = np.where(kept, t, 0)
    # Index (i, t_i) -- or (i, t_ij, j) for extra dimensions -- to pick each target's log-probability.
    rows = np.indices(t.shape, sparse=True)
    picked = input[tuple(rows[:axis]) + (safe_t,) + tuple(rows[axis:])]
    w = np.ones(n_classes, dtype=input.dtype) if weight is None else _array(weight).astype(input.dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{fn}: weight must have one entry per class, shape ({n_classes},); got {w.shape}")
    sample_w = w[safe_t] * kept
    loss = -picked * sample_w
    if reduction == "mean":
        if sample_w.sum() == 0:
            _nothing_counts(fn, ignore_index)
            return input.reshape(-1)[:0].sum()  # a sum over nothing: 0, and a zero gradient
        return loss.sum() / sample_w.sum()
    return _reduce(loss, reduction)


# ---- binary cross-entropy --------------------------------------------------------------------
class BinaryCrossEntropy(ag.Op):
    """-w (t log p + (1 - t) log(1 - p)), each log clamped at -100 as PyTorch does, so p = 0 or 1
    gives a finite loss; the gradient is w (p - t) / max(p (1 - p), 1e-12)."""

    __slots__ = ("t", "w", "reduction")
    tex = (r"-w \odot (t \log p + (1 - t) \log(1 - p))",
           r"gy \odot w \odot \frac{p - t}{p (1 - p)}")

    def __init__(self, t, w, reduction):
        super().__init__()
        self.t, self.w, self.reduction = t, w, reduction

    def code(self, p):
        forward = ("y = -w * (t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))"
                   + _REDUCE_CODE[self.reduction].format("y", "y.mean()"))
        mean = " / p.size" if self.reduction == "mean" else ""
        return forward, f"gy * w * (p - t) / np.maximum(p * (1 - p), 1e-12){mean}"

    def forward(self, p):
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log(1 - p), -100.0)
        loss = -self.w * (self.t * log_p + (1 - self.t) * log_1mp)
        return np.asarray(_reduce(loss, self.reduction))

    def backward(self, gy, y, p):
        grad = self.w * (p - self.t) / np.maximum(p * (1 - p), 1e-12)
        return grad * (gy / p.size if self.reduction == "mean" else gy)


class BinaryCrossEntropyWithLogits(ag.Op):
    """BCE of sigmoid(x), computed from the logits x without ever forming sigmoid(x):
    loss = (1 - t) x + l softplus(-x) with l = 1 + (pos_weight - 1) t, softplus written stably;
    the gradient is w ((1 - t) - l (1 - sigmoid(x))), i.e. w (sigmoid(x) - t) without pos_weight."""

    __slots__ = ("t", "w", "pos_weight", "reduction")
    tex = (r"w \odot ((1 - t) x + l \log(1 + e^{-x}))",
           r"gy \odot w \odot (\sigma(x) - t)")

    def __init__(self, t, w, pos_weight, reduction):
        super().__init__()
        self.t, self.w, self.pos_weight, self.reduction = t, w, pos_weight, reduction

    def code(self, x):
        l = "(1 + (pos_weight - 1) * t)"
        forward = (f"y = w * ((1 - t) * x + {l} * (np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))))"
                   + _REDUCE_CODE[self.reduction].format("y", "y.mean()"))
        mean = " / x.size" if self.reduction == "mean" else ""
        if np.all(self.pos_weight == 1):  # the everyday case: sigmoid(x) - t
            return forward, f"gy * w * (1 / (1 + np.exp(-x)) - t){mean}"
        return forward, f"gy * w * ((1 - t) - {l} * (1 - 1 / (1 + np.exp(-x)))){mean}"

    def forward(self, x):
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # log(1 + e^-x), stably
        l = 1 + (self.pos_weight - 1) * self.t
        loss = self.w * ((1 - self.t) * x + l * softplus_neg)
        return np.asarray(_reduce(loss, self.reduction))

    def backward(self, gy, y, x):
        sig = 0.5 + 0.5 * np.tanh(0.5 * x)  # sigmoid without overflow, smooth for higher derivatives
        l = 1 + (self.pos_weight - 1) * self.t
        grad = self.w * ((1 - self.t) - l * (1 - sig))
        return grad * (gy / x.size if self.reduction == "mean" else gy)


def _bce_args(fn, input, target, weight, reduction):
    _check_reduction(fn, reduction)
    t = _constant_target(fn, target).astype(input.dtype, copy=False)
    _check_same_shape(fn, input, t)
    return t, _bce_weight(fn, "weight", weight, input)


def _bce_weight(fn, name, weight, input):
    """``weight`` or ``pos_weight`` as an array (ones if None), checked here so that a wrong shape
    is named by the function the user called rather than by the op's broadcasting error."""
    if weight is None:
        return np.ones((), dtype=input.dtype)
    w, shape = _array(weight).astype(input.dtype), tuple(input.shape)
    try:
        fits = np.broadcast_shapes(w.shape, shape) == shape  # may stretch to the input, not enlarge it
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{fn}: {name} has shape {w.shape}, which does not broadcast to the input's "
                         f"shape {shape}")
    return w


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """BCE of probabilities ``input`` in [0, 1] against ``target`` of the same shape."""
    fn = "binary_cross_entropy"
    t, w = _bce_args(fn, input, target, weight, reduction)
    p = _array(input)
    if ((p < 0) | (p > 1)).any() or np.isnan(p).any():
        raise ValueError(f"{fn}: input must be probabilities in [0, 1] (got values from {p.min()} to "
                         f"{p.max()}); for raw scores use binary_cross_entropy_with_logits")
    return BinaryCrossEntropy(t, w, reduction)(input)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE of sigmoid(input), fused and stable for logits of any size."""
    fn = "binary_cross_entropy_with_logits"
    t, w = _bce_args(fn, input, target, weight, reduction)
    pw = _bce_weight(fn, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits(t, w, pw, reduction)(input)


# ---- regression ------------------------------------------------------------------------------
def _regression_args(fn, input, target, reduction):
    """The target may be a Tensor (then it gets a gradient too), an ndarray or a nested list."""
    _check_reduction(fn, reduction)
    if not isinstance(target, ag.Tensor):
        target = np.asarray(target)
    _check_same_shape(fn, input, target)
    return target


def mse_loss(input, target, reduction="mean"):
    target = _regression_args("mse_loss", input, target, reduction)
    return _reduce((input - target) ** 2, reduction)


def l1_loss(input, target, reduction="mean"):
    target = _regression_args("l1_loss", input, target, reduction)
    return _reduce(ag.abs(input - target), reduction)


# ---- metrics ---------------------------------------------------------------------------------
def accuracy(output, target, threshold=0.0):
    """Fraction of correct predictions, as a float.

    ``output`` (N, C) with C >= 2: the predicted class is the argmax. ``output`` (N,) or (N, 1): a
    binary prediction, ``output > threshold`` -- 0.0 suits logits, pass 0.5 for probabilities.
    ``target`` holds class indices, or one-hot / probability rows (then its argmax is the class).
    """
    out, t = _array(output), _array(target)
    if out.ndim >= 2 and out.shape[-1] >= 2:
        predicted = out.argmax(axis=-1)
        if t.shape == out.shape:
            t = t.argmax(axis=-1)
    else:
        predicted = (out > threshold).astype(np.int64).reshape(t.shape if t.size == out.size else -1)
    if predicted.shape != t.shape:
        raise ValueError(f"accuracy: predictions have shape {predicted.shape} but target has shape {t.shape}")
    return np.count_nonzero(predicted == t) / t.size if t.size else float("nan")
