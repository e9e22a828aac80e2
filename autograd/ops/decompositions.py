"""Cholesky, symmetric eigendecomposition and SVD, for matrices and stacks of them.

An op has one output, so eigh's and svd's several results travel packed in one array and are
taken apart by indexing (the gradient of the parts lands in the packed array the same way).
Backward passes are written with NumPy functions so that they can be differentiated again.

Where the gradient does not exist: eigh's eigenvectors at repeated eigenvalues, svd's singular
vectors at repeated (or, for a non-square matrix, zero) singular values; the formulas divide by
the gaps between them and give inf/NaN there. Cholesky and eigh read only one triangle of the
input (the lower one by default, as LAPACK does); their gradients are those of the function
NumPy computes, so they are zero on the other triangle.
"""
from collections import namedtuple

import numpy as np

from ..graph import Op
from ..tensor import Tensor
from .solve import _mT


def _on_triangle(g, lower):
    """The gradient of f(sym(A)) where sym builds a symmetric matrix from one triangle of A, from
    g, a gradient of f valid for symmetric changes: the off-diagonal entries count twice."""
    both = g + _mT(g)
    eye = np.eye(np.shape(g)[-1], dtype=bool)
    half_diag = np.where(eye, 0.5 * both, 0.0)
    return (np.tril(both) if lower else np.triu(both)) - half_diag


def _gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = np.shape(w)[-1]
    eye = np.eye(n, dtype=bool)
    diff = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, diff))


def _nonzero(g):
    """Whether a gradient can be other than zero: it has a nonzero entry, or it is itself a
    function of something (create_graph: zero here, but not its derivatives)."""
    return (isinstance(g, Tensor) and g.requires_grad) or bool(np.any(np.asarray(g != 0)))


class Cholesky(Op):
    """L, lower triangular, with L L^T = x (x symmetric positive definite, its lower triangle)."""

    __slots__ = ()
    uses_output = True

    def forward(self, x):
        return np.linalg.cholesky(x)

    def backward(self, gy, y, x):
        # For symmetric changes: dL = L phi(L^-1 dA L^-T), phi = lower triangle with the
        # diagonal halved, so the gradient is L^-T phi(L^T gL) L^-1.
        p = _mT(y) @ gy
        eye = np.eye(np.shape(p)[-1], dtype=bool)
        phi = np.tril(p) - np.where(eye, 0.5 * p, 0.0)
        left = np.linalg.solve(_mT(y), phi)                  # L^-T phi
        g = _mT(np.linalg.solve(_mT(y), _mT(left)))          # (L^-T phi) L^-1
        return _on_triangle(g, lower=True)


class Eigh(Op):
    """Eigenvalues w (ascending) and eigenvectors V of a symmetric matrix, packed as one array
    (..., n + 1, n): row 0 holds w, rows 1.. hold V."""

    __slots__ = ("UPLO",)
    uses_output = True

    def __init__(self, UPLO="L"):
        self.UPLO = UPLO

    def forward(self, x):
        w, v = np.linalg.eigh(x, UPLO=self.UPLO)
        return np.concatenate([w[..., None, :], v], axis=-2)

    def backward(self, gy, y, x):
        w, v = y[..., 0, :], y[..., 1:, :]
        gw, gv = gy[..., 0, :], gy[..., 1:, :]
        # dA = V (diag(gw) + F o (V^T gV)) V^T with F[i, j] = 1 / (w[j] - w[i])
        inner = np.expand_dims(gw, -2) * np.eye(np.shape(w)[-1])
        if _nonzero(gv):  # only then: F is infinite at repeated eigenvalues
            inner = inner + _gaps(w) * (_mT(v) @ gv)
        return _on_triangle(v @ inner @ _mT(v), lower=self.UPLO.upper() == "L")


class Svd(Op):
    """The thin SVD x = U diag(s) Vh, packed flat: (..., m*k + k + k*n), k = min(m, n)."""

    __slots__ = ()
    uses_output = True

    def forward(self, x):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        lead = s.shape[:-1]
        return np.concatenate([u.reshape(lead + (-1,)), s, vh.reshape(lead + (-1,))], axis=-1)

    def backward(self, gy, y, x):
        m, n = np.shape(x)[-2:]
        u, s, vh = unpack_svd(y, m, n)
        gu, gs, gvh = unpack_svd(gy, m, n)
        v, gv = _mT(vh), _mT(gvh)
        s_row, s_col = np.expand_dims(s, -2), np.expand_dims(s, -1)
        inner = np.expand_dims(gs, -2) * np.eye(np.shape(s)[-1])
        # The singular vectors' terms only where they have a gradient: they divide by the gaps
        # between singular values (and by the values themselves), infinite where those are 0.
        with_u, with_v = _nonzero(gu), _nonzero(gv)
        if with_u or with_v:
            f = _gaps(s * s)  # 1 / (s_j^2 - s_i^2)
            inner = inner + (f * (_mT(u) @ gu - _mT(gu) @ u)) * s_row
            inner = inner + s_col * (f * (_mT(v) @ gv - _mT(gv) @ v))
        g = u @ inner @ vh
        if with_u and m > n:  # U does not span R^m: the part of gU outside it
            g = g + ((gu - u @ (_mT(u) @ gu)) / s_row) @ vh
        if with_v and n > m:
            g = g + (u / s_row) @ _mT(gv - v @ (_mT(v) @ gv))
        return g


def unpack_svd(packed, m, n):
    k = min(m, n)
    lead = np.shape(packed)[:-1]
    u = np.reshape(packed[..., :m * k], lead + (m, k))
    s = packed[..., m * k:m * k + k]
    vh = np.reshape(packed[..., m * k + k:], lead + (k, n))
    return u, s, vh


EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
SVDResult = namedtuple("SVDResult", "U S Vh")


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def cholesky(x, upper=False):
    x = _t(x)
    if upper:  # the upper factor of A reads A's upper triangle: the lower factor of A^T, transposed
        return _mT(Cholesky()(_mT(x)))
    return Cholesky()(x)


def eigh(x, UPLO="L"):
    packed = Eigh(UPLO)(_t(x))
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def svd(x, full_matrices=True, compute_uv=True, hermitian=False):
    x = _t(x)
    m, n = x.shape[-2:]
    if full_matrices and compute_uv and m != n:
        raise TypeError(
            f"np.linalg.svd of a non-square ({m}x{n}) Tensor with full_matrices=True: the extra "
            "singular vectors are not unique, so they have no gradient; pass "
            "full_matrices=False (the thin SVD)")
    u, s, vh = unpack_svd(Svd()(x), m, n)
    return SVDResult(u, s, vh) if compute_uv else s
