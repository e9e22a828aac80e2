"""The op catalogue, continued: the NumPy functions beyond the core that are not elementwise
(scans, products, linear algebra, grids, shape functions) and the core ops that are not
elementwise either. `op_catalogue` imports everything from here: import from there."""
import dataclasses

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from op_catalogue_kinds import (AlongAxis, Function, Kink, Structural, _F, _torch, conditioning,
                                every, singular_values, sorted_gaps, spectrum_gaps, top_gap)

_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


# ----------------------------------------------------------------------------------------------
# Scans along one axis

def _scan(name):
    """PyTorch's scan, on a 0-d tensor as NumPy's: over its one element, as shape (1,)."""
    return lambda x, axis: getattr(x.reshape(1) if x.dim() == 0 else x, name)(dim=axis)


SCANS = [
    AlongAxis("cumsum", lambda x, axis: np.cumsum(x, axis=axis), _scan("cumsum"), np.cumsum),
    AlongAxis("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _scan("cumprod"), np.cumprod),
]


# ----------------------------------------------------------------------------------------------
# Functions checked at given inputs: products, linear algebra, grids, and the ops of the core
# that are not elementwise. `ours` is called on Tensors (mostly as the NumPy function itself),
# `reference` on ndarrays (plain NumPy), `theirs` on torch tensors.

def Fixed(name, ours, reference, shapes, theirs=None, **options):
    """A `Function` entry, written in this file's order: the NumPy reference before PyTorch's
    equivalent."""
    return Function(name, ours, theirs, reference, shapes, **options)


def _well_conditioned(rng, shapes):
    """Square matrices with a dominant diagonal (invertible, away from singular)."""
    return [rng.uniform(-1, 1, s) + 3 * np.eye(s[-1]) if len(s) >= 2 and s[-1] == s[-2]
            else rng.uniform(-1, 1, s) for s in shapes]


def _sym(a):
    """A symmetric positive definite matrix (stack) from any square a, through NumPy functions:
    what the decompositions are applied to when compared with PyTorch."""
    return np.matmul(a, np.swapaxes(a, -1, -2)) + 2.0 * np.eye(np.shape(a)[-1], dtype=a.dtype)


def _torch_sym(a):
    return a @ a.transpose(-1, -2) + 2.0 * _torch().eye(a.shape[-1], dtype=a.dtype)


def _distinct_spectrum(rng, shapes):
    """Matrices whose eigen/singular values are well separated (their vectors are smooth)."""
    out = []
    for s in shapes:
        n = s[-1]
        q, _ = np.linalg.qr(rng.standard_normal(s[:-2] + (n, n)))
        out.append(q * np.arange(1.0, n + 1) @ np.swapaxes(q, -1, -2) + 0.1 * rng.uniform(-1, 1, s))
    return out


def _positive(rng, shapes):
    return [rng.uniform(0.5, 1.5, s) for s in shapes]


def _sorted_grid(rng, shapes):
    return [np.sort(rng.uniform(0, 3, s)) for s in shapes]


def _lower_sym(a):
    """The symmetric matrix a function reading only the lower triangle of a sees."""
    return np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)


def _torch_lower_sym(a):
    return a.tril() + a.tril(-1).transpose(-1, -2)


def _torch_upper_sym(a):
    return a.triu() + a.triu(1).transpose(-1, -2)


def _linalg(name):
    return lambda *xs: getattr(_torch().linalg, name)(*xs)


def _sign_free_eigh(np_mod, a):
    w, v = np_mod.linalg.eigh(a)
    return np_mod.concatenate([w, (v * v).reshape(-1)])  # v * v: free of each vector's sign


def _sign_free_svd(a, concat, svd):
    u, s, vh = svd(a)
    return concat([(u * u).reshape(-1), s.reshape(-1), (vh * vh).reshape(-1)])


def _np_svd(a):
    return np.linalg.svd(a, full_matrices=False)


# Near a singular matrix, or a repeated eigenvalue, gradients grow like 1 / (the distance to
# it) and rounding alone decides the last digits: such inputs are too close to call (`near`).
# The error grows like eps / conditioning; A.T @ A's conditioning is the square of A's.
_NEAR_FLOAT32 = 3e-2
_SINGULAR = Kink(lambda a, *b: conditioning(a), "no derivative at a singular matrix (the op "
                 "fails there, in PyTorch too)", near=1e-3,
                 near_float32=_NEAR_FLOAT32)
_DET_SINGULAR = Kink(lambda a: conditioning(a), "det'(A) = adj(A)^T, which exists at a singular "
                     "A too", "the same (through the SVD)", near=1e-3,
                     near_float32=_NEAR_FLOAT32)
_RANK_DROP = Kink(lambda a: conditioning(a), "pinv's derivative holds where the rank does not "
                  "change nearby; at a rank drop it is the one of the lower rank",
                  "cuts small singular values at another threshold", torch_differs=1, near=1e-3,
                  near_float32=_NEAR_FLOAT32)


