"""The forward lines of the written code: only the values the backward lines read, and what
those values are computed from.

A value the learner named gets a line of its own, under that name. An unnamed value used once is
written inline where it is used (`h = np.tanh(W1 @ x)`, not `z1 = W1 @ x; h = np.tanh(z1)`);
an unnamed value used twice gets a line with a made-up name.
"""
import ast

from ..tensor import Tensor
from . import templates as T
from .capture import source_line
from .writer import Line, _assign


def write_forward(w):
    """Add the forward lines to w.lines (before the backward ones); return them."""
    by_var = {name: t for t in w.computed for name in [w.var[id(t)]]}
    read = set()
    for line in w.lines + w.extras:
        for text in line.code:
            read |= T.names_in(ast.parse(text).body)
    referenced = {id(by_var[n]) for n in read if n in by_var}

    mode, uses = {}, {}
    for t in sorted(w.computed, key=lambda t: t.grad_fn._clock, reverse=True):
        used = uses.get(id(t), [])
        forward, names = _forward_template(w, t)
        one_expression = not isinstance(T.parse(forward), list)
        if id(t) in referenced or (used and (id(t) in w.learner_named or len(used) > 1
                                             or not used[0] or not one_expression)):
            mode[id(t)] = "line"
        elif used:
            mode[id(t)] = "inline"
        else:
            continue  # nothing reads it
        for n, x in zip(names, t.grad_fn.inputs):
            if isinstance(x, Tensor) and x.grad_fn is not None and id(x) in w.var:
                uses.setdefault(id(x), []).append(
                    one_expression and T.count_uses(forward, n) == 1)

    w.inline_tex = {}
    lines = []
    for t in sorted(w.computed, key=lambda t: t.grad_fn._clock):
        if mode.get(id(t)) == "inline":
            w.inline_tex[id(t)] = T.Tex(_tex(w, t, mode), atomic=False)
        elif mode.get(id(t)) == "line":
            var = w.var[id(t)]
            filled = T.fill(_forward_template(w, t)[0], dict(_values(w, t, mode), y=T.name(var)))
            statements = filled if isinstance(filled, list) else [_assign(var, filled)]
            lines.append(Line([T.unparse(s) for s in statements], "forward", t, source_line(t),
                              lambda t=t: f"{w.tex_of[id(t)]} = {_tex(w, t, mode)}",
                              order=t.grad_fn._clock))
    lines = sorted(lines + w.extras, key=lambda line: line.order)
    w.lines[:0] = lines
    return lines


def _forward_template(w, t):
    op = t.grad_fn
    names = T.input_names(op, len(op.inputs))
    rule = None if id(op) in w.own_backward else T.read_rule(op, "code", op._xs)
    if rule is None:
        return f"{w.constants.name_of_op(op)}.forward({', '.join(names)})", names
    return rule[0], names


def _values(w, t, mode):
    op = t.grad_fn
    names = T.input_names(op, len(op.inputs))
    values = {}
    for n, x in zip(names, op.inputs):
        if isinstance(x, Tensor) and mode.get(id(x)) == "inline":
            values[n] = T.fill(_forward_template(w, x)[0], _values(w, x, mode))
        else:
            values[n] = w.input_node(x, op, t)
    for p in T.param_names(op):
        values[p] = w.constants.param_node(op, p, getattr(op, p, None))
    return values


def _tex(w, t, mode):
    op = t.grad_fn
    rule = T.read_rule(op, "tex", op._xs)
    if rule is None:
        return r"\operatorname{%s}(\ldots)" % op.name
    names = T.input_names(op, len(op.inputs))
    values = {}
    for n, x in zip(names, op.inputs):
        values[n] = w.tex_node(x)
    for p in T.param_names(op):
        values[p] = w.constants.param_tex(getattr(op, p, None))
    return T.fill_tex(rule[0], values)
