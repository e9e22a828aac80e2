"""Watching the learner's forward run: the graph it records, the line of their code that created
each op, and the names their code gave to each tensor and array.

The names come from the variables themselves. While loss_fn runs, a trace function looks at the
local variables of every frame of the learner's code at every line (`sys.settrace`), and remembers
which variable held which tensor or array; the shallowest frame wins, so `a1 = sigmoid(z1)` names
the tensor `a1`, not `x` inside sigmoid. Only derive pays for this: the ops run as always.
"""
import io
import linecache
import os
import re
import sys
import sysconfig
import tokenize
from dataclasses import dataclass, field

import numpy as np

from ..check.compare import require_scalar_loss
from ..graph import _LIBRARY_DIRS, backward_order, record_lines
from ..tensor import Tensor

_OTHER_LIBRARIES = tuple(os.path.abspath(sysconfig.get_paths()[k]) + os.sep
                         for k in ("stdlib", "purelib", "platlib"))


@dataclass
class Capture:
    """A recorded forward pass: the loss, the parameters by name, and the learner's names for
    tensors and arrays (by id; the objects are kept alive in `keep` so ids stay unique)."""
    loss: Tensor
    params: dict
    names: dict = field(default_factory=dict)   # id -> name
    watched: dict = field(default_factory=dict)  # watch name -> Tensor
    keep: list = field(default_factory=list)
    label: str = "loss"


class _Seen:
    """Variable names of tensors and arrays, ranked: the lower the rank, the better the name."""

    def __init__(self):
        self.best = {}  # id -> (rank, name)
        self.keep = []

    def offer(self, value, name, rank):
        if not isinstance(value, (Tensor, np.ndarray)) or name.startswith("_"):
            return
        old = self.best.get(id(value))
        if old is None or rank < old[0]:
            self.best[id(value)] = (rank, name)
            self.keep.append(value)

    def offer_all(self, variables, rank, parameters=()):
        """Offer a frame's variables; its parameters name only constants, not the tensors the
        caller computed (sigmoid(a + b1) does not make `a + b1` an `x`)."""
        for name, value in list(variables.items()):
            if name in parameters and isinstance(value, Tensor) and value.requires_grad:
                continue
            self.offer(value, name, rank)

    def names(self):
        return {key: name for key, (_, name) in self.best.items()}


class _Tracer:
    """A `sys.settrace` function that shows _Seen the locals of the learner's frames."""

    def __init__(self, seen):
        self.seen, self.user = seen, {}

    def is_user(self, code):
        known = self.user.get(code)
        if known is None:
            path = os.path.abspath(code.co_filename)
            known = self.user[code] = not (
                path.startswith(_LIBRARY_DIRS) or path.startswith(_OTHER_LIBRARIES)
                or f"{os.sep}numpy{os.sep}" in path or code.co_filename.startswith("<frozen"))
        return known

    def __call__(self, frame, event, arg):
        return self.local if self.is_user(frame.f_code) else None

    def local(self, frame, event, arg):
        if event in ("line", "return"):
            code = frame.f_code
            parameters = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
            self.seen.offer_all(frame.f_locals, _depth(frame), parameters)
        return self.local


def _depth(frame):
    n = 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


def _watch_stack():
    """compare_gradients' stack of watch() books (in autograd.check, a module or a package)."""
    from .. import check
    recording = getattr(check, "_recording", None)
    if recording is None:
        recording = sys.modules[check.watch.__module__]._recording
    return recording.stack


def _leaf(name, value):
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True, name=name)