def _repeated(values, zero=False, vectors=True):
    """Repeated eigen- or singular values (or a zero singular value: its vectors are not unique
    either). Where the result holds the vectors, even the values differ there: any basis of the
    repeated value's space will do."""
    gaps = (lambda a: spectrum_gaps(values(a)) + conditioning(a)) if zero else \
        (lambda a: spectrum_gaps(values(a)))
    what = "repeated or 0" if zero else "repeated"
    return Kink(gaps, f"no derivative where the values are {what}: their vectors are not unique"
                + (" (any basis of their space)" if vectors else ""), "the same",
                torch_differs=0 if vectors else 1, near=1e-2)


def _top_singular_value_tied(a):
    s = singular_values(np.moveaxis(a, (2, 0), (-2, -1)))
    return [g[..., -1:] for g in spectrum_gaps(s)]


def _sort_theirs(x, axis):
    return _torch().sort(x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis).values


def _partition_theirs(x, kth, axis=-1):
    """PyTorch has no partition: x gathered along NumPy's argpartition of the same values."""
    torch = _torch()
    order = np.argpartition(x.detach().numpy(force=True), kth, axis=axis)
    return torch.take_along_dim(x, torch.from_numpy(order), dim=axis)


_SORT_TIE = Kink(lambda x, axis=-1, **_: sorted_gaps(x, axis),
                 "tied values: the gradient follows np.argsort's order of them",
                 "tied values: the gradient follows torch.sort's order of them", torch_differs=1)
_PARTITION_TIE = Kink(lambda x, axis=-1, **_: sorted_gaps(x, axis),
                      "tied values: the gradient follows np.argpartition's order of them",
                      "the same: PyTorch's side gathers along np.argpartition too")

