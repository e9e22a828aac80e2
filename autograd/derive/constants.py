"""The forward's constants (data, targets, masks, numbers) as the written code refers to them.

A number is written out. An array the learner's code held in a variable is that variable, an
argument of the written function. Some arrays are better written as what they are: `np.arange(5)`,
`(z > 0)` for a ReLU mask computed from z (so it follows z when the weights change), `-Y` or
`1 - Y` for arrays made from a named one, a single number for an array of one repeated value.
Any other array becomes an argument `x0`, `x1` ....
"""
import numpy as np

from ..tensor import Tensor
from . import templates as T
from .naming import tex_symbol, token


class Constants:
    def __init__(self, writer):
        self.w = writer
        self.args = {}     # argument name (or token) -> value: the function's constant arguments
        self.known = {}    # id of an array -> (ast node, Tex)
        self.arg_of = {}   # id of an argument's array -> its name
        self.count = 0
        cap = writer.capture
        self.learner = cap.names  # id -> the learner's name for a tensor or an array
        # the learner's named arrays, for recognising -Y, 1 - Y, Y.T among the unnamed ones
        self.named = [(cap.names[id(v)], v.data if isinstance(v, Tensor) else v)
                      for v in cap.keep if id(v) in cap.names
                      and (isinstance(v, np.ndarray) or (isinstance(v, Tensor)
                                                         and not v.requires_grad))]

    # -- op inputs -------------------------------------------------------------------------
    def node(self, x, op=None, out=None):
        return self._get(x, op, out, scalar_ok=True)[0]

    def tex(self, x):
        return self._get(x, None, None, scalar_ok=True)[1]

    def param_node(self, op, name, value):
        if isinstance(value, tuple) and name == "index" or _is_index_part(value) and name == "index":
            parts = value if isinstance(value, tuple) else (value,)
            return T.Index([self._index_part(p, op) for p in parts])
        if isinstance(value, (np.ndarray, Tensor)):
            return self._get(value, op, None, scalar_ok=value.dtype.kind == "f")[0]
        if value is None or isinstance(value, (bool, int, float, str, tuple, np.dtype, np.generic,
                                               slice, range)):
            return T.literal(value)
        return self._bind(value, "op")[0]

    def param_tex(self, value):
        if isinstance(value, (np.ndarray, Tensor)):
            return self._get(value, None, None, scalar_ok=False)[1]
        if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
            return T.Tex(", ".join(map(str, value)), atomic=len(value) <= 1)
        if isinstance(value, (int, float, np.generic)):
            return T.Tex(_number_tex(value))
        return T.Tex(r"\ldots")

    def _index_part(self, p, op):
        if isinstance(p, (np.ndarray, Tensor)):
            return self._get(p, op, None, scalar_ok=False)[0]
        if isinstance(p, list):
            return self._get(np.asarray(p), op, None, scalar_ok=False)[0]
        return T.literal(p)

    def name_of_op(self, op):
        """An op without a rule, bound as an argument so the code can call its backward."""
        return self._bind(op, f"op_{type(op).__name__.lower()}")[0].id

    # -- deciding how an array is written --------------------------------------------------
    def _get(self, x, op, out, scalar_ok):
        if type(x) in (int, float, bool) or isinstance(x, np.generic):
            return T.literal(x), T.Tex(_number_tex(x))
        arr = x.data if isinstance(x, Tensor) else np.asarray(x)
        key = id(x)
        if key in self.known:
            return self.known[key]
        name = self.learner.get(id(x)) or self.learner.get(id(arr))
        found = None
        if name is not None:
            found = self._argument(name, arr)
        elif arr.ndim == 0 and scalar_ok:
            found = T.literal(arr.item()), T.Tex(_number_tex(arr.item()))
        else:
            found = self._written(arr, op, out, scalar_ok) or self._argument(None, arr)
        if op is None or found[0].__class__.__name__ == "Name":
            self.known[key] = found
        return found

    def _written(self, arr, op, out, scalar_ok):
        """arr as an expression, where it is one of the forms the module docstring lists."""
        if arr.ndim == 1 and arr.dtype.kind in "iu" and np.array_equal(arr, np.arange(arr.size)):
            return T.expr(f"np.arange({arr.size})"), T.Tex(r"(0, \ldots, %d)" % (arr.size - 1),
                                                           atomic=False)
        if scalar_ok and arr.dtype.kind == "f" and arr.size and np.all(arr == arr.flat[0]) \
                and out is not None and _fits(arr.shape, out.shape):
            return T.literal(arr.flat[0].item()), T.Tex(_number_tex(arr.flat[0].item()))
        if op is not None and arr.dtype.kind in "bf":
            for u in op.inputs:
                if isinstance(u, Tensor) and id(u) in self.w.var and u.shape == arr.shape \
                        and np.array_equal(arr, u.data > 0):
                    v = self.w.var[id(u)]
                    return T.expr(f"({v} > 0)"), T.Tex(f"[{self.w.tex_of[id(u)]} > 0]")
        if arr.dtype.kind not in "biuf":
            return None
        for learner_name, known in self.named:
            if known.dtype.kind not in "biuf" or known.size != arr.size:
                continue
            forms = (("{}", "{}", known), ("-{}", "-{}", lambda: -known),
                     ("1 - {}", "1 - {}", lambda: 1 - known), ("{}.T", "{}^\\top", lambda: known.T))
            for form, tex, value in forms:
                try:
                    value = value() if callable(value) else value
                except TypeError:  # 1 - a boolean array
                    continue
                if value.shape == arr.shape and np.array_equal(value, arr):
                    node, symbol = self._argument(learner_name, known)
                    return (T.expr(form.format(node.id)),
                            T.Tex(tex.format(symbol.text), atomic=form == "{}"))
        return None

    def _argument(self, learner_name, arr):
        name = self.arg_of.get(id(arr))
        if name is None:
            if learner_name is None:
                self.count += 1
                name = token("c", self.count)
            else:
                name = self.w.names.claim(learner_name)
            self.arg_of[id(arr)] = name
            self.args[name] = self.w.ns[name] = arr
        return T.name(name), T.Tex(tex_symbol(name))

    def _bind(self, value, base):
        for name, v in self.args.items():
            if v is value:
                return T.name(name), T.Tex(tex_symbol(name))
        name = self.w.names.free(base)
        self.args[name] = self.w.ns[name] = value
        return T.name(name), T.Tex(tex_symbol(name))


def _is_index_part(value):
    return isinstance(value, (int, np.integer, slice, np.ndarray, range, list, Tensor)) \
        or value is None or value is Ellipsis


def _fits(shape, out_shape):
    """Whether an array of `shape` broadcasts into out_shape without enlarging it."""
    try:
        return np.broadcast_shapes(shape, out_shape) == tuple(out_shape)
    except ValueError:
        return False


def _number_tex(v):
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, float):
        if v == np.e:
            return "e"
        return f"{v:g}"
    return str(v)
