"""derive(): the backward pass of a learner's forward, written out as NumPy and as maths."""
import ast
import collections
import re
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from ..graph import Op
from ..inplace import Overwritten
from ..tensor import Tensor
from . import fusions as F
from . import templates as T
from .capture import from_loss, run
from .forward import write_forward
from .naming import replace_tokens, tokens_in
from .writer import Mismatch, Writer, close

MAX_STEPS = 200  # more ops than this is not a derivation anyone reads


class DerivationTooLarge(ValueError):
    """The forward recorded more ops than a derivation can usefully show."""


def derive(loss, params=None, *, max_steps=MAX_STEPS):
    """Write out the backward pass of a forward computation: as NumPy code that a learner could
    have written by hand, and as formulas.

    `derive(loss_fn, params)` runs `loss_fn(**params)` with each parameter a Tensor (as
    compare_gradients does; `watch` names count); `derive(loss)` takes a loss computed already
    (before its backward(); `params` may name its leaves, as a dict or a list). Returns a
    `Derivation`: `.code` (the source of `gradients(...)`), `.function` (that code, bound to this
    run's constants: `d.function(**params)` gives the gradients by name), `.math` (LaTeX), and
    `.compare(hand)`. Raises DerivationTooLarge past `max_steps` ops (None: no limit).

    Constants are this run's: data, targets, and masks. A ReLU mask `z > 0` made from a value of
    the graph is recognised and written as `(z > 0)`, so it follows new parameters; any other
    constant computed from the parameters outside the graph keeps this run's value.
    """
    if isinstance(loss, Tensor):
        capture = from_loss(loss, params, sys._getframe(1))
    else:
        capture = run(loss, params)
    _check_size(capture, max_steps)
    disabled, own = set(), set()
    while True:
        w = Writer(capture, disabled, own)
        try:
            w.write(F.find(w, disabled))
            forward = write_forward(w)
            _check_forward(w, forward)
            break
        except Mismatch as m:
            _give_up_on(m, disabled, own)
    return Derivation(w)


def _give_up_on(mismatch, disabled, own):
    culprit = mismatch.culprit
    if isinstance(culprit, F.Fusion):
        key, what = id(culprit.top), f"the fused {culprit.label} step"
        disabled.add(key)
    elif isinstance(culprit, Op):
        key, what = id(culprit), f"the rule of {culprit.name}"
        if key in own:
            raise RuntimeError(f"derive: {mismatch} even as a call to its backward") from None
        own.add(key)
    else:
        raise RuntimeError(f"derive: {mismatch}; this is a bug in glassgrad, please report "
                           "it with the forward code") from None
    warnings.warn(f"derive: {what} disagrees with the engine here ({mismatch}); it is written "
                  "step by step (or as a call to the op's backward) instead. This is a bug in "
                  "glassgrad, please report it.", RuntimeWarning, stacklevel=3)


def _check_size(capture, max_steps):
    from ..graph import backward_order
    ops = [t.grad_fn for t in backward_order(capture.loss) if t.grad_fn is not None]
    if max_steps is None or len(ops) <= max_steps:
        return
    lines = collections.Counter(getattr(op, "_trace", None) for op in ops)
    busiest, count = lines.most_common(1)[0]
    where = ""
    if busiest and count > 1:
        where = (f" {count} of them come from one line ({busiest}), run again and again: a "
                 "Python loop over samples or units?")
    raise DerivationTooLarge(
        f"derive: this forward records {len(ops)} ops, so its backward pass has {len(ops)} steps: "
        f"too many to read (the limit is max_steps={max_steps}).{where} Write the forward for "
        "the whole batch at once (one matrix product per layer, e.g. X @ W1 + b1 for all samples) "
        "or derive a smaller example (one or two samples, a few units); derive(..., "
        "max_steps=None) writes it out anyway.")


