"""Gradients as functions: grad, value_and_grad, jacobian, hessian."""
import numpy as np

from .graph import run_backward, seed_gradient
from .tensor import Tensor


def _seq(x):
    return (list(x), False) if isinstance(x, (list, tuple)) else ([x], True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) as a tuple of Tensors, one per input; `.grad` is left untouched.

    With create_graph=True the result is itself recorded, so it can be differentiated again.
    """
    outputs, _ = _seq(outputs)
    inputs, _ = _seq(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs, _ = _seq(grad_outputs)
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad (it was computed from "
                               "no tensor with requires_grad=True, or under no_grad())")
        seeds.append(seed_gradient(out, g, "grad()", f"grad_outputs[{i}]", f"output {i}",
                                   create_graph))
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise RuntimeError(f"grad: input {i} must be a Tensor that requires grad; got a "
                               f"{type(x).__name__}")
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} ({x.name or 'shape ' + str(x.shape)}) does not "
                               "require grad; create it with requires_grad=True")
    retain = create_graph if retain_graph is None else retain_graph
    grads = run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph,
                         capture=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} ({x.name or 'shape ' + str(x.shape)}) is not part of the "
                    "graph of the outputs (the outputs were not computed from it); pass "
                    "allow_unused=True to get None for it")
            result.append(None)
        else:
            result.append(g if isinstance(g, Tensor) else Tensor._make(g))
    return tuple(result)


def _input(x):
    """A fresh float leaf that requires grad, from a number, array or Tensor."""
    data = np.asarray(x.data if isinstance(x, Tensor) else x)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers to differentiate at; got dtype {data.dtype}")
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True)


def value_and_grad(f, argnums=0):
    """Wrap f so that calling it returns (f(*args), df/d(args[argnums])).

    f must return a scalar Tensor. The value is returned detached; the gradient is a Tensor, or a
    tuple of Tensors when argnums is a tuple.
    """
    many = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args, **kwargs):
        args = list(args)
        for i in nums:
            args[i] = _input(args[i])
        out = f(*args, **kwargs)
        gs = grad(out, [args[i] for i in nums])
        return out.detach(), (gs if many else gs[0])

    return wrapped


def jacobian(f, x, create_graph=False):
    """The Jacobian of f at x, shape f(x).shape + x.shape: J[i..., j...] = d f(x)[i...] / d x[j...]."""
    x = x if isinstance(x, Tensor) and x.requires_grad else _input(x)
    y = f(x)
    rows = []
    for i in range(y.size):
        seed = np.zeros(y.shape, dtype=y.dtype)
        seed.flat[i] = 1
        (g,) = grad(y, x, grad_outputs=seed, retain_graph=True, create_graph=create_graph,
                    allow_unused=True)
        rows.append(g if g is not None else Tensor(np.zeros(x.shape, dtype=x.dtype)))
    if create_graph:
        from .ops import reshape, stack
        return reshape(stack(rows), y.shape + x.shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(y.shape + x.shape))


def hessian(f, x):
    """The matrix of second derivatives of a scalar function f at x, shape x.shape + x.shape."""
    x = _input(x)

    def gradient(z):
        (g,) = grad(f(z), z, create_graph=True)
        return g

    return jacobian(gradient, x)