FIXED = [
    # products
    Fixed("einsum_matmul", lambda a, b: np.einsum("ij,jk->ik", a, b),
          lambda a, b: np.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4)),
          lambda a, b: _torch().einsum("ij,jk->ik", a, b)),
    Fixed("einsum_diagonal", lambda a: np.einsum("ii->i", a), lambda a: np.einsum("ii->i", a),
          ((3, 3),), lambda a: _torch().einsum("ii->i", a)),
    Fixed("einsum_trace_implicit", lambda a: np.einsum("ii", a), lambda a: np.einsum("ii", a),
          ((3, 3),), lambda a: _torch().einsum("ii", a)),
    Fixed("einsum_repeated_with_other", lambda a, b: np.einsum("iij,jk->ik", a, b),
          lambda a, b: np.einsum("iij,jk->ik", a, b), ((3, 3, 2), (2, 4)),
          lambda a, b: _torch().einsum("iij,jk->ik", a, b)),
    Fixed("einsum_sum_inside_one_operand", lambda a, b: np.einsum("ij,k->k", a, b),
          lambda a, b: np.einsum("ij,k->k", a, b), ((2, 3), (4,)),
          lambda a, b: _torch().einsum("ij,k->k", a, b)),
    Fixed("einsum_implicit_outer", lambda a, b: np.einsum("ij,k", a, b),
          lambda a, b: np.einsum("ij,k", a, b), ((2, 3), (4,)),
          lambda a, b: _torch().einsum("ij,k", a, b)),
    Fixed("einsum_ellipsis_broadcast", lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
          lambda a, b: np.einsum("...ij,...jk->...ik", a, b), ((2, 1, 2, 3), (4, 3, 2)),
          lambda a, b: _torch().einsum("...ij,...jk->...ik", a, b)),
    Fixed("einsum_three_operands", lambda a, b, c: np.einsum("ijk,lji,lli->lki", a, b, c),
          lambda a, b, c: np.einsum("ijk,lji,lli->lki", a, b, c), ((3, 2, 2), (2, 2, 3), (2, 2, 3)),
          lambda a, b, c: _torch().einsum("ijk,lji,lli->lki", a, b, c)),
    Fixed("einsum_sublists", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
          lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), ((2, 3), (3, 2)),
          lambda a, b: _torch().einsum(a, [0, 1], b, [1, 2], [0, 2])),
    Fixed("tensordot_2", np.tensordot, np.tensordot, ((2, 3, 4), (3, 4, 2)),
          lambda a, b: _torch().tensordot(a, b, 2)),
    Fixed("tensordot_pairs", lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 1])),
          lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 1])), ((2, 3, 4), (3, 4, 2)),
          lambda a, b: _torch().tensordot(a, b, dims=([0, 2], [2, 1]))),
    Fixed("tensordot_0", lambda a, b: np.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
          ((2,), (3,)), lambda a, b: _torch().tensordot(a, b, 0)),
    Fixed("outer", np.outer, np.outer, ((3,), (2, 2)),
          lambda a, b: _torch().outer(a.reshape(-1), b.reshape(-1))),
    Fixed("inner", np.inner, np.inner, ((2, 3), (4, 3)), lambda a, b: _torch().inner(a, b)),
    Fixed("kron", np.kron, np.kron, ((2, 3), (3, 2)), lambda a, b: _torch().kron(a, b)),
    Fixed("kron_1d_2d", np.kron, np.kron, ((2,), (3, 2)), lambda a, b: _torch().kron(a, b)),
    Fixed("dot_3d_3d", np.dot, np.dot, ((2, 2, 3), (2, 3, 4)),
          lambda a, b: _torch().tensordot(a, b, dims=([-1], [-2]))),
    Fixed("dot_3d_1d", np.dot, np.dot, ((2, 2, 3), (3,)), lambda a, b: a @ b),
    Fixed("matmul_batched_broadcast", np.matmul, np.matmul, ((1, 2, 2), (3, 2, 1)),
          lambda a, b: a @ b),
    Fixed("trace_offset", lambda a: np.trace(a, offset=1, axis1=1, axis2=2),
          lambda a: np.trace(a, offset=1, axis1=1, axis2=2), ((2, 3, 4),),
          lambda a: a.diagonal(offset=1, dim1=1, dim2=2).sum(-1)),
    Fixed("cross", np.cross, np.cross, ((4, 3), (3,)),
          lambda a, b: _torch().linalg.cross(a, b.expand(4, 3))),
    Fixed("cross_axes", lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
          lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), ((3, 2), (2, 3)),
          lambda a, b: _torch().linalg.cross(a.T, b).T),
    # linear algebra
    Fixed("inv", np.linalg.inv, np.linalg.inv, ((2, 3, 3),), _linalg("inv"),
          make=_well_conditioned, kink=_SINGULAR),
    Fixed("det", np.linalg.det, np.linalg.det, ((2, 3, 3),), _linalg("det"),
          make=_well_conditioned, kink=_DET_SINGULAR),
    Fixed("slogdet", lambda a: np.linalg.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1],
          ((2, 3, 3),), lambda a: _torch().linalg.slogdet(a)[1], make=_well_conditioned,
          kink=_SINGULAR),
    Fixed("slogdet_negative_det", lambda a: np.linalg.slogdet(-a)[1],
          lambda a: np.linalg.slogdet(-a)[1], ((3, 3),),
          lambda a: _torch().linalg.slogdet(-a)[1], make=_well_conditioned, kink=_SINGULAR),
    Fixed("solve_matrix", np.linalg.solve, np.linalg.solve, ((3, 3), (2, 3, 2)),
          _linalg("solve"), make=_well_conditioned, kink=_SINGULAR),
    # b a vector for every matrix of the stack: NumPy 2 broadcasts a 1-d b; NumPy 1 takes a
    # stack of vectors (..., M) instead (and a 1-d b only beside one matrix)
    Fixed("solve_vector", np.linalg.solve, np.linalg.solve,
          ((2, 3, 3), (3,) if _NUMPY2 else (2, 3)),
          lambda a, b: _torch().linalg.solve(a, b.expand(2, 3)), make=_well_conditioned,
          kink=_SINGULAR),
    Fixed("pinv_tall", np.linalg.pinv, np.linalg.pinv, ((4, 3),), _linalg("pinv"), kink=_RANK_DROP),
    Fixed("pinv_wide_batched", np.linalg.pinv, np.linalg.pinv, ((2, 2, 4),), _linalg("pinv"),
          kink=_RANK_DROP),
    # rank 2 of 4: the two zero singular values come out as rounding noise (1e-8 of the largest
    # in float32), which NumPy's default rcond (1e-15) would invert; rcond=1e-5 cuts them
    Fixed("pinv_low_rank", lambda a: np.linalg.pinv(a.T @ a, rcond=1e-5),
          lambda a: np.linalg.pinv(a.T @ a, rcond=1e-5),
          ((2, 4),), lambda a: _torch().linalg.pinv(a.T @ a, rtol=1e-5),
          kink=dataclasses.replace(_RANK_DROP, gap=lambda a: [c ** 2 for c in conditioning(a)],
                                   near_float32=0.04)),
    Fixed("cholesky", lambda a: np.linalg.cholesky(_sym(a)), lambda a: np.linalg.cholesky(_sym(a)),
          ((2, 3, 3),), lambda a: _torch().linalg.cholesky(_torch_sym(a))),
    Fixed("cholesky_reads_lower_triangle", np.linalg.cholesky, np.linalg.cholesky, ((3, 3),),
          lambda a: _torch().linalg.cholesky(_torch_lower_sym(a)),
          make=lambda rng, shapes: [_sym(rng.uniform(-1, 1, shapes[0])) + np.triu(np.ones((3, 3)), 1)],
          kink=Kink(lambda a: conditioning(_lower_sym(a)), "no derivative where the matrix is "
                    "singular (and none beyond, where it is not positive definite)", near=1e-3)),
    Fixed("eigh", lambda a: _sign_free_eigh(np, _sym(a)), lambda a: _sign_free_eigh(np, _sym(a)),
          ((3, 3),), lambda a: _sign_free_eigh(_torch(), _torch_sym(a)), make=_distinct_spectrum,
          kink=_repeated(lambda a: np.linalg.eigvalsh(_sym(a)))),
    Fixed("eigh_raw_lower", lambda a: _sign_free_eigh(np, a), lambda a: _sign_free_eigh(np, a),
          ((3, 3),), lambda a: _sign_free_eigh(_torch(), _torch_lower_sym(a)),
          make=_distinct_spectrum, kink=_repeated(np.linalg.eigvalsh)),
    Fixed("eigh_upper", lambda a: np.linalg.eigh(a, UPLO="U")[1] ** 2,
          lambda a: np.linalg.eigh(a, UPLO="U")[1] ** 2, ((2, 3, 3),),
          lambda a: _torch().linalg.eigh(_torch_upper_sym(a))[1] ** 2, make=_distinct_spectrum,
          kink=_repeated(lambda a: np.linalg.eigvalsh(a, UPLO="U"))),
    Fixed("svd", lambda a: _sign_free_svd(a, np.concatenate, _np_svd),
          lambda a: _sign_free_svd(a, np.concatenate, _np_svd), ((4, 3),),
          lambda a: _sign_free_svd(a, _torch().cat, lambda m: _torch().linalg.svd(m, False)),
          kink=_repeated(singular_values, zero=True)),
    Fixed("svd_wide_batched", lambda a: _sign_free_svd(a, np.concatenate, _np_svd),
          lambda a: _sign_free_svd(a, np.concatenate, _np_svd), ((2, 2, 4),),
          lambda a: _sign_free_svd(a, _torch().cat, lambda m: _torch().linalg.svd(m, False)),
          kink=_repeated(singular_values, zero=True)),
    Fixed("svd_values", lambda a: np.linalg.svd(a, compute_uv=False),
          lambda a: np.linalg.svd(a, compute_uv=False), ((3, 4),), _linalg("svdvals"),
          kink=_repeated(singular_values, zero=True, vectors=False)),
    Fixed("norm_vector_ord3", lambda a: np.linalg.norm(a, 3), lambda a: np.linalg.norm(a, 3),
          ((5,),), lambda a: _torch().linalg.vector_norm(a, 3),
          kink=Kink(lambda a: [np.linalg.norm(a, 3)], "the norm's gradient at 0 is 0 (the "
                    "subgradient in the middle)")),
    Fixed("norm_vector_inf_axis", lambda a: np.linalg.norm(a, np.inf, axis=1),
          lambda a: np.linalg.norm(a, np.inf, axis=1), ((3, 4),),
          lambda a: _torch().linalg.vector_norm(a, float("inf"), dim=1),
          kink=Kink(lambda a: top_gap(np.abs(a), axis=1), "values tied for the largest |x| share "
                    "the gradient equally (amax's convention)")),
    Fixed("norm_nuclear", lambda a: np.linalg.norm(a, "nuc"), lambda a: np.linalg.norm(a, "nuc"),
          ((3, 4),), lambda a: _torch().linalg.matrix_norm(a, "nuc"),
          kink=Kink(conditioning, "no derivative where a singular value is 0", "the same (the "
                    "vectors of a zero singular value are not unique)", torch_differs=1,
                    near=1e-3)),
    Fixed("norm_spectral_axes", lambda a: np.linalg.norm(a, 2, axis=(2, 0)),
          lambda a: np.linalg.norm(a, 2, axis=(2, 0)), ((3, 2, 4),),
          lambda a: _torch().linalg.matrix_norm(a, 2, dim=(2, 0)),
          kink=Kink(_top_singular_value_tied, "no derivative where the largest singular value is "
                    "repeated", "the same", torch_differs=1, near=1e-3)),
    Fixed("norm_matrix_1_keepdims", lambda a: np.linalg.norm(a, 1, axis=(0, 1), keepdims=True),
          lambda a: np.linalg.norm(a, 1, axis=(0, 1), keepdims=True), ((3, 4),),
          lambda a: _torch().linalg.matrix_norm(a, 1, keepdim=True),
          kink=Kink(lambda a: top_gap(np.abs(a).sum(0), axis=-1) + [a], "columns tied for the "
                    "largest sum share the gradient equally (amax's convention); |x|'(0) = 0")),
    # grids, differences, statistics
    Fixed("linspace", lambda a, b: np.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
          ((), ()), lambda a, b: a + (b - a) * _torch().linspace(0, 1, 5, dtype=a.dtype)),
    Fixed("linspace_arrays_axis", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1),
          lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), ((2,), (2,)),
          lambda a, b: a[:, None] + (b - a)[:, None] * (_torch().arange(4, dtype=a.dtype) / 4)),
    Fixed("gradient_2d", lambda a: np.stack(np.gradient(a, 0.5)), lambda a: np.stack(np.gradient(a, 0.5)),
          ((4, 5),), lambda a: _torch().stack(_torch().gradient(a, spacing=0.5))),
    Fixed("gradient_coordinates_edge_order_2",
          lambda a: np.gradient(a, [0.0, 0.5, 1.5, 1.75, 3.0], edge_order=2),
          lambda a: np.gradient(a, [0.0, 0.5, 1.5, 1.75, 3.0], edge_order=2), ((5,),),
          lambda a: _torch().gradient(a, spacing=(_torch().tensor([0.0, 0.5, 1.5, 1.75, 3.0],
                                                                  dtype=a.dtype),), edge_order=2)[0]),
    Fixed("diff_twice_with_prepend", lambda a: np.diff(a, n=2, axis=0, prepend=0.5),
          lambda a: np.diff(a, n=2, axis=0, prepend=0.5), ((4, 3),),
          lambda a: _torch().diff(_torch().cat([_torch().full((1, 3), 0.5, dtype=_torch().float64), a]),
                                  n=2, dim=0)),  # NumPy's prepend is a float64 array
    Fixed("average_weights", lambda a, w: np.average(a, axis=1, weights=w),
          lambda a, w: np.average(a, axis=1, weights=w), ((2, 3), (3,)),
          lambda a, w: (a * w).sum(1) / w.sum(), make=_positive),
    Fixed("select", lambda a, b: np.select([a > 0, b > 0.5], [a, b * 2], default=-1.0),
          lambda a, b: np.select([a > 0, b > 0.5], [a, b * 2], default=-1.0), ((2, 3), (2, 3)),
          lambda a, b: _torch().where(a > 0, a, _torch().where(b > 0.5, b * 2, -1.0)),
          kink=Kink(lambda a, b: [a, b - 0.5], "the conditions decide at their boundaries (a > 0 "
                    "is False at 0), as in PyTorch's where")),
    Fixed("nan_to_num_of_inf_and_nan", lambda a: np.nan_to_num(a, nan=0.25, posinf=5.0, neginf=-5.0),
          lambda a: np.nan_to_num(a, nan=0.25, posinf=5.0, neginf=-5.0), ((2, 3),),
          lambda a: _torch().nan_to_num(a, nan=0.25, posinf=5.0, neginf=-5.0),
          make=lambda rng, shapes: [np.array([[0.5, np.inf, np.nan], [-np.inf, 0.3, -2.0]])]),
    Fixed("sort_axis_0", lambda a: np.sort(a, axis=0), lambda a: np.sort(a, axis=0), ((4, 3),),
          lambda a: _torch().sort(a, dim=0).values,
          kink=Kink(lambda a: sorted_gaps(a, 0), _SORT_TIE.ours, _SORT_TIE.torch, torch_differs=1)),
    Fixed("partition_kth_2", lambda a: np.partition(a, 2), lambda a: np.partition(a, 2), ((3, 5),),
          lambda a: _partition_theirs(a, 2),
          kink=Kink(lambda a: sorted_gaps(a, -1), _PARTITION_TIE.ours, _PARTITION_TIE.torch)),
    Fixed("floor_divide", lambda a, b: np.floor_divide(a, b) * a, lambda a, b: np.floor_divide(a, b) * a,
          ((2, 3), (3,)), lambda a, b: _torch().div(a, b, rounding_mode="floor") * a,
          make=lambda rng, shapes: [rng.uniform(1.6, 2.1, shapes[0]), np.full(3, 0.75)],
          kink=Kink(lambda a, b: every(1.0)(a / b), "floor(a / b) jumps where a / b is an integer: "
                    "its derivative is 0 on either side")),
    # shapes (the property tests draw these over random shapes; here for PyTorch and 2nd order)
    Fixed("pad_constant", lambda a: np.pad(a, ((1, 2), (0, 3)), constant_values=0.5),
          lambda a: np.pad(a, ((1, 2), (0, 3)), constant_values=0.5), ((2, 3),),
          lambda a: _F().pad(a, (0, 3, 1, 2), value=0.5)),
    Fixed("pad_reflect", lambda a: np.pad(a, 2, mode="reflect"), lambda a: np.pad(a, 2, mode="reflect"),
          ((3, 4),), lambda a: _F().pad(a[None], (2, 2, 2, 2), mode="reflect")[0]),
    Fixed("pad_edge", lambda a: np.pad(a, (1, 2), mode="edge"), lambda a: np.pad(a, (1, 2), mode="edge"),
          ((3, 4),), lambda a: _F().pad(a[None], (1, 2, 1, 2), mode="replicate")[0]),
    Fixed("sliding_window_view_2d", lambda a: np.lib.stride_tricks.sliding_window_view(a, (2, 3), axis=(1, 2)),
          lambda a: np.lib.stride_tricks.sliding_window_view(a, (2, 3), axis=(1, 2)), ((2, 4, 5),),
          lambda a: a.unfold(1, 2, 1).unfold(2, 3, 1)),
    Fixed("repeat_axis_1", lambda a: np.repeat(a, 2, axis=1), lambda a: np.repeat(a, 2, axis=1), ((2, 3),),
          lambda a: a.repeat_interleave(2, dim=1)),
    Fixed("repeat_per_element", lambda a: np.repeat(a, [1, 0, 3], axis=1),
          lambda a: np.repeat(a, [1, 0, 3], axis=1), ((2, 3),),
          lambda a: a.repeat_interleave(_torch().tensor([1, 0, 3]), dim=1)),
    Fixed("tile_3d", lambda a: np.tile(a, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3)), ((2, 3),),
          lambda a: a.tile((2, 1, 3))),
    Fixed("roll_two_axes", lambda a: np.roll(a, (1, -2), axis=(0, 1)), lambda a: np.roll(a, (1, -2), axis=(0, 1)),
          ((3, 4),), lambda a: a.roll((1, -2), (0, 1))),
    Fixed("rot90_k3", lambda a: np.rot90(a, 3, axes=(1, 2)), lambda a: np.rot90(a, 3, axes=(1, 2)),
          ((2, 3, 4),), lambda a: a.rot90(3, (1, 2))),
    Fixed("diag_1d", lambda a: np.diag(a, -1), lambda a: np.diag(a, -1), ((3,),),
          lambda a: _torch().diag(a, -1)),
    Fixed("tril_batched", lambda a: np.tril(a, -1), lambda a: np.tril(a, -1), ((2, 3, 4),),
          lambda a: a.tril(-1)),
    Fixed("take_along_axis_rows", lambda a: np.take_along_axis(a, np.array([[2, 0, 0], [1, 1, 2]]), 1),
          lambda a: np.take_along_axis(a, np.array([[2, 0, 0], [1, 1, 2]]), 1), ((2, 3),),
          lambda a: a.take_along_dim(_torch().tensor([[2, 0, 0], [1, 1, 2]]), 1)),
    Fixed("flip_fliplr_flipud", lambda a: np.flip(a, (0, 2)) + np.fliplr(a) * np.flipud(a),
          lambda a: np.flip(a, (0, 2)) + np.fliplr(a) * np.flipud(a), ((2, 3, 2),),
          lambda a: a.flip((0, 2)) + a.fliplr() * a.flipud()),
    Fixed("moveaxis_two_axes", lambda a: np.moveaxis(a, [0, 1], [2, 0]), lambda a: np.moveaxis(a, [0, 1], [2, 0]),
          ((2, 3, 4),), lambda a: a.movedim((0, 1), (2, 0))),
    Fixed("swapaxes_keywords_3d", lambda a: np.swapaxes(a, axis1=0, axis2=2),
          lambda a: np.swapaxes(a, axis1=0, axis2=2), ((2, 3, 4),), lambda a: a.swapaxes(0, 2)),
    Fixed("diagonal_offset", lambda a: np.diagonal(a, 1, 2, 0), lambda a: np.diagonal(a, 1, 2, 0),
          ((3, 2, 4),), lambda a: a.diagonal(1, 2, 0)),
    Fixed("stacks", lambda a, b: np.hstack([a, b]) + np.vstack([a, b]).sum() + np.dstack([a, b]).sum(),
          lambda a, b: np.hstack([a, b]) + np.vstack([a, b]).sum() + np.dstack([a, b]).sum(),
          ((3,), (3,)), lambda a, b: _torch().hstack([a, b]) + _torch().vstack([a, b]).sum()
          + _torch().dstack([a, b]).sum()),
    Fixed("column_stack_atleast_3d", lambda a: np.atleast_3d(np.column_stack([a, 2 * a])),
          lambda a: np.atleast_3d(np.column_stack([a, 2 * a])), ((3,),),
          lambda a: _torch().atleast_3d(_torch().column_stack([a, 2 * a]))),
    Fixed("array_split_unequal", lambda a: np.concatenate([p * (i + 1) for i, p in enumerate(np.array_split(a, 3, axis=1))], 1),
          lambda a: np.concatenate([p * (i + 1) for i, p in enumerate(np.array_split(a, 3, axis=1))], 1),
          ((2, 7),), lambda a: _torch().cat([p * (i + 1) for i, p in enumerate(_torch().tensor_split(a, 3, 1))], 1)),
    Fixed("diff_twice", lambda a: np.diff(a, 2, axis=0), lambda a: np.diff(a, 2, axis=0), ((5, 3),),
          lambda a: _torch().diff(a, 2, dim=0)),
    Fixed("take_flat", lambda a: np.take(a, [5, 0, 5, 2]), lambda a: np.take(a, [5, 0, 5, 2]),
          ((2, 3),), lambda a: _torch().take(a, _torch().tensor([5, 0, 5, 2]))),
    # the core ops that are not elementwise
    Fixed("reshape_transpose", lambda a: np.transpose(np.reshape(a, (3, 2)), (1, 0)),
          lambda a: np.transpose(np.reshape(a, (3, 2)), (1, 0)), ((6,),), lambda a: a.reshape(3, 2).T),
    Fixed("getitem_repeated_indices", lambda a: a[np.array([0, 2, 0])] ** 2,
          lambda a: a[np.array([0, 2, 0])] ** 2, ((3, 2),),
          lambda a: a[_torch().tensor([0, 2, 0])] ** 2),
    Fixed("concatenate_stack", lambda a, b: np.stack([np.concatenate([a, b]), np.concatenate([b, a])]),
          lambda a, b: np.stack([np.concatenate([a, b]), np.concatenate([b, a])]), ((2,), (3,)),
          lambda a, b: _torch().stack([_torch().cat([a, b]), _torch().cat([b, a])])),
]


