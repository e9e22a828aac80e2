"""The words of an explanation: steps, uses and factors named as the learner knows them, one
sentence per explanation, and where the mistake must be when no single slip explains it."""
from collections import deque

import numpy as np

from . import sites
from .text import short


def step_name(step):
    """A step as the learner wrote it: 'np.tanh', 'np.maximum (relu)', 'np.where (leaky relu)';
    a step written with operators only ('1 / (1 + np.exp(-z))') by what it is: 'sigmoid'."""
    kind = step.kind.replace("_", " ")
    written = sites.label(step.y.grad_fn)
    if step.kind == "op" or kind in written:
        return written
    one_op = len(step.members) == 2
    if one_op or written[:1].isalpha():  # one op, or a function (np.where), not + - * / alone
        return f"{written} ({kind})"
    return kind


def probabilities(step):
    return np.exp(np.asarray(step.y.data, dtype=np.float64))


def sentence(lead, advice=""):
    """lead, then ': advice', as one sentence ending in a full stop (or the advice's '?')."""
    text = lead + (f": {advice}" if advice else "")
    return text if text.endswith(("?", ".")) else text + "."


def op_at(what, fn):
    where = sites.where(fn)
    return f"{what} {where}" if where else what


def factor_note(c, facts):
    """What a factor c on top of the explained mistake adds: '', ', with the sign flipped' or
    ', times 5 on top (sum vs mean over the batch? ...)'."""
    if c == 1:
        return ""
    if c == -1:
        return ", with the sign flipped"
    return f", times {short(c)} on top ({facts.hint(c)})"


def run_note(graph, t):
    """' (the 3rd of its 5 runs)' when t's line ran several times (a loop), else ''."""
    run = sites.run_of(graph, t)
    if run is None:
        return ""
    k, n = run
    suffix = "th" if 10 < k % 100 < 14 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f" (the {k}{suffix} of its {n} runs)"


def penalty(graph, u, use):
    """'L2' or 'L1' when `use` squares (or takes abs of) a leaf u on its way to the loss alone."""
    fn = use.grad_fn
    if u.grad_fn is not None:
        return None
    square = (fn.name == "Power" and not isinstance(fn.inputs[1], type(u))
              and np.all(np.asarray(fn._xs[1]) == 2)) or \
        (fn.name == "Multiply" and fn.inputs[0] is u and fn.inputs[1] is u)
    kind = "L2" if square else "L1" if fn.name == "Abs" else None
    if kind is None:
        return None
    t = use
    while t is not graph.loss:  # only sums and scalings between the penalty and the loss
        users = graph.users(t)
        if len(users) != 1 or users[0].grad_fn.name not in ("Sum", "Multiply", "Divide", "Add",
                                                             "Subtract", "Negative"):
            return None
        if users[0].grad_fn.name in ("Multiply", "Divide") and users[0].size != 1:
            return None
        t = users[0]
    return kind


def fallback(graph, x, right, name=None):
    """Where the mistake must be when no single change explains it: between this row and the
    nearest right row after it (towards the loss), or the loss itself."""
    row = f"`{name or graph.name(x) or 'this tensor'}`"
    parent, queue, target = {id(x): None}, deque([x]), None
    while queue:
        u = queue.popleft()
        if u is not x and id(u) in right:
            target = u
            break
        for v in graph.users(u):
            if id(v) not in parent:
                parent[id(v)] = u
                queue.append(v)
    chain = []
    node = target if target is not None else (graph.loss if id(graph.loss) in parent else None)
    while node is not None and node is not x:
        chain.append(node)
        node = parent[id(node)]
    chain.reverse()
    ops = []
    for t in chain[:3]:
        where = sites.where(t.grad_fn, quote=False)
        ops.append(sites.label(t.grad_fn) + (f" {where}" if where else ""))
    more = f" and {len(chain) - 3} more ops" if len(chain) > 3 else ""
    steps = ", then ".join(ops) + more
    if target is not None:
        return (f"no single slip reproduces it; the rows after it are right, so the mistake is in "
                f"the step from {sites.short_name(graph, target)} to {row}, through {steps}: "
                "re-derive that step, factor by factor")
    return (f"no single slip reproduces it; the mistake is in the steps from the loss to {row}, "
            f"through {steps}: re-derive them, factor by factor")
