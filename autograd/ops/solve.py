"""Inverse, determinant, linear solves and the pseudo-inverse, for matrices and stacks of them
(the last two axes).

Each backward is matrix algebra written with NumPy functions (`@`, np.linalg.solve, ...), which
on Tensors are these same ops: second derivatives come out of the same code. Where the matrix
is singular the gradient does not exist (inv, det, slogdet, solve) and backward raises NumPy's
LinAlgError; pinv's gradient exists where the rank does not change nearby.
"""
from collections import namedtuple

import numpy as np

from ..graph import Op
from ..tensor import Tensor
from .scan import _product_of_the_others


def _mT(x):
    return x.swapaxes(-1, -2)


def _as_matrix_scalar(g):
    """A gradient of one number per matrix, shaped to scale whole matrices."""
    return np.reshape(g, np.shape(g) + (1, 1))


class Inv(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.linalg.inv(x)

    def backward(self, gy, y, x):
        return -(_mT(y) @ gy @ _mT(y))  # d(X^-1) = -X^-1 dX X^-1


class Det(Op):
    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.linalg.det(x)

    def backward(self, gy, y, x):
        try:
            return _as_matrix_scalar(gy * y) * _mT(np.linalg.inv(x))  # Jacobi: det(X) X^-T
        except np.linalg.LinAlgError:  # singular: det(X) X^-T is the adjugate, still defined
            return _as_matrix_scalar(gy) * _adjugate_transposed(x)


def _adjugate_transposed(x):
    """adj(X)^T, which is det(X) X^-T where X is invertible, from the SVD X = U S Vh:
    adj(X)^T = det(U) det(Vh) U adj(S) Vh, adj(S) holding the products of the other singular
    values (so it exists for singular matrices too)."""
    u, s, vh = np.linalg.svd(x)
    signs = np.linalg.det(getattr(u, "data", u)) * np.linalg.det(getattr(vh, "data", vh))
    others = _product_of_the_others(s, (np.ndim(s) - 1,))
    return _as_matrix_scalar(signs) * (u * np.expand_dims(others, -2)) @ vh


class LogAbsDet(Op):
    """log |det(x)|, the second result of np.linalg.slogdet."""

    __slots__ = ()

    def forward(self, x):
        return np.linalg.slogdet(x)[1]

    def backward(self, gy, y, x):
        return _as_matrix_scalar(gy) * _mT(np.linalg.inv(x))


# NumPy 1 read a b of shape (..., M) with an a of shape (..., M, M) as a stack of vectors;
# NumPy 2 reads only a 1-d b as a vector.
_STACKED_VECTORS = int(np.__version__.split(".")[0]) < 2


class Solve(Op):
    """x with a @ x = b. As np.linalg.solve: b is a vector (1-d, and under NumPy 1 also a stack
    of vectors (..., M)), otherwise a stack of matrices (..., M, K)."""

    __slots__ = ()
    uses_output = True

    def forward(self, a, b):
        return np.linalg.solve(a, b)

    def backward(self, gy, y, a, b):
        vector = np.ndim(b) == 1 or (_STACKED_VECTORS and np.ndim(b) == np.ndim(a) - 1)
        if vector:  # work with columns: (..., M, 1)
            gy, y = np.reshape(gy, np.shape(gy) + (1,)), np.reshape(y, np.shape(y) + (1,))
        gb = np.linalg.solve(_mT(a), gy)  # a^T gb = gy
        ga = -(gb @ _mT(y)) if self.needs(0) else None
        if vector:
            gb = np.reshape(gb, np.shape(gb)[:-1])
        return ga, (gb if self.needs(1) else None)


class Pinv(Op):
    """The Moore-Penrose pseudo-inverse. Backward is the derivative of A+ for a matrix whose rank
    stays the same nearby (Golub and Pereyra):
    dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+."""

    __slots__ = ("kwargs",)
    uses_output = True

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def forward(self, x):
        return np.linalg.pinv(x, **self.kwargs)

    def backward(self, gy, y, x):
        yT, gT = _mT(y), _mT(gy)
        gyy = gT @ y @ yT          # G^T A+ A+^T
        yyg = yT @ y @ gT          # A+^T A+ G^T
        return (-(yT @ gy @ yT) + gyy - x @ (y @ gyy)
                + yyg - (yyg @ y) @ x)


def inv(x): return Inv()(x)
def det(x): return Det()(x)
def solve(a, b): return Solve()(a, b)
def pinv(x, **kwargs): return Pinv(**kwargs)(x)


SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")


def slogdet(x):
    """(sign, log|det|): the sign is piecewise constant (no gradient); the log a Tensor."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return SlogdetResult(Tensor(np.linalg.slogdet(x.data)[0]), LogAbsDet()(x))
