"""Matrix products: matmul (1-D, 2-D and batched, as NumPy) and the fused linear layer."""
import math

import numpy as np

from ..graph import Op, sum_to


def _mT(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    return x.swapaxes(-1, -2)


class Matmul(Op):
    """a @ b. A 1-D operand is a row (first) or column (second) vector that is dropped from the
    result, exactly as np.matmul; leading batch axes broadcast (and the engine sums the gradient
    of a broadcast operand back to its shape)."""

    __slots__ = ()
    symbol = "z"

    def code(self, a, b):
        na, nb = np.ndim(a), np.ndim(b)
        if na == 1 and nb == 1:
            return "a @ b", ("gy * b", "gy * a")
        if na <= 2 and nb <= 2:
            return "a @ b", ("np.outer(gy, b)" if nb == 1 else "gy @ b.T",
                             "np.outer(a, gy)" if na == 1 else "a.T @ gy")
        # batches of matrices (a vector operand gets its dropped axis back first)
        a2 = "a[None, :]" if na == 1 else "a"
        b2 = "b[:, None]" if nb == 1 else "b"
        g2 = "gy[..., None, :]" if na == 1 else "gy[..., :, None]" if nb == 1 else "gy"
        ga, gb = f"{g2} @ np.swapaxes({b2}, -1, -2)", f"np.swapaxes({a2}, -1, -2) @ {g2}"
        ga = f"({ga})[..., 0, :]" if na == 1 else ga
        gb = f"({gb})[..., 0]" if nb == 1 else gb
        return "a @ b", (ga, gb)

    def tex(self, a, b):
        return "a b", (r"gy\, b^\top", r"a^\top gy")

    def forward(self, a, b):
        return np.matmul(a, b)

    def backward(self, gy, y, a, b):
        a_vec, b_vec = np.ndim(a) == 1, np.ndim(b) == 1
        if a_vec and b_vec:  # inner product: gy is a scalar
            return (gy * b if self.needs(0) else None), (gy * a if self.needs(1) else None)
        # Give the vectors and gy back their dropped axes, so every case is matrix @ matrix.
        a2 = a.reshape(1, -1) if a_vec else a
        b2 = b.reshape(-1, 1) if b_vec else b
        if a_vec:
            gy = np.expand_dims(gy, -2)
        if b_vec:
            gy = np.expand_dims(gy, -1)
        ga = gb = None
        if self.needs(0):
            ga = gy @ _mT(b2)
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:]) if a_vec else ga  # no -1: may be empty
        if self.needs(1):
            gb = _mT(a2) @ gy
            gb = gb.reshape(gb.shape[:-2] + gb.shape[-2:-1]) if b_vec else gb
        return ga, gb


def _weight_gradient(g, x, W):
    """g.T @ x, summed over the batch (and any other leading axes) by one product, and laid out in
    memory like W: an optimizer's elementwise update then runs through both in the same order.
    (nn.Linear keeps W column-major: see there.)"""
    if g.ndim != 2:
        rows = math.prod(x.shape[:-1])  # not -1: a size-0 shape leaves -1 undetermined
        g, x = g.reshape(rows, g.shape[-1]), x.reshape(rows, x.shape[-1])
    if isinstance(W, np.ndarray) and W.flags.f_contiguous and not W.flags.c_contiguous:
        gW = np.empty(W.shape, g.dtype if g.dtype == x.dtype else np.result_type(g, x), order="F")
        np.matmul(x.T, g, out=gW.T)  # (x.T @ g).T, the same numbers, written column-major
        return gW
    return g.T @ x


class Linear(Op):
    """x @ W.T + b in one op (PyTorch's layout: W is (out_features, in_features)). Fused so the
    bias is added into the product's buffer instead of a new array."""

    __slots__ = ()
    symbol = "z"

    def code(self, x, W, b=None):
        gW = "gy.T @ x" if np.ndim(x) == 2 else \
            "gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])"
        return ("x @ W.T" + ("" if b is None else " + b"),
                ("gy @ W", gW) + (() if b is None else ("gy",)))

    def tex(self, x, W, b=None):
        return (r"x W^\top" + ("" if b is None else " + b"),
                (r"gy\, W", r"gy^\top x") + (() if b is None else ("gy",)))

    def forward(self, x, W, b=None):
        y = np.matmul(x, W.T)
        if b is not None:
            if b.dtype == y.dtype and (b.shape == y.shape[-1:] or
                                       np.broadcast_shapes(y.shape, b.shape) == y.shape):
                y += b
            else:  # b would upcast or enlarge y: keep NumPy's dtype and broadcasting rules
                y = y + b
        return y

    def backward(self, gy, y, x, W, b=None):
        g = sum_to(gy, x.shape[:-1] + W.shape[:1])  # a bias may have broadcast y beyond x @ W.T
        gx = g @ W if self.needs(0) else None
        gW = _weight_gradient(g, x, W) if self.needs(1) else None
        if b is None:
            return gx, gW
        if not self.needs(2):
            return gx, gW, None
        if gy.ndim == 2 and np.shape(b) == gy.shape[1:]:
            return gx, gW, gy.sum(axis=0)  # the everyday bias: its gradient sums over the batch
        return gx, gW, gy  # any other bias shape: the engine sums gy back to it