# ----------------------------------------------------------------------------------------------
# Shape functions, drawn over random shapes and arguments by the property tests and the fuzzer.
# `ours` is the same NumPy call on Tensors and on ndarrays (NumPy itself is the reference), unless
# a separate `reference` is given; results may be one tensor or a sequence of them. All but sort
# and partition are affine in x, and PyTorch's side is then the matrix NumPy's function is.

NONE = st.just({})


def _axis(shape, none=True):
    axes = st.integers(-len(shape), len(shape) - 1) if shape else st.nothing()
    return st.one_of(st.none(), axes) if none else axes


def _kw(**strategies):
    return st.fixed_dictionaries(strategies)


def _unique_axes(shape, min_size=1):
    return st.lists(st.integers(0, len(shape) - 1), min_size=min_size, max_size=len(shape),
                    unique=True)


@st.composite
def _repeat(draw, shape):
    axis = draw(_axis(shape))
    if axis is None or draw(st.booleans()):
        return {"repeats": draw(st.integers(0, 3)), "axis": axis}
    return {"repeats": draw(st.lists(st.integers(0, 3), min_size=shape[axis],
                                     max_size=shape[axis])), "axis": axis}


@st.composite
def _split_points(draw, shape, axis):
    n = shape[axis]
    if draw(st.booleans()):
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        return draw(st.sampled_from(divisors))
    return sorted(draw(st.lists(st.integers(0, n), max_size=3)))


