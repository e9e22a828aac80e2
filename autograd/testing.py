"""Tools for property-testing your own gradients with hypothesis.

    from hypothesis import given
    from autograd.testing import float_arrays, assert_gradients_match

    @given(float_arrays((3, 4), avoid=(0.0,)))
    def test_my_abs_op(x):
        assert_gradients_match(lambda t: MyAbs()(t).sum(), x)

hypothesis is a development dependency, not a runtime one: only this module imports it, and
`import autograd` does not import this module.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .check import diagnose, gradcheck
from .tensor import Tensor

__all__ = ["shapes", "float_arrays", "tensors", "broadcastable_shapes",
           "assert_gradients_match"]


def shapes(min_dims=1, max_dims=3, min_side=1, max_side=4):
    """Array shapes with min_dims..max_dims axes of min_side..max_side entries each."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def _away(value, avoid, margin, lo, hi):
    """Move `value` out of the band (a - margin, a + margin) around each point `a` of `avoid`,
    towards the side that stays inside [lo, hi]."""
    for a in avoid:
        if abs(value - a) < margin:
            up, down = a + margin, a - margin
            if value >= a:
                value = up if up <= hi else down
            else:
                value = down if down >= lo else up
    return value


def float_arrays(shape=None, *, min_value=-3.0, max_value=3.0, avoid=(), margin=0.1,
                 dtype=np.float64):
    """Float arrays with entries in [min_value, max_value].

    `shape` is a tuple, a strategy for shapes, or None (a random shape from `shapes()`). `avoid`
    lists points where the function under test has a kink or a singularity (0 for abs, relu or
    1/x): entries keep at least `margin` from each of them. Use min_value > 0 for log and sqrt.
    Keep the avoided points more than 2 * margin apart, and the range wider than the bands.
    """
    if min_value >= max_value:
        raise ValueError(f"float_arrays: min_value {min_value} must be below max_value {max_value}")
    elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                         width=np.dtype(dtype).itemsize * 8)
    if avoid:
        points = tuple(float(a) for a in avoid)
        elements = elements.map(lambda v: _away(v, points, margin, min_value, max_value))
    if shape is None:
        shape = shapes()
    return hnp.arrays(np.dtype(dtype), shape, elements=elements)


def tensors(shape=None, *, requires_grad=True, **kwargs):
    """Tensors built from `float_arrays(shape, **kwargs)`, requiring grad by default."""
    return float_arrays(shape, **kwargs).map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Pairs of shapes (a, b) that broadcast together under NumPy's rules."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda shapes: shapes.input_shapes)


def assert_gradients_match(f, *inputs, expected=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                           fast=False, seed=0):
    """Assert that autograd's gradients of `f(*inputs)` agree with finite differences (see
    `gradcheck`) and, when `expected` is given, with your own derivation.

    Float arrays and floats among `inputs` become float64 Tensors that require grad; integers
    and integer arrays (class labels, say) are passed through as constants; Tensors are passed as
    they are.
    `expected(*inputs)` returns your gradient of `f(*inputs).sum()` with respect to each
    differentiable input (a single array when there is one), computed with NumPy on arrays.
    Raises AssertionError with a readable explanation.
    """
    tensors_in, arrays_in = [], []
    for x in inputs:
        if isinstance(x, Tensor):
            tensors_in.append(x)
            arrays_in.append(x.data)
        else:
            a = np.asarray(x)
            if a.dtype.kind == "f":
                tensors_in.append(Tensor(a, dtype=np.float64, requires_grad=True))
                arrays_in.append(tensors_in[-1].data)
            else:
                tensors_in.append(a)
                arrays_in.append(a)
    gradcheck(f, *tensors_in, eps=eps, atol=atol, rtol=rtol, fast=fast, seed=seed)
    if expected is None:
        return

    leaves = [Tensor(t.data, requires_grad=True) if isinstance(t, Tensor) and t.requires_grad
              else t for t in tensors_in]
    wanted = [i for i, t in enumerate(leaves) if isinstance(t, Tensor) and t.requires_grad]
    out = f(*leaves)
    out.sum().backward()
    mine = expected(*[np.array(a, copy=True) for a in arrays_in])
    if not isinstance(mine, (tuple, list)):  # one array: the gradient of the only input
        mine = (mine,)
    if len(mine) != len(wanted):
        raise AssertionError(f"expected() returned {len(mine)} gradients for "
                             f"{len(wanted)} differentiable inputs")
    problems = []
    for i, g in zip(wanted, mine):
        auto = leaves[i].grad if leaves[i].grad is not None else np.zeros_like(leaves[i].data)
        v = diagnose(g, auto)
        if not v.ok:
            where = f" ({v.where})" if v.where else ""
            problems.append(f"input {i}: {v.diagnosis}{where}, max abs err {v.max_abs_err:.3g}:"
                            f" {v.hint}")
    if problems:
        raise AssertionError("your gradient disagrees with autograd's:\n  " +
                             "\n  ".join(problems))
