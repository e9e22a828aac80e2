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
from .solve import _mT, _mT_code


def _on_triangle(g, lower):
    """The gradient of f(sym(A)) where sym builds a symmetric matrix from one triangle of A, from
    g, a gradient of f valid for symmetric changes: the off-diagonal entries count twice."""
    both = g + _mT(g)
    eye = np.eye(np.shape(g)[-1], dtype=bool)
    half_diag = np.where(eye, 0.5 * both, 0.0)
    return (np.tril(both) if lower else np.triu(both)) - half_diag


def _on_triangle_code(g, x, lower):
    """_on_triangle as code, for input x: `np.tril(g + g.T) - np.eye(3) * g`."""
    n = np.shape(x)[-1]
    return (f"np.{'tril' if lower else 'triu'}({g} + {_mT_code(g, np.ndim(x))}) "
            f"- np.eye({n}) * {g}")


def _row_col_code(v, ndim):
    """v along the rows and along the columns of a matrix: `v`, `v[:, None]` for one matrix."""
    return (v, f"{v}[:, None]") if ndim == 2 else (f"{v}[..., None, :]", f"{v}[..., :, None]")


def _diag_code(v, n, ndim):
    return f"np.diag({v})" if ndim == 2 else f"{v}[..., None, :] * np.eye({n})"


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

    def code(self, x):
        nd, n = np.ndim(x), np.shape(x)[-1]
        yT = _mT_code("y", nd)
        left = _mT_code(f"np.linalg.solve({yT}, gx)", nd)   # (L^-T phi)^T
        return "np.linalg.cholesky(x)", "\n".join([
            f"gx = {yT} @ gy",
            f"gx = np.tril(gx) - 0.5 * np.eye({n}) * gx",  # phi: lower triangle, half diagonal
            f"gx = {_mT_code(f'np.linalg.solve({yT}, {left})', nd)}",  # L^-T phi L^-1
            "gx = " + _on_triangle_code("gx", x, True)])

    def tex(self, x):
        return (r"\operatorname{cholesky}(x)",
                r"\operatorname{tril}(S + S^\top) - I \odot S,\ S = y^{-\top} \Phi(y^\top gy)\, "
                r"y^{-1},\ \Phi(A) = \operatorname{tril}(A) - \tfrac{1}{2} I \odot A")

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

    def __init__(self, UPLO="L"):
        self.UPLO = UPLO

    def code(self, x):
        nd, n = np.ndim(x), np.shape(x)[-1]
        uplo = "" if self.UPLO == "L" else ", UPLO=UPLO"
        if nd == 2:  # w on top of V: (n + 1, n)
            forward = f"np.vstack(np.linalg.eigh(x{uplo}))"
            w, v, gw, gv = "y[0]", "y[1:]", "gy[0]", "gy[1:]"
        else:
            forward = (f"y = np.linalg.eigh(x{uplo}); "
                       "y = np.concatenate([y[0][..., None, :], y[1]], axis=-2)")
            w, v, gw, gv = "y[..., 0, :]", "y[..., 1:, :]", "gy[..., 0, :]", "gy[..., 1:, :]"
        inner = _diag_code(gw, n, nd)
        if np.all(np.diff(np.linalg.eigvalsh(x, UPLO=self.UPLO), axis=-1) != 0):
            # distinct eigenvalues: the eigenvectors' term, F[i, j] = 1 / (w[j] - w[i])
            w_row, w_col = _row_col_code(w, nd)
            inner += (f" + (1 - np.eye({n})) / ({w_row} - {w_col} + np.eye({n}))"
                      f" * ({_mT_code(v, nd)} @ {gv})")
        return forward, "\n".join([
            f"gx = {v} @ ({inner}) @ {_mT_code(v, nd)}",
            "gx = " + _on_triangle_code("gx", x, self.UPLO.upper() == "L")])

    def tex(self, x):
        return (r"\operatorname{eigh}(x)",
                r"\operatorname{sym}\big(V (\operatorname{diag}(\delta_{w}) + F \odot V^\top "
                r"\delta_{V}) V^\top\big),\ (w, V) = y,\ (\delta_{w}, \delta_{V}) = gy,\ "
                r"F_{ij} = \frac{1}{w_j - w_i}")

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

    def code(self, x):
        nd, (m, n) = np.ndim(x), np.shape(x)[-2:]
        k = min(m, n)
        lead = "" if nd == 2 else "..., "
        flat = "-1" if nd == 2 else ", ".join(map(str, np.shape(x)[:-2])) + ", -1"
        forward = ("y = np.linalg.svd(x, full_matrices=False); y = np.concatenate("
                   f"[y[0].reshape({flat}), y[1], y[2].reshape({flat})], axis=-1)")

        def parts(g):
            shape = lambda r, c: ", ".join(map(str, np.shape(x)[:-2] + (r, c)))
            return (f"{g}[{lead}:{m * k}].reshape({shape(m, k)}), {g}[{lead}{m * k}:{m * k + k}], "
                    f"{g}[{lead}{m * k + k}:].reshape({shape(k, n)})")
        uT, vhT, guT, gvhT = (_mT_code(a, nd) for a in ("u", "vh", "gu", "gvh"))
        s_row, s_col = _row_col_code("s", nd)
        lines = [f"u, s, vh = {parts('y')}", f"gu, gs, gvh = {parts('gy')}"]
        inner = _diag_code("gs", k, nd)
        s_ = np.linalg.svd(x, compute_uv=False)
        distinct = np.all(np.diff(s_, axis=-1) != 0) and np.all(s_ > 0)
        if distinct:  # the singular vectors' terms: they divide by the gaps between the values
            lines.append(f"f = (1 - np.eye({k})) / ({s_row}**2 - {s_col}**2 + np.eye({k}))")
            inner += (f" + f * ({uT} @ gu - {guT} @ u) * {s_row}"
                      f" + {s_col} * (f * (vh @ {gvhT} - gvh @ {vhT}))")
        lines.append(f"gx = u @ ({inner}) @ vh")
        if distinct and m > n:  # U does not span R^m: the part of gU outside it
            lines.append(f"gx = gx + (gu - u @ ({uT} @ gu)) / {s_row} @ vh")
        if distinct and n > m:
            lines.append(f"gx = gx + u / {s_row} @ (gvh - gvh @ {vhT} @ vh)")
        return forward, "\n".join(lines)

    def tex(self, x):
        return (r"\operatorname{svd}(x)",
                r"U \big(\operatorname{diag}(\delta_{s}) + (F \odot [U^\top \delta_{U}]_{-}) S "
                r"+ S (F \odot [V^\top \delta_{V}]_{-})\big) V^\top "
                r"+ (I - U U^\top) \delta_{U} S^{-1} V^\top "
                r"+ U S^{-1} \delta_{V}^\top (I - V V^\top),"
                r"\ (U, s, V^\top) = y,\ (\delta_{U}, \delta_{s}, \delta_{V^\top}) = gy,\ "
                r"F_{ij} = \frac{1}{s_j^2 - s_i^2},\ [A]_{-} = A - A^\top")

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
    """The lower-triangular L with L @ L.T = x, for a symmetric positive-definite x
    (np.linalg.cholesky; upper=True: the upper factor)."""
    x = _t(x)
    if upper:  # the upper factor of A reads A's upper triangle: the lower factor of A^T, transposed
        return _mT(Cholesky()(_mT(x)))
    return Cholesky()(x)


def eigh(x, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (np.linalg.eigh); no gradient
    where eigenvalues repeat."""
    packed = Eigh(UPLO)(_t(x))
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def svd(x, full_matrices=True, compute_uv=True, hermitian=False):
    """U, S, Vh with x = U @ diag(S) @ Vh (np.linalg.svd; compute_uv=False: S alone); a non-square x
    needs full_matrices=False."""
    x = _t(x)
    m, n = x.shape[-2:]
    if full_matrices and compute_uv and m != n:
        raise TypeError(
            f"np.linalg.svd of a non-square ({m}x{n}) Tensor with full_matrices=True: the extra "
            "singular vectors are not unique, so they have no gradient; pass "
            "full_matrices=False (the thin SVD)")
    u, s, vh = unpack_svd(Svd()(x), m, n)
    return SVDResult(u, s, vh) if compute_uv else s