def _check_forward(w, forward):
    """Run the forward lines on the parameters and constants: each must give the value the
    engine computed (a wrong forward template is caught here, as a wrong gradient rule is)."""
    ns = {"np": np, **w.constants.args}
    scale = max((float(np.max(np.abs(line.tensor.data), initial=0.0)) for line in forward
                 if line.tensor is not None and not isinstance(line.tensor.data, Overwritten)),
                default=0.0)
    ns.update({w.var[id(t)]: t.data for t in w.capture.params.values()})
    for line in forward:
        exec(compile("\n".join(line.code), "<derive>", "exec"), ns)
        t = line.tensor
        if t is not None and isinstance(t.data, Overwritten):
            continue  # an assignment wrote over this value in place: nothing left to check
        if t is not None and not close(ns[w.var[id(t)]], t.data, t.dtype, 1e-12 * scale):
            raise Mismatch(t.grad_fn, f"the forward of {t.grad_fn.name} disagrees with the engine")


@dataclass
class Step:
    """One line of the derivation: its code, formula, the learner's line, and what it gives."""
    kind: str       # "forward" or "backward"
    code: str
    tex: str
    source: str
    name: str       # the variable it assigns (the tensor's name, or d<name> for a gradient)
    of: str         # the tensor's name in the derivation (None for an added line)
    complete: bool  # backward: the whole gradient of `of`


class Derivation:
    """The backward pass of one forward, written out. `str()` and `.code` give the NumPy code,
    `.math` the formulas (LaTeX), `.function(**params)` runs the code on new parameters with this
    run's data; in Jupyter it shows as rendered maths with the code one click away.

    Attributes:
        code: the source of `def gradients(...)`, plain NumPy.
        function: that code bound to this run's constants: `d.function(**params)` gives the
            gradients by name.
        math: the same steps in LaTeX, one row of an `aligned` block per step.
        steps: the lines, in order (each a `Step`: kind, code, tex, source line, name, of).
        params: the parameter names, in order.
        arguments: the arguments of `gradients`: the parameters, then the constants it reads.
        constants: this run's value of each constant argument, by name.
        tensor_names: each tensor's name in the derivation, by `id` of the tensor.
        gradients_fn: `gradients` itself, compiled, taking the constants as arguments.
        label: what was derived: the forward function's name, or "loss".
    """

    def __init__(self, w):
        self._w = w
        final = _final_names(w)
        self.params = list(w.capture.params)
        self.tensor_names = {key: replace_tokens(v, final) for key, v in w.var.items()
                             if not tokens_in(v) or v in final}
        self.steps = []
        for line in w.lines:
            of = None if line.tensor is None else replace_tokens(w.var[id(line.tensor)], final)
            tex = line.tex() if callable(line.tex) else line.tex
            code = replace_tokens("\n".join(line.code), final)
            target = code.split("=")[0].strip() if "=" in code else of
            self.steps.append(Step(line.kind, code, replace_tokens(tex, final, tex=True),
                                   line.source, target, of, line.complete))
        self._returned = _returned(w, final)
        body = "\n".join(s.code for s in self.steps) + "\n" + self._returned
        used = set(T.names_in(ast.parse(body).body))
        by_final = {final.get(a, a): a for a in w.constants.args}
        args = [a for a in dict.fromkeys(_order_of_use(body, final, w.constants.args)) if a in used]
        self.arguments = [w.var[id(t)] for t in w.capture.params.values()] + args
        self.constants = {a: w.constants.args[by_final[a]] for a in args}
        self.code = _source(self.arguments, self.steps, self._returned)
        namespace = {"np": np}
        exec(compile(self.code, "<derive: gradients>", "exec"), namespace)
        self.gradients_fn = namespace["gradients"]
        self.function = BoundFunction(self)
        self.math = "\\begin{aligned}\n" + " \\\\\n".join(
            _aligned(s.tex) for s in self.steps if s.tex) + "\n\\end{aligned}"
        self.label = w.capture.label

    def __str__(self):
        return self.code

    def __repr__(self):
        n = sum(s.kind == "backward" for s in self.steps)
        return f"<Derivation of {self.label}: {n} backward steps; print() it for the code>"

    def _repr_html_(self):
        from .display import derivation_html
        return derivation_html(self)

    def compare(self, hand, **options):
        """Set the learner's hand-derived gradients (a dict: parameter names, names of the
        derivation's tensors, or their gradients' names such as 'dz1') beside the derivation:
        the first step where they depart, with the derived line. Returns a Comparison."""
        from .compare import compare
        return compare(self, hand, **options)

    def step_for(self, name):
        """The backward step that completes the gradient of tensor `name` (for a gradient passed
        on unchanged, such as the x @ W of x @ W + b, the step that wrote it)."""
        step = next((s for s in self.steps if s.kind == "backward" and s.of == name
                     and s.complete), None)
        t = next((t for t in self._w.computed if self.tensor_names.get(id(t)) == name), None)
        if step is None and t is not None and id(t) in self._w.gvar:
            owner = self._w.grad_owner.get(self._w.gvar[id(t)])
            return owner is not None and self.step_for(self.tensor_names.get(id(owner))) or None
        return step


