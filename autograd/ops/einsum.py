"""einsum: the one op behind every sum of products named by subscripts.

The subscripts are first written out in full (`parse`): ellipses become letters of their own and
an implicit output is made explicit, so the op itself only sees plain letters. The gradient of
one operand is an einsum too: the other operands and the output gradient, contracted down to that
operand's letters. Two details make it exact in general:
- a letter that only this operand has (summed inside it, `'ij->i'`) does not reach the gradient
  through the contraction; the gradient is constant along it, so it is broadcast back;
- a letter repeated within the operand (`'ii->i'`, a diagonal) gets its gradient on that diagonal
  only, by multiplying with the identity.
"""
import string

import numpy as np

from ..graph import Op

LETTERS = string.ascii_letters


def parse(subscripts, shapes):
    """('...ij,...jk', shapes) -> (['Aij', 'Ajk'], 'Aik'): explicit letters for the ellipsis
    dimensions (right-aligned and broadcast across operands, as NumPy does) and for an implicit
    output (the letters that appear once, in alphabetical order, after the ellipsis)."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins, out = subscripts, None
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(ins)} operands, "
                         f"but {len(shapes)} were given")
    used = set(subscripts) - set(".,->")
    spare = [c for c in LETTERS if c not in used]
    n_ell = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            n_ell = max(n_ell, len(shape) - (len(s) - 3))
    ell = "".join(spare[:n_ell])
    expanded = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != len(shape):
            raise ValueError(f"einsum: operand subscripts {s!r} do not match an operand of "
                             f"shape {tuple(shape)}")
        expanded.append(s)
    if out is None:
        letters = "".join(expanded)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell) if letters.count(c) == 1))
    else:
        out = out.replace("...", ell)
    return expanded, out


def from_sublists(args):
    """einsum(op0, [0, 1], op1, [1, 2], [0, 2]) -> ('ab,bc->ac', [op0, op1])."""
    def letters(sub):
        return "".join("..." if i is Ellipsis else LETTERS[i] for i in sub)
    explicit = len(args) % 2 == 1  # an output sublist at the end
    pairs = args[:-1] if explicit else args
    operands, subs = list(pairs[0::2]), [letters(s) for s in pairs[1::2]]
    return ",".join(subs) + ("->" + letters(args[-1]) if explicit else ""), operands


class Einsum(Op):
    __slots__ = ("subs", "out", "optimize")

    def __init__(self, subs, out, optimize=False):
        self.subs, self.out, self.optimize = subs, out, optimize

    @property
    def spec(self):
        return ",".join(self.subs) + "->" + self.out

    def forward(self, *xs):
        return np.einsum(self.spec, *xs, optimize=self.optimize)

    def backward(self, gy, y, *xs):
        return tuple(self._grad(i, gy, xs) if self.needs(i) else None for i in range(len(xs)))

    def _grad(self, i, gy, xs):
        sub = self.subs[i]
        unique = "".join(dict.fromkeys(sub))
        others = [(s, x) for j, (s, x) in enumerate(zip(self.subs, xs)) if j != i]
        reachable = set(self.out).union(*[s for s, _ in others])
        kept = "".join(c for c in unique if c in reachable)
        spec = ",".join([s for s, _ in others] + [self.out]) + "->" + kept
        g = np.einsum(spec, *[x for _, x in others], gy, optimize=self.optimize)
        size = dict(zip(sub, np.shape(xs[i])))
        if kept != unique:  # letters summed inside this operand only: constant along them
            got = dict(zip(kept, np.shape(g)))
            g = np.reshape(g, [got[c] if c in got else 1 for c in unique])
            g = np.broadcast_to(g, [got[c] if c in got else size[c] for c in unique])
        if unique != sub:  # a repeated letter: the gradient lives on the diagonal
            first, shape, mask = {}, [], 1.0
            for p, c in enumerate(sub):
                if c in first:
                    n = size[c]
                    mask = mask * np.eye(n, dtype=np.result_type(g)).reshape(
                        [n if a in (first[c], p) else 1 for a in range(len(sub))])
                    shape.append(1)
                else:
                    first[c] = p
                    shape.append(np.shape(g)[len(first) - 1])
            g = np.reshape(g, shape) * mask
        return g

    def params(self):
        return {"subscripts": self.spec}


def einsum(*operands, optimize=False):
    """np.einsum on Tensors: einsum('ij,jk->ik', a, b), or the sublist form."""
    if isinstance(operands[0], str):
        subscripts, operands = operands[0], list(operands[1:])
    else:
        subscripts, operands = from_sublists(operands)
    subs, out = parse(subscripts, [np.shape(getattr(x, "data", x)) for x in operands])
    return Einsum(subs, out, optimize)(*operands)
