"""Naming ops and tensors the way the learner wrote them: `np.maximum` or `@` rather than Maximum
or Matmul, and "line 12 (`a1 = sigmoid(z1)`)" for where, read from the lines that created each op
(recorded under `graph.record_lines`)."""
import linecache
import os
import re

from ..tensor import Tensor

# How each op may be spelled in the learner's code, most specific first; the first spelling found
# on the op's line names it, else the last one does.
SPELLINGS = {
    "Matmul": ("np.dot", ".dot(", "np.matmul", "@"),
    "Linear": ("F.linear", "linear"),
    "Add": ("np.add", "+"),
    "Subtract": ("np.subtract", "-"),
    "Multiply": ("np.square", "np.multiply", "*"),
    "Divide": ("np.divide", "np.true_divide", "/"),
    "Power": ("np.power", "np.square", "**"),
    "Negative": ("np.negative", "-"),
    "Exp": ("np.exp", ".exp(", "exp"),
    "Log": ("np.log", ".log(", "log"),
    "Sqrt": ("np.sqrt", ".sqrt(", "sqrt"),
    "Abs": ("np.abs", "np.absolute", "abs"),
    "Sin": ("np.sin", "sin"),
    "Cos": ("np.cos", "cos"),
    "Tanh": ("np.tanh", ".tanh(", "tanh"),
    "Sigmoid": ("sigmoid",),
    "ReLU": ("relu",),
    "LeakyReLU": ("leaky_relu",),
    "Maximum": ("np.maximum", "maximum"),
    "Minimum": ("np.minimum", "minimum"),
    "Where": ("np.where", "where"),
    "Clip": ("np.clip", ".clip(", "clip"),
    "Sum": ("np.mean", ".mean(", "np.sum", ".sum(", "sum"),
    "Max": ("np.max", "np.amax", ".max(", "max"),
    "Min": ("np.min", "np.amin", ".min(", "min"),
    "Softmax": ("softmax",),
    "LogSoftmax": ("log_softmax",),
    "LogSumExp": ("logsumexp",),
    "Reshape": ("np.reshape", ".reshape(", ".flatten(", "reshape"),
    "Transpose": ("np.transpose", ".T", "transpose"),
    "GetItem": ("[...]",),
    "Concatenate": ("np.concatenate", "concatenate"),
    "Stack": ("np.stack", "stack"),
    "BroadcastTo": ("np.broadcast_to", "broadcast_to"),
    "AsType": (".astype(", "astype"),
    # nn.functional's losses
    "CrossEntropy": ("F.cross_entropy", "cross_entropy"),
    "BinaryCrossEntropyWithLogits": ("F.binary_cross_entropy_with_logits",
                                     "binary_cross_entropy_with_logits"),
    "BinaryCrossEntropy": ("F.binary_cross_entropy", "binary_cross_entropy"),
}
_CLEAN = {".dot(": ".dot", ".exp(": ".exp", ".log(": ".log", ".sqrt(": ".sqrt", ".tanh(": ".tanh",
          ".clip(": ".clip", ".mean(": ".mean", ".sum(": ".sum", ".max(": ".max",
          ".min(": ".min", ".reshape(": ".reshape", ".flatten(": ".flatten",
          ".astype(": ".astype"}
# What to call an op whose spelling is not on its line (a helper called through a variable)
DEFAULTS = {"Exp": "np.exp", "Log": "np.log", "Sqrt": "np.sqrt", "Abs": "np.abs", "Sin": "np.sin",
            "Cos": "np.cos", "Tanh": "np.tanh", "Maximum": "np.maximum", "Minimum": "np.minimum",
            "Where": "np.where", "Clip": "np.clip", "Sum": "np.sum", "Max": "np.max",
            "Min": "np.min", "Reshape": "reshape", "Transpose": ".T", "Matmul": "@"}
_ASSIGNED = re.compile(r"^\s*([A-Za-z_]\w*)\s*=[^=]")


def frames(fn):
    """The user's frames where fn was created, innermost first, as (path, line, function); ()
    when not recorded (lines are recorded under graph.record_lines or detect_anomaly)."""
    trace = getattr(fn, "_trace", None)
    if trace is None:
        return ()
    stack = getattr(trace, "stack", None)
    if stack:
        return tuple(stack)
    m = re.match(r"^(.*):(\d+) in (.*)$", str(trace))  # detect_anomaly's 'file:line in function'
    return ((m.group(1), int(m.group(2)), m.group(3)),) if m else ()


