"""Richer drawers for some catalogue entries: arguments drawn at random rather than the entry's
example shapes (any reshape, permutation, index, piece list, matrix product, clip bounds, where
mask). `RICHER` maps catalogue names to them; fuzz_programs.programs() uses one half the time
for its entry, the entry's generic drawer the other half. Each reaches its op through the module
function, the Tensor method, an operator and the NumPy function where they exist: all must build
the same graph."""
import math
import operator

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from fuzz_programs import Const, add_step, broadcastable, const_array, grid, lit, partner_shape, pick
from op_catalogue import Kink, entry


def gen_clip(draw, prog):
    a = pick(draw, prog)
    lo, hi = sorted([draw(grid(-12, 12)), draw(grid(-12, 12))])
    lo = None if draw(st.integers(0, 3)) == 0 else lo
    hi = None if lo is not None and draw(st.integers(0, 3)) == 0 else hi
    args = f"{lo!r}, {hi!r}"
    template, ours = draw(st.sampled_from([
        (f"ag.clip({{0}}, {args})", lambda x: ag.clip(x, lo, hi)),
        (f"{{0}}.clip({args})", lambda x: x.clip(lo, hi)),
        (f"np.clip({{0}}, {args})", lambda x: np.clip(x, lo, hi))]))
    bounds = [b for b in (lo, hi) if b is not None]
    kink = Kink(lambda x: [np.subtract(x, b) for b in bounds], entry("clip").kink.ours)
    return add_step(prog, template, [a], ours, lambda x: torch.clamp(x, lo, hi), kink)


def gen_where(draw, prog):
    a = pick(draw, prog)
    b = pick(draw, prog, lambda s: broadcastable(s, prog.shapes[a]))
    b = b if b is not None and draw(st.booleans()) else const_array(draw, prog, partner_shape(
        draw, prog.shapes[a]))
    items = [a, b] if draw(st.booleans()) else [b, a]
    shapes = [prog.shapes[i] if not isinstance(i, Const) else np.shape(i.value) for i in items]
    out = np.broadcast_shapes(*shapes)
    mask = draw(hnp.arrays(np.bool_, partner_shape(draw, out)))  # it may broadcast the result
    m = lit(mask)
    template, ours = draw(st.sampled_from([
        (f"ag.where({m}, {{0}}, {{1}})", lambda x, y: ag.where(mask, x, y)),
        (f"np.where({m}, {{0}}, {{1}})", lambda x, y: np.where(mask, x, y))]))
    return add_step(prog, template, items, ours, lambda x, y: torch.where(torch.tensor(mask), x, y))


# -- shapes -------------------------------------------------------------------------------------

def _random_shape(draw, size):
    """A shape of `size` elements, 0 to 4 axes (one -1 sometimes, where it is determined)."""
    if size == 0:
        ndim = draw(st.integers(1, 3))
        shape = [draw(st.integers(1, 3)) for _ in range(ndim)]
        shape[draw(st.integers(0, ndim - 1))] = 0
        return tuple(shape)
    factors, n, p = [], size, 2
    while n > 1:  # prime factors of the size, dealt out to the new axes
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    ndim = draw(st.integers(0 if size == 1 else 1, 4))
    shape = [1] * ndim
    for f in factors:
        shape[draw(st.integers(0, ndim - 1))] *= f
    if ndim and draw(st.booleans()):
        shape[draw(st.integers(0, ndim - 1))] = -1
    return tuple(shape)


def gen_reshape(draw, prog):
    a = pick(draw, prog)
    shape = _random_shape(draw, math.prod(prog.shapes[a]))
    ndim = len(shape)
    template, ours = draw(st.sampled_from([
        (f"{{0}}.reshape({', '.join(map(str, shape)) if ndim > 1 else repr(shape)})",
         lambda x: x.reshape(*shape) if len(shape) > 1 else x.reshape(shape)),
        (f"ag.reshape({{0}}, {shape!r})", lambda x: ag.reshape(x, shape)),
        (f"np.reshape({{0}}, {shape!r})", lambda x: np.reshape(x, shape))]))
    return add_step(prog, template, [a], ours, lambda x: x.reshape(shape))