@st.composite
def _split(draw, shape):
    axis = draw(st.integers(0, len(shape) - 1))
    return {"indices_or_sections": draw(_split_points(shape, axis)), "axis": axis}


@st.composite
def _moveaxis(draw, shape):
    src = draw(_unique_axes(shape))
    dst = draw(st.permutations(range(len(shape))))[:len(src)]
    return {"source": src, "destination": list(dst)}


@st.composite
def _roll(draw, shape):
    if draw(st.booleans()):
        return {"shift": draw(st.integers(-5, 5)), "axis": draw(_axis(shape))}
    axes = draw(_unique_axes(shape))
    return {"shift": draw(st.lists(st.integers(-5, 5), min_size=len(axes), max_size=len(axes))),
            "axis": axes}


@st.composite
def _two_axes(draw, shape):
    a, b = draw(st.permutations(range(len(shape))))[:2]
    return a, b


@st.composite
def _take(draw, shape):
    axis = draw(_axis(shape))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    mode = draw(st.sampled_from(["raise", "wrap", "clip"]))
    hi = n - 1 if mode == "raise" else n + 3
    idx = draw(st.lists(st.integers(-n if mode == "raise" else -n - 3, hi), min_size=1, max_size=5))
    return {"indices": np.array(idx), "axis": axis, "mode": mode}


