"""The kinds of entry of the op catalogue (op_catalogue.py, op_catalogue_numpy.py): what an entry
says about an op, and how it is called on example inputs (`example()`).

Every entry has a `name`, `ours` (glassgrad's function, called on Tensors), `reference` (the
same function on ndarrays: plain NumPy) and `theirs` (PyTorch's equivalent, called on torch
tensors; a composition of torch functions where PyTorch has no function of its own). Each kind
adds how the op is called:

    Unary        one tensor, elementwise
    Binary       two tensors, elementwise with broadcasting
    Reduction    (x, axis, keepdims)
    AlongAxis    (x, axis): softmax, log_softmax, cumsum, cumprod
    Function     any other function, at example inputs of fixed shapes: products, linear
                 algebra, grids, the shape ops of the core, nn's losses
    Structural   a shape function whose arguments (axes, widths, indices) are drawn at random for
                 the tensor's shape by a hypothesis strategy
    Assignment   x[index] = v and its kin, on a tensor in a graph

Where an op has a kink or a tie, its `kink` (a `Kink`) says which derivative glassgrad takes
there beside the one PyTorch takes. The property tests, the PyTorch oracle, the in-place checks
and the differential fuzzer (test_fuzz_torch.py, fuzz_catalogue.py) draw from every kind.
PyTorch is imported only when a `theirs` function is called, so the catalogue is usable
without it.
"""
from dataclasses import dataclass, field
import importlib

import numpy as np


def _torch():
    return importlib.import_module("torch")


def _F():
    return importlib.import_module("torch.nn.functional")


@dataclass(frozen=True)
class Domain:
    """Safe input values: [lo, hi] without the kinks (each kept at least `margin` away)."""

    lo: float = -2.0
    hi: float = 2.0
    kinks: tuple = ()
    margin: float = 0.05

    def sample(self, rng, shape):
        x = rng.uniform(self.lo, self.hi, size=shape)
        for k in self.kinks:  # push values off a kink, staying inside [lo, hi]
            near = np.abs(x - k) < self.margin
            x = np.where(near, np.where(x >= k, k + 2 * self.margin, k - 2 * self.margin), x)
        return x

    def allows(self, value):
        far_from_kinks = all(abs(value - k) >= self.margin for k in self.kinks)
        return self.lo <= value <= self.hi and far_from_kinks


ANY = Domain()
POSITIVE = Domain(0.2, 3.0)


@dataclass(frozen=True)
class Kink:
    """Where an op is not differentiable (or jumps), and the derivative each engine takes there.

    `gap` takes the op's operands as NumPy arrays (a Reduction's also `axis=`) and gives arrays
    that are exactly 0 on the kink, their signs telling the sides apart; `tie` means the kink is
    two or more zeros in one reduced group (max: a tie for the maximum; one zero is just the
    maximum). `ours` is glassgrad's convention, `torch` PyTorch's, and `torch_differs` the first
    derivative order at which they differ (None: they agree at every order; 0: even the values
    differ). A gap within `near` of 0 but not 0 is too close to call: rounding alone may decide
    the side (a variance of 1e-33 left by rounding, where the exact one is 0; a matrix singular
    but for rounding). `near_float32`, where given, is that threshold in a float32 program: near
    a singular matrix float32's 7 digits leave fewer than its tolerance asks for. `at`: operands
    that lie on the kink, for the tests of the conventions (None: the kind's usual ones)."""

    gap: object
    ours: str
    torch: str = "the same"
    tie: bool = False
    torch_differs: object = None
    near: float = 0.0
    near_float32: float = None
    at: tuple = None

    def hit(self, *operands, **axis):
        """Whether these operands lie exactly on the kink."""
        for g in self.gap(*operands, **axis):
            zero = np.asarray(g) == 0
            if self.tie:
                zero = zero.sum(axis=axis.get("axis"), keepdims=True) >= 2 if zero.ndim else False
            if np.any(zero):
                return True
        return False


# -- gaps: arrays that are 0 on a kink ----------------------------------------------------------

def at_points(*points):
    """The gap of a unary op with kinks at these points."""
    return lambda x: [np.subtract(x, p) for p in points]


def every(period, offset=0.0):
    """The gap of a unary op with a jump at every offset + k * period: the signed distance to the
    nearest one (the sign flips half-way between jumps too, where nothing happens)."""
    return lambda x: [np.mod(np.subtract(x, offset) + period / 2, period) - period / 2]


def ties(a, b):
    return [np.subtract(a, b)]


def to_max(x, axis=None):
    return [np.max(x, axis=axis, keepdims=True) - x] if np.size(x) else []


def to_min(x, axis=None):
    return [x - np.min(x, axis=axis, keepdims=True)] if np.size(x) else []


def variance(x, axis=None):
    return [np.var(x, axis=axis if np.ndim(x) else None)] if np.size(x) else []


def top_gap(x, axis=-1):
    """The largest value minus the second largest along an axis: 0 where the maximum is tied."""
    s = np.sort(x, axis=axis)
    return [np.take(s, -1, axis=axis) - np.take(s, -2, axis=axis)] if np.shape(s)[axis] > 1 else []


