"""Tensor: an ndarray that remembers how it was computed.

`data` holds the values; `grad_fn` is the op that produced the tensor (None for a leaf); `grad` is
filled in by `backward()`. Every operator delegates to an op in `autograd.ops`, so this file is only
the user-facing surface.
"""
import itertools
import warnings
import weakref

import numpy as np

_FLOAT_KINDS = "f"


def _as_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data.data
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as e:
        if "inhomogeneous" not in str(e):
            raise
        raise ValueError("Tensor data must be rectangular: the nested lists have different "
                         f"lengths (ragged), so they do not form an array ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor data must be numbers (bool, int or float); got dtype {arr.dtype} "
            f"from {type(data).__name__}")
    return arr


def _init(t, data):
    """Every field of a new Tensor t (one function for both constructors); returns t."""
    t.data = data
    t.grad = t.grad_fn = t.name = t._base = None
    t._requires_grad = t._retains_grad = False
    t._version = 0  # in-place changes so far
    t._stamp = 0  # the tick of the latest in-place change (see _mark_changed)
    t._uses = 0  # how many recorded ops took this tensor as an input (see run_backward)
    return t


_new = object.__new__


class GradientLostWarning(UserWarning):
    """A Tensor in the graph was turned into a plain ndarray implicitly."""


class Tensor:
    """An ndarray that remembers how it was computed.

    `data` holds the values (an ndarray), `grad` the gradient once `backward()` has run (same
    shape and dtype), `requires_grad` whether gradients flow to it, `name` a label for reports
    and drawings, `grad_fn` the op that made it (None for a leaf). Operators, methods and NumPy
    functions (`np.exp(t)`, `np.dot(W, t)` ...) on Tensors record ops in the graph."""

    __slots__ = ("data", "grad", "_requires_grad", "name", "grad_fn", "_version", "_stamp",
                 "_base", "_retains_grad", "_uses", "__weakref__",
                 "_view_op", "_views", "_prev")  # set only where used: see autograd/inplace.py

    # ndarray's operators defer to ours (np.ndarray + Tensor gives a Tensor)
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, name=None, dtype=None):
        _init(self, _as_array(data, dtype))
        self.name = name
        self.requires_grad = requires_grad

    @staticmethod
    def _make(data):
        """Wrap an ndarray without copying or checking (the ops' fast path)."""
        return _init(_new(Tensor), data)

    # -- attributes ---------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"only floating-point tensors can require grad; this one has dtype "
                f"{self.data.dtype}. Convert first, e.g. Tensor(x, dtype=np.float64, requires_grad=True)")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf; use detach()")
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag=True):
        self.requires_grad = flag
        return self

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self.grad_fn is None)
    version = property(lambda self: self._version, doc="Bumped by every in-place change.")

    @property
    def T(self):
        return _ops.transpose(self)

    # -- autograd -----------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (and into `.grad` of tensors that
        called `retain_grad()`)."""
        grad = _graph.seed_gradient(self, grad, "backward()")
        _graph.run_backward([self], [grad], retain_graph=retain_graph)

    def retain_grad(self):
        """Keep the gradient of this intermediate tensor in `.grad` after backward."""
        if self.grad_fn is not None:
            self._retains_grad = True
        return self

    def detach(self):
        """The same values (shared, not copied), cut off from the graph."""
        alias = Tensor._make(self.data)
        alias._base, alias._view_op = self, None  # changing one in place changes the other
        add_view(self, alias)
        return alias

    def item(self):
        return self.data.item()

    def numpy(self):
        return self.data

    def __array__(self, dtype=None, copy=None):
        # np.asarray(t) is the explicit way out of the graph. NumPy also calls this silently
        # (X.dot(t), np.array([t, ...])): the gradient then stops here, so say so.
        if self._requires_grad and _graph.is_grad_enabled():
            warnings.warn(
                f"a Tensor {_describe(self)} that requires grad was converted to an ndarray, so "
                "no gradient flows through this use of it (e.g. ndarray.dot(t): write np.dot(X, t) "
                "or X @ t instead; np.array([t1, t2, ...]): write np.stack([t1, t2, ...])). To "
                "leave the graph on purpose use t.numpy() or t.detach().",
                GradientLostWarning, stacklevel=2)
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return self.data.__index__()

    def __bool__(self):
        return bool(self.data)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    __hash__ = object.__hash__  # tensors are dict keys by identity, like PyTorch's

    def __getstate__(self):
        # pickle and deepcopy: every field but the weak references to views (autograd/inplace.py)
        return None, {name: getattr(self, name) for name in Tensor.__slots__
                      if name not in ("__weakref__", "_views") and hasattr(self, name)}

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype not in (np.float64, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn.name}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # -- in-place updates -----------------------------------------------------------------------
    # Outside any graph they change the values in place. Inside one (grad mode on, and self or the
    # other operand requires grad) they are recorded, and self, the same object, then stands for
    # the result; values saved for backward stay intact (autograd/inplace.py).
    def _recording(self, other):
        return _graph.is_grad_enabled() and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))

    def _inplace(self, ufunc, other):
        other = other.data if isinstance(other, Tensor) else other
        ufunc(self.data, other, out=self.data, casting="same_kind")
        _mark_changed(self)
        return self

    def _augmented(self, ufunc, fn, other, symbol):
        if self._recording(other):
            return _in_place.augment(self, fn, other, symbol)
        return self._inplace(ufunc, other)

    def add_(self, other, alpha=1):
        return self._augmented(np.add, _ops.add, self._scaled(other, alpha), "add_")

    def sub_(self, other, alpha=1):
        return self._augmented(np.subtract, _ops.subtract, self._scaled(other, alpha), "sub_")

    def _scaled(self, other, alpha):
        if alpha == 1:
            return other
        return other * alpha if self._recording(other) else np.multiply(_data(other), alpha)

    def mul_(self, other):
        return self._augmented(np.multiply, _ops.multiply, other, "mul_")

    def div_(self, other):
        return self._augmented(np.divide, _ops.divide, other, "div_")

    def copy_(self, other):
        if self._recording(other):
            _in_place.assign(self, Ellipsis, other, "in-place change (copy_) of")
            return self
        return self._inplace(lambda a, b, out, casting: np.copyto(out, b, casting=casting), other)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if self._recording(value):
            _in_place.assign(self, Ellipsis, value, "in-place change (fill_) of")
            return self
        return self._inplace(lambda a, b, out, casting: out.fill(b), value)

    def __iadd__(self, other):
        return self._augmented(np.add, _ops.add, other, "+=")

    def __isub__(self, other):
        return self._augmented(np.subtract, _ops.subtract, other, "-=")

    def __imul__(self, other):
        return self._augmented(np.multiply, _ops.multiply, other, "*=")

    def __itruediv__(self, other):
        return self._augmented(np.divide, _ops.divide, other, "/=")

    def __setitem__(self, index, value):
        if self._recording(value):  # see "in-place updates" above
            return _in_place.assign(self, index, value)
        self.data[_index_data(index)] = _data(value)
        _mark_changed(self)

    # -- operators ----------------------------------------------------------------------------
    def __add__(self, other): return _Add()(self, other)
    def __radd__(self, other): return _Add()(other, self)
    def __sub__(self, other): return _Subtract()(self, other)
    def __rsub__(self, other): return _Subtract()(other, self)
    def __mul__(self, other): return _Multiply()(self, other)
    def __rmul__(self, other): return _Multiply()(other, self)
    def __truediv__(self, other): return _Divide()(self, other)
    def __rtruediv__(self, other): return _Divide()(other, self)
    def __pow__(self, other): return _ops.power(self, other)
    def __rpow__(self, other): return _ops.power(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _Negative()(self)
    def __pos__(self): return self
    def __abs__(self): return _Abs()(self)
    def __getitem__(self, index): return _ops.getitem(self, index)

    # comparisons: values only, no gradient
    def __lt__(self, other): return _compare(np.less, self, other)
    def __le__(self, other): return _compare(np.less_equal, self, other)
    def __gt__(self, other): return _compare(np.greater, self, other)
    def __ge__(self, other): return _compare(np.greater_equal, self, other)
    def __eq__(self, other): return _compare(np.equal, self, other)
    def __ne__(self, other): return _compare(np.not_equal, self, other)

    # -- math methods -------------------------------------------------------------------------
    def exp(self): return _Exp()(self)
    def log(self): return _Log()(self)
    def sqrt(self): return _Sqrt()(self)
    def abs(self): return _Abs()(self)
    def sin(self): return _Sin()(self)
    def cos(self): return _Cos()(self)
    def tanh(self): return _Tanh()(self)
    def sigmoid(self): return _Sigmoid()(self)
    def relu(self): return _ReLU()(self)
    def leaky_relu(self, slope=0.01): return _ops.leaky_relu(self, slope)
    def clip(self, lo=None, hi=None): return _ops.clip(self, lo, hi)
    def softmax(self, axis=-1): return _ops.softmax(self, axis)
    def log_softmax(self, axis=-1): return _ops.log_softmax(self, axis)
    def logsumexp(self, axis=-1, keepdims=False): return _ops.logsumexp(self, axis, keepdims)
    def sum(self, axis=None, keepdims=False): return _ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _ops.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _ops.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _ops.min(self, axis, keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return _ops.var(self, axis, ddof, keepdims)
    def std(self, axis=None, ddof=0, keepdims=False): return _ops.std(self, axis, ddof, keepdims)
    def matmul(self, other): return _ops.matmul(self, other)
    def dot(self, other): return _ops.dot(self, other)
    def astype(self, dtype): return _ops.astype(self, dtype)
    def flatten(self): return _ops.reshape(self, (-1,))
    def ravel(self): return _ops.reshape(self, (-1,))
    def squeeze(self, axis=None): return _ops.squeeze(self, axis)
    def swapaxes(self, a, b): return _ops.swapaxes(self, a, b)
    def prod(self, axis=None, keepdims=False): return _ops.prod(self, axis, keepdims)
    def cumsum(self, axis=None): return _ops.cumsum(self, axis)
    def cumprod(self, axis=None): return _ops.cumprod(self, axis)
    def trace(self, offset=0, axis1=0, axis2=1): return _ops.trace(self, offset, axis1, axis2)
    def diagonal(self, offset=0, axis1=0, axis2=1): return _ops.diagonal(self, offset, axis1, axis2)
    def repeat(self, repeats, axis=None): return _ops.repeat(self, repeats, axis)
    def take(self, indices, axis=None): return _ops.take(self, indices, axis)

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = axes[0]  # t.transpose((1, 0)) as well as t.transpose(1, 0)
        return _ops.transpose(self, axes or None)

    def argmax(self, axis=None): return self.data.argmax(axis)
    def argmin(self, axis=None): return self.data.argmin(axis)

    # NumPy protocols: NumPy functions called on Tensors stay in the graph
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _numpy_api.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _numpy_api.dispatch_function(func, args, kwargs)


# One clock orders everything that happens to a graph. Recording an op takes the next tick, so an
# op is always later than the ops that computed its inputs: backward visits ops from the latest
# back (reverse creation order is a topological order). An in-place change takes a tick too and
# stamps the tensor: an input stamped later than an op's tick was changed after the op saw it.
# A view (reshape, slice, detach ...) links to the tensor whose memory it shares (`_base`): a
# change through the view stamps that tensor too, and a view counts as changed when its base is.
TICKS = itertools.count(1)
LAST_CHANGE = [0]  # the tick of the latest in-place change anywhere


def _mark_changed(t):
    LAST_CHANGE[0] = stamp = next(TICKS)
    while t is not None:
        t._stamp = stamp
        t._version += 1
        t = t._base


def add_view(base, view):
    """Remember that `view` shares base's memory, so that a recorded change of base reaches it
    (autograd/inplace.py). Held weakly; the dead are dropped now and then."""
    try:
        views = base._views
    except AttributeError:
        views = base._views = []
    views.append(weakref.ref(view))
    n = len(views)
    if n >= 16 and not n & (n - 1):  # at 16, 32, 64 ... entries
        views[:] = [r for r in views if r() is not None]


def last_change(t):
    """The clock of the latest in-place change to t's memory, through t or any view of it."""
    stamp = t._stamp
    while t._base is not None:
        t = t._base
        stamp = max(stamp, t._stamp)
    return stamp


