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


class Linear(Op):
    """x @ W.T + b in one op (PyTorch's layout: W is (out_features, in_features)). Fused so the
    bias is added into the product's buffer instead of a new array."""

    __slots__ = ()

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
        gW = None
        if self.needs(1):
            rows = math.prod(x.shape[:-1])  # not -1: a size-0 shape leaves -1 undetermined
            gW = _mT(g.reshape(rows, g.shape[-1])) @ x.reshape(rows, x.shape[-1])
        return (gx, gW) if b is None else (gx, gW, gy)  # gy: summed to b's shape by the engine
