"""The fused step for softmax + cross-entropy: dz = (p - Y) / N, whichever way the loss was
written (see fusions.py for the list). The loss is recognised as c * sum(Y * log p) with p a softmax
of z: walking down from a scalar through ops that scale, sum, pick or reshape (and one log), to a
softmax, a log-softmax or a cross-entropy op; Y is then checked on the numbers, as the chain's own
backward of 1.
"""
from fractions import Fraction

import numpy as np

from ..graph import sum_to
from ..tensor import Tensor
from . import templates as T
from .capture import source_line
from .fusions import Fusion, _only_use, _op, _uniform
from .naming import tex_symbol


def _exact(v):
    f = Fraction(v).limit_denominator(10 ** 6)
    return f if abs(float(f) - v) <= 1e-15 * abs(v) else Fraction(v)


def _grad_inputs(t):
    return [(i, x) for i, x in enumerate(t.grad_fn.inputs)
            if isinstance(x, Tensor) and x.requires_grad]


def _axes_code(axes, ndim):
    return "" if len(axes) == ndim else f"axis={axes[0] if len(axes) == 1 else axes}, "


def softmax_cross_entropy(w, top):
    """The fusion whose top is `top`, or None."""
    if top.size != 1:
        return None
    c, pick, chain, u, logged = Fraction(1), None, [], top, False
    while True:  # down through ops that scale, sum, pick or reshape (and one log)
        kind = type(u.grad_fn).__name__ if u.grad_fn is not None else None
        ins = _grad_inputs(u) if kind else []
        if len(ins) != 1 or kind in ("CrossEntropy", "CrossEntropyLabels", "LogSoftmax"):
            break
        (i, x), others = ins[0], [v for j, v in enumerate(u.grad_fn.inputs) if j != ins[0][0]]
        if kind == "Log" and not logged:
            logged = True
        elif kind in ("GetItem",) and pick is None:
            pick = ("index", u.grad_fn.index)
        elif kind == "Reshape":
            pass
        elif logged:
            break
        elif kind == "Negative":
            c = -c
        elif kind == "Sum":
            pass
        elif kind in ("Multiply", "Divide") and (kind == "Multiply" or i == 0):
            k = _uniform(others[0])
            if k is not None and k != 0:
                c = c * _exact(k) if kind == "Multiply" else c / _exact(k)
            elif kind == "Multiply" and pick is None and u.shape == x.shape:
                pick = ("weights", others[0])
            else:
                break
        else:
            break
        if not _only_use(w, x, u):
            return None
        chain.append(u)
        u = x
    found = _softmax_of(w, u, logged)
    if found is None:
        return None
    z, axes, p, inside, stable, ce = found
    if ce is not None:  # a cross-entropy op: the chain above it may only scale and sum
        if pick is not None or not np.allclose(_adjoint(chain, u), float(c), rtol=1e-12, atol=0):
            return None
        pick, k = ce
        c = c * k
    if pick is None or (p is not None and p.shape != z.shape):
        return None
    Y = _targets(chain if ce is None else [], u, pick, z.shape, c)
    if Y is None:
        return None
    fusion = Fusion(top, chain + inside, [z], "softmax + cross-entropy")
    fusion.spec = (z, axes, p, stable, Y, -c, chain[0] if chain else u, u)
    fusion._write = lambda w, f=fusion: _write_ce(w, f)
    return fusion


