"""Steps written the way learners know them, instead of op by op.

- softmax + cross-entropy: dz = (p - Y) / N, whichever way the loss was written: the softmax op,
  `np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)` (shifted by the max or not), log_softmax,
  `z - logsumexp(z)` by hand or as an op, nn.functional.cross_entropy, then `-log p[range, y]`,
  `-Y * log p`, nll_loss, summed or averaged.
- a sigmoid written by hand, `1 / (1 + np.exp(-z))`: dz = dh * h * (1 - h).

A fusion replaces the steps of the ops inside it; it only applies where nothing outside uses a
value inside (else that value's gradient would be needed). The writer checks each fused step
against the engine as it checks every step.
"""
import numpy as np

from ..tensor import Tensor
from . import templates as T


def find(w, disabled=()):
    """Fusions in w's graph, by id of their top tensor (the first found from the loss wins)."""
    found, taken = {}, set()
    watched = {id(t) for t in w.capture.watched.values()}  # their gradients are asked for
    for t in w.computed:
        if id(t) in taken or id(t) in disabled:
            continue
        fusion = softmax_cross_entropy(w, t) or _sigmoid(w, t) or _tanh(w, t)
        if fusion is not None and not (fusion.inside & taken) \
                and not ((fusion.inside - {id(t)}) & watched):
            found[id(t)] = fusion
            taken |= fusion.inside
    return found


class Fusion:
    def __init__(self, top, inside, inputs, label):
        self.top, self.inside, self.inputs, self.label = top, {id(t) for t in inside}, inputs, label

    def write(self, w):
        w.current_fusion = self
        try:
            self._write(w)
        finally:
            w.current_fusion = None


# -- helpers -------------------------------------------------------------------------------------

def _op(t, *names):
    return isinstance(t, Tensor) and t.grad_fn is not None and type(t.grad_fn).__name__ in names


def _only_use(w, x, t):
    """x is used by t's op once, and by nothing else that needs its gradient."""
    return [c for c, _ in w.consumers.get(id(x), [])] == [t]


def _uniform(x):
    """The single value of a constant (a number, or an array of one repeated value), else None."""
    if isinstance(x, Tensor):
        if x.requires_grad:
            return None
        x = x.data
    a = np.asarray(x)
    if a.dtype.kind not in "biuf" or a.size == 0 or not np.all(a == a.flat[0]):
        return None
    return a.flat[0].item()


# -- sigmoid written by hand -------------------------------------------------------------------------

def _sigmoid(w, h):
    """h = 1 / (1 + exp(-z)) (or np.power(np.e, -z), or exp(-z) + 1)."""
    if not _op(h, "Divide") or _uniform(h.grad_fn.inputs[0]) != 1:
        return None
    d = h.grad_fn.inputs[1]
    if not _op(d, "Add"):
        return None
    a, b = d.grad_fn.inputs
    one, e = (a, b) if _uniform(a) == 1 else (b, a) if _uniform(b) == 1 else (None, None)
    if e is None or np.shape(one) not in ((),) and np.size(one) != 1:
        return None
    if _op(e, "Exp"):
        n = e.grad_fn.inputs[0]
    elif _op(e, "Power") and _uniform(e.grad_fn.inputs[0]) == np.e:
        n = e.grad_fn.inputs[1]
    else:
        return None
    if not _op(n, "Negative"):
        return None
    z = n.grad_fn.inputs[0]
    if not (isinstance(z, Tensor) and z.requires_grad) or h.shape != z.shape:
        return None
    if not all(_only_use(w, a, b) for a, b in ((d, h), (e, d), (n, e))):
        return None
    fusion = Fusion(h, [h, d, e, n], [z], "sigmoid")

    def write(w):
        node = T.fill("gy * y * (1 - y)", {"gy": w.grad_node(h), "y": w.name_node(h)})
        tex = r"gy \odot y \odot (1 - y)"
        w.contribute(z, node, h, (tex, lambda: {"gy": w.grad_tex(h),
                                                        "y": T.Tex(w.tex_of[id(h)])},
                                          h is w.capture.loss))
    fusion._write = write
    return fusion


# -- tanh written by hand ------------------------------------------------------------------------

def _tanh(w, r):
    """r = (exp(z) - exp(-z)) / (exp(z) + exp(-z)): dz = dr * (1 - r**2)."""
    if not _op(r, "Divide"):
        return None
    num, den = r.grad_fn.inputs
    if not (_op(num, "Subtract") and _op(den, "Add")):
        return None
    pairs = [num.grad_fn.inputs, den.grad_fn.inputs]
    z, inside = None, [r, num, den]
    for up, down in pairs:
        if not (_op(up, "Exp") and _op(down, "Exp") and _op(down.grad_fn.inputs[0], "Negative")):
            return None
        neg = down.grad_fn.inputs[0]
        z = up.grad_fn.inputs[0] if z is None else z
        if up.grad_fn.inputs[0] is not z or neg.grad_fn.inputs[0] is not z:
            return None
        inside += [up, down, neg]
    if not (isinstance(z, Tensor) and z.requires_grad and z.shape == r.shape):
        return None
    ids = {id(t) for t in inside}
    if any(id(c) not in ids for t in inside[1:] for c, _ in w.consumers.get(id(t), [])):
        return None
    fusion = Fusion(r, inside, [z], "tanh")

    def write(w):
        node = T.fill("gy * (1 - y**2)", {"gy": w.grad_node(r), "y": w.name_node(r)})
        w.contribute(z, node, r, (r"gy \odot (1 - y^2)", lambda: {
            "gy": w.grad_tex(r), "y": T.Tex(w.tex_of[id(r)])}, r is w.capture.loss))
    fusion._write = write
    return fusion


from .softmax_ce import softmax_cross_entropy  # noqa: E402  (it builds on the above)
