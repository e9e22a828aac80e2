"""The op contract and the backward engine.

An op turns arrays into an array (`forward`) and turns the gradient of its output into gradients of
its inputs (`backward`). Calling an op on Tensors records it: the output Tensor keeps the op as its
`grad_fn`, and the op keeps its inputs. That chain of links *is* the graph; `backward()` walks it from
the output to the leaves, applying the chain rule at every op. It visits the ops in the reverse of
the order they were recorded: an op is always recorded after the ops that computed its inputs, so
by the time backward reaches a tensor, every op that used it has sent its gradient back.

`backward` is written with operators, methods and `np.*` functions only, so the same code runs on
ndarrays (an ordinary backward pass) and on Tensors (`create_graph=True`: the backward pass is itself
recorded, which gives higher-order gradients).
"""
import dis
import gc
import heapq
import inspect
import numbers
import os
import re
import sys
import threading

import numpy as np

from .freed import KEPT, Freed
from .tensor import LAST_CHANGE, TICKS, Tensor, _init, _new, add_view, last_change

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames inside glassgrad (autograd, and nn beside it) or NumPy are not "the user's line".
_LIBRARY_DIRS = (_PACKAGE_DIR + os.sep, os.path.join(os.path.dirname(_PACKAGE_DIR), "nn") + os.sep)
_NOTEBOOK_CELL = re.compile(r"ipykernel_\d+[/\\]\d+\.py$")


# ----------------------------------------------------------------------------------------------
# Grad modes (per thread)

class _Mode(threading.local):
    grad_enabled = True
    anomaly = False


_mode = _Mode()


def is_grad_enabled():
    """Whether ops are recorded now: False inside `no_grad()`, else True."""
    return _mode.grad_enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode, restoring the previous mode after."""

    enabled = True

    def __enter__(self):
        self._prev = _mode.grad_enabled
        _mode.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _mode.grad_enabled = self._prev

    def __call__(self, fn):
        import functools

        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():  # a fresh instance per call, so recursion and threads are safe
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):
    """Run without recording a graph: `with no_grad(): ...` or `@no_grad()`."""

    enabled = False


class enable_grad(_SetGradMode):
    """Record a graph again, inside a `no_grad()` block."""

    enabled = True


class detect_anomaly:
    """Raise at the first NaN or inf produced in forward or backward, naming the op and the line of
    user code that created it. Slower: every op remembers where it was created."""

    def __enter__(self):
        self._prev = _mode.anomaly
        _mode.anomaly = True
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self._prev


LINES_ONLY = "lines"  # _mode.anomaly while record_lines() is on: remember lines, check nothing


class record_lines:
    """Remember on every op recorded inside the line of user code that created it (`op._trace`),
    as detect_anomaly() does, without its NaN checks. `derive` uses it to comment its code."""

    def __enter__(self):
        self._prev, self._prev_stop = _mode.anomaly, getattr(_mode, "lines_stop", None)
        _mode.anomaly = self._prev or LINES_ONLY
        _mode.lines_stop = sys._getframe(1)  # the caller's frames are not the forward's
        return self

    def __exit__(self, *exc):
        _mode.anomaly, _mode.lines_stop = self._prev, self._prev_stop


def _user_line():
    """'file:line in function' of the innermost frame outside autograd and NumPy. Under
    record_lines() it also carries `.stack`: the user's frames, innermost first (see _Trace)."""
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_LIBRARY_DIRS) or f"{os.sep}numpy{os.sep}" in path):
            if _NOTEBOOK_CELL.search(path):  # a temporary file named after the kernel's pid
                line = f"line {frame.f_lineno} of a notebook cell, in {frame.f_code.co_name}"
            else:
                line = f"{path}:{frame.f_lineno} in {frame.f_code.co_name}"
            return _Trace(line, frame) if _mode.anomaly == LINES_ONLY else line
        frame = frame.f_back
    return "<unknown>"


