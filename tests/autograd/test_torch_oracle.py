"""PyTorch as the oracle: for each op, forward values and gradients (and, for the smooth ops,
second derivatives) equal PyTorch's in float64, on random inputs including broadcasting.
Conventions at non-differentiable points are compared with PyTorch's too."""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="missing resource: PyTorch, the oracle extra (pip install -e '.[oracle]')")
F = pytest.importorskip("torch.nn.functional")

import autograd as ag  # noqa: E402

from helpers import assert_matches_torch, f64  # noqa: E402
from op_catalogue import ALONG_AXIS, BINARY, REDUCTIONS, UNARY  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Elementwise

@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
@pytest.mark.parametrize("spec", UNARY, ids=lambda s: s.name)
def test_unary_matches_torch(spec, shape):
    x = spec.domain.sample(np.random.default_rng(0), shape)
    assert_matches_torch(spec.ours, spec.theirs, x, second_order=True)


SHAPE_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)),
               ((), (2, 3)), ((3, 1), ())]


@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("spec", BINARY, ids=lambda s: s.name)
def test_binary_matches_torch_under_broadcasting(spec, shapes):
    rng = np.random.default_rng(0)
    a = spec.domains[0].sample(rng, shapes[0])
    b = spec.domains[1].sample(rng, shapes[1])
    assert_matches_torch(spec.ours, spec.theirs, a, b, second_order=True)


# ----------------------------------------------------------------------------------------------
# Reductions and the softmax family

@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("spec", REDUCTIONS, ids=lambda s: s.name)
def test_reduction_matches_torch(spec, axis, keepdims):
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4) / 7.0
    assert_matches_torch(lambda t: spec.ours(t, axis=axis, keepdims=keepdims),
                         lambda t: spec.theirs(t, axis, keepdims), x, second_order=True)


# std of a single value: constant, so a gradient of 0 in both (not sqrt's 1/0)
@pytest.mark.parametrize("spec", [s for s in REDUCTIONS if s.min_count == 1], ids=lambda s: s.name)
def test_reduction_of_a_0d_tensor_matches_torch(spec):
    assert_matches_torch(lambda t: spec.ours(t), lambda t: spec.theirs(t, None, False),
                         np.array(0.7))


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_with_ddof_match_torchs_correction(ddof):
    x = f64(3, 4)
    assert_matches_torch(lambda t: ag.var(t, axis=0, ddof=ddof),
                         lambda t: t.var(dim=0, correction=ddof), x)
    assert_matches_torch(lambda t: ag.std(t, axis=1, ddof=ddof),
                         lambda t: t.std(dim=1, correction=ddof), x)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("spec", ALONG_AXIS, ids=lambda s: s.name)
def test_softmax_family_matches_torch(spec, axis):
    assert_matches_torch(lambda t: spec.ours(t, axis), lambda t: spec.theirs(t, axis),
                         f64(2, 3, 4, low=-3, high=3), second_order=True)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("spec", ALONG_AXIS, ids=lambda s: s.name)
def test_softmax_family_matches_torch_for_1000_and_minus_1000(spec, axis):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    assert_matches_torch(lambda t: spec.ours(t, axis), lambda t: spec.theirs(t, axis), x)


@pytest.mark.parametrize("axis", [0, 1, None])
def test_logsumexp_matches_torch_for_1000_and_minus_1000(axis):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    dims = (0, 1) if axis is None else axis
    assert_matches_torch(lambda t: ag.logsumexp(t, axis), lambda t: t.logsumexp(dim=dims), x)


# ----------------------------------------------------------------------------------------------
# Conventions at non-differentiable points