def _softmax_of(w, u, logged):
    """(z, axes, p or None, tensors inside, stable, ce) when u is p = softmax(z) (logged) or
    log softmax(z) (not logged); `ce` is (pick, factor) for a cross-entropy op."""
    if logged:
        if _op(u, "Softmax"):
            return u.grad_fn.inputs[0], (u.grad_fn.axis,), u, [u], True, None
        if not _op(u, "Divide"):
            return None
        e, s = u.grad_fn.inputs
        if not (_op(e, "Exp") and _op(s, "Sum")):
            return None
        e2 = s.grad_fn.inputs[0]
        v = e.grad_fn.inputs[0]
        if not (e2 is e or (_op(e2, "Exp") and e2.grad_fn.inputs[0] is v)):
            return None
        axes, inside = s.grad_fn.axis, [u, e, s] + ([] if e2 is e else [e2])
        if not _broadcasts_back(s, e.ndim):
            return None
        uses_ok = (sorted(id(c) for c, _ in w.consumers.get(id(e), [])) == sorted([id(u), id(s)])
                   if e2 is e else _only_use(w, e, u) and _only_use(w, e2, s)) \
            and _only_use(w, s, u)
        if not uses_ok:
            return None
        z, stable = v, False
        if _op(v, "Subtract") and _grad_inputs(v)[0][1] is v.grad_fn.inputs[0]:
            z, m = v.grad_fn.inputs
            if _op(m, "Max", "Min") and m.grad_fn.inputs[0] is z \
                    and (m.grad_fn.keepdims or m.ndim == 0) \
                    and set(axes) <= set(m.grad_fn.axis) and _only_use(w, m, v):
                inside += [m]
            elif isinstance(m, Tensor) and m.requires_grad:
                return None
            stable = True
            if not _uses_of_v(w, v, e, e2):
                return None
            inside += [v]
        elif not isinstance(v, Tensor) or not v.requires_grad:
            return None
        return z, tuple(axes), u, inside, stable, None
    if _op(u, "LogSoftmax"):
        return u.grad_fn.inputs[0], (u.grad_fn.axis,), None, [u], True, None
    if _op(u, "CrossEntropyLabels"):
        op = u.grad_fn
        n = len(op.t)
        k = -(Fraction(1, n) if op.reduction == "mean" else Fraction(1))
        if op.reduction == "none":
            k = Fraction(-1)
        return op.inputs[0], (1,), None, [u], True, (("index", (np.arange(n), op.t)), k)
    if _op(u, "CrossEntropy"):
        op = u.grad_fn
        k = Fraction(-1) / (_exact(float(op.denom)) if op.reduction == "mean" else 1)
        return op.inputs[0], (op.axis,), None, [u], True, (("weights", op.W), k)
    if _op(u, "Subtract"):
        z, lse = u.grad_fn.inputs
        if not (isinstance(z, Tensor) and z.requires_grad):
            return None
        if _op(lse, "LogSumExp") and lse.grad_fn.inputs[0] is z and _only_use(w, lse, u) \
                and (lse.grad_fn.keepdims or _broadcasts_back(lse, z.ndim)):
            return z, lse.grad_fn.axis, None, [u, lse], True, None
        if _op(lse, "Log") and _op(lse.grad_fn.inputs[0], "Sum"):
            s = lse.grad_fn.inputs[0]
            e = s.grad_fn.inputs[0]
            if _op(e, "Exp") and e.grad_fn.inputs[0] is z and _broadcasts_back(s, z.ndim) \
                    and all(_only_use(w, a, b) for a, b in ((lse, u), (s, lse), (e, s))):
                return z, s.grad_fn.axis, None, [u, lse, s, e], False, None
    return None


def _uses_of_v(w, v, e, e2):
    users = sorted(id(c) for c, _ in w.consumers.get(id(v), []))
    return users == sorted({id(e), id(e2)})


def _broadcasts_back(s, ndim):
    """A reduction's output lines up with its input again: kept dims, or leading axes removed."""
    op = s.grad_fn
    axes = tuple(op.axis)
    return op.keepdims or axes == tuple(range(len(axes))) or len(axes) == ndim


def _adjoint(chain, bottom):
    """The gradient of the chain's top with respect to `bottom`, by the chain's own backward
    (a Log in the chain counts as the identity: it commutes with picking and reshaping)."""
    g = np.ones(chain[0].shape) if chain else np.ones(bottom.shape)
    for u in chain:
        op = u.grad_fn
        (i, x), = _grad_inputs(u)
        if type(op).__name__ != "Log":
            g = op.backward(g, u.data, *op._xs)
            g = g[i] if isinstance(g, tuple) else g
            g = sum_to(np.broadcast_to(g, np.broadcast_shapes(np.shape(g), x.shape)), x.shape)
    return g


def _targets(chain, bottom, pick, shape, c):
    """The one-hot or target array Y such that the loss is c * sum(Y * log p); None when the
    chain does not have that form (checked on the numbers: the chain's own backward of 1)."""
    kind, what = pick
    if kind == "index":
        Y = np.zeros(shape)
        index = tuple(np.asarray(p.data if isinstance(p, Tensor) else p) if not isinstance(
            p, (slice, type(None), type(Ellipsis), int, np.integer)) else p
            for p in (what if isinstance(what, tuple) else (what,)))
        try:
            np.add.at(Y, index, 1)
        except (IndexError, ValueError):
            return None
    else:
        Y = what.data if isinstance(what, Tensor) else np.asarray(what)
        if Y.shape != tuple(shape):
            return None
    if chain:  # the chain's adjoint must be c * Y (pick, sums and scalings, nothing else)
        g = _adjoint(chain, bottom)
        if np.shape(g) != tuple(shape) or not np.allclose(g, float(c) * Y, rtol=1e-12, atol=0):
            return None
    return (kind, what, Y)


