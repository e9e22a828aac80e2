"""Shared checks for the autograd tests: gradients against central finite differences.

Every check works in float64 and turns a tensor-valued function into a scalar by a fixed random
projection, `sum(f(x) * w)`: its gradient is the vector-Jacobian product that backward computes
for `grad=w`, and a random `w` exercises every output element with a different weight (a plain
`sum` would hide a gradient that lands on the wrong element of a permutation or transpose).
"""
import numpy as np

import autograd
from autograd import Tensor

EPS = 1e-6
ATOL = 1e-6
RTOL = 1e-5


def f64(*shape_or_values, seed=0, low=-1.0, high=1.0):
    """A float64 array: `f64(2, 3)` draws uniform values of that shape; `f64([1, 2])` converts."""
    if len(shape_or_values) == 1 and not isinstance(shape_or_values[0], (int, np.integer)):
        return np.array(shape_or_values[0], dtype=np.float64)
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape_or_values)


def projection(shape, seed=1):
    """The fixed random weights w of the scalar sum(f(x) * w) whose gradient is checked."""
    return np.random.default_rng(seed).standard_normal(shape)


def _values(f, arrays):
    """f on constant tensors (no graph), as a float64 ndarray."""
    with autograd.no_grad():
        out = f(*[Tensor(a) for a in arrays])
    return np.asarray(out.data, dtype=np.float64)


def numerical_gradients(f, arrays, w, eps=EPS):
    """Central differences of sum(f(*arrays) * w) with respect to every array."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + eps
            up = np.sum(_values(f, arrays) * w)
            a[i] = keep - eps
            down = np.sum(_values(f, arrays) * w)
            a[i] = keep
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def backward_gradients(f, arrays, w):
    """The engine's gradients of sum(f(*arrays) * w): backward with grad=w."""
    xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    y = f(*xs)
    y.backward(w)
    return [x.grad for x in xs]


def assert_gradients_match(f, *arrays, atol=ATOL, rtol=RTOL, seed=1):
    """backward's gradient of every input equals central finite differences (float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    w = projection(_values(f, arrays).shape, seed)
    got = backward_gradients(f, arrays, w)
    want = numerical_gradients(f, arrays, w)
    for i, (g, n, a) in enumerate(zip(got, want, arrays)):
        assert g is not None, f"input {i} received no gradient"
        assert g.shape == a.shape, f"input {i}: gradient shape {g.shape} != input shape {a.shape}"
        np.testing.assert_allclose(g, n, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i} (shape {a.shape})")


def first_derivatives(f, arrays, w):
    """The engine's first derivatives of sum(f(*arrays) * w), as float64 arrays (no graph kept)."""
    with autograd.enable_grad():  # also when called from inside a no_grad() evaluation
        xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
        gs = autograd.grad(f(*xs), xs, grad_outputs=w, allow_unused=True)
    return [np.zeros_like(x.data) if g is None else np.asarray(g.data, dtype=np.float64)
            for g, x in zip(gs, xs)]


def assert_second_derivatives_match(f, *arrays, atol=1e-5, rtol=1e-4, seed=1):
    """Hessian-vector products from grad(create_graph=True) equal central differences of the
    engine's own first derivative.

    With s = sum(f(x) * w) and a random direction v, the second-order quantity checked is
    d/dx_j [ sum_i <ds/dx_i, v_i> ]: differentiate the graph-carrying first derivatives once more,
    and compare with finite differences of the (plain) first derivatives along every x_j.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    w = projection(_values(f, arrays).shape, seed)
    vs = [projection(a.shape, seed + 1 + i) for i, a in enumerate(arrays)]

    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    gs = autograd.grad(f(*xs), xs, grad_outputs=w, create_graph=True)
    inner = None
    for g, v in zip(gs, vs):
        term = (g * v).sum()
        inner = term if inner is None else inner + term
    if not inner.requires_grad:  # f is linear in its inputs: every second derivative is zero
        got = [np.zeros_like(a) for a in arrays]
    else:
        got = [np.zeros_like(a) if h is None else h.data for h, a in
               zip(autograd.grad(inner, xs, allow_unused=True), arrays)]

    def directional_first(*tensors):
        # sum_i <d s / d x_i, v_i> as a function of the inputs, through the plain first derivative
        firsts = first_derivatives(f, [t.data for t in tensors], w)
        return Tensor(np.array(sum(np.sum(d * v) for d, v in zip(firsts, vs))))

    want = numerical_gradients(directional_first, arrays, np.float64(1.0), eps=1e-5)
    for i, (g, n) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, n, atol=atol, rtol=rtol,
                                   err_msg=f"second derivative, input {i}")


def assert_matches_torch(ours, theirs, *arrays, rtol=1e-10, atol=1e-12, seed=1,
                         second_order=False):
    """Forward values and the gradients of sum(f(*arrays) * w) agree with PyTorch's, in float64.

    `ours` maps glassgrad Tensors to a Tensor, `theirs` maps torch tensors to a torch tensor.
    With second_order=True the Hessian-vector products (along fixed random directions) agree too.
    Needs torch (the `oracle` extra); imported here so that the other helpers do not.
    """
    import torch

    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = ours(*xs), theirs(*ts)
    assert tuple(y.shape) == tuple(yt.shape), f"output shape {y.shape} vs torch {tuple(yt.shape)}"
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward value differs from torch's")
    w = projection(y.shape, seed)
    gs = autograd.grad(y, xs, grad_outputs=w, create_graph=second_order, allow_unused=True)
    gts = torch.autograd.grad(yt, ts, grad_outputs=torch.tensor(w), create_graph=second_order,
                              allow_unused=True)
    for i, (g, gt, a) in enumerate(zip(gs, gts, arrays)):
        g = np.zeros_like(a) if g is None else g.data
        gt = np.zeros_like(a) if gt is None else gt.detach().numpy()
        np.testing.assert_allclose(g, gt, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from torch's")
    if not second_order:
        return
    vs = [projection(a.shape, seed + 1 + i) for i, a in enumerate(arrays)]
    inner = sum((g * v).sum() for g, v in zip(gs, vs) if g is not None)
    inner_t = sum((gt * torch.tensor(v)).sum() for gt, v in zip(gts, vs) if gt is not None)
    hs = (autograd.grad(inner, xs, allow_unused=True) if getattr(inner, "requires_grad", False)
          else [None] * len(xs))
    hts = (torch.autograd.grad(inner_t, ts, allow_unused=True)
           if getattr(inner_t, "requires_grad", False) else [None] * len(ts))
    for i, (h, ht, a) in enumerate(zip(hs, hts, arrays)):
        h = np.zeros_like(a) if h is None else h.data
        # force=True: torch may answer with a lazy "ZeroTensor" (abs'' for instance)
        ht = np.zeros_like(a) if ht is None else ht.detach().numpy(force=True)
        np.testing.assert_allclose(h, ht, rtol=rtol, atol=atol,
                                   err_msg=f"second derivative of input {i} differs from torch's")