def as_tensor(data, dtype=None):
    """A Tensor sharing `data`'s memory when it is already a numeric ndarray (no copy, as
    torch.as_tensor); a Tensor is returned as it is; anything else is copied like Tensor(data)."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and dtype in (None, data.dtype):
        return Tensor._make(data)
    return Tensor(data, dtype=dtype)


def tensor(data, requires_grad=False, name=None, dtype=None):
    """Same as `Tensor(...)`."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def _compare(ufunc, a, b):
    return Tensor._make(np.asarray(ufunc(a.data, _data(b))))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _index_data(index):
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _describe(t):
    return f"'{t.name}'" if t.name else f"of shape {t.shape}"


from . import graph as _graph  # noqa: E402  (these import Tensor from this module)
from . import ops as _ops  # noqa: E402
# The operators and one-argument methods apply their op directly (a Python call fewer per op).
from .ops.activation import ReLU as _ReLU, Sigmoid as _Sigmoid  # noqa: E402
from .ops.elementwise import (Abs as _Abs, Add as _Add, Cos as _Cos, Divide as _Divide,  # noqa: E402
                              Exp as _Exp, Log as _Log, Multiply as _Multiply,
                              Negative as _Negative, Sin as _Sin, Sqrt as _Sqrt,
                              Subtract as _Subtract, Tanh as _Tanh)
from . import numpy_api as _numpy_api  # noqa: E402
from . import inplace as _in_place  # noqa: E402
