"""Every op states its backward rule for derive (`Op.code`, `Op.tex`), and the rule written as
code computes what the op's own forward and backward compute, on random inputs.

The ops are found by enumerating Op's subclasses, so an op added later without a rule, or
without an example here or in the op catalogue, fails these tests.
"""
import ast

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd import Op, Tensor
from autograd.derive import templates as T
from autograd.graph import backward_order, sum_to
from autograd.ops.shape import ScatterAdd

from op_catalogue import ALONG_AXIS, BINARY, REDUCTIONS, UNARY

RNG = np.random.default_rng(21)


def _leaf(shape, lo=-2.0, hi=2.0):
    return Tensor(RNG.uniform(lo, hi, size=shape), requires_grad=True)


def _examples():
    """(label, function of no arguments returning an output Tensor) covering every op."""
    out = []
    for e in UNARY:
        out.append((e.name, lambda e=e: e.ours(Tensor(e.domain.sample(RNG, (3, 4)),
                                                      requires_grad=True))))
    for e in BINARY:
        for sa, sb in (((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4))):
            out.append((f"{e.name}{sa}{sb}", lambda e=e, sa=sa, sb=sb: e.ours(
                Tensor(e.domains[0].sample(RNG, sa), requires_grad=True),
                Tensor(e.domains[1].sample(RNG, sb), requires_grad=True))))
    for e in REDUCTIONS:
        for axis, keep in ((None, False), (0, False), (1, True), ((0, 1), True)):
            out.append((f"{e.name} axis={axis} keepdims={keep}", lambda e=e, axis=axis, keep=keep:
                        e.ours(Tensor(RNG.permutation(12).reshape(3, 4) / 5.0, requires_grad=True),
                               axis=axis, keepdims=keep)))
    for e in ALONG_AXIS:
        for axis in (0, 1):
            out.append((f"{e.name} axis={axis}", lambda e=e, axis=axis: e.ours(_leaf((3, 4)), axis)))
    y3 = np.array([0, 2, 1])
    out += [
        ("reshape", lambda: _leaf((3, 4)).reshape(2, 6)),
        ("transpose", lambda: _leaf((3, 4)).T),
        ("transpose axes", lambda: ag.transpose(_leaf((2, 3, 4)), (1, 2, 0))),
        ("broadcast_to", lambda: ag.broadcast_to(_leaf((4,)), (3, 4))),
        ("getitem slice", lambda: _leaf((3, 4))[1:, ::2]),
        ("getitem repeated rows", lambda: _leaf((3, 4))[[0, 2, 0]]),
        ("getitem pick", lambda: _leaf((3, 4))[np.arange(3), y3]),
        ("getitem mask", lambda: _leaf((3, 4))[RNG.random((3, 4)) > 0.5]),
        ("scatter_add", lambda: ScatterAdd((np.array([0, 2, 0]),), (3, 4))(_leaf((3, 4)))),
        ("concatenate", lambda: ag.concatenate([_leaf((2, 4)), _leaf((3, 4))], axis=0)),
        ("concatenate axis 1", lambda: ag.concatenate([_leaf((3, 2)), _leaf((3, 1))], axis=1)),
        ("stack", lambda: ag.stack([_leaf((3, 4)), _leaf((3, 4))], axis=1)),
        ("matmul 2d", lambda: _leaf((3, 4)) @ _leaf((4, 2))),
        ("matmul vector-matrix", lambda: _leaf((4,)) @ _leaf((4, 2))),
        ("matmul matrix-vector", lambda: _leaf((3, 4)) @ _leaf((4,))),
        ("matmul vectors", lambda: _leaf((4,)) @ _leaf((4,))),
        ("matmul batched", lambda: _leaf((2, 3, 4)) @ _leaf((4, 5))),
        ("matmul batched vector", lambda: _leaf((4,)) @ _leaf((2, 4, 5))),
        ("matmul batched by vector", lambda: _leaf((2, 3, 4)) @ _leaf((4,))),
        ("linear", lambda: ag.linear(_leaf((3, 4)), _leaf((2, 4)), _leaf((2,)))),
        ("linear 3d", lambda: ag.linear(_leaf((2, 3, 4)), _leaf((5, 4)))),
        ("astype", lambda: ag.astype(_leaf((3, 4)), np.float32)),
        ("relu ties", lambda: ag.maximum(Tensor(np.array([0.0, 1.0, -1.0]), requires_grad=True), 0.0)),
        ("power with a tensor exponent at a <= 0", lambda: ag.power(
            Tensor(np.array([0.0, 1.5, 2.0])), _leaf((3,), 0.5, 2.0))),
        ("cross_entropy labels", lambda: F.cross_entropy(_leaf((3, 4)), y3)),
        ("cross_entropy labels sum", lambda: F.cross_entropy(_leaf((3, 4)), y3, reduction="sum")),
        ("cross_entropy labels none", lambda: F.cross_entropy(_leaf((3, 4)), y3, reduction="none")),
        ("cross_entropy probabilities", lambda: F.cross_entropy(
            _leaf((3, 4)), np.full((3, 4), 0.25))),
        ("cross_entropy smoothing", lambda: F.cross_entropy(_leaf((3, 4)), y3, label_smoothing=0.1)),
        ("cross_entropy none probabilities", lambda: F.cross_entropy(
            _leaf((3, 4)), np.full((3, 4), 0.25), reduction="none")),
        ("binary_cross_entropy", lambda: F.binary_cross_entropy(
            ag.sigmoid(_leaf((3, 4))), (RNG.random((3, 4)) > 0.5).astype(float))),
        ("binary_cross_entropy sum", lambda: F.binary_cross_entropy(
            ag.sigmoid(_leaf((3,))), np.array([0.0, 1.0, 1.0]), reduction="sum")),
        ("bce_with_logits", lambda: F.binary_cross_entropy_with_logits(
            _leaf((3, 4)), (RNG.random((3, 4)) > 0.5).astype(float))),
        ("bce_with_logits pos_weight", lambda: F.binary_cross_entropy_with_logits(
            _leaf((3, 4)), (RNG.random((3, 4)) > 0.5).astype(float), pos_weight=np.full(4, 2.0),
            reduction="none")),
    ]
    return out


