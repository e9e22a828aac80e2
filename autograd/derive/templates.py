"""An op's rule, filled in: the templates of `Op.code` and `Op.tex` with one graph's names.

Code templates are Python: they are parsed, their placeholder names replaced by expressions (a
variable, a constant written out, a whole inlined forward expression), tidied (`1 * g` is `g`)
and printed back with `ast.unparse`, which puts in exactly the brackets Python needs. LaTeX
templates are text: placeholders are whole words, replaced by symbols, with brackets added
around anything longer than a symbol.
"""
import ast
import functools
import inspect
import re

import numpy as np

from ..graph import _slot_names


# ----------------------------------------------------------------------------------------------
# Reading an op's rule

@functools.lru_cache(maxsize=None)
def _signature_names(cls):
    """The input names of `cls.forward`, and whether it takes `*xs`."""
    params = list(inspect.signature(cls.forward).parameters.values())[1:]
    if params and params[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return (), True
    return tuple(p.name for p in params), False


def input_names(op, n):
    """The template names of op's n inputs: as in its forward's signature, else x0, x1, ..."""
    names, variadic = _signature_names(type(op))
    return [f"x{i}" for i in range(n)] if variadic else list(names[:n])


def has_rule(op):
    return type(op).code is not None and type(op).tex is not None


def read_rule(op, kind, xs):
    """(forward, (gradient template per input)) of op's `kind` ('code' or 'tex'); None if the op
    states no rule."""
    rule = getattr(op, kind)
    if rule is None:
        return None
    if callable(rule):
        rule = rule(*xs)
    forward, grads = rule
    if not isinstance(grads, tuple):
        grads = (grads,)
    return forward, grads


def param_names(op):
    """The op's parameters (slot names) that a template may use."""
    return [k for k in _slot_names(type(op)) if not k.startswith("_")]


# ----------------------------------------------------------------------------------------------
# Code

def parse(template):
    """A template as an expression (ast.expr), or as statements (list of ast.stmt)."""
    tree = ast.parse(template.strip())
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        return tree.body[0].value
    return tree.body


def expr(text):
    return ast.parse(text, mode="eval").body


def name(identifier):
    return ast.Name(identifier, ast.Load())


class Index:
    """A NumPy index as code: `x[a, 1:3]` inside brackets, `np.s_[a, 1:3]` as a value."""

    def __init__(self, parts):
        self.parts = parts  # ast nodes; slices as ast.Slice

    def subscript(self):
        return self.parts[0] if len(self.parts) == 1 else ast.Tuple(self.parts, ast.Load())

    def value(self):
        if any(isinstance(p, ast.Slice) or _is_const(p, None) or _is_ellipsis(p)
               for p in self.parts):
            return ast.Subscript(expr("np.s_"), self.subscript(), ast.Load())
        return self.parts[0] if len(self.parts) == 1 else ast.Tuple(self.parts, ast.Load())


def _is_const(node, value):
    return isinstance(node, ast.Constant) and node.value is value


def _is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


class _Fill(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Subscript(self, node):
        if isinstance(node.slice, ast.Name) and isinstance(self.values.get(node.slice.id), Index):
            node.value = self.visit(node.value)
            node.slice = self.values[node.slice.id].subscript()
            return node
        return self.generic_visit(node)

    def visit_Name(self, node):
        value = self.values.get(node.id)
        if value is None:
            return node
        if isinstance(node.ctx, ast.Store):
            return ast.Name(value.id, ast.Store())  # an assignment target is always a name
        if isinstance(value, Index):
            return value.value()
        return _copy(value)


def _copy(node):
    return ast.parse(ast.unparse(node), mode="eval").body if not isinstance(node, ast.Name) \
        else ast.Name(node.id, ast.Load())


def fill(template, values):
    """The template (parsed) with its placeholders replaced by `values` (name -> ast node or
    Index), tidied. An expression gives an ast.expr, statements a list of ast.stmt."""
    tree = parse(template) if isinstance(template, str) else template
    if isinstance(tree, list):
        return [ast.fix_missing_locations(_Tidy().visit(_Fill(values).visit(s))) for s in tree]
    return _Tidy().visit(_Fill(values).visit(tree))


def is_number(node):
    """A number written out: 1, -1, 0.005, 1 / 16 (nothing folded, so it still reads)."""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, ast.UnaryOp):
        return is_number(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return is_number(node.left) and is_number(node.right)
    return False


def _number(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


class _Tidy(ast.NodeTransformer):
    """1 * g -> g, g / 1 -> g, -(-g) -> g, -1 * g -> -g: what a seed gradient of 1 leaves."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = _number(node.left), _number(node.right)
        if isinstance(node.op, ast.Mult):
            if left == 1:
                return node.right
            if right == 1:
                return node.left
            if isinstance(node.left, ast.UnaryOp) and isinstance(node.left.op, ast.USub) \
                    and _number(node.left.operand) == 1:
                return ast.UnaryOp(ast.USub(), node.right)
        if isinstance(node.op, ast.Div) and right == 1:
            return node.left
        return node

    def visit_Call(self, node):
        """np.broadcast_to(1, x.shape) -> np.ones_like(x) (a Sum's backward from the loss)."""
        self.generic_visit(node)
        if (ast.unparse(node.func) == "np.broadcast_to" and len(node.args) == 2
                and is_number(node.args[0])
                and isinstance(node.args[1], ast.Attribute) and node.args[1].attr == "shape"):
            like = node.args[1].value
            if _number(node.args[0]) == 1:
                return ast.Call(expr("np.ones_like"), [like], [])
            return ast.Call(expr("np.full_like"), [like, node.args[0]], [])
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        inner = node.operand
        if isinstance(node.op, ast.USub) and isinstance(inner, ast.UnaryOp) \
                and isinstance(inner.op, ast.USub):
            return inner.operand
        return node


def unparse(node):
    """Code text for an expression or a statement, with `h**2` written tight as learners do."""
    return ast.unparse(node).replace(" ** ", "**")


def names_in(node):
    """Every variable name an expression or statements read or write."""
    nodes = node if isinstance(node, list) else [node]
    return {n.id for tree in nodes for n in ast.walk(tree) if isinstance(n, ast.Name)}


def count_uses(template, placeholder):
    tree = parse(template)
    nodes = tree if isinstance(tree, list) else [tree]
    return sum(isinstance(n, ast.Name) and n.id == placeholder
               for t in nodes for n in ast.walk(t))


# ----------------------------------------------------------------------------------------------
# Literals: Python values as code

def literal(value):
    """An ast node writing a Python number, tuple, None, slice, dtype ... as code."""
    if isinstance(value, np.dtype):
        return expr(f"np.{value}")
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        value = value.item()
    if isinstance(value, float):
        for text, special in (("np.e", np.e), ("np.pi", np.pi)):
            if value == special:
                return expr(text)
        if not np.isfinite(value):
            return expr("np.nan" if np.isnan(value) else "np.inf" if value > 0 else "-np.inf")
    if isinstance(value, tuple):
        return ast.Tuple([literal(v) for v in value], ast.Load())
    if isinstance(value, slice):
        return ast.Slice(*(None if v is None else literal(v)
                           for v in (value.start, value.stop, value.step)))
    if isinstance(value, range) and value.step == 1:
        return expr(f"range({value.stop})" if value.start == 0
                    else f"range({value.start}, {value.stop})")
    if isinstance(value, range):
        return expr(repr(value))
    if value is Ellipsis:
        return ast.Constant(Ellipsis)
    return expr(repr(value))


# ----------------------------------------------------------------------------------------------
# LaTeX

_WORD = re.compile(r"(?<![\\A-Za-z_])([A-Za-z_][A-Za-z_0-9]*)")


class Tex:
    """A LaTeX fragment and how it binds: 'atom' (a symbol, a fraction, a power), 'product'
    (juxtaposed or odot factors), 'sum' (terms with + or -), for deciding on brackets."""

    def __init__(self, text, atomic=True):
        self.text = text
        self.kind = "atom" if atomic is True else atomic if isinstance(atomic, str) else kind(text)

    @property
    def atomic(self):
        return self.kind == "atom"

    def __str__(self):
        return self.text


def kind(text):
    """'sum', 'product' or 'atom': how a LaTeX fragment binds at its top level."""
    depth, seen_space = 0, False
    for i, ch in enumerate(text):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0:
            if ch in "+-" and (i > 0 or ch == "-") and not text[:i].endswith(("^", "_")):
                return "sum"
            if ch == " " or text.startswith(r"\odot", i) or text.startswith(r"\,", i):
                seen_space = True
    if text.startswith(r"\left(") and text.endswith(r"\right)"):
        return "atom"
    return "product" if seen_space else "atom"


_PROTECTED = re.compile(r"\\(?:text|mathrm|operatorname)\{[^{}]*\}")


def fill_tex(template, values, seed=False):
    """LaTeX template with whole-word placeholders replaced by `values` (name -> Tex). `seed`:
    the output's gradient is the loss's own (1), so `gy` drops out of products. Brackets go
    around a value only where its terms would otherwise mix with the template's."""
    if seed:
        for pattern, repl in ((r"gy \\odot ", ""), (r" \\odot gy\b", ""), (r"gy\\, ", ""),
                              (r"\\frac\{gy\}", r"\\frac{1}"), (r"\bgy\b", "1")):
            template = re.sub(pattern, repl, template)
    kept = []

    def protect(match):
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"
    template = _PROTECTED.sub(protect, template)

    def swap(match):
        value = values.get(match.group(1))
        if value is None:
            return match.group(0)
        before = template[:match.start()].rstrip()[-1:]
        after = template[match.end():].lstrip()[:1]
        enclosed = before in ("{", "(", "", "=", ",") and after in ("}", ")", ",", "")
        if value.kind == "atom" or enclosed:
            return value.text
        if value.kind == "product" and after not in ("^", "_") and before != "-":
            return value.text
        if value.kind == "sum" and before in ("", "+", "=", "{", "(") and after in ("+", "-", ""):
            return value.text
        return r"\left(" + value.text + r"\right)"

    text = _WORD.sub(swap, template)
    text = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return re.sub(r"(\d)\s*\\odot\s*", r"\1\\, ", text)  # 0.5 \odot x reads as 0.5\, x
