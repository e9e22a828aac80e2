"""What backward() leaves of the graph it frees, so that `loss.backward(); draw(loss)` works.

An ordinary backward() frees the graph as it goes: once an op has sent its gradients back it drops
its inputs, so the activations they hold can go. What it leaves instead (in `op._xs`, where it kept
the input arrays for its backward) is a `Freed` record: its
inputs, small ones (at most SMALL elements) as they are and big ones as a `Ghost` (name, shape,
dtype and the op that computed it, but not its values), and the gradient of its output when that
is small. A drawing walks these records where the graph itself is gone, and so still shows every
tensor, with its value and gradient where they are small. Nothing big is kept: memory is as
before, and the records go when the output tensor goes.

Only the KEPT ops nearest the output leave a record (a drawing shows a few hundred nodes at most),
so the cost stays small and bounded however long the graph. `retain_graph=True` keeps the graph
itself, and leaves no record.
"""
import weakref

import numpy as np

from .tensor import Tensor

SMALL = 16   # tensors and gradients with at most this many elements are kept with their values
KEPT = 256   # ops per backward pass that leave a record, the latest recorded (nearest the output) first


class Ghost:
    """A tensor (or a big constant array) as a drawing needs it once backward let it go: its name,
    shape, dtype, whether it required grad, and the op that computed it. `ref` reaches the tensor
    itself for as long as something else keeps it alive."""

    __slots__ = ("ref", "is_tensor", "name", "shape", "dtype", "requires_grad", "grad_fn")

    def __init__(self, x):
        self.ref = weakref.ref(x)
        self.is_tensor = isinstance(x, Tensor)
        if self.is_tensor:
            self.name, self.requires_grad, self.grad_fn = x.name, x._requires_grad, x.grad_fn
            x = x.data
        else:
            self.name, self.requires_grad, self.grad_fn = None, False, None
        self.shape, self.dtype = x.shape, x.dtype


class Freed:
    """What an op keeps once backward has freed it: its `inputs` (small tensors and numbers as they
    are, the rest as Ghosts) and `grad`, the gradient of its output if small (else None)."""

    __slots__ = ("inputs", "grad")

    def __init__(self, grad, inputs):
        if type(grad) is Tensor:  # create_graph: keep the numbers, not the gradient's own graph
            grad = grad.data
        # Kept as it is, not copied: no glassgrad code writes into a gradient once it is made.
        self.grad = grad if grad.size <= SMALL else None
        # A list, not tuple(map(...)): that builds a tuple of unknown length by resizing it, and the
        # tuples freed later would pile up in CPython's free lists (memory that looks like a leak).
        self.inputs = [_keep(x) for x in inputs]


def _keep(x):
    """An input as the record keeps it: small tensors and numbers as they are, big ones as Ghosts."""
    if isinstance(x, Tensor):
        data = x.data
        # A small view still holds its big base: a Ghost, then, like a big tensor.
        if data.size <= SMALL and data.base is None and x._base is None:
            return x
        return Ghost(x)
    if type(x) is np.ndarray and (x.size > SMALL or x.base is not None):
        return Ghost(x)
    return x
