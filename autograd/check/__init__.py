"""Checking gradients: against finite differences (`gradcheck`) and against a learner's hand
derivation (`compare_gradients`).

`gradcheck` asks "is autograd's backward right?" by nudging every input a little and watching the
output move. `compare_gradients` asks "is *my* backprop right?": it runs the learner's forward code
under autograd and lays the learner's hand-derived gradients beside autograd's, one row per tensor,
ordered from the loss backwards, so the first row that disagrees is the step where the derivation
breaks. Each disagreement gets a diagnosis (sign flipped, scaled by the batch size, transposed, ...)
and, when that is not the whole story, an explanation found by searching the graph for the one
mistake that reproduces the learner's numbers.

One idea per file:

    gradcheck.py  finite differences against backward
    kinks.py      non-differentiable points: where they are, what is right there
    judge.py      judging two arrays (`diagnose`), in plain NumPy
    compare.py    compare_gradients and watch
    report.py     GradientRow, GradientReport and their tables
    recorded.py   the loss's graph with every tensor's gradient, and backward piece by piece
    steps.py      activations and softmaxes however they were written, right and wrong derivatives
    explain.py    the search for the mistake behind a wrong row
    match.py      whether a candidate gradient reproduces the hand one
    wording.py    the sentences of an explanation
    sites.py      ops and tensors named as the learner wrote them
    text.py       numbers and lines for the tables
"""
from .compare import compare_gradients, watch
from .explain import CAUSES, Explanation, explain
from .gradcheck import GradcheckError, GradcheckResult, InputCheck, gradcheck
from .judge import HINTS, ScaleFacts, Tolerance, Verdict, default_tolerances, diagnose
from .recorded import RecordedGraph
from .report import GradientReport, GradientRow

__all__ = ["gradcheck", "GradcheckError", "GradcheckResult", "compare_gradients",
           "GradientReport", "GradientRow", "watch", "diagnose", "explain", "Explanation",
           "RecordedGraph", "CAUSES", "Tolerance", "ScaleFacts", "Verdict"]
