"""Changing a tensor that is part of a graph: `x[i] = v`, `x[i] += v`, `x *= 2`, `x -= y`.

NumPy code changes arrays in place, and so does learners' code: source 000 normalises its outputs
row by row with `out[f] = out[f] / sum(out[f])`. A graph cannot just overwrite the values, since
ops recorded earlier may have saved them for their backward. So the change is recorded as an op
that computes the new values (SetItem for an assignment, Add for `+=` ...), and the Python object
`x` is re-pointed at that op's result: afterwards `x.grad_fn` is the new op, and every name for `x`
sees the new values, as with NumPy.

The old value moves into a tensor object of its own (`old` below), which takes x's former place in
the graph: it keeps x's old grad_fn, and the new op takes it as its input, so gradients reach the
old value (zero where it was overwritten) and the new one. Ops recorded before the change hold
the object `x` itself among their inputs; the link `x._prev = (tick, old)` lets the backward
engine send their gradients to `old` instead (`graph.resolve_inputs`).

Copy-on-write: the new values go into a copy of x's array only when something else can see that
array (an op that saved it, a view, another name for the array); otherwise they are written into
it, as NumPy would, and nothing is copied.

Views share memory, as in NumPy. A view (slice, reshape, transpose, detach) knows its base and the
op that made it (`_base`, `_view_op`); a base knows its live views (`_views`). So
* a change through a view is a change of its base: `row = out[0]; row /= row.sum()` records
  `out[0] = row / row.sum()` (for a reshape or transpose, the whole base is rewritten);
* a change of a tensor reaches its views: each live view is made again from the new value.
"""
import sys
import weakref

import numpy as np

from . import ops
from .graph import _slot_names
from .ops.shape import BroadcastTo, GetItem, Reshape, SetItem, Transpose
from .tensor import LAST_CHANGE, TICKS, Tensor


def assign(x, index, value, what="item assignment into"):
    """`x[index] = value`, recorded: x or value is part of a graph. `what` names the change in
    errors."""
    index = ops.index_array(index)
    if _view_at(value, x, index):
        return  # `x[i] += v` ends with x[i] = (the view x[i], already changed): nothing to do
    _check_target(x, what, value)
    _change(x, lambda old, copy: SetItem(index, copy)(old, old if value is x else value))


def augment(x, fn, other, symbol):
    """`x op= other` or `x.op_(other)` (fn is the op's function, symbol what the user wrote),
    recorded: x or other is part of a graph."""
    _check_target(x, f"in-place change ({symbol}) of", other)

    def compute(old, copy):
        new = fn(old, old if other is x else other)
        if new.shape != x.shape:
            raise ValueError(f"{symbol}: the result has shape {new.shape}, but the tensor "
                             f"changed in place has shape {x.shape}, and a change in place cannot "
                             "change the shape; compute a new tensor instead (x = x + y, ...)")
        if new.dtype != x.dtype:  # NumPy's in-place rule: cast back, within the same kind
            if not np.can_cast(new.dtype, x.dtype, casting="same_kind"):
                raise TypeError(f"{symbol}: the result has dtype {new.dtype}, which cannot be "
                                f"stored in place in a tensor of dtype {x.dtype}")
            new = ops.astype(new, x.dtype)
        return new

    _change(x, compute)
    return x


# ---- the change itself ------------------------------------------------------------------------

def _change(t, compute):
    """Make t stand for `compute(old value of t, copy)` from now on; `copy` says whether the new
    values must go into a new array (False: compute may write into the old one)."""
    link = _view_link(t)
    if link is not None:  # a change through a view is a change of its base
        base, op = link
        new = compute(t, True)
        _change(base, lambda old_base, copy: _written_back(op, old_base, new, copy))
        return  # changing base made t again from it
    copy = shared(t)
    old = _split(t)
    new = compute(old, copy)
    if new.data is old.data:  # written into: the old values are gone, and t alone holds the array
        old.data = new.grad_fn._xs[0] = overwritten(new.data)
    _become(t, new, old if copy else None)
    _remake_views(t, old)


class Overwritten(np.ndarray):
    """What is left of values that an assignment wrote over in place (nothing needed them): their
    shape and dtype, for the backward pass, and NaN, for anyone who looks."""


def overwritten(a):
    return np.broadcast_to(np.array(np.nan, dtype=a.dtype), a.shape).view(Overwritten)


def shared(t):
    """Whether anything but t may read t's array: an op that saved it or a view of it (either
    holds a reference to the array), another tensor or name for it, or t's own grad_fn if its
    backward reads its output. CPython counts the references; elsewhere, assume it is shared."""
    data = t.data
    if data.base is not None or (t.grad_fn is not None and t.grad_fn.uses_output):
        return True
    count = getattr(sys, "getrefcount", None)
    return count is None or count(data) > 3  # t.data, `data`, and count's own argument