def gen_transpose(draw, prog):
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    ndim = len(prog.shapes[a])
    perm = tuple(draw(st.permutations(range(ndim))))
    i, j = draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1))
    swapped = list(range(ndim))
    swapped[i], swapped[j] = swapped[j], swapped[i]
    reverse = tuple(reversed(range(ndim)))
    template, ours, axes = draw(st.sampled_from([
        ("{0}.T", lambda x: x.T, reverse),
        ("ag.transpose({0})", ag.transpose, reverse),
        (f"ag.transpose({{0}}, {perm!r})", lambda x: ag.transpose(x, perm), perm),
        (f"{{0}}.transpose({', '.join(map(str, perm))})", lambda x: x.transpose(*perm), perm),
        (f"np.transpose({{0}}, {perm!r})", lambda x: np.transpose(x, perm), perm),
        (f"np.swapaxes({{0}}, {i}, {j})", lambda x: np.swapaxes(x, i, j), tuple(swapped)),
        (f"{{0}}.swapaxes({i}, {j})", lambda x: x.swapaxes(i, j), tuple(swapped))]))
    return add_step(prog, template, [a], ours, lambda x: x.permute(axes))


def gen_flatten(draw, prog):
    a = pick(draw, prog)
    ndim = len(prog.shapes[a])
    start = draw(st.integers(0, max(ndim - 1, 0)))
    template, ours = draw(st.sampled_from([
        (f"ag.flatten({{0}}, {start})", lambda x: ag.flatten(x, start)),
        ("ag.flatten({0})", ag.flatten), ("{0}.flatten()", lambda x: x.flatten()),
        ("np.ravel({0})", np.ravel)]))
    start = start if template.startswith("ag.flatten({0}, ") else 0
    return add_step(prog, template, [a], ours, lambda x: torch.flatten(x, start))


def gen_squeeze(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    ones = [d for d, n in enumerate(shape) if n == 1]
    axis = None
    if ones and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
        chosen = [d - len(shape) if draw(st.booleans()) else d for d in chosen]
        axis = chosen[0] if len(chosen) == 1 else tuple(chosen)
    template, ours = draw(st.sampled_from([
        (f"ag.squeeze({{0}}, {axis!r})", lambda x: ag.squeeze(x, axis)),
        (f"{{0}}.squeeze({axis!r})", lambda x: x.squeeze(axis)),
        (f"np.squeeze({{0}}, axis={axis!r})", lambda x: np.squeeze(x, axis=axis))]))
    return add_step(prog, template, [a], ours,
                    lambda x: torch.squeeze(x) if axis is None else torch.squeeze(x, axis))


def gen_expand_dims(draw, prog):
    a = pick(draw, prog)
    ndim = len(prog.shapes[a])
    axis = draw(st.integers(-ndim - 1, ndim))
    template, ours = draw(st.sampled_from([
        (f"ag.expand_dims({{0}}, {axis})", lambda x: ag.expand_dims(x, axis)),
        (f"np.expand_dims({{0}}, {axis})", lambda x: np.expand_dims(x, axis))]))
    return add_step(prog, template, [a], ours, lambda x: torch.unsqueeze(x, axis))


def gen_broadcast_to(draw, prog):
    a = pick(draw, prog)
    lead = draw(st.lists(st.integers(0, 3), max_size=2))
    shape = tuple(lead) + tuple(draw(st.integers(0, 3)) if n == 1 else n for n in prog.shapes[a])
    template, ours = draw(st.sampled_from([
        (f"ag.broadcast_to({{0}}, {shape!r})", lambda x: ag.broadcast_to(x, shape)),
        (f"np.broadcast_to({{0}}, {shape!r})", lambda x: np.broadcast_to(x, shape))]))
    return add_step(prog, template, [a], ours, lambda x: x.broadcast_to(shape))


def gen_concatenate(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    flat = not shape or draw(st.integers(0, 4)) == 0  # axis=None: every piece flattened first
    axis = None if flat else draw(st.integers(-len(shape), len(shape) - 1))
    ax = None if flat else axis % len(shape)

    def fits(s):
        return flat or len(s) == len(shape) and all(
            m == n for d, (m, n) in enumerate(zip(s, shape)) if d != ax)

    items = [a]
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 3)) == 0:  # a constant piece among the tensors
            piece = [draw(st.integers(0, 3))] if flat else list(shape)
            if not flat:
                piece[ax] = draw(st.integers(0, 2))
            items.append(const_array(draw, prog, tuple(piece)))
        else:
            i = pick(draw, prog, fits)
            items.append(a if i is None else i)
    items = draw(st.permutations(items))
    seq = ", ".join("{%d}" % k for k in range(len(items)))
    template, ours = draw(st.sampled_from([
        (f"ag.concatenate([{seq}], axis={axis})", lambda *xs: ag.concatenate(xs, axis=axis)),
        (f"np.concatenate([{seq}], axis={axis})", lambda *xs: np.concatenate(xs, axis=axis))]))
    theirs = ((lambda *xs: torch.cat([x.flatten() for x in xs])) if flat else
              (lambda *xs: torch.cat(xs, axis)))
    return add_step(prog, template, items, ours, theirs)