class BoundFunction:
    """The written code bound to this run's constants: call it like loss_fn (parameters by name,
    or in order) to get the gradients, a dict by parameter name (and watched name)."""

    def __init__(self, derivation):
        self._d = derivation
        self._names = dict(zip(derivation.params, derivation.arguments))

    def __call__(self, *args, **params):
        if args:
            params.update(zip(self._d.params, args))
        missing = [p for p in self._d.params if p not in params]
        unknown = [p for p in params if p not in self._names]
        if missing or unknown:
            raise TypeError(f"gradients() takes the parameters {self._d.params}; "
                            f"missing {missing}, unknown {unknown}")
        values = {self._names[k]: (v.data if isinstance(v, Tensor) else np.asarray(v))
                  for k, v in params.items()}
        return self._d.gradients_fn(**values, **self._d.constants)

    def __repr__(self):
        return f"<gradients({', '.join(self._d.params)}) with {len(self._d.constants)} bound constants>"


def _final_names(w):
    """token -> final name, for the tokens the code uses: z1, h1 ... in forward order, x0, x1 ...
    for constants in order of first use."""
    text = "\n".join(c for line in w.lines for c in line.code)
    final = {}
    counters = collections.Counter()
    for t in sorted(w.computed, key=lambda t: t.grad_fn._clock):
        tok = w.var[id(t)]
        if tokens_in(tok) and tok in text:
            symbol = _symbol(t)
            while True:
                counters[symbol] += 1
                name = f"{symbol}{counters[symbol]}"
                if name not in w.names.taken and "d" + name not in w.names.taken:
                    break
            final[tok] = w.names.claim(name)
    k = 0
    for tok in dict.fromkeys(tokens_in(text)):
        if tok.startswith("__c"):
            while f"x{k}" in w.names.taken:
                k += 1
            final[tok] = w.names.claim(f"x{k}")
    return final


def _symbol(t):
    op = t.grad_fn
    if type(op).symbol == "t" and type(op).__name__ == "Add":  # X @ W + b: still a z
        first = op.inputs[0]
        if isinstance(first, Tensor) and first.grad_fn is not None:
            return _symbol(first)
    return type(op).symbol


def _order_of_use(body, final, args):
    """The constant arguments in the order the code first uses them (by final name)."""
    finals = {final.get(a, a) for a in args}
    return [word for word in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", body) if word in finals]


def _returned(w, final):
    items = []
    for name, t in list(w.capture.params.items()) + list(w.capture.watched.items()):
        if id(t) in w.got:
            value = w.grad_var(t)
        else:
            value = f"np.zeros_like({w.var[id(t)]})"
        items.append(f"{name!r}: {replace_tokens(value, final)}")
    return "return {" + ", ".join(items) + "}"


def _source(arguments, steps, returned, width=100):
    lines = [f"def gradients({', '.join(arguments)}):"]
    code_width = max([len(c) for s in steps for c in s.code.split("\n")] + [0])
    column = min(code_width, 56) + 6
    for s in steps:
        for i, c in enumerate(s.code.split("\n")):
            text = "    " + c
            if i == 0 and s.source:
                pad = max(column - len(text), 2)
                comment = s.source if len(s.source) <= width - len(text) - pad - 2 else \
                    s.source[:max(width - len(text) - pad - 5, 20)] + "..."
                text += " " * pad + "# " + comment
            lines.append(text)
    lines.append("    " + returned.replace("'", '"'))
    return "\n".join(lines) + "\n"


def _aligned(tex):
    """'lhs = rhs' as a row of an aligned block: lhs &= rhs."""
    lhs, sep, rhs = tex.partition(" = ")
    return f"{lhs} &= {rhs}" if sep else tex
