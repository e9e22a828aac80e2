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


def _mT_code(name, ndim):
    """The matrix transpose as code: `a.T` for a matrix, np.swapaxes for a stack of them."""
    return f"{name}.T" if ndim == 2 else f"np.swapaxes({name}, -1, -2)"


def _per_matrix_code(g, ndim):
    """A number per matrix (a det's gradient) shaped to scale whole matrices."""
    return g if ndim == 2 else f"({g})[..., None, None]"


def _as_matrix_scalar(g):
    """A gradient of one number per matrix, shaped to scale whole matrices."""
    return np.reshape(g, np.shape(g) + (1, 1))


class Inv(Op):
    __slots__ = ()

    def code(self, x):
        yT = _mT_code("y", np.ndim(x))
        return "np.linalg.inv(x)", f"-({yT} @ gy @ {yT})"

    def tex(self, x):
        return "x^{-1}", r"-y^\top gy\, y^\top"

    def forward(self, x):
        return np.linalg.inv(x)

    def backward(self, gy, y, x):
        return -(_mT(y) @ gy @ _mT(y))  # d(X^-1) = -X^-1 dX X^-1


class Det(Op):
    __slots__ = ()

    def code(self, x):
        n = np.ndim(x)
        try:
            np.linalg.inv(x)
        except np.linalg.LinAlgError:  # singular: det(X) X^-T is the adjugate, from the SVD
            return "np.linalg.det(x)", (
                "u, s, vh = np.linalg.svd(x)\n"
                f"gx = {_per_matrix_code('gy * np.linalg.det(u) * np.linalg.det(vh)', n)} * "
                f"(u * np.prod(np.where(np.eye({np.shape(x)[-1]}, dtype=bool), 1, "
                "s[..., None, :]), axis=-1)[..., None, :]) @ vh")
        return "np.linalg.det(x)", \
            f"{_per_matrix_code('gy * y', n)} * {_mT_code('np.linalg.inv(x)', n)}"

    def tex(self, x):
        return r"\det x", r"gy\, y\, x^{-\top}"

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

    def code(self, x):
        n = np.ndim(x)
        return ("np.linalg.slogdet(x)[1]",
                f"{_per_matrix_code('gy', n)} * {_mT_code('np.linalg.inv(x)', n)}")

    def tex(self, x):
        return r"\log |\det x|", r"gy\, x^{-\top}"

    def forward(self, x):
        return np.linalg.slogdet(x)[1]

    def backward(self, gy, y, x):
        return _as_matrix_scalar(gy) * _mT(np.linalg.inv(x))


# NumPy 1 read a b of shape (..., M) with an a of shape (..., M, M) as a stack of vectors;
# NumPy 2 reads only a 1-d b as a vector.
_STACKED_VECTORS = int(np.__version__.split(".")[0]) < 2


def _vector(a, b):
    return np.ndim(b) == 1 or (_STACKED_VECTORS and np.ndim(b) == np.ndim(a) - 1)


class Solve(Op):
    """x with a @ x = b. As np.linalg.solve: b is a vector (1-d, and under NumPy 1 also a stack
    of vectors (..., M)), otherwise a stack of matrices (..., M, K)."""

    __slots__ = ()

    def code(self, a, b):
        n = np.ndim(a)
        aT = _mT_code("a", n)
        if n == 2 and np.ndim(b) <= 2:  # a @ y = b for one matrix: the textbook case
            gb = f"np.linalg.solve({aT}, gy)"
            return "np.linalg.solve(a, b)", (
                f"-np.outer({gb}, y)" if np.ndim(b) == 1 else f"-{gb} @ y.T", gb)
        if _vector(a, b):  # b a vector (a stack of them): solve for columns
            gb = f"np.linalg.solve({aT}, gy[..., None])"
            return "np.linalg.solve(a, b)", (f"-{gb} @ y[..., None, :]", f"{gb}[..., 0]")
        gb = f"np.linalg.solve({aT}, gy)"
        return "np.linalg.solve(a, b)", (f"-{gb} @ np.swapaxes(y, -1, -2)", gb)

    def tex(self, a, b):
        return "a^{-1} b", (r"-a^{-\top} gy\, y^\top", r"a^{-\top} gy")

    def forward(self, a, b):
        return np.linalg.solve(a, b)

    def backward(self, gy, y, a, b):
        vector = _vector(a, b)
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

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def code(self, x):
        more = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        yT, gT = _mT_code("y", np.ndim(x)), _mT_code("gy", np.ndim(x))
        # the three terms of the formula above, as backward groups them
        return f"np.linalg.pinv(x{more})", (
            f"-({yT} @ gy @ {yT}) + {gT} @ y @ {yT} - x @ (y @ ({gT} @ y @ {yT})) "
            f"+ {yT} @ y @ {gT} - ({yT} @ y @ {gT} @ y) @ x")

    def tex(self, x):
        return "x^{+}", (r"-y^\top gy\, y^\top + (I - x y)\, gy^\top y\, y^\top "
                         r"+ y^\top y\, gy^\top (I - y x)")

    def forward(self, x):
        return np.linalg.pinv(x, **self.kwargs)

    def backward(self, gy, y, x):
        yT, gT = _mT(y), _mT(gy)
        gyy = gT @ y @ yT          # G^T A+ A+^T
        yyg = yT @ y @ gT          # A+^T A+ G^T
        return (-(yT @ gy @ yT) + gyy - x @ (y @ gyy)
                + yyg - (yyg @ y) @ x)


def inv(x):
    """The inverse of a square matrix, or of each in a stack (np.linalg.inv)."""
    return Inv()(x)


def det(x):
    """The determinant of a square matrix, or of each in a stack (np.linalg.det)."""
    return Det()(x)


def solve(a, b):
    """x with a @ x = b (np.linalg.solve); a and b both get gradients."""
    return Solve()(a, b)


def pinv(x, **kwargs):
    """The Moore-Penrose pseudo-inverse (np.linalg.pinv); keyword arguments go to it."""
    return Pinv(**kwargs)(x)


SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")


def slogdet(x):
    """(sign, log|det|): the sign is piecewise constant (no gradient); the log a Tensor."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return SlogdetResult(Tensor(np.linalg.slogdet(x.data)[0]), LogAbsDet()(x))
