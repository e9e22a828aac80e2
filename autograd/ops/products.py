"""Products of tensors beyond matmul, as compositions: tensordot (transpose, reshape, one
matmul), outer, inner, kron, dot of N-d operands, trace, cross. einsum is an op of its own
(einsum.py)."""
import numpy as np

from ..tensor import Tensor
from . import matmul, multiply, stack, sum
from .rearrange import _axes, diagonal, moveaxis


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _shape(x):
    return np.shape(x.data if isinstance(x, Tensor) else x)


def tensordot(a, b, axes=2):
    """Sum a's `axes[0]` against b's `axes[1]` (or a's last N against b's first N for an int N):
    both operands are laid out as matrices (free axes, summed axes) and multiplied once."""
    a, b = _t(a), _t(b)
    if np.ndim(axes) == 0:
        n = int(axes)
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes_a, axes_b = axes
        axes_a = _axes(axes_a, a.ndim) if a.ndim or np.ndim(axes_a) else []
        axes_b = _axes(axes_b, b.ndim) if b.ndim or np.ndim(axes_b) else []
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError(f"tensordot: the summed axes do not match: {a.shape} on {axes_a}, "
                         f"{b.shape} on {axes_b}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    k = int(np.prod([a.shape[i] for i in axes_a]))
    left = a.transpose(free_a + axes_a).reshape(-1, k)
    right = b.transpose(axes_b + free_b).reshape(k, -1)
    return matmul(left, right).reshape(tuple(a.shape[i] for i in free_a) +
                                       tuple(b.shape[j] for j in free_b))


def outer(a, b):
    """The outer product of a and b, both flattened first (np.outer)."""
    return multiply(_t(a).reshape(-1, 1), _t(b).reshape(1, -1))


def inner(a, b):
    """Sum over the last axes of a and b; a product when either is a scalar."""
    if len(_shape(a)) == 0 or len(_shape(b)) == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def dot_nd(a, b):
    """np.dot beyond matrices: sum over the last axis of a and the second-to-last of b (the
    only axis of a 1-d b)."""
    return tensordot(a, b, axes=([-1], [-2 if len(_shape(b)) > 1 else 0]))


def kron(a, b):
    """Block (i, j, ...) of the result is a[i, j, ...] * b: interleave the axes of a and b so
    that one broadcast multiplication makes every block, then merge each pair."""
    a, b = _t(a), _t(b)
    d = max(a.ndim, b.ndim)
    sa, sb = (1,) * (d - a.ndim) + a.shape, (1,) * (d - b.ndim) + b.shape
    blocks = multiply(a.reshape([k for n in sa for k in (n, 1)]),
                      b.reshape([k for n in sb for k in (1, n)]))
    return blocks.reshape(tuple(m * n for m, n in zip(sa, sb)))


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal (`offset`) of the plane `axis1`, `axis2` (np.trace)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors: the z component; a 2-vector with a
    3-vector: its z taken as 0), vectors along axisa / axisb, the result's along axisc."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(_t(a), axisa, -1), moveaxis(_t(b), axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: vectors must have 2 or 3 components; got {na} and {nb}")
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == nb == 2:
        return z
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    else:
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    out = stack([x, y, z], axis=-1)
    return moveaxis(out, -1, axisc)