def _write_ce(w, fusion):
    z, axes, p, stable, (kind, what, Y), k, source_t, softmax_t = fusion.spec
    along = _axes_code(axes, z.ndim) + "keepdims=True"
    zname = w.var[id(z)]
    if p is not None:
        pname = w.var[id(p)]
    elif stable:
        pname = w.extra("p", f"__y__ = np.exp({zname} - {zname}.max({along})); "
                             f"__y__ = __y__ / __y__.sum({along})",
                        rf"\operatorname{{softmax}}({w.tex_of[id(z)]})", [z], source_line(softmax_t))
    else:
        pname = w.extra("p", f"np.exp({zname}) / np.exp({zname}).sum({along})",
                        rf"\operatorname{{softmax}}({w.tex_of[id(z)]})", [z], source_line(softmax_t))
    yname, ytex = _target_code(w, kind, what, Y, pname, z, axes, source_t)
    if yname.startswith("-"):  # -Y * log p: the sign goes to the factor
        yname, ytex, k, Y = yname[1:], ytex.lstrip("-"), -k, -Y
    rows_sum_to_one = np.allclose(Y.sum(axis=axes, keepdims=True), 1, rtol=0, atol=1e-12)
    if rows_sum_to_one:
        diff, diff_tex = f"{pname} - {yname}", rf"{tex_symbol(pname)} - {ytex}"
    else:
        diff = f"{pname} * {yname}.sum({along}) - {yname}"
        diff_tex = rf"{tex_symbol(pname)} \textstyle\sum {ytex} - {ytex}"
    code, tex = _scaled(diff, diff_tex, k)
    node = T.fill("gy * g", {"gy": w.grad_node(fusion.top), "g": T.expr(code)})
    if fusion.top is not w.capture.loss:
        tex = f"{w.grad_tex(fusion.top)} {tex}"
    w.contribute(z, node, source_t, (tex, {}, False))


def _scaled(diff, diff_tex, k):
    """k * (diff), written as a learner would: (p - Y) / N, Y - p, 0.5 * (p - Y) ..."""
    if k.numerator == 1:
        return (diff, diff_tex) if k.denominator == 1 else \
            (f"({diff}) / {k.denominator}", rf"\tfrac{{1}}{{{k.denominator}}}({diff_tex})")
    if k.numerator == -1:
        return (f"-({diff})", rf"-({diff_tex})") if k.denominator == 1 else \
            (f"-({diff}) / {k.denominator}", rf"-\tfrac{{1}}{{{k.denominator}}}({diff_tex})")
    return f"{float(k)!r} * ({diff})", f"{float(k):g}\\,({diff_tex})"


def _target_code(w, kind, what, Y, pname, z, axes, source_t):
    """The name of Y in the code (a line `Y = ...` where needed) and its LaTeX."""
    if kind == "weights":
        node = w.constants.node(what, None, None)
        text = T.unparse(node)
        if text.isidentifier() or (text.startswith("-") and text[1:].isidentifier()):
            return text, str(w.constants.tex(what))
        name = w.extra("Y", text, str(w.constants.tex(what)), [z], source_line(source_t))
        return name, tex_symbol(name)
    index = what if isinstance(what, tuple) else (what,)
    C = z.shape[axes[0]] if len(axes) == 1 else None
    parts = [T.unparse(w.constants._index_part(q, None)) for q in index]
    rows = [q for q in index if _is_arange(q)]
    dtype = "" if z.dtype == np.float64 else f", dtype=np.{z.dtype}"
    tex = r"\operatorname{onehot}"
    if C is not None and len(index) == z.ndim == 2 and len(rows) == 1 and _is_arange(index[1 - axes[0]]):
        labels = parts[axes[0]]
        code = f"np.eye({C}{dtype})[{labels}]" + (".T" if axes[0] == 0 else "")
        tex += f"({w.constants.tex(index[axes[0]])})" + (r"^\top" if axes[0] == 0 else "")
    elif C is not None and z.ndim == 1 and len(index) == 1:
        code = f"np.eye({C}{dtype})[{parts[0]}]"
        tex += f"({w.constants.tex(index[0])})"
    else:
        code = (f"__y__ = np.zeros_like({pname}); "
                f"np.add.at(__y__, ({', '.join(parts)},), 1)")
    name = w.extra("Y", code, tex, [z], source_line(source_t))
    return name, tex_symbol(name)


def _is_arange(q):
    if isinstance(q, range):
        return q.start == 0 and q.step == 1
    a = q.data if isinstance(q, Tensor) else q
    return isinstance(a, np.ndarray) and a.ndim == 1 and np.array_equal(a, np.arange(a.size))
