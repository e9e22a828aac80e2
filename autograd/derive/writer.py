"""Writing the backward pass out, step by step, in the order backward runs.

For every tensor, from the loss down, each op's rule (or a fused rule, see fusions.py) gives the
gradient of each input as code. Every line is run as it is written, on the numbers of this forward
pass, and checked against what the engine computes for the same step: so the shape of each result
is known (a broadcast input gets its sum written out) and a rule that disagrees with its op's
backward is caught at once (derive then writes a call to that backward instead, and warns).
"""
import ast
import string
from dataclasses import dataclass, field

import numpy as np

from ..graph import backward_order, run_backward, sum_to
from ..tensor import Tensor
from . import templates as T
from .capture import source_line
from .constants import Constants
from .naming import Names, grad_name, grad_tex, leaf_grad_tex, tex_symbol, token


@dataclass
class Line:
    """One step of the written code: statements, the learner's line, what it computes."""
    code: list
    kind: str                 # "forward" or "backward"
    tensor: object = None     # the tensor whose value (forward) or gradient (backward) it gives
    source: str = None
    tex: object = None        # LaTeX, or a function giving it once every name is known
    complete: bool = False    # backward: the line gives the tensor's whole gradient
    order: float = 0.0        # forward: where it goes


class Mismatch(Exception):
    """A written step disagrees with the engine: `culprit` is the op or fusion that wrote it."""

    def __init__(self, culprit, detail):
        super().__init__(detail)
        self.culprit = culprit