def _frame(fn):
    """(path, line, function, code) of the line that best says where fn was written: the
    innermost user frame, or its caller's when that line only returns the value and the caller
    names it (`a1 = sigmoid(z1)` rather than `return 1 / (1 + np.exp(-z))`)."""
    stack = frames(fn)
    if not stack:
        return None
    chosen = stack[0]
    text = linecache.getline(chosen[0], chosen[1]).strip()
    if text.startswith("return") and len(stack) > 1:
        caller = linecache.getline(stack[1][0], stack[1][1]).strip()
        if _ASSIGNED.match(caller):
            chosen, text = stack[1], caller
    return tuple(chosen) + (text,)


def code(fn):
    f = _frame(fn)
    return f[3] if f else ""


def label(fn):
    """The op as the learner wrote it: '@', 'np.maximum', 'sigmoid' ..."""
    spellings = SPELLINGS.get(fn.name)
    if not spellings:
        return fn.name
    text = code(fn)
    for s in spellings:
        if s in text:
            return _CLEAN.get(s, s)
    return DEFAULTS.get(fn.name) or _CLEAN.get(spellings[-1], spellings[-1])


def line(fn):
    """'file.py:12' (or 'line 12' for a notebook cell), or None when not recorded."""
    f = _frame(fn)
    if f is None:
        return None
    path, lineno = f[0], f[1]
    if _is_cell(path):
        return f"line {lineno}"
    return f"{os.path.basename(path)}:{lineno}"


def where(fn, quote=True):
    """'at model.py:12 (`a1 = sigmoid(z1)`)' ('at line 12 ...' in a notebook), or '' when not
    recorded. Without the quote, the function is named instead."""
    f = _frame(fn)
    if f is None:
        return ""
    text = f"at {line(fn)}"
    if not f[2].startswith("<") and (_is_cell(f[0]) or not (quote and f[3])):
        text += f" in {f[2]}"  # a notebook's "line 6" needs its function to be found
    if quote and f[3]:
        shown = _without_comment(f[3])
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return text + f" (`{shown}`)"
    return text


def _without_comment(code):
    """The line without a trailing comment (one that starts after two spaces)."""
    return re.split(r"\s{2,}#", code, maxsplit=1)[0].rstrip()


def _is_cell(path):
    return "ipykernel" in path or path.startswith("<")


def assigned_name(graph, t):
    """The variable t was assigned to, read from its line ('a1' in `a1 = sigmoid(z1)`), when t
    is the last value that line computed; else None."""
    fn = t.grad_fn
    f = _frame(fn) if fn is not None else None
    if f is None:
        return None
    m = _ASSIGNED.match(f[3])
    if not m:
        return None
    # t is the line's result if the next op recorded is on another line
    after = graph.next_op.get(id(t))
    if after is not None and (_frame(after.grad_fn) or ())[:3] == f[:3]:
        return None
    return m.group(1)


def describe(graph, t):
    """A tensor as the learner knows it: `W1`, `a1` (line 7), or 'the output of np.exp at
    line 7 (`...`)'."""
    name = graph.name(t)
    if name:
        return f"`{name}`"
    if t.grad_fn is None:
        return f"an input of shape {t.shape}"
    var = assigned_name(graph, t)
    if var:
        at = line(t.grad_fn)
        return f"`{var}` ({at})" if at else f"`{var}`"
    where_text = where(t.grad_fn)
    return f"the output of {label(t.grad_fn)}" + (f" {where_text}" if where_text else "")


def short_name(graph, t):
    """`W1`, `a1`, or 'the output of np.exp' (no line)."""
    name = graph.name(t) or (assigned_name(graph, t) if t.grad_fn is not None else None)
    if name:
        return f"`{name}`"
    if t.grad_fn is None:
        return f"an input of shape {t.shape}"
    return f"the output of {label(t.grad_fn)}"


def is_tensor(x):
    return isinstance(x, Tensor)


def run_of(graph, t):
    """(k, n): t was computed in the k-th of n runs of its line (a loop), or None. A run is told
    by the ops it makes: n is the count of the line's rarest op, each run makes the same ones."""
    f = _frame(t.grad_fn) if t.grad_fn is not None else None
    if f is None:
        return None
    same = [u for u in graph.by_clock if (_frame(u.grad_fn) or ())[:3] == f[:3]]
    counts = {}
    for u in same:
        counts[u.grad_fn.name] = counts.get(u.grad_fn.name, 0) + 1
    n = min(counts.values())
    if n < 2 or any(c % n for c in counts.values()):
        return None
    mine = [u for u in same if u.grad_fn.name == t.grad_fn.name]
    per_run = len(mine) // n
    return next(i for i, u in enumerate(mine) if u is t) // per_run + 1, n
