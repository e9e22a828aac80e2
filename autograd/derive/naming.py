"""Names in the written code and formulas.

The learner's names come first: parameter names, `watch` names, a tensor's `.name`, and the
variables of their code that held each tensor or array (see capture.py). Anything else gets a name
built from its op (`z1`, `h1` ...) or, for a constant, `x0`, `x1` .... Those are decided at the
end, once it is known which ones the code uses, so that the numbers run 1, 2, 3 in forward order:
until then they are tokens (`__g7__`, `__c2__`) in the text.
"""
import builtins
import keyword
import re

# Names the written code needs for itself, or that would shadow what it calls.
RESERVED = {"np", "range", "len", "gradients"} | set(keyword.kwlist) | set(dir(builtins))

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "sigma",
         "tau", "phi", "psi", "omega", "rho", "kappa", "xi", "zeta", "nu", "chi", "pi"}

_TOKEN = re.compile(r"__([gc])(\d+)__")


def token(kind, number):
    """A stand-in for a name decided at the end: kind 'g' (an op's output) or 'c' (a constant)."""
    return f"__{kind}{number}__"


def sanitize(name):
    """A learner's name as a Python identifier: '0.weight' -> 'W0', 'fc1.bias' -> 'fc1_bias',
    'log p[label]' -> 'log_p_label'."""
    name = str(name)
    layer = re.fullmatch(r"(?:.*\.)?(\d+)\.(weight|bias)", name)
    if layer:
        return ("W" if layer.group(2) == "weight" else "b") + layer.group(1)
    name = re.sub(r"\W+", "_", name).strip("_") or "t"
    if name[0].isdigit():
        name = "t" + name
    return name


class Names:
    """Hands out names, each once."""

    def __init__(self):
        self.taken = set(RESERVED)

    def claim(self, base):
        """A name for a tensor or constant: free, and so is its gradient's name d<name>."""
        base = sanitize(base)
        name, k = base, 2
        while name in self.taken or grad_name(name) in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.update((name, grad_name(name)))
        return name

    def free(self, base):
        """A name not taken yet (and then taken): base, base_2, ..."""
        name, k = base, 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name


def grad_name(name):
    return "d" + name


def tex_symbol(name):
    """A variable's name as a LaTeX symbol: W1 -> W_{1}, z_out -> z_{\\mathrm{out}},
    probs -> \\mathrm{probs}, delta4 -> \\delta_{4}."""
    match = _TOKEN.fullmatch(name)
    if match:
        return name  # replaced at the end
    base, _, sub = name.partition("_")
    digits = re.fullmatch(r"([A-Za-z]+?)(\d+)", base)
    if digits and not sub:
        base, sub = digits.groups()
    if len(base) > 1 and base not in GREEK and len(sub) > 1 and not sub.isdigit():
        base, sub = name, ""  # exp_scores: one word
    if base in GREEK:
        head = "\\" + base
    elif len(base) == 1:
        head = base
    else:
        head = r"\mathrm{" + base.replace("_", r"\_") + "}"
    if not sub:
        return head
    sub = sub if sub.isdigit() or len(sub) == 1 else r"\mathrm{" + sub.replace("_", r"\_") + "}"
    return f"{head}_{{{sub}}}"


def grad_tex(symbol):
    return r"\delta_{" + symbol + "}"


def leaf_grad_tex(symbol):
    return r"\frac{\partial L}{\partial " + symbol + "}"


def tokens_in(text):
    return [m.group(0) for m in _TOKEN.finditer(text)]


def replace_tokens(text, names, tex=False):
    """Put the final names (token -> name) into a code or LaTeX text."""
    def swap(match):
        final = names.get(match.group(0), match.group(0))
        return tex_symbol(final) if tex else final
    return _TOKEN.sub(swap, text)
