"""What differs between the NumPy versions glassgrad supports (NumPy >= 1.26): imported by graph.py.

NumPy 1.x promotes by value when every operand is 0-d: there, a float32 0-d array times the Python
float 2.0 is float64, where NumPy 2 follows NEP 50 (a Python number never changes an array's
dtype: float32). A float32 program would turn float64 at its first 0-d step (a loss, a sum), so
on NumPy 1.x every op's 0-d float result wider than its array operands is cast back. An op with a
`dtype` parameter (AsType) sets its output dtype itself and is left alone. On NumPy 2 nothing
here runs.
"""
import numpy as np

from .graph import _PY_NUMBERS, Op
from .tensor import Tensor


def _keep_nep50_dtypes():
    call = Op.__call__

    def call_nep50(self, *inputs):
        out = call(self, *inputs)
        y = out.data
        if y.ndim == 0 and y.dtype.kind == "f" and not hasattr(self, "dtype"):
            operands = [np.asarray(x.data if isinstance(x, Tensor) else x).dtype
                        for x in inputs if type(x) not in _PY_NUMBERS]
            want = np.result_type(*operands) if operands else y.dtype
            if want.kind == "f" and want.itemsize < y.dtype.itemsize:
                out.data = y.astype(want)
        return out

    Op.__call__ = call_nep50


if np.lib.NumpyVersion(np.__version__) < "2.0.0":
    _keep_nep50_dtypes()