def _split(t):
    """A new tensor object holding t's current value and t's place in the graph."""
    old = Tensor._make(t.data)
    old.grad_fn, old._requires_grad, old.name = t.grad_fn, t._requires_grad, t.name
    old._version, old._stamp, old._base = t._version, t._stamp, t._base
    old._prev = getattr(t, "_prev", None)
    return old


def _become(t, new, old):
    """t now stands for the tensor `new` (which is dropped). With `old`, ops recorded until now
    that hold t meant old: link it."""
    t.data, t.grad_fn, t._requires_grad = new.data, new.grad_fn, new._requires_grad
    t._base = new._base
    t._version += 1
    if old is not None:
        LAST_CHANGE[0] = tick = next(TICKS)  # backward checks ops older than this (resolve_inputs)
        t._prev = (tick, old)


def _remake_views(t, old):
    """Make each live view of t again from t's new value; its old value stays with the ops that
    used it."""
    for view in _live_views(t):
        op = view._view_op
        if op is None:  # detach(): the same array, outside the graph
            view.data = t.data
            view._version += 1
            _remake_views(view, view)
            continue
        view_old = _split(view)
        view_old._base = old
        _become(view, _fresh(op)(t), view_old)
        _remake_views(view, view_old)


def _written_back(op, base, value, copy):
    """The new value of `base` once `value` is written into its view `op(base)`."""
    if type(op) is GetItem:
        return SetItem(op.index, copy)(base, value)
    if type(op) is Reshape:
        value = ops.reshape(value, base.shape)
    else:  # Transpose (others are refused by _check_target)
        value = ops.transpose(value, None if op.axes is None else np.argsort(
            [a % base.ndim for a in op.axes]))
    return SetItem(Ellipsis, copy)(base, value)


# ---- views ------------------------------------------------------------------------------------

def _view_link(t):
    """(base, the op that made t from base, or None for detach()) if t is a view, else None."""
    if t._base is None or not hasattr(t, "_view_op"):
        return None
    return t._base, t._view_op


def _live_views(t):
    refs = getattr(t, "_views", None)
    if not refs:
        return []
    views = [v for v in (r() for r in refs) if v is not None and v._base is t]
    t._views = [weakref.ref(v) for v in views]
    return views


def _view_at(value, x, index):
    """Whether value is the live view x[index] (same index object, as Python passes it twice)."""
    return (isinstance(value, Tensor) and value._base is x
            and type(getattr(value, "_view_op", None)) is GetItem and value._view_op.index is index)


def _fresh(op):
    """An op of op's kind with op's parameters, not yet applied."""
    new = object.__new__(type(op))
    for name in _slot_names(type(op)):
        setattr(new, name, getattr(op, name))
    return new


# ---- what cannot be changed -------------------------------------------------------------------

def _check_target(x, what, value):
    t = x
    while (link := _view_link(t)) is not None:
        base, op = link
        if op is None:
            raise RuntimeError(
                f"{what} a tensor {_describe(x)} made by detach(), with a value that requires "
                "grad: it shares its memory with a tensor in a graph, and detach() lets no "
                "gradient through. Change a copy instead (t = t.detach() * 1)")
        if type(op) not in (GetItem, Reshape, Transpose):
            raise ValueError(f"{what} a tensor {_describe(x)} that is a {op.name} view of "
                             "another: it is read-only, as in NumPy; change a copy instead")
        t = base
    if t._requires_grad and t.grad_fn is None:
        advice = ("build a new tensor instead, e.g. x = x / x.sum(axis=1, keepdims=True), "
                  "where(mask, a, b) or concatenate([...]); or assign under no_grad() if no "
                  "gradient should flow" if what.startswith("item") else
                  "update parameters inside `with no_grad():`")
        target = "a leaf tensor" if t is x else f"a view {_describe(x)} of the leaf tensor"
        raise RuntimeError(
            f"{what} {target} {_describe(t)} that requires grad is not allowed: its .grad is "
            f"the gradient of the values it was created with; {advice}")
    if t.dtype.kind != "f":
        raise TypeError(
            f"{what} a tensor {_describe(x)} of dtype {t.dtype}, with a value that requires grad: "
            "only floating-point tensors can carry a gradient; convert first, e.g. "
            "x = x.astype(np.float64)")


def _describe(t):
    return f"'{t.name}'" if t.name else f"of shape {t.shape}"