def sorted_gaps(x, axis=-1):
    """The differences of neighbours in sorted order along an axis (every axis for None): 0
    where two values are tied."""
    if axis is None:
        x, axis = np.ravel(x), 0
    return [np.diff(np.sort(x, axis=axis), axis=axis)] if np.ndim(x) else []


def singular_values(a):
    return np.linalg.svd(a, compute_uv=False)


def conditioning(a):
    """The smallest singular value over the largest, per matrix: 0 where a is singular."""
    s = singular_values(a)
    return [np.where(s[..., 0] > 0, s[..., -1] / np.where(s[..., 0] > 0, s[..., 0], 1), 0.0)]


def spectrum_gaps(values):
    """The gaps between neighbouring values of a spectrum (sorted along the last axis), relative
    to its largest magnitude: 0 where two are repeated."""
    s = np.sort(values, axis=-1)
    scale = np.maximum(np.abs(s).max(axis=-1, keepdims=True), 1e-300)
    return [np.diff(s, axis=-1) / scale]


# -- the kinds ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unary:
    name: str
    ours: object       # Tensor -> Tensor
    theirs: object     # torch.Tensor -> torch.Tensor
    reference: object  # ndarray -> ndarray (plain NumPy)
    domain: Domain = ANY
    kink: Kink = None

    def example(self, rng, dtype):
        return self.ours, [draw(rng, self.domain, (2, 3), dtype)]


@dataclass(frozen=True)
class Binary:
    """A broadcasting elementwise op of two tensors."""

    name: str
    ours: object
    theirs: object
    reference: object
    domains: tuple = (ANY, ANY)
    kink: Kink = None

    def example(self, rng, dtype):
        return self.ours, [draw(rng, self.domains[0], (2, 3), dtype),
                           draw(rng, self.domains[1], (3,), dtype)]


@dataclass(frozen=True)
class Reduction:
    """An op with (axis, keepdims); axis None, an int or a tuple of ints. `ours` and `reference`
    are called as f(x, axis=..., keepdims=...), `theirs` as f(x, axis, keepdims)."""

    name: str
    ours: object       # Tensor -> Tensor
    theirs: object     # torch.Tensor -> torch.Tensor
    reference: object  # ndarray -> ndarray
    distinct: bool = False   # needs distinct values (max/min: ties)
    min_count: int = 1       # fewest elements reduced over
    kink: Kink = None

    def example(self, rng, dtype):
        x = (rng.permutation(6).reshape(2, 3) / 4 - 0.5).astype(dtype)
        return (lambda t: self.ours(t, axis=1, keepdims=False)), [x]


@dataclass(frozen=True)
class AlongAxis:
    """An op along one axis (softmax, log_softmax; the scans cumsum, cumprod): f(x, axis)."""

    name: str
    ours: object       # (Tensor, axis) -> Tensor
    theirs: object     # (torch.Tensor, axis) -> torch.Tensor
    reference: object  # (ndarray, axis) -> ndarray
    kink: Kink = None

    def example(self, rng, dtype):
        return (lambda t: self.ours(t, -1)), [draw(rng, ANY, (2, 3), dtype)]


@dataclass(frozen=True)
class Function:
    """Any other differentiable function, called on example inputs of fixed shapes: `ours(*Tensors)`,
    `theirs(*torch tensors)`, `reference(*ndarrays)`, one shape (and Domain) per input in `shapes`
    (and `domains`, ANY where left out). Where plain values will not do (an invertible matrix, a
    matrix with distinct eigenvalues), `make(rng, shapes)` gives the example inputs (the fuzzer
    perturbs them a little). `second_order`: twice differentiable at such inputs;
    `finite_differences`: False where the output's precision is too low for them (float32)."""

    name: str
    ours: object
    theirs: object
    reference: object
    shapes: tuple
    domains: tuple = ()
    kink: Kink = None
    make: object = None
    second_order: bool = True
    finite_differences: bool = True

    def domain(self, i):
        return self.domains[i] if i < len(self.domains) else ANY

    def inputs(self, seed=0, dtype=np.float64):
        """The example inputs (float64 unless `dtype` says otherwise)."""
        return self.example(np.random.default_rng(seed), dtype)[1]

    def example(self, rng, dtype):
        if self.make is not None:
            return self.ours, [np.asarray(x).astype(dtype) for x in self.make(rng, self.shapes)]
        return self.ours, [draw(rng, self.domain(i), s, dtype) for i, s in enumerate(self.shapes)]