class _Trace(str):
    """A user line, with (file, line, function) of the frames that called it, innermost first
    (for derive's comments)."""

    def __new__(cls, text, frame):
        self = super().__new__(cls, text)
        self.stack, stop = [], getattr(_mode, "lines_stop", None)
        while frame is not None and frame is not stop and len(self.stack) < 8:
            path = frame.f_code.co_filename
            if not (path.startswith(_LIBRARY_DIRS) or f"{os.sep}numpy{os.sep}" in path):
                self.stack.append((path, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        return self


def _check_finite(array, what, op):
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "NaN" if np.isnan(array).any() else "inf"
        created = getattr(op, "_trace", "a line outside detect_anomaly()")
        raise FloatingPointError(f"detect_anomaly: {kind} in {what} of {op.name}, created at {created}")


# ----------------------------------------------------------------------------------------------
# The op contract

class Op:
    r"""A differentiable operation. Subclasses define `forward(*arrays)` and
    `backward(gy, y, *xs)`; parameters (axis, shape, ...) go in `__init__` and `__slots__`.

    `backward` returns one gradient per input (a tuple when there are several; None for an input
    that gets no gradient). A gradient may have the shape the input was broadcast to in forward:
    the engine sums it back to the input's shape (`sum_to`) and casts it to the input's dtype.

    `uses_output` says whether backward reads the output `y`: if it does, changing the output in
    place after the forward pass (`with no_grad(): y *= 10`) makes backward raise instead of
    computing with the new values. Nobody writes it: when a class is defined, it is read off the
    code of its `backward` (does the code load its `y` argument?), so an op that reads `y` can
    never forget to say so. A class may still set it in its body, to override what the code
    says: `uses_output = False` for a backward that reads only `y.shape`, say, or
    `uses_output = True` for an op that keeps its output somewhere other than `y`.

    `code` and `tex` state the same rule once more, for `autograd.derive` to write a learner's
    backward pass out: as NumPy source and as LaTeX. Each is a pair (forward, gradients) of
    templates. `forward` is written in the inputs (named as in `forward`'s signature; `x0, x1 ...`
    for `*xs`) and the op's parameters (its slots); `gradients` has one template per input (a tuple,
    None for an input that gets no gradient; a plain string for a one-input op), written in the
    inputs, the parameters, the output `y` and the output's gradient `gy`. A gradient may keep the
    broadcast shape: derive adds the sum back to the input's shape, as the engine does. Adding a
    rule is two lines beside forward and backward, e.g. for tanh:

        code = "np.tanh(x)", "gy * (1 - y**2)"
        tex = r"\tanh(x)", r"gy \odot (1 - y^2)"

    A code template may also be statements that assign the result to `y` (forward) or `gx` (a
    gradient), e.g. "gx = np.zeros_like(x); np.add.at(gx, index, gy)"; any other name they assign
    (a loop's `i`) is the rule's own, renamed where it would clash with the learner's. A number
    stands for an array of one repeated value only where the template uses that input
    elementwise (arithmetic, ufuncs, np.where). Where the rule depends on the inputs (their ndim,
    a constant exponent, zeros), define `code(self, *xs)` / `tex(self, *xs)` taking the input
    arrays and returning the pair. `symbol` is the letter derive names an unnamed output
    with (z1, h1 ...). An op without a rule is written as calls to its own forward and backward.
    tests/autograd/test_derive_rules.py checks every op's rule against its backward.
    """

    __slots__ = ("inputs", "_xs", "_clock", "_trace")
    uses_output = False
    code = tex = None  # how derive writes this op out (see above)
    symbol = "t"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "backward" in cls.__dict__ and "uses_output" not in cls.__dict__:
            cls.uses_output = _reads_argument(cls.__dict__["backward"], 2)  # (self, gy, y, ...)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, gy, y, *xs):
        raise NotImplementedError

    @property
    def name(self):
        return type(self).__name__

    def params(self):
        """The op's non-tensor parameters, for display."""
        return {k: getattr(self, k) for k in _slot_names(type(self)) if hasattr(self, k)}

    def needs(self, i):
        """Whether input i wants a gradient (skip expensive work when it does not)."""
        x = self.inputs[i]
        return isinstance(x, Tensor) and x._requires_grad

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"<{self.name}({args})>"

    def __call__(self, *inputs):
        """Apply the op to Tensors and constants, recording it when a gradient is needed."""
        mode = _mode
        recording = mode.grad_enabled
        xs = []  # the input arrays, and the constants as they are
        needed = False  # whether any input requires grad (in grad mode)
        for x in inputs:
            if isinstance(x, Tensor):
                xs.append(x.data)
                if x._requires_grad and recording:
                    needed = True
                    x._uses += 1
            elif type(x) in _PY_NUMBERS or _constant(x) is x:
                xs.append(x)
            else:  # a list or another array-like: record the array it stands for
                return self(*[_constant(v) for v in inputs])
        xs = tuple(xs)  # kept for backward; the cyclic collector soon stops scanning such a tuple
        try:
            y = self.forward(*xs)
        except (ValueError, TypeError) as e:
            raise type(e)(_forward_error(self, xs, e)) from None
        if type(y) is not np.ndarray:
            y = np.asarray(y)  # NumPy gives scalars, not 0-d arrays, for 0-d maths
        out = _init(_new(Tensor), y)  # Tensor._make(y), a Python call fewer
        if y.base is not None:  # the output is a view: in-place changes reach its input
            _link_view(self, inputs, out)
        if needed:
            self.inputs = inputs
            self._xs = xs  # for backward (once freed, what is left for drawing: autograd/freed.py)
            self._clock = next(TICKS)
            out.grad_fn = self
            out._requires_grad = True
        if mode.anomaly:  # detect_anomaly() or record_lines(): off on the fast path
            self._trace = _user_line()
            if mode.anomaly is True:
                _check_finite(y, "the forward output", self)
        return out


_PY_NUMBERS = (float, int, bool)


# Instructions that read a local variable (their names vary between Python versions, e.g.
# LOAD_FAST_LOAD_FAST reads two at once in 3.13), and calls that can read every local at once.
_READS = ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")
_READ_ALL = {"locals", "vars", "eval", "exec"}


def _reads_argument(fn, i):
    """Whether the function `fn` reads its positional argument number i, judged from its code.
    When in doubt (not plain Python code; the argument inside *args that is read) it says yes:
    a wrong yes only makes an in-place change raise, a wrong no gives wrong gradients."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return True
    if i < code.co_argcount:
        name = code.co_varnames[i]
    elif code.co_flags & inspect.CO_VARARGS:
        name = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
    else:
        return False
    if name in code.co_cellvars or _READ_ALL & set(code.co_names):
        return True
    for ins in dis.get_instructions(code):
        if ins.opname.startswith(_READS):
            names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            if name in names:
                return True
    return False


def _constant(x):
    """An op input as it is recorded: Tensors, NumPy arrays and scalars, and Python numbers as
    they are (a Python number never changes an array's dtype, as in NumPy); anything else as an
    ndarray, which must hold numbers."""
    if type(x) in _PY_NUMBERS:
        return x
    if isinstance(x, (Tensor, numbers.Number)):
        if type(x) is complex or isinstance(x, np.complexfloating):
            raise TypeError(f"the complex number {x!r} cannot enter a tensor operation: "
                            "glassgrad differentiates real numbers only; carry the real and "
                            "imaginary parts as two real tensors")
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot use a value of dtype {arr.dtype} ({type(x).__name__}) "
                        "in a tensor operation; expected numbers")
    return arr


BROADCAST_RULE = ("(NumPy's rule: line the shapes up from the right; each pair of sizes must be "
                  "equal, or one of them 1)")


def _link_view(op, inputs, out):
    """out shares memory with an input: link the two both ways, so that a change of either
    reaches the other (autograd/inplace.py)."""
    owner = out.data.base
    for x in inputs:
        if isinstance(x, Tensor) and (x.data is owner or x.data.base is owner):
            out._base, out._view_op = x, op
            add_view(x, out)
            return


def _forward_error(op, xs, error):
    shapes = " and ".join(str(np.shape(x)) for x in xs)
    if "broadcast" in str(error):
        what = f"shapes {shapes} cannot be broadcast together {BROADCAST_RULE}"
    else:
        what = f"{error} (input shapes: {shapes})"
    return f"{op.name}: {what}; at {_user_line()}"


def _slot_names(cls):
    names = []
    for klass in cls.__mro__:
        if klass is Op:
            break
        names.extend(getattr(klass, "__slots__", ()))
    return names


def sum_to(g, shape):
    """Sum a broadcast gradient back to `shape` (the input's shape before broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:  # summed away without keepdims: the result owns its memory (no view to copy later)
        g = g.sum(axis=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=ones, keepdims=True) if ones else g


# ----------------------------------------------------------------------------------------------
# The backward engine

def backward_order(*roots):
    """The Tensors that require grad and are reachable from `roots`, in the order backward visits
    them: the tensors computed by ops from the latest to the earliest (an op is always recorded
    after the ops that computed its inputs, so every tensor comes before the tensors it was
    computed from), then the leaves, in the order backward reaches them.
    """
    computed, seen = [], set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.grad_fn is not None:
            computed.append(t)
            stack.extend(_inputs_needing_grad(t.grad_fn))
    computed.sort(key=lambda t: t.grad_fn._clock, reverse=True)
    leaves, reached = [], set()
    for t in list(roots) + [x for t in computed for x in _inputs_needing_grad(t.grad_fn)]:
        if t.grad_fn is None and id(t) not in reached:
            reached.add(id(t))
            leaves.append(t)
    return computed + leaves


def _inputs_needing_grad(fn):
    if fn.inputs is None:
        raise _freed_error(fn)
    if fn._clock < LAST_CHANGE[0]:
        resolve_inputs(fn)
    return [x for x in fn.inputs if isinstance(x, Tensor) and x._requires_grad]


def resolve_inputs(fn):
    """Point fn's inputs back at the values fn used. A tensor changed by a recorded assignment or
    `x += ...` since then stands for its new value; its earlier one lives on in the tensor its
    link `_prev` leads to (autograd/inplace.py)."""
    clock = fn._clock
    fn.inputs = tuple(_as_of(x, clock) if isinstance(x, Tensor) else x for x in fn.inputs)


def _as_of(x, clock):
    prev = getattr(x, "_prev", None)
    while prev is not None and prev[0] > clock:
        x = prev[1]
        prev = getattr(x, "_prev", None)
    return x


def _freed_error(fn):
    return RuntimeError(
        f"backward through {fn.name} a second time: its saved values were freed after the first "
        "backward. Pass retain_graph=True to the first backward() if you need to go through the "
        "graph again.")


def seed_gradient(t, grad, caller, what="grad", of="the tensor", create_graph=False):
    """The gradient a backward pass from `t` starts with: `grad` as an array of t's shape and dtype
    (a Tensor with create_graph, keeping grad's own graph), or 1 for a scalar `t` when grad is
    None. Every way into a backward pass (backward, grad, jacobian, draw_backward,
    backward_frames) checks its starting gradient here: `caller` ("backward()", ...), `what`
    (the argument: "grad", "grad_outputs[1]") and `of` (t: "output 1") name them in the errors."""
    if not t._requires_grad:
        raise RuntimeError(
            f"{caller} on a tensor that does not require grad: none of the tensors it was "
            "computed from has requires_grad=True (or it was computed under no_grad())")
    call = f"{caller[:-2]}({what}=...)"
    if grad is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{caller} without a gradient needs a scalar output, but this tensor has shape "
                f"{t.shape}; reduce it first (e.g. loss.sum() or loss.mean()) or pass {what}= an "
                f"array of shape {t.shape}")
        seed = np.ones(t.data.shape, t.data.dtype)
        return Tensor._make(seed) if create_graph else seed
    data = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
    if data.dtype.kind not in "biuf":
        hint = " (pass its .real if that is what you mean)" if data.dtype.kind == "c" else ""
        raise TypeError(f"{call}: {what} has dtype {data.dtype}, but the gradient of {of} "
                        f"({t.dtype}) must be real numbers{hint}")
    if data.shape != t.shape:
        raise ValueError(f"{call}: {what} has shape {data.shape} but {of} has shape {t.shape}; "
                         "they must match")
    if not create_graph:
        return np.array(data, dtype=t.dtype)
    if isinstance(grad, Tensor):  # it may carry a graph of its own: keep it
        return grad if grad.dtype == t.dtype else grad.astype(t.dtype)
    return Tensor._make(np.array(data, dtype=t.dtype))


def _describe(t):
    return f"'{t.name}'" if t.name else f"of shape {t.shape}"


def _check_unchanged(t, fn):
    """In-place changes after the forward pass would make backward use the wrong numbers."""
    resolve_inputs(fn)
    for x in fn.inputs:
        if isinstance(x, Tensor) and last_change(x) > fn._clock:
            where = f" (created at {fn._trace})" if hasattr(fn, "_trace") else ""
            raise RuntimeError(
                f"the tensor {_describe(x)} was modified in place after {fn.name}{where} used it "
                "in the forward pass, so backward would compute with the new values. "
                "Compute every gradient (call backward) before updating any parameter, or use "
                "an out-of-place update.")
    if fn.uses_output and last_change(t) > fn._clock:
        raise RuntimeError(
            f"the output {_describe(t)} of {fn.name} was modified in place after the forward "
            "pass, but its backward needs the original values.")


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Back-propagate `root_grads` from `roots`.

    Without `capture`, gradients are accumulated into `.grad` of leaves (and of tensors that called
    `retain_grad()`). With `capture` (a list of tensors), `.grad` is left alone and the gradients
    reaching those tensors are returned instead (None where none arrived).
    With `create_graph`, gradients are Tensors computed in a recorded graph.

    The tensors waiting for their turn sit in a heap keyed by their op's tick, latest first: when
    one comes out, every op that used it (all recorded later) has already passed its gradient
    back, so its gradient is complete. Leaves wait until the end. This is `backward_order`.
    Most tensors are used by one op only (`_uses`, counted when ops are recorded): the gradient
    that op sends back is all there is, so such a tensor skips the heap and is visited next,
    unless a tensor recorded later is waiting (then it waits too, and the order stays the same).
    """
    wanted = None
    if capture is not None:
        wanted = {}
        for i, t in enumerate(capture):  # the same tensor may be asked for twice
            wanted.setdefault(id(t), []).append(i)
    captured = [None] * len(capture) if capture is not None else None
    # tensor -> its gradient so far (tensors hash by identity); once every op has been visited,
    # the leaves, in the order they got a gradient
    grads = {}
    owned = set()  # tensors whose gradient is a buffer this pass made, so safe to add into in place
    waiting = []  # heap of (-tick of grad_fn, tensor): the tensors whose gradient is not complete
    kept = {}  # the arrays handed to the caller so far (by id), each to be kept only once
    # What gradients are: Tensors with create_graph, else ndarrays, or NumPy scalars where NumPy
    # gives them (0-d maths): kept as they come, since arithmetic on them is several times faster.
    array = Tensor if create_graph else np.ndarray
    anomaly = _mode.anomaly is True
    records = KEPT  # ops left to leave a record for drawing after backward (autograd/freed.py)
    prev_mode = _mode.grad_enabled
    _mode.grad_enabled = create_graph
    # Backward makes no reference cycles, so the cyclic collector has nothing to find here; on a
    # deep graph its repeated scans of the live graph cost a third of the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        fn = None
        arriving = zip(roots, root_grads)  # (tensor, gradient) pairs to add in
        while True:
            t = None  # the next tensor to visit, when a gradient that is already complete arrives
            for x, gx in arriving:
                if gx is None or not (isinstance(x, Tensor) and x._requires_grad):
                    continue
                data = x.data
                if (type(gx) is not array and not isinstance(gx, np.generic)
                        or gx.shape != data.shape or gx.dtype is not data.dtype):
                    gx = _conform(gx, x, fn, create_graph)
                if anomaly and fn is not None:
                    _check_finite(gx.data if create_graph else gx, "the gradient", fn)
                if x._uses == 1 and t is None and fn is not None and x.grad_fn is not None:
                    t, g = x, gx  # fn is the only op that used x: nothing else will arrive for it
                    continue
                # The first gradient to arrive is only borrowed: an op may hand the same array
                # to several inputs (a + b gives g to both). The second makes a new array, which
                # this tensor owns, so any more are added into it in place.
                prev = grads.get(x)
                if prev is None:
                    grads[x] = gx
                    if x.grad_fn is not None:  # a leaf waits in grads until the end
                        heapq.heappush(waiting, (-x.grad_fn._clock, x))
                elif x in owned:
                    prev += gx
                else:
                    grads[x] = prev = prev + gx
                    if type(prev) is np.ndarray and not create_graph:  # not a NumPy scalar
                        owned.add(x)
            if t is not None and waiting and -waiting[0][0] > t.grad_fn._clock:
                grads[t] = g  # a tensor recorded later is waiting: it goes first
                heapq.heappush(waiting, (-t.grad_fn._clock, t))
                t = None
            if t is None:
                if not waiting:
                    break
                t = heapq.heappop(waiting)[1]
                g = grads.pop(t)
            if wanted is None:
                if t._retains_grad:
                    _store_grad(t, g, kept)
            elif id(t) in wanted:
                _capture(t, g, wanted, captured, kept)
            fn = t.grad_fn
            if fn.inputs is None:
                raise _freed_error(fn)
            if fn._clock < LAST_CHANGE[0]:  # something was changed in place since fn was recorded
                _check_unchanged(t, fn)
            if create_graph:
                gxs = fn.backward(g, t, *fn.inputs)
            else:
                gxs = fn.backward(g, t.data, *fn._xs)
            arriving = zip(fn.inputs, gxs if type(gxs) is tuple else (gxs,))
            if not retain_graph:
                if records:  # instead of the arrays, a small record for drawing (autograd/freed.py)
                    records -= 1
                    fn._xs = Freed(g, fn.inputs)
                else:
                    fn._xs = None
                fn.inputs = None

        for x, g in grads.items():  # only leaves are left
            if wanted is None:
                _store_grad(x, g, kept)
            elif id(x) in wanted:
                _capture(x, g, wanted, captured, kept)
    finally:
        _mode.grad_enabled = prev_mode
        if gc_was_enabled:
            gc.enable()
    return captured


def _conform(gx, x, fn, create_graph):
    """gx as an array (a Tensor with create_graph) of x's shape and dtype. The gradient of an input
    that the forward pass broadcast comes with the broadcast shape: it is summed back here."""
    if not create_graph and not isinstance(gx, (np.ndarray, np.generic)):
        gx = np.asarray(gx)  # a Python number
    shape = x.data.shape
    if gx.shape != shape and gx.ndim >= len(shape):
        gx = sum_to(gx, shape)
    if gx.shape != shape:
        raise RuntimeError(f"{fn.name}.backward gave a gradient of shape {gx.shape} for an input "
                           f"of shape {shape}: it must have the input's shape, or a shape the "
                           f"input broadcasts to {BROADCAST_RULE}")
    if gx.dtype != x.data.dtype:
        gx = gx.astype(x.data.dtype)
    return gx


def _capture(t, g, wanted, captured, kept):
    if not isinstance(g, Tensor):
        g = _own(g, kept)
    for j in wanted[id(t)]:
        captured[j] = g


def _store_grad(t, g, kept):
    """Accumulate into t.grad like PyTorch: a first gradient becomes t.grad; a later one is added
    into the array t.grad already holds when nothing else holds that array (as PyTorch adds in
    place), and into a new array otherwise, so that an array a user (or another tensor) holds
    never changes under them."""
    if t.grad is None:
        t.grad = _own(g, kept)
    elif owns_grad(t) and t.grad.shape == np.shape(g) and t.grad.dtype == g.dtype:
        np.add(t.grad, g, out=t.grad)
    else:
        t.grad = _plus(t.grad, g)


def owns_grad(t):
    """Whether t.grad is an array of t's alone, safe to write into: a writeable array with memory
    of its own that nothing else refers to, be it a user's name, another tensor's .grad or a view.
    (CPython counts the references: t's own and getrefcount's argument make two.)"""
    g = t.grad
    return (type(g) is np.ndarray and sys.getrefcount(g) == 3  # t.grad, g and the argument
            and g.base is None and g.flags.writeable)


def _own(g, kept):
    """g, or a copy of it where it is not an array of its own: each .grad must be, so that
    changing one in place (gradient clipping, `W.grad *= 0.5`) never changes another."""
    if isinstance(g, np.generic):
        g = np.asarray(g)  # a new 0-d array
    elif id(g) in kept or g.base is not None or not g.flags.writeable:
        g = g.copy()  # an array already handed out, a view of another gradient, or a broadcast
    kept[id(g)] = g
    return g


def _plus(a, b):
    """a + b, kept an ndarray for 0-d arrays too (NumPy would return a scalar)."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s


from . import numpy_compat  # noqa: E402,F401  (on NumPy 1.x, 0-d results keep NumPy 2's dtypes)