@dataclass
class Writer:
    capture: object
    fusions_off: set = field(default_factory=set)   # ids of fusion tops not to fuse
    own_backward: set = field(default_factory=set)  # ids of ops written as calls to backward

    def __post_init__(self):
        loss = self.capture.loss
        order = backward_order(loss)
        self.computed = [t for t in order if t.grad_fn is not None]
        self.leaves = [t for t in order if t.grad_fn is None]
        self.auto = dict(zip(map(id, order), run_backward(
            [loss], [np.ones_like(loss.data)], retain_graph=True, capture=order)))
        # a gradient that cancels to ~0 is compared against the size of the whole backward pass
        self.atol = 1e-10 * max([float(np.max(np.abs(g[np.isfinite(g)]), initial=0.0))
                                 for g in self.auto.values() if g is not None] + [0.0])
        self.names = Names()
        self.ns = {"np": np}
        self.var, self.tex_of, self.learner_named = {}, {}, set()
        self._name_tensors()
        self.constants = Constants(self)
        self.lines, self.extras = [], []
        self.gvar, self.got, self.grad_vars, self.grad_owner = {}, {}, set(), {}
        self.current_fusion = None
        self.gconst = {}  # id -> a gradient that is a plain number (no line of its own)
        self.steps_into = {}  # id -> [(tensor whose op wrote it, (op, input), variable, fusion)]
        self.consumers = {}
        for t in self.computed:
            for i, x in enumerate(t.grad_fn.inputs):
                if _needs_grad(x):
                    self.consumers.setdefault(id(x), []).append((t, i))

    # -- names -----------------------------------------------------------------------------
    def _name_tensors(self):
        cap = self.capture
        for name, t in cap.params.items():
            self._set_var(t, self.names.claim(name), learner=True)
        generated = 0
        for t in sorted(self.computed, key=lambda t: t.grad_fn._clock):
            learner = cap.names.get(id(t))
            if learner is not None:
                self._set_var(t, self.names.claim(learner), learner=True)
            else:
                generated += 1
                self._set_var(t, token("g", generated))

    def _set_var(self, t, name, learner=False):
        self.var[id(t)] = name
        self.tex_of[id(t)] = tex_symbol(name)
        self.ns[name] = t.data
        if learner:
            self.learner_named.add(id(t))

    def name_node(self, t):
        return T.name(self.var[id(t)])

    def grad_var(self, t):
        return self.gvar.get(id(t)) or grad_name(self.var[id(t)])

    def grad_node(self, t):
        """The gradient of t as code: the loss's own is the number 1, and a number passed down
        from it stays a number."""
        if t is self.capture.loss:
            return ast.Constant(1)
        if id(t) in self.gconst:
            return T.expr(T.unparse(self.gconst[id(t)]))
        return T.name(self.grad_var(t))

    def grad_tex(self, t):
        if t is self.capture.loss:
            return T.Tex("1")
        if id(t) in self.gconst:
            return T.Tex(T.unparse(self.gconst[id(t)]).replace(" / ", "/"), atomic=False)
        owner = self.grad_owner.get(self.grad_var(t), t)
        return T.Tex(grad_tex(self.tex_of[id(owner)]))

    # -- running code ----------------------------------------------------------------------
    def run(self, statements):
        module = ast.fix_missing_locations(ast.Module(statements, []))
        exec(compile(module, "<derive>", "exec"), self.ns)

    def value(self, node):
        tree = ast.fix_missing_locations(ast.Expression(node))
        return eval(compile(tree, "<derive>", "eval"), self.ns)

    # -- the backward pass -----------------------------------------------------------------
    def write(self, fusions):
        """Write every step, from the loss down; `fusions` maps id(top tensor) -> Fusion."""
        self.expected = {}
        inside = {i for f in fusions.values() for i in f.inside}
        for t in self.computed:
            if id(t) in inside and id(t) not in fusions:
                continue
            targets = fusions[id(t)].inputs if id(t) in fusions else \
                [x for x in t.grad_fn.inputs if _needs_grad(x)]
            for x in targets:
                self.expected[id(x)] = self.expected.get(id(x), 0) + 1
        for t in self.computed:
            if id(t) in fusions:
                fusions[id(t)].write(self)
            elif id(t) not in inside:
                self._write_op(t)

    def _write_op(self, t):
        op = t.grad_fn
        xs = op._xs
        rule = None if id(op) in self.own_backward else T.read_rule(op, "code", xs)
        if rule is None:
            return self._write_own_backward(t)
        names = T.input_names(op, len(xs))
        values = self.op_values(t, names)
        values["gy"] = self.grad_node(t)
        tex_rule = T.read_rule(op, "tex", xs)
        for i, x in enumerate(op.inputs):
            if not _needs_grad(x) or rule[1][i] is None:
                continue
            node = T.fill(rule[1][i], dict(values, gx=T.name("__gx__")))
            tex_values = lambda t=t, names=names: self.op_tex_values(t, names)
            tex = (tex_rule[1][i], tex_values, t is self.capture.loss)
            self.contribute(x, node, t, tex, check=(op, i))

    def _write_own_backward(self, t):
        """An op with no rule: call its own backward (bound as a constant of the function)."""
        op = t.grad_fn
        op_name = self.constants.name_of_op(op)
        args = ", ".join([T.unparse(self.grad_node(t)), self.var[id(t)]]
                         + [T.unparse(self.input_node(x)) for x in op.inputs])
        for i, x in enumerate(op.inputs):
            if _needs_grad(x):
                node = T.expr(f"{op_name}.backward({args})" + (f"[{i}]" if len(op.inputs) > 1
                                                                 else ""))
                self.contribute(x, node, t, (r"\text{%s backward}" % op.name, {}, False),
                                check=(op, i))

    def op_values(self, t, names):
        """Template values for t's op: inputs, output `y`, parameters."""
        op = t.grad_fn
        values = {n: self.input_node(x, op, t) for n, x in zip(names, op.inputs)}
        values["y"] = self.name_node(t)
        for p in T.param_names(op):
            values[p] = self.constants.param_node(op, p, getattr(op, p, None))
        return values

    def op_tex_values(self, t, names):
        op = t.grad_fn
        values = {n: self.tex_node(x) for n, x in zip(names, op.inputs)}
        values["y"], values["gy"] = T.Tex(self.tex_of[id(t)]), self.grad_tex(t)
        for p in T.param_names(op):
            values[p] = self.constants.param_tex(getattr(op, p, None))
        return values

    def input_node(self, x, op=None, out=None):
        if isinstance(x, Tensor) and id(x) in self.var:
            return self.name_node(x)
        return self.constants.node(x, op, out)

    def tex_node(self, x):
        if isinstance(x, Tensor) and id(x) in self.var:
            return self.forward_tex(x)
        return self.constants.tex(x)

    def forward_tex(self, t):
        """t's symbol, or its whole formula where the forward code writes t inline."""
        inline = getattr(self, "inline_tex", {})
        return inline.get(id(t)) or T.Tex(self.tex_of[id(t)])

    # -- contributions ---------------------------------------------------------------------
    def contribute(self, x, node, t, tex, check=None):
        """x's gradient receives `node` (an expression, or statements assigning __gx__), written
        by t's op (or a fusion whose top is t). `tex` is (template, values function, seed)."""
        k = self.expected[id(x)]
        got = self.got.setdefault(id(x), [])
        part = None if k == 1 else _part(len(got), k)
        target = self.grad_var(x) + ("" if part is None else "_" + part)
        if isinstance(node, list):  # statements
            statements = T.fill(node, {"__gx__": T.name(target)})
            self.run(statements)
            raw = self.ns[target]
            fix = self._fix(x, raw, T.name(target))
            if fix is not None:
                statements.append(_assign(target, fix))
                self.run(statements[-1:])
        else:
            raw = self.value(node)
            fix = self._fix(x, raw, node)
            node = node if fix is None else fix
            passed = k == 1 and id(x) not in self.learner_named and x.grad_fn is not None
            if passed and isinstance(node, ast.Name) and node.id in self.grad_vars:
                self.gvar[id(x)] = node.id  # a gradient passed on unchanged: no line
                got.append(node.id)
                self.steps_into[id(x)] = [(t, check, node.id, self.current_fusion)]
                return self._complete(x)
            if passed and T.is_number(node):
                self.gconst[id(x)] = node  # a number (1, 0.005, 1 / 16): written where used
                got.append(None)
                self.steps_into[id(x)] = [(t, check, None, self.current_fusion)]
                return self._complete(x)
            statements = [_assign(target, node)]
            self.run(statements)
        self.grad_vars.add(target)
        self.grad_owner.setdefault(target, x)
        self.steps_into.setdefault(id(x), []).append((t, check, target, self.current_fusion))
        template, values, seed = tex
        prefix = self._sum_tex(x, raw)

        def line_tex():
            rhs = T.fill_tex(template, values() if callable(values) else values, seed)
            return f"{self.grad_lhs(x, part)} = {prefix + ' ' if prefix else ''}{rhs}"
        self.lines.append(Line([T.unparse(s) for s in statements], "backward", x, source_line(t),
                               line_tex, complete=(k == 1)))
        got.append(target)
        if k > 1 and len(got) == k:
            statement = _assign(self.grad_var(x), T.expr(" + ".join(got)))
            self.run([statement])
            self.grad_vars.add(self.grad_var(x))
            self.grad_owner[self.grad_var(x)] = x
            parts = [_part(i, k) for i in range(k)]
            self.lines.append(Line([T.unparse(statement)], "backward", x, None, lambda: (
                f"{self.grad_lhs(x)} = " + " + ".join(self.grad_lhs(x, p) for p in parts)),
                complete=True))
        if len(got) == k:
            self._complete(x)

    def grad_lhs(self, x, part=None):
        symbol = self.tex_of[id(x)]
        if part is not None:
            return r"\delta^{(%s)}_{%s}" % (part, symbol)
        return leaf_grad_tex(symbol) if x.grad_fn is None else grad_tex(symbol)

    def _fix(self, x, value, node):
        """node, summed back to x's shape (broadcasting) and cast to x's dtype; None if fine."""
        shape, dtype = x.data.shape, x.data.dtype
        if not isinstance(value, np.ndarray):  # a number: fine inside, an array for a leaf
            if shape == () and x.grad_fn is not None:
                return None
            return ast.Call(T.expr("np.full_like"), [self.name_node(x), node], [])
        fixed = node
        if value.shape != shape:
            if value.ndim >= len(shape) and sum_to(np.ones(value.shape), shape).shape == shape:
                fixed = _sum_code(fixed, value.shape, shape)
            else:
                fixed = ast.Call(T.expr("np.broadcast_to"), [fixed, T.expr(
                    f"{self.var[id(x)]}.shape")], [])
        if value.dtype != dtype:
            fixed = ast.Call(ast.Attribute(fixed, "astype", ast.Load()), [T.literal(dtype)], [])
        return None if fixed is node else fixed

    def _sum_tex(self, x, value):
        shape = x.data.shape
        value = np.asarray(value)
        if value.shape == shape or value.ndim < len(shape):
            return None
        lead = value.ndim - len(shape)
        axes = list(range(lead)) + [lead + i for i, n in enumerate(shape)
                                    if n == 1 and value.shape[lead + i] != 1]
        return r"\textstyle\sum_{\text{axis } %s}" % ", ".join(map(str, axes))

    def _check_step(self, x, t, check, ours):
        """The step against the op's own backward, given the engine's gradient of its output."""
        op, i = check
        g = self.auto.get(id(t)) if t is not self.capture.loss else np.ones_like(t.data)
        if g is None or op.inputs is None:
            return
        ref = op.backward(g, t.data, *op._xs)
        ref = ref[i] if isinstance(ref, tuple) else ref
        ref = sum_to(np.asarray(ref), x.data.shape) if np.ndim(ref) >= x.ndim else ref
        if not close(ours, ref, x.dtype, self.atol):
            raise Mismatch(op, f"{op.name}: the written gradient of input {i} disagrees with "
                               "its backward")

    def _complete(self, x):
        """x's gradient is written: check it against the engine's, and if they disagree, find
        the step to blame (each op's step against its own backward)."""
        auto = self.auto.get(id(x))
        ours = self.value(self.grad_node(x)) if id(x) in self.gconst else self.ns[self.grad_var(x)]
        if auto is None or close(ours, auto, x.dtype, self.atol):
            return
        steps = self.steps_into.get(id(x), [])
        for t, check, target, _ in steps:
            if check is not None and target is not None:
                self._check_step(x, t, check, self.ns[target])
        fused = [f for *_, f in steps if f is not None]
        raise Mismatch(fused[0] if fused else None,
                       f"the gradient of {self.var[id(x)]} disagrees with the engine's")

    # -- extra forward lines (from fusions) ------------------------------------------------
    def extra(self, base, code, tex, after, source=None):
        """A forward line that no op of the graph wrote (p = softmax(z) for a fused step):
        `code` assigns `__y__`; returns the variable's name."""
        name = self.names.free(base)
        statements = T.fill(code, {"__y__": T.name(name)})
        statements = statements if isinstance(statements, list) else [_assign(name, statements)]
        self.run(statements)
        order = max([u.grad_fn._clock for u in after if u.grad_fn is not None] + [0]) + 0.5
        self.extras.append(Line([T.unparse(s) for s in statements], "forward", None, source,
                                f"{tex_symbol(name)} = {tex}", order=order))
        return name


