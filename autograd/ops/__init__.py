"""The differentiable functions: each applies one op from the modules beside this file (or, for
mean, var, std and friends, a few of them)."""
import builtins
import math

import numpy as np

from ..graph import BROADCAST_RULE, _constant, _user_line
from ..tensor import Tensor
from .activation import LeakyReLU, LogSoftmax, LogSumExp, ReLU, Sigmoid, Softmax, softmax_axis
from .elementwise import (Abs, Add, AsType, Clip, Cos, Divide, Exp, Log, Maximum, Minimum,
                          Multiply, Negative, Power, Sin, Sqrt, Subtract, Tanh, Where)
from .linalg import Linear, Matmul
from .reduce import Max, Min, StdRoot, Sum, normalize_axis
from .shape import BroadcastTo, Concatenate, GetItem, Reshape, SetItem, Stack, Transpose


def _operand(x):
    """Tensors pass; anything else as an op records it (see `_constant`)."""
    return x if isinstance(x, Tensor) else _constant(x)


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# -- arithmetic ---------------------------------------------------------------------------------
def add(a, b):
    """a + b, elementwise with NumPy broadcasting (np.add)."""
    return Add()(a, b)


def subtract(a, b):
    """a - b, elementwise with NumPy broadcasting (np.subtract)."""
    return Subtract()(a, b)


def multiply(a, b):
    """a * b, elementwise with NumPy broadcasting (np.multiply)."""
    return Multiply()(a, b)


def divide(a, b):
    """a / b, elementwise with NumPy broadcasting (np.divide, true division)."""
    return Divide()(a, b)


def power(a, b):
    """a ** b, elementwise with NumPy broadcasting (np.power); base and exponent both get
    gradients."""
    return Power()(a, b)


def negative(x):
    """-x, elementwise (np.negative)."""
    return Negative()(x)


def maximum(a, b):
    """The larger of a and b, elementwise (np.maximum); at a tie each side gets half the
    gradient."""
    return Maximum()(a, b)


def minimum(a, b):
    """The smaller of a and b, elementwise (np.minimum); at a tie each side gets half the
    gradient."""
    return Minimum()(a, b)


def where(cond, a, b):
    """Take a where cond is true, else b; the gradient goes to the side that was taken."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    a, b = _operand(a), _operand(b)
    shapes = [np.shape(v.data if isinstance(v, Tensor) else v) for v in (cond, a, b)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"Where: the condition {shapes[0]} and the two sides {shapes[1]} and "
                         f"{shapes[2]} cannot be broadcast together {BROADCAST_RULE}; "
                         f"at {_user_line()}") from None
    return Where(cond)(a, b)


def clip(x, lo=None, hi=None):
    """Clip to [lo, hi] (either may be None). Tensor bounds that need gradients are supported by
    composing maximum and minimum."""
    if any(isinstance(v, Tensor) and v.requires_grad for v in (lo, hi)):
        out = _tensor(x)
        out = out if lo is None else maximum(out, lo)
        return out if hi is None else minimum(out, hi)
    lo = lo.data if isinstance(lo, Tensor) else lo
    hi = hi.data if isinstance(hi, Tensor) else hi
    return Clip(lo, hi)(_tensor(x))


def astype(x, dtype):
    """x converted to dtype (ndarray.astype); x itself when it has that dtype already."""
    x = _tensor(x)
    return x if np.dtype(dtype) == x.dtype else AsType(dtype)(x)


# -- elementwise functions ----------------------------------------------------------------------
def exp(x):
    """e ** x, elementwise (np.exp)."""
    return Exp()(x)


def log(x):
    """The natural logarithm, elementwise (np.log)."""
    return Log()(x)


def sqrt(x):
    """The square root, elementwise (np.sqrt)."""
    return Sqrt()(x)


def abs(x):
    """|x|, elementwise (np.abs); its gradient at 0 is 0."""
    return Abs()(x)


def sin(x):
    """The sine, elementwise (np.sin)."""
    return Sin()(x)


def cos(x):
    """The cosine, elementwise (np.cos)."""
    return Cos()(x)


def tanh(x):
    """The hyperbolic tangent, elementwise (np.tanh); its derivative is 1 - tanh(x)**2."""
    return Tanh()(x)


def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise, without overflow; its derivative is s * (1 - s)."""
    return Sigmoid()(x)


def relu(x):
    """max(x, 0), elementwise; its gradient is 1 where x > 0, else 0."""
    return ReLU()(x)


def leaky_relu(x, slope=0.01):
    """x where x > 0, else slope * x, elementwise."""
    return LeakyReLU(slope)(x)


def square(x):
    """x * x, elementwise (np.square)."""
    return multiply(x, x)


