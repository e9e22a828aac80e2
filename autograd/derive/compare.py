"""A learner's hand-derived gradients beside the derivation: where do they depart from it?

The judging is compare_gradients' (diagnosis, hint, and its explanation where it has one). It
runs on a replay of the recorded forward, op for op, so that every tensor the derivation names
can be compared, not only the ones the learner's code `watch`ed.
"""
import copy
import html

from ..check import compare_gradients, watch
from ..tensor import Tensor


def compare(d, hand, **options):
    if not isinstance(hand, dict):
        raise TypeError("compare(hand): hand is a dict mapping names (parameters, tensors of the "
                        "derivation, or their gradients such as 'dz1') to your gradients")
    w = d._w
    names = d.tensor_names  # id -> name in the derivation
    by_name = {n: t for t in w.computed + w.leaves for n in [names.get(id(t))] if n}
    by_grad = {s.name: s.of for s in d.steps if s.kind == "backward" and s.complete}
    wanted = {}
    for key, value in hand.items():
        name = key if key in by_name else by_grad.get(key)
        if name is None or name not in by_name:
            raise KeyError(f"compare: {key!r} is not a name of the derivation; use a parameter "
                           f"({', '.join(d.params)}), a tensor ({', '.join(sorted(by_name))}) "
                           "or a gradient's name from the code (e.g. 'dz1')")
        wanted[name] = value
    params = {name: t.data for name, t in w.capture.params.items()}
    rename = {name: d.tensor_names[id(t)] for name, t in w.capture.params.items()}
    hand_by_param = {next((p for p, n in rename.items() if n == k), k): v
                     for k, v in wanted.items()}
    report = compare_gradients(_replay(d, set(wanted) - set(rename.values())), params,
                               hand_by_param, **options)
    return Comparison(d, report, rename)


def _replay(d, watched):
    """loss_fn(**params) that runs the recorded ops again on new parameters, watching the
    derivation's tensors named in `watched`."""
    w = d._w
    order = sorted(w.computed, key=lambda t: t.grad_fn._clock)
    params = w.capture.params

    def loss_fn(**tensors):
        new = {id(t): tensors[name] for name, t in params.items()}
        for t in order:
            op = copy.copy(t.grad_fn)
            out = op(*[new.get(id(x), x) if isinstance(x, Tensor) else x
                       for x in t.grad_fn.inputs])
            if hasattr(t.grad_fn, "_trace"):  # the learner's line, not this replay's caller
                op._trace = t.grad_fn._trace
            name = d.tensor_names.get(id(t))
            new[id(t)] = watch(name, out) if name in watched else out
        return new[id(w.capture.loss)]
    return loss_fn


class Comparison:
    """The derivation beside a hand derivation: `.ok`, `.first_mismatch` (a name), `.step` (the
    derived step there), `.explanation`, `.report` (compare_gradients' GradientReport)."""

    def __init__(self, d, report, rename):
        self.derivation, self.report = d, report
        self._rename = rename  # parameter name -> its name in the derivation
        self.ok = report.ok
        first = report.first_mismatch
        self.first_mismatch = None if first is None else rename.get(first, first)
        self.row = None if first is None else report[first]
        self.step = None if first is None else d.step_for(self.first_mismatch)

    @property
    def explanation(self):
        if self.row is None:
            return None
        return getattr(self.row, "explanation", None) or self.row.hint

    def _position(self):
        backward = [s for s in self.derivation.steps if s.kind == "backward"]
        return backward.index(self.step) + 1, len(backward)

    def summary(self):
        if self.ok:
            return (f"your gradients match the derivation at every step you gave "
                    f"({len(self.report.rows)} compared)")
        where = ""
        if self.step is not None:
            k, n = self._position()
            where = f", step {k} of {n} of the backward pass"
        return f"your gradients depart from the derivation at {self.first_mismatch}{where}"

    def __str__(self):
        lines = [self.summary()]
        if not self.ok:
            if self.step is not None:
                code = self.step.code.replace("\n", "; ")
                source = f"    # {self.step.source}" if self.step.source else ""
                lines.append(f"  derived: {code}{source}")
            lines.append(f"  yours:   {self.row.label}: {self.explanation}")
        lines.append("")
        lines.append(str(self.report))
        return "\n".join(lines)

    def __repr__(self):
        return f"<Comparison: {self.summary()}>"

    def _repr_html_(self):
        parts = [f"<p><b>{html.escape(self.summary())}</b></p>"]
        if not self.ok:
            if self.step is not None:
                parts.append("<p>derived: <code>" + html.escape(self.step.code) + "</code>"
                             + (f" <small>(from <code>{html.escape(self.step.source)}</code>)"
                                "</small>" if self.step.source else "")
                             + f"<br>$$ {html.escape(self.step.tex)} $$</p>")
            parts.append(f"<p>yours: <b>{html.escape(self.row.label)}</b>: "
                         f"{html.escape(str(self.explanation))}</p>")
        parts.append(self.report._repr_html_())
        return '<div class="glassgrad-comparison">' + "\n".join(parts) + "</div>"