@dataclass(frozen=True)
class Structural:
    """A shape function, drawn over random shapes and arguments: `ours(x, **kwargs)` on a Tensor,
    `reference` the same on an ndarray (None: `ours` itself, a NumPy function that takes both);
    `params(shape)` is a hypothesis strategy of the keyword arguments for an input of that shape,
    and `shape`, `kwargs` one example. A result may be one tensor or a sequence of them.

    `theirs(x, **kwargs)` is PyTorch's equivalent; where it is None the function is affine in x
    (a rearrangement, a difference, a constant fill), and PyTorch's side is the matrix NumPy's
    own function is: column k is reference(e_k) - reference(0) (`torch_side`)."""

    name: str
    ours: object                 # (x, **kwargs) -> result
    params: object               # shape -> hypothesis strategy of kwargs
    shape: tuple                 # an example input shape ...
    kwargs: dict                 # ... and keyword arguments for it
    min_dims: int = 0
    max_dims: int = 3
    reference: object = None     # (ndarray, **kwargs) -> result, where `ours` differs for arrays
    distinct: bool = False       # needs distinct values (sorting: ties have no gradient)
    theirs: object = None        # (torch tensor, **kwargs) -> result; None: affine (see above)
    kink: Kink = None            # gap(x, **kwargs)

    def call_reference(self, x, **kwargs):
        return (self.reference or self.ours)(x, **kwargs)

    def torch_side(self, shape, kwargs, piece=None):
        """PyTorch's side for an input of `shape`: a function of a torch tensor giving the result
        (result `piece` where there are several; all of them flattened and concatenated, as
        `one_tensor` does, where piece is None)."""
        torch = _torch()

        def pick(out):
            if not isinstance(out, (list, tuple)):
                return out
            if piece is not None:
                return out[piece]
            return torch.cat([p.reshape(-1) for p in out]) if out else torch.zeros(0)
        if self.theirs is not None:
            return lambda x: pick(self.theirs(x, **kwargs))
        # affine: y = M x + c, where c = f(0) and column k of M is f(e_k) - c (f flattened)
        def f(x):
            out = self.call_reference(x, **kwargs)
            pieces = out if isinstance(out, (list, tuple)) else [out]
            return [np.asarray(p, dtype=np.float64) for p in pieces], isinstance(out, (list, tuple))

        zero, several = f(np.zeros(shape))
        n = int(np.prod(shape))
        flat = [np.concatenate([p.ravel() for p in zero] or [np.zeros(0)])]
        for k in range(n):
            e = np.zeros(n)
            e[k] = 1.0
            flat.append(np.concatenate([p.ravel() for p in f(e.reshape(shape))[0]] or [np.zeros(0)]))
        c = flat[0]
        M = np.stack(flat[1:], axis=1) - c[:, None] if n else np.zeros((c.size, 0))
        if piece is not None:
            start = sum(p.size for p in zero[:piece])
            rows, out_shape = slice(start, start + zero[piece].size), zero[piece].shape
        else:
            rows, out_shape = slice(None), (c.size,) if several else zero[0].shape
        M, c = M[rows], c[rows]

        def affine(x):
            m, b = torch.from_numpy(M).to(x.dtype), torch.from_numpy(c).to(x.dtype)
            return (m @ x.reshape(-1) + b).reshape(out_shape)
        return affine

    def example(self, rng, dtype):
        n = int(np.prod(self.shape))
        x = (rng.permutation(n).reshape(self.shape) / 4 - 1 if self.distinct
             else draw(rng, ANY, self.shape, dtype)).astype(dtype)
        return (lambda t: one_tensor(self.ours(t, **self.kwargs))), [x]


@dataclass(frozen=True)
class Assignment:
    """`x[index] = v` and its kin, on a tensor in a graph. `ours(x, index, v)`, `theirs` (the same
    on torch tensors) and `reference` (NumPy) leave x alone and return the result. `index` is any
    NumPy index into x; v broadcasts to x[index]. Where an integer-array index repeats a position,
    NumPy keeps the last write, while PyTorch leaves the order of writes unspecified: compare with
    PyTorch only on indices without repeats."""

    name: str
    ours: object       # (Tensor, index, Tensor) -> Tensor
    theirs: object     # (torch.Tensor, index, torch.Tensor) -> torch.Tensor
    reference: object  # (ndarray, index, ndarray) -> ndarray
    kink: Kink = None
    statement: str = None  # "=" or "+=": the entry is `x[index] = v` (or +=) written into x
    # an example: rows 2 and 0, columns 1 and 2 of a (3, 4) tensor, v broadcast along the rows
    index: tuple = field(default=(np.array([2, 0]), slice(1, 3)), compare=False)

    def example(self, rng, dtype):
        return ((lambda x, v: self.ours(x, self.index, v)),
                [draw(rng, ANY, (3, 4), dtype), draw(rng, ANY, (2,), dtype)])


KINDS = (Unary, Binary, Reduction, AlongAxis, Function, Structural, Assignment)


def draw(rng, domain, shape, dtype=np.float64):
    return domain.sample(rng, shape).astype(dtype)


def one_tensor(result):
    """A result that is a sequence of tensors, as one flat tensor (pieces of a split)."""
    if isinstance(result, (list, tuple)):
        import autograd as ag
        return ag.concatenate([r.reshape(-1) for r in result]) if result else ag.Tensor(np.zeros(0))
    return result