def gen_stack(draw, prog):
    a = pick(draw, prog)
    shape = prog.shapes[a]
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    items = [a] + [pick(draw, prog, lambda s: s == shape) for _ in range(draw(st.integers(0, 2)))]
    items = draw(st.permutations(items))
    seq = ", ".join("{%d}" % k for k in range(len(items)))
    template, ours = draw(st.sampled_from([
        (f"ag.stack([{seq}], axis={axis})", lambda *xs: ag.stack(xs, axis=axis)),
        (f"np.stack([{seq}], axis={axis})", lambda *xs: np.stack(xs, axis=axis))]))
    return add_step(prog, template, items, ours, lambda *xs: torch.stack(xs, axis))


# -- indexing -----------------------------------------------------------------------------------

def _index_code(parts):
    def one(p):
        if p is None:
            return "None"
        if p is Ellipsis:
            return "..."
        if isinstance(p, slice):
            start, stop = ("" if v is None else str(v) for v in (p.start, p.stop))
            return f"{start}:{stop}" + ("" if p.step in (None, 1) else f":{p.step}")
        if isinstance(p, np.ndarray):
            return lit(p)
        return repr(p)
    return ", ".join(one(p) for p in parts) if parts else "()"


def _torch_index(parts):
    return tuple(torch.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)


def _basic_part(draw, n):
    kind = draw(st.sampled_from(["all", "int", "slice"] if n else ["all", "slice"]))
    if kind == "all":
        return slice(None)
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    start = draw(st.integers(0, n))  # start == n: an empty slice
    stop = draw(st.one_of(st.none(), st.integers(start, n)))
    step = draw(st.sampled_from([None, 1, 2]))
    return slice(start if start or draw(st.booleans()) else None, stop, step)