@st.composite
def _along_axis(draw, shape):
    axis = draw(st.integers(0, len(shape) - 1))
    out = list(shape)
    out[axis] = draw(st.integers(1, 4))
    idx = draw(st.lists(st.integers(0, shape[axis] - 1), min_size=int(np.prod(out)),
                        max_size=int(np.prod(out))))
    return {"indices": np.array(idx).reshape(out), "axis": axis}


@st.composite
def _put_along_axis(draw, shape):
    axis = draw(st.integers(0, len(shape) - 1))
    out = list(shape)
    out[axis] = 1
    idx = draw(st.lists(st.integers(0, shape[axis] - 1), min_size=int(np.prod(out)),
                        max_size=int(np.prod(out))))
    return {"indices": np.array(idx).reshape(out), "axis": axis}


def _put_reference(x, indices, axis):
    x = x.copy()
    np.put_along_axis(x, indices, 0.5, axis)
    return x


@st.composite
def _windows(draw, shape):
    axes = draw(_unique_axes(shape))
    return {"window_shape": tuple(draw(st.integers(1, shape[a])) for a in axes),
            "axis": tuple(axes)}


@st.composite
def _partition(draw, shape):
    axis = draw(_axis(shape, none=False))
    return {"kth": draw(st.integers(0, shape[axis] - 1)), "axis": axis}


