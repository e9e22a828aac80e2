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
]