def draw_index(draw, shape):
    """An index into a tensor of `shape`, as a tuple of parts: basic (ints, slices, None, ...),
    an integer array on one axis (repeats and negative indices), a boolean mask of the whole
    shape or of its first axis, or two integer arrays (broadcast); None where none fits."""
    ndim = len(shape)
    kind = draw(st.sampled_from(["basic", "ints", "ints", "mask", "mask_lead", "two_ints"]))
    if kind == "basic" or ndim == 0:
        parts = [_basic_part(draw, n) for n in shape[:draw(st.integers(0, ndim))]]
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), None)
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), Ellipsis)
    elif kind == "ints":  # an integer array on one axis: repeats and negative indices
        d = draw(st.integers(0, ndim - 1))
        n = shape[d]
        idx_shape = draw(st.sampled_from([(0,), (1,), (2,), (3,), (4,), (2, 2)] if n else [(0,)]))
        idx = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, max(n - 1, -n))))
        parts = [slice(None)] * d + [idx]  # one advanced index only
    elif kind in ("mask", "mask_lead"):
        parts = [draw(hnp.arrays(np.bool_, shape if kind == "mask" else shape[:1]))]
    else:
        if ndim < 2 or not shape[0] or not shape[1]:
            return None
        n0, n1 = shape[0], shape[1]
        k = draw(st.integers(1, 4))
        i0 = draw(hnp.arrays(np.int64, (k,), elements=st.integers(-n0, n0 - 1)))
        i1 = draw(hnp.arrays(np.int64, draw(st.sampled_from([(k,), (1,)])),
                             elements=st.integers(-n1, n1 - 1)))
        parts = [i0, i1]
    return tuple(parts)


def gen_getitem(draw, prog):
    a = pick(draw, prog)
    parts = draw_index(draw, prog.shapes[a])
    if parts is None:
        return False
    code = _index_code(parts)
    index = parts if len(parts) != 1 else parts[0]
    one_int_array = isinstance(index, np.ndarray) and index.dtype == np.int64 and index.ndim == 1
    if one_int_array and index.size and draw(st.booleans()):
        i = index.tolist()  # the same integer index as a list or as a Tensor
        index, code = draw(st.sampled_from([(i, repr(i)), (ag.Tensor(i), f"ag.Tensor({i!r})")]))
    return add_step(prog, "{0}[" + code + "]", [a], lambda x: x[index],
                    lambda x: x[_torch_index(parts)])


def gen_reverse(draw, prog):
    """A negative-step slice (PyTorch has none: it flips instead)."""
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    d = draw(st.integers(0, len(prog.shapes[a]) - 1))
    index = (slice(None),) * d + (slice(None, None, -1),)
    code = ", ".join([":"] * d + ["::-1"])
    return add_step(prog, "{0}[" + code + "]", [a], lambda x: x[index], lambda x: torch.flip(x, (d,)))


# -- matrix products ----------------------------------------------------------------------------

def _matmul_fits(sa, sb):
    if not sa or not sb or sa[-1] != sb[-2 if len(sb) > 1 else -1]:
        return False
    return broadcastable(sa[:-2], sb[:-2])


MATMUL_VARIANTS = [
    ("{0} @ {1}", operator.matmul), ("ag.matmul({0}, {1})", ag.matmul),
    ("np.matmul({0}, {1})", np.matmul), ("{0}.matmul({1})", lambda a, b: a.matmul(b))]


def gen_matmul(draw, prog):
    a = pick(draw, prog, lambda s: len(s) >= 1)
    if a is None:
        return False
    sa = prog.shapes[a]
    how = draw(st.sampled_from(["value", "value", "const", "gram"]))
    b = None
    if how == "value":
        if draw(st.booleans()):
            b = pick(draw, prog, lambda s: _matmul_fits(sa, s))
            items = [a, b]
        else:
            b = pick(draw, prog, lambda s: _matmul_fits(s, sa))
            items = [b, a]
    if how == "const":
        m = draw(st.integers(0, 3))
        if draw(st.booleans()):
            vector = len(sa) == 1 or m == 1 and draw(st.booleans())
            items = [a, const_array(draw, prog, (sa[-1],) if vector else (sa[-1], m))]
        else:
            k = sa[-2] if len(sa) >= 2 else sa[0]
            items = [const_array(draw, prog, (m, k)), a]
    if how == "gram" or (how == "value" and b is None):  # a @ a^T always lines up
        if len(sa) == 1:
            items = [a, a]
        else:
            template, ours = draw(st.sampled_from([
                ("{0} @ {0}.swapaxes(-1, -2)", lambda x: x @ x.swapaxes(-1, -2)),
                ("ag.matmul(ag.swapaxes({0}, -1, -2), {0})",
                 lambda x: ag.matmul(ag.swapaxes(x, -1, -2), x))]))
            theirs = ((lambda x: x @ x.transpose(-1, -2)) if template.startswith("{0} @")
                      else (lambda x: x.transpose(-1, -2) @ x))
            return add_step(prog, template, [a], ours, theirs)
    template, ours = draw(st.sampled_from(MATMUL_VARIANTS[:3] if isinstance(items[0], Const)
                                          else MATMUL_VARIANTS))
    return add_step(prog, template, items, ours, torch.matmul)


