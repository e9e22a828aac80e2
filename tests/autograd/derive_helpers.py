"""Shared checks for the derive tests: the written code reproduces the engine's gradients."""
import warnings

import numpy as np

import autograd as ag
from autograd.derive import derive


def autograd_gradients(loss_fn, params):
    tensors = {k: ag.Tensor(np.asarray(v, dtype=np.float64) if np.asarray(v).dtype.kind != "f"
                            else v, requires_grad=True) for k, v in params.items()}
    loss = loss_fn(**tensors)
    loss.backward()
    return {k: (t.grad if t.grad is not None else np.zeros_like(t.data))
            for k, t in tensors.items()}


def assert_close(ours, theirs, rtol=1e-12, what="", scale=0.0):
    """Equal to rtol relative to the larger of theirs and `scale` (the size of the gradients
    overall: a gradient that cancels to about 0 is equal to about 1e-16 of that)."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    scale = max(np.abs(theirs).max(initial=0.0), scale, 1e-300)
    err = np.abs(ours - theirs).max(initial=0.0)
    assert err <= rtol * scale, f"{what}: max error {err:.3g} (relative {err / scale:.3g})"


def derive_and_check(loss_fn, params, rtol=1e-12, **options):
    """derive(loss_fn, params); its function must give autograd's gradients, without derive
    having had to fall back anywhere (a warning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="derive:")
        d = derive(loss_fn, params, **options)
        ours = d.function(**params)
    theirs = autograd_gradients(loss_fn, params)
    scale = max(float(np.abs(g).max(initial=0.0)) for g in theirs.values())
    for name in params:
        assert_close(ours[name], theirs[name], rtol, f"gradient of {name}", scale)
    # the code itself (not only .function) runs standalone with the constants as arguments
    namespace = {"np": np}
    exec(d.code, namespace)
    again = namespace["gradients"](**{a: v for a, v in zip(d.arguments, params.values())},
                                   **d.constants)
    for name in params:
        assert_close(again[name], theirs[name], rtol, f"gradient of {name} (from .code)", scale)
    return d