EXAMPLES = _examples()


def _ops_of(out):
    return [t for t in backward_order(out) if t.grad_fn is not None]


def _op_classes():
    """Every Op subclass of glassgrad itself (autograd and nn), found by walking the class tree."""
    import nn.functional  # noqa: F401  (defines the loss ops)
    found, stack = set(), list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(("autograd.", "nn.")):
            found.add(cls)
    return found


def test_every_op_states_its_rule_as_code_and_as_latex():
    missing = sorted(c.__name__ for c in _op_classes() if c.code is None or c.tex is None)
    assert not missing, f"ops without a derive rule (Op.code / Op.tex): {missing}"


def test_every_op_has_an_example_here_or_in_the_catalogue():
    seen = {type(t.grad_fn) for _, make in EXAMPLES for t in _ops_of(make())}
    missing = sorted(c.__name__ for c in _op_classes() - seen)
    assert not missing, f"ops with no example in test_derive_rules.EXAMPLES: {missing}"


def _fill_values(op, xs, y):
    """Template values naming each input, y and each array parameter after itself."""
    names = T.input_names(op, len(xs))
    ns = {"np": np, "y": y, **dict(zip(names, xs))}
    values = {n: T.name(n) for n in names}
    values["y"] = T.name("y")
    for p in T.param_names(op):
        v = getattr(op, p, None)
        if p == "index":
            parts = v if isinstance(v, tuple) else (v,)
            nodes = []
            for k, part in enumerate(parts):
                if isinstance(part, np.ndarray):
                    ns[f"index{k}"] = part
                    nodes.append(T.name(f"index{k}"))
                else:
                    nodes.append(T.literal(part))
            values[p] = T.Index(nodes)
        elif isinstance(v, np.ndarray) and v.ndim > 0:
            ns[p] = v
            values[p] = T.name(p)
        else:
            values[p] = T.literal(v)
    return ns, values


def _run(template, ns, values, target):
    filled = T.fill(template, dict(values, gx=T.name(target), y=T.name(target) if target == "y"
                                   else values["y"]))
    if isinstance(filled, list):
        exec(compile(ast.fix_missing_locations(ast.Module(filled, [])), "<rule>", "exec"), ns)
        return ns[target]
    return eval(compile(ast.fix_missing_locations(ast.Expression(filled)), "<rule>", "eval"), ns)


@pytest.mark.parametrize("label, make", EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_the_written_rule_computes_the_ops_forward_and_backward(label, make):
    for t in _ops_of(make()):
        op, xs = t.grad_fn, t.grad_fn._xs
        forward, grads = T.read_rule(op, "code", xs)
        ns, values = _fill_values(op, xs, t.data)
        np.testing.assert_allclose(_run(forward, dict(ns), values, "y"), t.data, rtol=1e-12,
                                   err_msg=f"{op.name}: forward")
        gy = RNG.standard_normal(t.shape)
        ns["gy"], values["gy"] = gy, T.name("gy")
        want = op.backward(gy, t.data, *xs)
        want = want if isinstance(want, tuple) else (want,)
        for i, x in enumerate(op.inputs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            ours = _run(grads[i], dict(ns), values, "gx")
            ours = sum_to(np.broadcast_to(ours, np.broadcast_shapes(np.shape(ours), x.shape)),
                          x.shape) if np.ndim(ours) >= x.ndim else ours
            np.testing.assert_allclose(ours, sum_to(np.asarray(want[i]), x.shape), rtol=1e-10,
                                       atol=1e-12, err_msg=f"{op.name}: gradient of input {i}")


@pytest.mark.parametrize("label, make", EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_the_latex_rule_fills_in_with_every_placeholder_replaced(label, make):
    for t in _ops_of(make()):
        op, xs = t.grad_fn, t.grad_fn._xs
        forward, grads = T.read_rule(op, "tex", xs)
        names = T.input_names(op, len(xs))
        values = {n: T.Tex(f"X_{{{k}}}") for k, n in enumerate(names)}
        values.update(y=T.Tex("Y"), gy=T.Tex(r"\delta"))
        values.update({p: T.Tex("P") for p in T.param_names(op)})
        for template in (forward,) + tuple(g for g in grads if g is not None):
            text = T.fill_tex(template, values)
            leftover = set(names + ["gy"]) & set(T._WORD.findall(text))
            assert not leftover, f"{op.name}: {template!r} left {leftover} in {text!r}"