def _part(i, k):
    """The name of the i-th of k contributions to one gradient: a, b, c ... (1, 2, 3 past 26)."""
    return string.ascii_lowercase[i] if k <= 26 else str(i + 1)


def _assign(target, node):
    return ast.fix_missing_locations(ast.Assign([ast.Name(target, ast.Store())], node, lineno=0))


def _sum_code(node, have, want):
    """node.sum(...) written to turn a gradient of shape `have` into one of shape `want`."""
    lead = len(have) - len(want)
    ones = tuple(lead + i for i, n in enumerate(want) if n == 1 and have[lead + i] != 1)
    axes = tuple(range(lead)) + ones
    text = "()" if not axes else str(axes[0]) if len(axes) == 1 else str(axes)
    summed = ast.Call(ast.Attribute(node, "sum", ast.Load()), [], [])
    if axes == tuple(range(len(have))) and not want:
        return summed
    summed.keywords = [ast.keyword("axis", T.expr(text))]
    if ones and not lead:
        summed.keywords.append(ast.keyword("keepdims", ast.Constant(True)))
    elif ones:
        summed = ast.Call(ast.Attribute(summed, "reshape", ast.Load()), [T.literal(want)], [])
    return summed


def close(ours, ref, dtype, atol=0.0):
    """Whether two gradients agree, relative to the engine's size (NaN and inf where both have
    them): 1e-9 for float64, where both come from the same numbers, 1e-4 for float32. `atol`
    allows for a gradient that cancels to about 0 (the sum of p - Y over the classes)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    if ours.shape != ref.shape:
        return False
    rtol = 1e-9 if np.dtype(dtype).itemsize >= 8 else 1e-4
    err = float(np.max(np.abs(ours - ref), initial=0.0))
    if np.isfinite(err):
        return err <= rtol * float(np.max(np.abs(ref), initial=0.0)) + atol + 1e-300
    ours, ref = ours.astype(np.float64), ref.astype(np.float64)
    finite = np.isfinite(ref)
    if not np.array_equal(finite, np.isfinite(ours)) or \
            not np.array_equal(ours[~finite], ref[~finite], equal_nan=True):
        return False
    return close(ours[finite], ref[finite], dtype, atol)


def _needs_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


def _dtype(x):
    return x.data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
