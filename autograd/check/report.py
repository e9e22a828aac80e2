"""The result of compare_gradients: one row per tensor, from the loss backwards, as a table.

Each row holds the numbers (errors, cosine), the diagnosis of the difference (sign, scale, ...),
and, for a wrong row, what the learner most likely did (`cause`, `explanation`, `op`, `line`).
"""
import html
from dataclasses import dataclass, field

import numpy as np

from .text import cos, cut, fit, num, short, wrap


@dataclass
class GradientRow:
    """One tensor's hand gradient judged against autograd's. `shape` is the tensor's shape;
    `max_rel_err` is relative to the largest entry of autograd's gradient.

    `cause` is None when the row is ok or no single mistake explains it, else one of
    "other_tensor", "missing_term", "extra_term", "local_derivative", "values_for_gradient";
    `explanation` is a sentence saying what went wrong (for every wrong row), `op` and `line` the
    op (as written: '@', 'np.maximum', 'sigmoid' ...) and the user's line it points at. `note`
    says why an ok row that differs from autograd's is still right (kinks)."""
    name: str
    shape: tuple
    max_abs_err: float
    max_rel_err: float
    cosine: float
    ok: bool
    diagnosis: str
    hint: str
    scale: float = None
    where: str = None
    hand_shape: tuple = None
    position: tuple = None  # (ops from the loss, place in backward_order); None: not reached
    cause: str = None
    explanation: str = None
    op: str = None
    line: str = None
    note: str = None
    hand: np.ndarray = field(default=None, repr=False)
    auto: np.ndarray = field(default=None, repr=False)

    @property
    def label(self):
        """The diagnosis with its detail, as the table shows it."""
        if self.diagnosis == "scaled":
            return f"scaled x{short(self.scale)}"
        return self.diagnosis


class GradientReport:
    """The result of compare_gradients: `.rows` in backward order (from the loss towards the
    inputs), `.ok`, `.first_mismatch`, `report[name]`, a text table (`str`) and an HTML table,
    both with the explanation of the first wrong row under it."""

    def __init__(self, rows, loss=None, batch_size=None):
        self.rows = list(rows)
        self.loss = loss
        self.batch_size = batch_size

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    @property
    def first_mismatch(self):
        """The name of the first row (in backward order) that disagrees, or None."""
        return next((r.name for r in self.rows if not r.ok), None)

    @property
    def names(self):
        return [r.name for r in self.rows]

    def __getitem__(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row {name!r}; the rows are {self.names}")

    def __contains__(self, name):
        return name in self.names

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __bool__(self):
        return self.ok

    def summary(self):
        bad = [r for r in self.rows if not r.ok]
        if not bad:
            return f"compare_gradients: all {len(self.rows)} gradients match autograd"
        first = bad[0]
        return (f"compare_gradients: {len(bad)} of {len(self.rows)} gradients disagree; "
                f"first mismatch: {first.name} ({first.label})")

    def __str__(self):
        head = (f"{'#':>3}  {'name':<14}  {'shape':<14}  {'max abs err':>11}  {'max rel err':>11}"
                f"  {'cosine':>6}  diagnosis")
        lines = [fit(self.summary()), head]
        first = self.first_mismatch
        for i, r in enumerate(self.rows, 1):
            mark = "" if r.ok else "  <-- first" if r.name == first else "  <--"
            lines.append(fit(
                f"{i:>3}  {cut(r.name, 14):<14}  {cut(str(r.shape), 14):<14}  "
                f"{num(r.max_abs_err):>11}  {num(r.max_rel_err):>11}  "
                f"{cos(r.cosine):>6}  {r.label}{mark}"))
            if r.name == first and r.explanation and r.explanation != r.hint:
                why = f"{r.cause}: " if r.cause else ""
                lines.extend(wrap(why + r.explanation, indent="     why: ", more=""))
        groups = {}  # one line per distinct hint, naming every row it applies to
        for r in self.rows:
            shown = r.name == first and r.explanation and r.explanation != r.hint
            if not r.ok and not shown:
                groups.setdefault(r.hint, []).append(r.name)
        if groups:
            lines.append("hints:")
            for hint, names in groups.items():
                lines.extend(wrap(f"{', '.join(names)}: {hint}", indent="  "))
        notes = [(r.name, r.note) for r in self.rows if r.note]
        if notes:
            lines.append("notes:")
            for name, note in notes:
                lines.extend(wrap(f"{name}: {note}", indent="  "))
        return "\n".join(lines)

    def __repr__(self):
        return f"<GradientReport {self.summary()[len('compare_gradients: '):]}>"

    def _repr_html_(self):
        cells = ("#", "name", "shape", "max abs err", "max rel err", "cosine", "diagnosis", "hint")
        out = ['<div class="glassgrad-report">',
               f"<p><b>{html.escape(self.summary())}</b></p>",
               '<table style="border-collapse:collapse;font-family:monospace">',
               "<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px">{c}</th>'
                                for c in cells) + "</tr>"]
        first = self.first_mismatch
        for i, r in enumerate(self.rows, 1):
            colour = "#e6f4ea" if r.ok else "#fde2e1"
            explained = r.name == first and r.explanation and r.explanation != r.hint
            hint = (r.note or "") if r.ok else "see below" if explained else r.hint
            values = (i, r.name, str(r.shape), num(r.max_abs_err), num(r.max_rel_err),
                      cos(r.cosine), r.label)
            cell = '<td style="text-align:left;white-space:nowrap;padding:2px 8px">{}</td>'
            out.append(f'<tr style="background:{colour}">'
                       + "".join(cell.format(html.escape(str(v))) for v in values)
                       + f'<td style="text-align:left;padding:2px 8px;min-width:16em;'
                         f'max-width:40em">{html.escape(hint)}</td></tr>')
            if explained:  # the explanation, under its row, across the table
                why = f"<b>{html.escape(r.cause)}</b>: " if r.cause else ""
                out.append(f'<tr style="background:{colour}"><td></td>'
                           f'<td colspan="{len(cells) - 1}" style="text-align:left;'
                           f'padding:2px 8px 6px 8px;white-space:normal">{why}'
                           f"{html.escape(r.explanation)}</td></tr>")
        out.append("</table></div>")
        return "\n".join(out)
