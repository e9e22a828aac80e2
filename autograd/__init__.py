"""glassgrad's autograd: a reverse-mode automatic differentiation engine over NumPy.

    >>> from autograd import Tensor
    >>> w = Tensor(2.0, requires_grad=True)
    >>> y = w * w + 3 * w
    >>> y.backward()
    >>> w.grad
    array(7.)
"""
from .tensor import Tensor, as_tensor, tensor
from .graph import (Op, backward_order, detect_anomaly, enable_grad, is_grad_enabled, no_grad,
                    sum_to)
from .ops import (abs, add, astype, broadcast_to, clip, concatenate, cos, divide, dot, exp,
                  expand_dims, flatten, getitem, leaky_relu, linear, log, log_softmax, logsumexp,
                  matmul, max, maximum, mean, min, minimum, multiply, negative, one_hot, power,
                  relu, reshape, setitem, sigmoid, sin, softmax, sqrt, square, squeeze, stack,
                  std, subtract, sum, swapaxes, tanh, transpose, var, where)
# NumPy's functions beyond the core, under their NumPy names (np.X(t) calls these too)
from .ops import (append, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                  array_split, atleast_1d, atleast_2d, atleast_3d, average, cbrt, ceil, cholesky,
                  column_stack, cosh, cross, cumprod, cumsum, deg2rad, det, diag, diagonal, diff,
                  dsplit, dstack, eigh, einsum, exp2, expm1, flip, fliplr, flipud, floor, fmax,
                  fmin, gradient, hsplit, hstack, hypot, inner, inv, kron, linspace, log10,
                  log1p, log2, logaddexp, logaddexp2, moveaxis, nan_to_num, nanmean, nansum,
                  norm, outer, pad, partition, pinv, prod, ptp, put_along_axis, rad2deg,
                  reciprocal, remainder, repeat, rint, roll, rollaxis, rot90, select, sign, sinc,
                  sinh, slogdet, sliding_window_view, solve, sort, split, svd, take,
                  take_along_axis, tan, tensordot, tile, trace, tril, triu, trunc, vsplit, vstack)
from .functional import grad, hessian, jacobian, value_and_grad
from .check import GradcheckError, GradientReport, compare_gradients, gradcheck, watch
from .tensor import GradientLostWarning
from .viz import backward_frames, draw, draw_backward, save_frames
from .derive import Derivation, DerivationTooLarge, derive  # the function; the package: autograd.derive.*
from . import graph, viz

__all__ = [
    "Tensor", "tensor", "as_tensor", "Op", "backward_order", "sum_to", "graph", "viz",
    "draw", "draw_backward", "backward_frames", "save_frames", "GradientLostWarning",
    "gradcheck", "GradcheckError", "compare_gradients", "GradientReport", "watch",
    "derive", "Derivation", "DerivationTooLarge",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "grad", "value_and_grad", "jacobian", "hessian",
    "abs", "add", "astype", "broadcast_to", "clip", "concatenate", "cos", "divide", "dot", "exp",
    "expand_dims", "flatten", "getitem", "leaky_relu", "linear", "log", "log_softmax",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "negative",
    "one_hot", "power", "relu", "reshape", "setitem", "sigmoid", "sin", "softmax", "sqrt", "square",
    "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "tanh", "transpose", "var", "where",
    # beyond the core
    "append", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "average", "cbrt", "ceil",
    "cholesky", "column_stack", "cosh", "cross", "cumprod", "cumsum", "deg2rad", "det", "diag",
    "diagonal", "diff", "dsplit", "dstack", "eigh", "einsum", "exp2", "expm1", "flip", "fliplr",
    "flipud", "floor", "fmax", "fmin", "gradient", "hsplit", "hstack", "hypot", "inner", "inv",
    "kron", "linspace", "log10", "log1p", "log2", "logaddexp", "logaddexp2", "moveaxis",
    "nan_to_num", "nanmean", "nansum", "norm", "outer", "pad", "partition", "pinv", "prod", "ptp",
    "put_along_axis", "rad2deg", "reciprocal", "remainder", "repeat", "rint", "roll", "rollaxis",
    "rot90", "select", "sign", "sinc", "sinh", "slogdet", "sliding_window_view", "solve", "sort",
    "split", "svd", "take", "take_along_axis", "tan", "tensordot", "tile", "trace", "tril",
    "triu", "trunc", "vsplit", "vstack",
]