def run(loss_fn, params):
    """Call loss_fn(**params) with each parameter a Tensor, recording lines and names."""
    if not callable(loss_fn):
        raise TypeError(f"derive(loss_fn, params): loss_fn must be a function, got "
                        f"{type(loss_fn).__name__}; for a loss you already computed use derive(loss)")
    if not isinstance(params, dict):
        raise TypeError("derive(loss_fn, params): params is a dict mapping names to arrays, e.g. "
                        "{'W1': W1, 'b1': b1}; loss_fn is called as loss_fn(**params)")
    tensors = {name: _leaf(name, value) for name, value in params.items()}
    seen, book, stack = _Seen(), {}, _watch_stack()
    previous = sys.gettrace()
    stack.append(book)
    sys.settrace(_Tracer(seen))
    try:
        with record_lines():
            loss = loss_fn(**tensors)
    finally:
        sys.settrace(previous)
        stack.pop()
    _check_loss(loss)
    closure = getattr(loss_fn, "__closure__", None) or ()
    free = dict(zip(getattr(getattr(loss_fn, "__code__", None), "co_freevars", ()),
                    (c.cell_contents for c in closure if _filled(c))))
    seen.offer_all(free, 10 ** 6)  # names the loss function sees but no frame held
    seen.offer_all(getattr(loss_fn, "__globals__", {}), 10 ** 6 + 1)
    names = seen.names()
    names.update({id(t): name for name, t in book.items()})
    names.update({id(t): name for name, t in tensors.items()})
    return Capture(loss, tensors, names, dict(book), seen.keep,
                   getattr(loss_fn, "__name__", "loss_fn"))


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def from_loss(loss, params, frame):
    """A Capture of a loss computed already; names from `params`, `.name`s and the variables of
    the caller's frame (locals, then globals)."""
    _check_loss(loss)
    try:
        order = backward_order(loss)
    except RuntimeError:
        raise RuntimeError("derive(loss): the graph of this loss was freed by loss.backward(); "
                           "call derive before backward, or backward(retain_graph=True)") from None
    first_use = {}
    for t in order:
        for x in (t.grad_fn.inputs if t.grad_fn is not None else ()):
            first_use[id(x)] = min(first_use.get(id(x), t.grad_fn._clock), t.grad_fn._clock)
    leaves = sorted((t for t in order if t.grad_fn is None), key=lambda t: first_use[id(t)])
    seen = _Seen()
    if frame is not None:
        seen.offer_all(frame.f_locals, 1)
        seen.offer_all(frame.f_globals, 2)
    names = seen.names()
    for t in order:
        if t.name:
            names[id(t)] = t.name
    chosen = {}
    if params is None:
        for k, t in enumerate(leaves):
            chosen[names.get(id(t), f"w{k}")] = t
    else:
        items = params.items() if isinstance(params, dict) else (
            (names.get(id(t), t.name or f"w{k}"), t) for k, t in enumerate(params))
        for name, t in items:
            if not isinstance(t, Tensor) or t.grad_fn is not None or not t.requires_grad:
                raise TypeError(f"derive(loss, params): {name!r} must be a leaf Tensor with "
                                "requires_grad=True that the loss was computed from")
            chosen[name] = t
    names.update({id(t): name for name, t in chosen.items()})
    return Capture(loss, chosen, names, {}, seen.keep, "loss")


def _check_loss(loss):
    require_scalar_loss(loss, "derive")
    if not loss.requires_grad:
        raise ValueError("derive: the loss does not depend on any parameter (no tensor it was "
                         "computed from requires grad), so there is no backward pass to write")


def source_line(t):
    """The text of the learner's line that created t's op, if it was recorded: the innermost
    line that is not a `return` (so `a1 = sigmoid(z1)` rather than sigmoid's own return line),
    and not the line of a lambda that only calls the forward."""
    trace = getattr(t.grad_fn, "_trace", None) if t.grad_fn is not None else None
    if not trace:
        return None
    stack = getattr(trace, "stack", None)
    if stack is None:
        match = re.fullmatch(r"(.*):(\d+) in (.*)", trace)
        stack = [(match.group(1), int(match.group(2)), match.group(3))] if match else []
    texts = [(_without_comment(linecache.getline(path, n).strip()), name)
             for path, n, name in stack]
    texts = [(text, name) for text, name in texts if text]
    chosen = next((text for text, name in texts if name != "<lambda>"
                   and not text.startswith(("return ", "return("))), None)
    return chosen or (texts[0][0] if texts else None)


def _without_comment(text):
    """A line of code without its trailing comment (the learner's own notes)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return text[:tok.start[1]].rstrip()
    return text