@st.composite
def _diff(draw, shape):
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return {"n": draw(st.integers(0, shape[axis])), "axis": axis}


PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap"]
SIDES = st.tuples(st.integers(0, 3), st.integers(0, 3))

STRUCTURAL = [
    Structural("pad", np.pad, lambda s: _kw(pad_width=st.tuples(*[SIDES] * len(s)),
                                            mode=st.sampled_from(PAD_MODES)),
               shape=(2, 3), kwargs={"pad_width": ((1, 0), (2, 1)), "mode": "reflect"}, min_dims=1),
    Structural("pad_constant_value", lambda x, w: np.pad(x, w, constant_values=-1.5),
               lambda s: _kw(w=st.integers(0, 2)), shape=(2, 3), kwargs={"w": 1}),
    Structural("repeat", np.repeat, _repeat, shape=(2, 3), kwargs={"repeats": [2, 0, 1], "axis": 1},
               min_dims=1),
    Structural("tile", np.tile, lambda s: _kw(reps=st.lists(st.integers(0, 3), max_size=4).map(tuple)),
               shape=(2, 3), kwargs={"reps": (2, 1, 2)}),
    Structural("atleast_1d", np.atleast_1d, lambda s: NONE, shape=(), kwargs={}),
    Structural("atleast_2d", np.atleast_2d, lambda s: NONE, shape=(3,), kwargs={}),
    Structural("atleast_3d", np.atleast_3d, lambda s: NONE, shape=(2, 3), kwargs={}),
    Structural("vstack", lambda x: np.vstack([x, 2 * x]), lambda s: NONE, shape=(3,), kwargs={}),
    Structural("hstack", lambda x: np.hstack([x, 2 * x]), lambda s: NONE, shape=(2, 3), kwargs={}),
    Structural("dstack", lambda x: np.dstack([x, 2 * x]), lambda s: NONE, shape=(2, 3), kwargs={}),
    Structural("column_stack", lambda x: np.column_stack([x, 2 * x]), lambda s: NONE, shape=(3,),
               kwargs={}),
    Structural("split", np.split, _split, shape=(4, 3),
               kwargs={"indices_or_sections": [1, 3], "axis": 0}, min_dims=1),
    Structural("array_split", lambda x, sections, axis: np.array_split(x, sections, axis),
               lambda s: _kw(sections=st.integers(1, 4), axis=st.integers(0, len(s) - 1)),
               shape=(2, 5), kwargs={"sections": 3, "axis": 1}, min_dims=1),
    Structural("hsplit", np.hsplit, lambda s: _split_points(s, 1 if len(s) > 1 else 0).map(
        lambda p: {"indices_or_sections": p}), shape=(2, 4), kwargs={"indices_or_sections": 2},
        min_dims=1),
    Structural("vsplit", np.vsplit, lambda s: _split_points(s, 0).map(
        lambda p: {"indices_or_sections": p}), shape=(4, 2), kwargs={"indices_or_sections": [1]},
        min_dims=2),
    Structural("dsplit", np.dsplit, lambda s: _split_points(s, 2).map(
        lambda p: {"indices_or_sections": p}), shape=(1, 2, 4),
        kwargs={"indices_or_sections": [1, 3]}, min_dims=3),
    Structural("moveaxis", np.moveaxis, _moveaxis, shape=(2, 3, 4),
               kwargs={"source": [0, 2], "destination": [1, 0]}, min_dims=1),
    Structural("rollaxis", np.rollaxis, lambda s: _kw(axis=_axis(s, none=False),
                                                      start=st.integers(-len(s), len(s))),
               shape=(2, 3, 4), kwargs={"axis": 2, "start": 0}, min_dims=1),
    Structural("swapaxes_keywords", np.swapaxes, lambda s: _two_axes(s).map(
        lambda ab: {"axis1": ab[0], "axis2": ab[1]}) if len(s) > 1 else
        _kw(axis1=st.just(0), axis2=st.just(-1)), shape=(2, 3, 4),
        kwargs={"axis1": 0, "axis2": 2}, min_dims=1),
    Structural("roll", np.roll, _roll, shape=(3, 4), kwargs={"shift": [1, -2], "axis": [0, 1]},
               min_dims=1),
    Structural("flip", np.flip, lambda s: _kw(axis=st.one_of(st.none(), _unique_axes(s).map(tuple))),
               shape=(2, 3, 4), kwargs={"axis": (0, 2)}, min_dims=1),
    Structural("fliplr", np.fliplr, lambda s: NONE, shape=(2, 3), kwargs={}, min_dims=2),
    Structural("flipud", np.flipud, lambda s: NONE, shape=(3, 2), kwargs={}, min_dims=1),
    Structural("rot90", np.rot90, lambda s: _kw(k=st.integers(-3, 5), axes=_two_axes(s)),
               shape=(2, 3, 4), kwargs={"k": 3, "axes": (1, 2)}, min_dims=2),
    Structural("diagonal", np.diagonal, lambda s: _two_axes(s).flatmap(lambda ab: _kw(
        offset=st.integers(-3, 3), axis1=st.just(ab[0]), axis2=st.just(ab[1]))),
        shape=(3, 2, 4), kwargs={"offset": 1, "axis1": 2, "axis2": 0}, min_dims=2),
    Structural("diag", np.diag, lambda s: _kw(k=st.integers(-3, 3)), shape=(3, 4), kwargs={"k": 1},
               min_dims=1, max_dims=2),
    Structural("tril", np.tril, lambda s: _kw(k=st.integers(-3, 3)), shape=(2, 3, 4),
               kwargs={"k": -1}, min_dims=2),
    Structural("triu", np.triu, lambda s: _kw(k=st.integers(-3, 3)), shape=(3, 4), kwargs={"k": 1},
               min_dims=2),
    Structural("append", lambda x, axis: np.append(x, x, axis), lambda s: _kw(axis=_axis(s)),
               shape=(2, 3), kwargs={"axis": None}, min_dims=1),
    Structural("take", np.take, _take, shape=(2, 3),
               kwargs={"indices": np.array([7, 0, 7, -2]), "axis": None, "mode": "wrap"}, min_dims=1),
    Structural("take_along_axis", np.take_along_axis, _along_axis, shape=(2, 3),
               kwargs={"indices": np.array([[2, 0, 0], [1, 1, 2]]), "axis": 1}, min_dims=1),
    Structural("put_along_axis", lambda x, indices, axis: ag.put_along_axis(x, indices, 0.5, axis),
               _put_along_axis, shape=(2, 3), kwargs={"indices": np.array([[2], [0]]), "axis": 1},
               min_dims=1, reference=_put_reference),
    Structural("sliding_window_view", np.lib.stride_tricks.sliding_window_view, _windows,
               shape=(2, 4, 5), kwargs={"window_shape": (2, 3), "axis": (1, 2)}, min_dims=1),
    Structural("sort", np.sort, lambda s: _kw(axis=_axis(s)), shape=(3, 4), kwargs={"axis": 0},
               min_dims=1, distinct=True, theirs=_sort_theirs, kink=_SORT_TIE),
    Structural("partition", np.partition, _partition, shape=(3, 5), kwargs={"kth": 2, "axis": -1},
               min_dims=1, distinct=True, theirs=_partition_theirs, kink=_PARTITION_TIE),
    Structural("diff", np.diff, _diff, shape=(5, 3), kwargs={"n": 2, "axis": 0}, min_dims=1),
    Structural("trace", np.trace, lambda s: _two_axes(s).flatmap(lambda ab: _kw(
        offset=st.integers(-2, 2), axis1=st.just(ab[0]), axis2=st.just(ab[1]))),
        shape=(2, 3, 4), kwargs={"offset": 1, "axis1": 1, "axis2": 2}, min_dims=2),
]