def _dot_fits(sa, sb):
    if not sa or not sb:
        return True
    return len(sa) <= 2 and len(sb) <= 2 and sa[-1] == sb[0]


def _torch_dot(a, b):
    return a * b if a.ndim == 0 or b.ndim == 0 else torch.matmul(a, b)


def gen_dot(draw, prog):
    a = pick(draw, prog, lambda s: len(s) <= 2)
    if a is None:
        return False
    sa = prog.shapes[a]
    if draw(st.booleans()):
        b = pick(draw, prog, lambda s: len(s) <= 2 and _dot_fits(sa, s))
        items = [a, b] if b is not None else [a, a]
        if b is None and not _dot_fits(sa, sa):
            items = [a, Const(draw(grid()))]
    else:
        b = pick(draw, prog, lambda s: len(s) <= 2 and _dot_fits(s, sa))
        items = [b, a] if b is not None else [Const(draw(grid())), a]
    template, ours = draw(st.sampled_from([
        ("ag.dot({0}, {1})", ag.dot), ("np.dot({0}, {1})", np.dot)]))
    if not isinstance(items[0], Const) and draw(st.booleans()):
        template, ours = "{0}.dot({1})", lambda x, y: x.dot(y)
    return add_step(prog, template, items, ours, _torch_dot)


def gen_linear(draw, prog):
    x = pick(draw, prog, lambda s: len(s) >= 1)
    if x is None:
        return False
    k = prog.shapes[x][-1]
    W = pick(draw, prog, lambda s: len(s) == 2 and s[1] == k) if draw(st.booleans()) else None
    if W is None:
        W = const_array(draw, prog, (draw(st.integers(0, 3)), k))
    m = prog.shapes[W][0] if not isinstance(W, Const) else W.value.shape[0]
    how = draw(st.sampled_from(["none", "value", "const"]))
    b = None
    if how == "value":
        b = pick(draw, prog, lambda s: s == (m,))
    if how == "const" or (how == "value" and b is None):
        b = const_array(draw, prog, (m,))
    if how == "none":
        return add_step(prog, "ag.linear({0}, {1})", [x, W], ag.linear, torch.nn.functional.linear)
    return add_step(prog, "ag.linear({0}, {1}, {2})", [x, W, b], ag.linear,
                    torch.nn.functional.linear)


# catalogue name -> richer drawer (a name that is not in the catalogue fails a test)
RICHER = {
    "clip": gen_clip, "where": gen_where,
    "reshape": gen_reshape, "transpose": gen_transpose, "swapaxes": gen_transpose,
    "flatten": gen_flatten, "squeeze": gen_squeeze, "expand_dims": gen_expand_dims,
    "broadcast_to": gen_broadcast_to, "concatenate": gen_concatenate,
    "concatenate_flat": gen_concatenate, "stack": gen_stack,
    "getitem_basic": gen_getitem, "getitem_repeated_ints": gen_getitem,
    "getitem_two_int_arrays": gen_getitem, "getitem_mask": gen_getitem,
    "getitem_reversed": gen_reverse,
    "matmul": gen_matmul, "matmul_batched_vector": gen_matmul, "matmul_vector_batched": gen_matmul,
    "matmul_inner": gen_matmul, "dot": gen_dot, "linear": gen_linear, "linear_bias": gen_linear,
}