# -- reductions ---------------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    """The sum over axis (None: every axis), as np.sum."""
    x = _tensor(x)
    return Sum(normalize_axis(axis, x.ndim), keepdims)(x)


def _count(x, axis):
    return int(np.prod([x.shape[a] for a in normalize_axis(axis, x.ndim)]))


def mean(x, axis=None, keepdims=False):
    """The mean over axis (None: every axis), as np.mean: the sum divided by the count."""
    x = _tensor(x)
    return sum(x, axis, keepdims) / _count(x, axis)


def max(x, axis=None, keepdims=False):
    """The largest value over axis (None: every axis), as np.max; tied maxima share the gradient."""
    x = _tensor(x)
    return Max(_nonempty(x, axis, "max", "maximum"), keepdims)(x)


def min(x, axis=None, keepdims=False):
    """The smallest value over axis (None: every axis), as np.min; tied minima share the
    gradient."""
    x = _tensor(x)
    return Min(_nonempty(x, axis, "min", "minimum"), keepdims)(x)


def _nonempty(x, axis, fn, ufunc):
    """The axes of a max or min, which must not be empty: there is no maximum of nothing."""
    axes = normalize_axis(axis, x.ndim)
    empty = [a for a in axes if x.shape[a] == 0]
    if empty:
        raise ValueError(
            f"{fn} of a tensor of shape {x.shape} over axis {empty[0]}, which has size 0: there "
            f"is no {ufunc} of no values (NumPy raises the same: zero-size array to reduction "
            f"operation {ufunc} which has no identity). Reduce over non-empty axes, or check "
            f"the size first; at {_user_line()}")
    return axes


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance, NumPy's definition (ddof=0 divides by N)."""
    x = _tensor(x)
    centred = x - mean(x, axis, keepdims=True)
    return sum(centred * centred, axis, keepdims) / builtins.max(_count(x, axis) - ddof, 0)


def std(x, axis=None, ddof=0, keepdims=False):
    """The standard deviation over axis, NumPy's definition (np.std; ddof=0 divides by N); its
    gradient is 0 where every value is the same (see StdRoot)."""
    return StdRoot()(var(x, axis, ddof, keepdims))


# -- shapes -------------------------------------------------------------------------------------
def reshape(x, shape):
    """x with a new shape, the same values (np.reshape; one entry may be -1)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return Reshape(shape)(_tensor(x))


def transpose(x, axes=None):
    """x with its axes permuted (np.transpose; axes=None reverses them)."""
    return Transpose(None if axes is None else tuple(axes))(_tensor(x))


def swapaxes(x, a, b):
    """x with axes a and b exchanged (np.swapaxes)."""
    x = _tensor(x)
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def flatten(x, start_axis=0):
    """Flatten the axes from start_axis on (0: everything; 1: keep the batch axis)."""
    x = _tensor(x)
    # the size written out, not -1, which a shape with a 0 in it leaves undetermined
    return reshape(x, x.shape[:start_axis] + (math.prod(x.shape[start_axis:]),))


def squeeze(x, axis=None):
    """x without its axes of length 1 (or only `axis`), as np.squeeze."""
    x = _tensor(x)
    return reshape(x, np.squeeze(np.empty(x.shape, dtype=bool), axis).shape)


def expand_dims(x, axis):
    """x with a new axis of length 1 at position `axis` (np.expand_dims)."""
    x = _tensor(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def broadcast_to(x, shape):
    """x broadcast to `shape` by NumPy's rules (np.broadcast_to); the gradient is summed back."""
    x = _tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"BroadcastTo: a tensor of shape {x.shape} cannot be broadcast to "
                         f"{shape} {BROADCAST_RULE}; at {_user_line()}") from None
    return BroadcastTo(shape)(x)


def concatenate(tensors, axis=0):
    """The tensors joined along an existing axis (np.concatenate); axis=None flattens every piece
    first, as NumPy does."""
    if axis is None:
        return Concatenate(0)(*[reshape(t, (-1,)) for t in tensors])
    return Concatenate(axis)(*[_operand(t) for t in tensors])


def stack(tensors, axis=0):
    """The tensors joined along a new axis (np.stack)."""
    return Stack(axis)(*[_operand(t) for t in tensors])


def index_array(index):
    """An index as NumPy takes it: Tensors by their values, a list as an array. A tuple comes back
    as the same object when nothing in it changes (autograd/inplace.py relies on that)."""
    if isinstance(index, tuple):
        if any(isinstance(i, Tensor) for i in index):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, list):
        index = np.asarray(index)
    return index


def getitem(x, index):
    """x[index], for any NumPy index (basic, slices, integer arrays, boolean masks); repeated
    indices add their gradients."""
    return GetItem(index_array(index))(_tensor(x))


