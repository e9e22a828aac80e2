"""The two ops behind a convolution written by hand: constant padding and sliding windows.

Both are single ops rather than compositions because the compositions would be slow where a
convolution needs them fast: padding by concatenation copies the array once per side, and
windows by integer-array indexing make backward scatter with np.add.at. Here backward is
slicing (padding) and one slice-add per window offset (windows).
"""
import itertools

import numpy as np

from ..graph import Op
from ..tensor import Tensor


class Pad(Op):
    """np.pad(x, width, mode='constant'): `width` is ((before, after), ...) per axis."""

    __slots__ = ("width", "value")

    def __init__(self, width, value=0):
        self.width, self.value = width, value

    def forward(self, x):
        return np.pad(x, self.width, mode="constant", constant_values=self.value)

    def backward(self, gy, y, x):
        return gy[tuple(slice(b, b + n) for (b, _), n in zip(self.width, np.shape(x)))]


class SlidingWindowView(Op):
    """np.lib.stride_tricks.sliding_window_view: every window of `window` elements along `axis`
    (one entry per windowed axis), the window dimensions last. Forward is a read-only view; in
    backward each element gets the sum of the gradients of every window that contains it."""

    __slots__ = ("window", "axis")

    def __init__(self, window, axis):
        self.window, self.axis = window, axis

    def forward(self, x):
        return np.lib.stride_tricks.sliding_window_view(x, self.window, self.axis)

    def _placements(self, shape, gy_shape):
        """(offset index into gy's window dimensions, where those windows start in x)."""
        core = gy_shape[:len(shape)]  # the number of windows along each axis
        for offset in itertools.product(*[range(w) for w in self.window]):
            start = [0] * len(shape)
            for a, o in zip(self.axis, offset):
                start[a] += o
            yield offset, tuple(slice(s, s + n) for s, n in zip(start, core))

    def backward(self, gy, y, x):
        shape = np.shape(x)
        if isinstance(gy, Tensor):  # create_graph: the same sums, recorded (pad each, add up)
            total = 0.0
            for offset, where in self._placements(shape, gy.shape):
                width = tuple((s.start, n - s.stop) for s, n in zip(where, shape))
                total = total + Pad(width)(gy[(Ellipsis,) + offset])
            return total
        g = np.zeros(shape, dtype=gy.dtype)
        for offset, where in self._placements(shape, gy.shape):
            g[where] += gy[(Ellipsis,) + offset]
        return g
