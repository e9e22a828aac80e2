"""Ops that move values around without changing them: reshape, transpose, broadcast, indexing,
concatenate and stack. Their backward moves the gradient back the same way."""
import numpy as np

from ..graph import Op, sum_to
from ..tensor import Tensor


class Reshape(Op):
    __slots__ = ("shape",)
    code = "x.reshape(shape)", "gy.reshape(x.shape)"
    tex = "x", "gy"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.reshape(x, self.shape)

    def backward(self, gy, y, x):
        return gy.reshape(np.shape(x))


class Transpose(Op):
    __slots__ = ("axes",)
    tex = r"x^\top", r"gy^\top"

    def __init__(self, axes=None):
        self.axes = axes

    def code(self, x):
        if self.axes is None or list(self.axes) == list(range(np.ndim(x)))[::-1]:
            return "x.T", "gy.T"
        ndim = len(self.axes)
        back = tuple(int(i) for i in np.argsort([a % ndim for a in self.axes]))
        return "x.transpose(axes)", f"gy.transpose({back})"

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy, y, x):
        if self.axes is None:
            return gy.transpose()
        ndim = len(self.axes)
        return gy.transpose(tuple(np.argsort([a % ndim for a in self.axes])))


class BroadcastTo(Op):
    __slots__ = ("shape",)
    code = "np.broadcast_to(x, shape)", "gy"  # derive writes the sum back to x's shape
    tex = "x", "gy"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, gy, y, x):
        return sum_to(gy, np.shape(x))


def _plain_index(index):
    """True for indices that cannot repeat an element (ints, slices, None, Ellipsis, masks)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               or (isinstance(p, np.ndarray) and p.dtype == bool) for p in parts)


class GetItem(Op):
    """x[index] for any NumPy index. Integer-array indices may repeat an element; its gradients
    then add up (scatter-add)."""

    __slots__ = ("index",)
    tex = "x[index]", r"\operatorname{scatter}_{[index]}(gy)"

    def __init__(self, index):
        self.index = index

    def code(self, x):
        put = "gx[index] = gy" if _plain_index(self.index) else "np.add.at(gx, index, gy)"
        return "x[index]", "gx = np.zeros_like(x); " + put

    def forward(self, x):
        return x[self.index]

    def backward(self, gy, y, x):
        if isinstance(gy, Tensor):  # create_graph: the scatter must be recorded too
            return ScatterAdd(self.index, np.shape(x))(gy)
        return _scatter_add(gy, self.index, np.shape(x))

    def params(self):
        return {"index": _show_index(self.index)}


class SetItem(Op):
    """x with x[index] = v, by NumPy's rules (v broadcast to x[index] and cast to x's dtype), as
    a new array. Where an integer-array index names a position twice, NumPy keeps the last write,
    so only that value gets the position's gradient; the old x gets none where it was overwritten.

    `copy=False` writes into x's own array instead: autograd/inplace.py passes it when nothing
    else can see that array (see `shared` there).
    """

    __slots__ = ("index", "copy")

    def __init__(self, index, copy=True):
        self.index, self.copy = index, copy

    def forward(self, x, v):
        y = x.copy() if self.copy else x
        y[self.index] = v
        return y

    def backward(self, gy, y, x, v):
        gx = gv = None
        if self.needs(0):
            if isinstance(gy, Tensor):  # create_graph: zeroing must be recorded too
                gx = SetItem(self.index)(gy, 0)
            else:
                gx = gy.copy()
                gx[self.index] = 0
        if self.needs(1):
            gv = gy[self.index]  # the engine sums it over v's broadcasting
            if not _plain_index(self.index):
                gv = gv * _kept(self.index, np.shape(x))
        return gx, gv

    def params(self):
        return {"index": _show_index(self.index)}


def _kept(index, shape):
    """For each value that x[index] = v writes, whether it is the one NumPy keeps (False where a
    later value went to the same position). Found by making NumPy do the same writes with tags."""
    tags = np.full(shape, -1, dtype=np.intp)
    written = tags[index].shape
    order = np.arange(int(np.prod(written)), dtype=np.intp).reshape(written)
    tags[index] = order
    return tags[index] == order


def _scatter_add(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _plain_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


class ScatterAdd(Op):
    """The adjoint of GetItem: zeros of `shape` with g added at `index`. Exists so that gradients
    of indexing can themselves be differentiated."""

    __slots__ = ("index", "shape")
    code = "y = np.zeros(shape, dtype=g.dtype); np.add.at(y, index, g)", "gy[index]"
    tex = r"\operatorname{scatter}_{[index]}(g)", "gy[index]"

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, g):
        return _scatter_add(g, self.index, self.shape)

    def backward(self, gy, y, g):
        return gy[self.index]

    def params(self):
        return {"index": _show_index(self.index), "shape": self.shape}


def _show_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for p in parts:
        if isinstance(p, slice):
            shown.append(":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step))
                         .rstrip(":") or ":")
        elif isinstance(p, np.ndarray):
            shown.append(f"<{p.dtype} array {p.shape}>")
        else:
            shown.append(repr(p))
    return "[" + ", ".join(shown) + "]"


def _parts(xs):
    return ", ".join(f"x{i}" for i in range(len(xs)))


def _take(gy_ndim, axis, what):
    """Code for gy[:, :, what] with `what` on `axis`."""
    return "gy[" + ":, " * (axis % gy_ndim) + what + "]"


class Concatenate(Op):
    __slots__ = ("axis",)

    def __init__(self, axis=0):
        self.axis = axis

    def code(self, *xs):
        ndim, grads, start = np.ndim(xs[0]), [], 0
        for x in xs:
            stop = start + np.shape(x)[self.axis % ndim]
            grads.append(_take(ndim, self.axis, f"{start}:{stop}"))
            start = stop
        return f"np.concatenate([{_parts(xs)}], axis={self.axis})", tuple(grads)

    def tex(self, *xs):
        return (r"\operatorname{concat}(" + _parts(xs) + ")",
                tuple(r"gy_{[%d]}" % i for i in range(len(xs))))

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def backward(self, gy, y, *xs):
        axis = self.axis % gy.ndim
        grads, start = [], 0
        for i, x in enumerate(xs):
            stop = start + np.shape(x)[axis]
            grads.append(gy[(slice(None),) * axis + (slice(start, stop),)] if self.needs(i) else None)
            start = stop
        return tuple(grads)


class Stack(Op):
    __slots__ = ("axis",)

    def __init__(self, axis=0):
        self.axis = axis

    def code(self, *xs):
        ndim = np.ndim(xs[0]) + 1
        return (f"np.stack([{_parts(xs)}], axis={self.axis})",
                tuple(_take(ndim, self.axis, str(i)) for i in range(len(xs))))

    def tex(self, *xs):
        return (r"\operatorname{stack}(" + _parts(xs) + ")",
                tuple(r"gy_{[%d]}" % i for i in range(len(xs))))

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, gy, y, *xs):
        axis = self.axis % gy.ndim
        return tuple(gy[(slice(None),) * axis + (i,)] if self.needs(i) else None
                     for i in range(len(xs)))