def setitem(x, index, value):
    """A copy of x with `copy[index] = value` (NumPy's rules: value broadcast and cast to x's
    dtype; with a repeated integer index, the last write wins). `x[index] = value` on a tensor in
    a graph records this op and makes x stand for the result."""
    return SetItem(index_array(index))(_tensor(x), _operand(value))


# -- linear algebra -----------------------------------------------------------------------------
def matmul(a, b):
    """The matrix product a @ b by NumPy's rules (np.matmul): batched over leading axes; a 1-d side
    is a vector."""
    a, b = _operand(a), _operand(b)
    sa, sb = np.shape(a.data if isinstance(a, Tensor) else a), np.shape(b.data if isinstance(b, Tensor) else b)
    if not sa or not sb:
        raise ValueError(f"matmul: an operand is a scalar (shapes {sa} and {sb}); use * to scale")
    if sa[-1] != sb[-2 if len(sb) > 1 else -1]:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not line up: the last axis of the first "
            f"({sa[-1]}) must equal the {'second-to-last' if len(sb) > 1 else 'only'} axis of "
            f"the second ({sb[-2 if len(sb) > 1 else -1]}); at {_user_line()}")
    return Matmul()(a, b)


def dot(a, b):
    """np.dot: a product for scalars, matmul for vectors and matrices."""
    a_nd = np.ndim(a.data if isinstance(a, Tensor) else a)
    b_nd = np.ndim(b.data if isinstance(b, Tensor) else b)
    if a_nd == 0 or b_nd == 0:
        return multiply(a, b)
    if a_nd <= 2 and b_nd <= 2:
        return matmul(a, b)
    return dot_nd(a, b)


def linear(x, W, b=None):
    """x @ W.T + b, with W of shape (out_features, in_features) as in PyTorch."""
    return Linear()(x, W) if b is None else Linear()(x, W, b)


# -- the softmax family -------------------------------------------------------------------------
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis, without overflow: each slice along axis sums to 1."""
    x = _tensor(x)
    return Softmax(softmax_axis(axis, x.ndim, "softmax"))(x)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along axis: the log of softmax, without overflow."""
    x = _tensor(x)
    return LogSoftmax(softmax_axis(axis, x.ndim, "log_softmax"))(x)


def logsumexp(x, axis=-1, keepdims=False):
    """log(sum(exp(x))) along axis (None: over everything), computed without overflow."""
    x = _tensor(x)
    return LogSumExp(normalize_axis(axis, x.ndim), keepdims)(x)


def one_hot(indices, num_classes=None, dtype=np.int64):
    """Rows of the identity: one_hot([2, 0], 3) -> [[0, 0, 1], [1, 0, 0]]. No gradient."""
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer class indices; got dtype {idx.dtype}")
    n = int(idx.max()) + 1 if num_classes is None else int(num_classes)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"one_hot: class indices must lie in [0, {n}); got values from "
                         f"{idx.min()} to {idx.max()}")
    return Tensor(np.eye(n, dtype=dtype)[idx])


# -- the NumPy functions beyond the core (each module says what it holds) -----------------------
# Imported last: these modules compose the functions above.
from .trig import (arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cosh, hypot,  # noqa: E402
                   sinc, sinh, tan)
from .logexp import cbrt, expm1, log1p, logaddexp  # noqa: E402
from .piecewise import ceil, floor, floor_divide, remainder, rint, sign, trunc  # noqa: E402
from .derived import (deg2rad, exp2, fmax, fmin, log10, log2, logaddexp2, nan_to_num,  # noqa: E402
                      rad2deg, real, reciprocal, select)
from .scan import cumprod, cumsum, prod  # noqa: E402
from .rearrange import (diag, diagonal, flip, fliplr, flipud, moveaxis, put_along_axis,  # noqa: E402
                        roll, rollaxis, rot90, take, take_along_axis, tril, triu)
from .stacking import (append, array_split, atleast_1d, atleast_2d, atleast_3d,  # noqa: E402
                       column_stack, dsplit, dstack, hsplit, hstack, pad, repeat,
                       sliding_window_view, split, tile, vsplit, vstack)
from .einsum import einsum  # noqa: E402
from .products import cross, dot_nd, inner, kron, outer, tensordot, trace  # noqa: E402
from .solve import det, inv, pinv, slogdet, solve  # noqa: E402
from .decompositions import cholesky, eigh, svd  # noqa: E402
from .statistics import average, nanmean, nansum, norm, partition, ptp, sort  # noqa: E402
from .calculus import diff, gradient, linspace  # noqa: E402
from .rearrange import put_along_axis_inplace  # noqa: E402