CONVENTIONS = {
    "relu_at_0": (ag.relu, torch.relu, [[-1.0, 0.0, 2.0]]),
    "abs_at_0": (ag.abs, torch.abs, [[-1.0, 0.0, 2.0]]),
    "leaky_relu_at_0": (lambda x: ag.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1),
                        [[-1.0, 0.0, 2.0]]),
    "clip_at_bounds": (lambda x: ag.clip(x, -1.0, 1.0), lambda x: x.clamp(-1.0, 1.0),
                       [[-1.0, 0.0, 1.0, 2.0]]),
    "max_ties": (ag.max, torch.amax, [[3.0, 1.0, 3.0, 3.0]]),
    "min_ties": (ag.min, torch.amin, [[1.0, 1.0, 3.0]]),
    "max_ties_along_axis": (lambda x: ag.max(x, axis=1), lambda x: x.amax(dim=1),
                            [[[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]]),
    "maximum_ties": (ag.maximum, torch.maximum, [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "minimum_ties": (ag.minimum, torch.minimum, [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "maximum_of_a_tensor_with_itself": (lambda a: ag.maximum(a, a),
                                        lambda a: torch.maximum(a, a), [[1.0, -2.0]]),
    "maximum_with_zero_at_zero": (lambda x: ag.maximum(x, 0.0),
                                  lambda x: torch.maximum(x, torch.zeros_like(x)),
                                  [[-1.0, 0.0, 2.0]]),
    "sqrt_at_0_is_infinite": (ag.sqrt, torch.sqrt, [[0.0, 4.0]]),
    "power_exponent_gradient_at_base_0": (ag.power, torch.pow, [[0.0, 2.0], [2.0, 3.0]]),
}


@pytest.mark.parametrize("name", CONVENTIONS)
def test_convention_at_a_non_differentiable_point_matches_torch(name):
    ours, theirs, arrays = CONVENTIONS[name]
    with np.errstate(divide="ignore"):  # sqrt'(0) = inf is the answer being compared
        assert_matches_torch(ours, theirs, *[np.array(a) for a in arrays])


# ----------------------------------------------------------------------------------------------
# Linear algebra

MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
                 ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes):
    assert_matches_torch(ag.matmul, torch.matmul, f64(*shapes[0], seed=0),
                         f64(*shapes[1], seed=1), second_order=True)


@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 4, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, bias):
    arrays = [f64(*x_shape), f64(2, 3, seed=1)] + ([f64(2, seed=2)] if bias else [])
    assert_matches_torch(ag.linear, F.linear, *arrays, second_order=True)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,))], ids=str)
def test_dot_matches_torch_matmul(shapes):
    assert_matches_torch(ag.dot, torch.matmul, f64(*shapes[0]), f64(*shapes[1], seed=1))


# ----------------------------------------------------------------------------------------------
# Shape ops and indexing

SHAPE_OPS = {
    "reshape": (lambda t: ag.reshape(t, (4, -1)), lambda t: t.reshape(4, -1)),
    "transpose": (lambda t: ag.transpose(t, (2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    "transpose_default_reverses": (ag.transpose, lambda t: t.permute(2, 1, 0)),
    "swapaxes": (lambda t: ag.swapaxes(t, 0, 2), lambda t: t.transpose(0, 2)),
    "flatten": (lambda t: ag.flatten(t, 1), lambda t: t.flatten(1)),
    "expand_dims": (lambda t: ag.expand_dims(t, 1), lambda t: t.unsqueeze(1)),
    "broadcast_to": (lambda t: ag.broadcast_to(t[:, :1], (2, 3, 4)),
                     lambda t: t[:, :1].expand(2, 3, 4)),
    "squeeze": (lambda t: ag.squeeze(t[:, :1], 1), lambda t: t[:, :1].squeeze(1)),
    "T": (lambda t: t.reshape(6, 4).T, lambda t: t.reshape(6, 4).T),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_matches_torch(name):
    ours, theirs = SHAPE_OPS[name]
    assert_matches_torch(ours, theirs, f64(2, 3, 4))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_matches_torch_cat(axis):
    assert_matches_torch(lambda a, b: ag.concatenate([a, b], axis),
                         lambda a, b: torch.cat([a, b], axis), f64(2, 3), f64(2, 3, seed=1))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matches_torch_stack(axis):
    assert_matches_torch(lambda a, b: ag.stack([a, b], axis),
                         lambda a, b: torch.stack([a, b], axis), f64(2, 3), f64(2, 3, seed=1))


INDICES = {
    "int": (1,),
    "slice": (slice(1, None),),
    "int_and_slice": (1, slice(0, 2)),
    "int_array_with_repeats": (np.array([0, 0, 2, 0]),),
    "two_int_arrays_with_repeats": (np.array([1, 1, 0]), np.array([2, 2, 3])),
    "bool_mask": (np.arange(12).reshape(3, 4) % 3 == 0,),
    "row_mask": (np.array([True, False, True]),),
    "slice_and_int_array": (slice(None), np.array([3, 3, 0])),
}


def _torch_index(index):
    return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)


@pytest.mark.parametrize("name", INDICES)
def test_indexing_matches_torch(name):
    index = INDICES[name]
    assert_matches_torch(lambda t: t[index], lambda t: t[_torch_index(index)], f64(3, 4))


# ----------------------------------------------------------------------------------------------
# A whole network

def test_mlp_cross_entropy_loss_and_gradients_match_torch():
    target = np.array([0, 2, 1, 2])

    def ours(X, W1, b1, W2, b2):
        h = ag.tanh(ag.linear(X, W1, b1))
        logp = ag.log_softmax(ag.linear(h, W2, b2), axis=1)
        return -logp[np.arange(4), target].mean()

    def theirs(X, W1, b1, W2, b2):
        h = torch.tanh(F.linear(X, W1, b1))
        return F.cross_entropy(F.linear(h, W2, b2), torch.from_numpy(target))

    assert_matches_torch(ours, theirs, f64(4, 5), f64(6, 5, seed=1), f64(6, seed=2),
                         f64(3, 6, seed=3), f64(3, seed=4), second_order=True)
