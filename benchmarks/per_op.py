"""Per-op overhead: chains of 10 000 elementwise ops on tiny tensors, forward + backward.

    python benchmarks/per_op.py                # 0-d and (32,) float32, 7 rounds
    python benchmarks/per_op.py --length 2000 --reps 3

On tensors this small the arithmetic costs next to nothing, so the time per op is what the
engine itself adds: creating the output tensor, recording the op, and visiting it in backward.
Three chains, each `length` ops long, starting from x (a leaf that requires grad):

    mul    y = y * 0.999            one tensor input and a Python constant
    add    y = y + w                two tensor inputs; w's gradient accumulates at every step
    tanh   y = tanh(y)              a unary function whose backward reads its output

The hand-written NumPy version runs the same forward loop, keeps what its backward needs in a
list, and walks the list backwards applying each derivative: the NumPy work alone. The "tape"
version is the least an autograd written in Python over NumPy can do per op (`Taped` below):
one small object per result on one global tape, walked backwards once, with none of an engine's
checks. What glassgrad costs above it pays for those. Results are microseconds per op
(forward + backward), and glassgrad / NumPy paired per round.
"""
import numpy as np

import _common as C

import autograd as ag

KINDS = ("mul", "add", "tanh")
SHAPES = {"0-d": (), "(32,)": (32,)}
TARGET_US = 5.0  # issue 8: forward + backward per elementwise op
TARGET_TAPE = 2.0  # issue 20: glassgrad / tape floor, paired, on every chain
TARGET_TORCH = 0.6  # issue 20: glassgrad / PyTorch, paired, on every chain


# ---------------------------------------------------------------------------------------------
# The three implementations of each chain; each returns (dL/dx, dL/dw) with L = sum(y)
# ---------------------------------------------------------------------------------------------

def numpy_chain(kind, x, w, n):
    if kind == "mul":
        c = 0.999
        y = x
        for _ in range(n):
            y = y * c
        g = np.ones_like(x)
        for _ in range(n):  # nothing saved: d(y c)/dy = c
            g = g * c
        return g, None
    if kind == "add":
        y = x
        for _ in range(n):
            y = y + w
        g = np.ones_like(x)
        gw = np.zeros_like(w)
        for _ in range(n):
            gw = gw + g
        return g, gw
    ys = []  # tanh: the backward needs every output
    y = x
    for _ in range(n):
        y = np.tanh(y)
        ys.append(y)
    g = np.ones_like(x)
    for y in reversed(ys):
        g = g * (1 - y * y)
    return g, None


class Taped:
    """The floor of a Python autograd over NumPy: every result appends itself to one global tape
    with its backward rule and inputs, and backward walks the tape once, latest first. Nothing
    else: no requires_grad, broadcasting, dtype or in-place checks, no freeing, one graph at a
    time. Only the operations the chains use (`y * number`, `y + w`, `tanh`, `sum`)."""

    __slots__ = ("data", "grad", "rule", "inputs")
    tape = []

    def __init__(self, data, rule=None, inputs=()):
        self.data, self.grad, self.rule, self.inputs = data, None, rule, inputs
        if rule is not None:
            Taped.tape.append(self)

    # np.asarray: like glassgrad, hold 0-d results as 0-d arrays (NumPy gives scalars)
    def __mul__(self, c): return Taped(np.asarray(self.data * c), _mul_rule, (self, c))
    def __add__(self, w): return Taped(np.asarray(self.data + w.data), _add_rule, (self, w))
    def tanh(self): return Taped(np.asarray(np.tanh(self.data)), _tanh_rule, (self,))
    def sum(self): return Taped(np.asarray(self.data.sum()), _sum_rule, (self,))

    def backward(self):
        self.grad = np.ones_like(self.data)
        for t in reversed(Taped.tape):
            if t.grad is not None:
                t.rule(t)
        Taped.tape.clear()


def _accumulate(x, g):
    x.grad = g if x.grad is None else x.grad + g


def _mul_rule(t):
    x, c = t.inputs
    _accumulate(x, t.grad * c)


def _add_rule(t):
    y, w = t.inputs
    _accumulate(y, t.grad)
    _accumulate(w, t.grad)


def _tanh_rule(t):
    _accumulate(t.inputs[0], t.grad * (1.0 - t.data * t.data))


def _sum_rule(t):
    x = t.inputs[0]
    _accumulate(x, np.broadcast_to(t.grad, x.data.shape))


def user_chain(kind, x, w, n):
    """The chain as a user writes it; the same code for glassgrad, PyTorch and `Taped`."""
    y = x
    if kind == "mul":
        for _ in range(n):
            y = y * 0.999
    elif kind == "add":
        for _ in range(n):
            y = y + w
    else:
        for _ in range(n):
            y = y.tanh()
    y.sum().backward()


def glassgrad_chain(kind, x, w, n):
    x = ag.Tensor(x, requires_grad=True)
    w = ag.Tensor(w, requires_grad=True)
    user_chain(kind, x, w, n)
    return x.grad, w.grad


def tape_chain(kind, x, w, n):
    dtype = x.dtype
    x, w = Taped(x), Taped(w)
    user_chain(kind, x, w, n)
    # dtype: the tape has no dtype rules, and NumPy 1.x makes its 0-d float32 products float64
    return np.asarray(x.grad, dtype), None if w.grad is None else np.asarray(w.grad, dtype)


def torch_chain(torch, kind, x, w, n):
    x = torch.tensor(x, requires_grad=True)
    w = torch.tensor(w, requires_grad=True)
    user_chain(kind, x, w, n)
    return x.grad.numpy(), None if w.grad is None else w.grad.numpy()


# ---------------------------------------------------------------------------------------------

def inputs(shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, size=shape).astype(np.float32)
    w = rng.uniform(-1e-4, 1e-4, size=shape).astype(np.float32)
    return x, w


def check_agreement(kind, shape, torch, n):
    x, w = inputs(shape)
    want = numpy_chain(kind, x, w, n)
    runs = {"tape": tape_chain(kind, x, w, n), "glassgrad": glassgrad_chain(kind, x, w, n)}
    if torch is not None:
        runs["torch"] = torch_chain(torch, kind, x, w, n)
    for name, (gx, gw) in runs.items():
        if gx.dtype != np.float32:
            raise C.Mismatch(f"{name} {kind} chain: x.grad is {gx.dtype}, not float32")
        C.assert_close(f"{name} {kind} chain {shape}: dL/dx", gx, want[0], rtol=1e-3)
        if kind == "add":
            C.assert_close(f"{name} add chain {shape}: dL/dw", gw, want[1], rtol=1e-5)


def main():
    parser = C.base_parser(__doc__.split("\n")[0], reps=15)
    parser.add_argument("--length", type=int, default=10000, help="ops per chain")
    args = parser.parse_args()
    C.set_threads(args.threads)
    torch, env = C.start_timing(args)
    n = args.length
    print(f"chains of {n} ops, float32, forward + backward, {args.reps} rounds (+1 warm-up); "
          "microseconds per op")

    results = []
    for label, shape in SHAPES.items():
        for kind in KINDS:
            check_agreement(kind, shape, torch, 100)
            x, w = inputs(shape)
            variants = {
                "numpy": lambda kind=kind: lambda: numpy_chain(kind, x, w, n),
                "tape": lambda kind=kind: lambda: tape_chain(kind, x, w, n),
                "glassgrad": lambda kind=kind: lambda: glassgrad_chain(kind, x, w, n),
            }
            if torch is not None:
                variants["torch"] = lambda kind=kind: lambda: torch_chain(torch, kind, x, w, n)
            times = C.interleaved(variants, args.reps, clock=args.clock)
            rows = C.summarize(times, scale=1e6 / n)
            C.print_table(f"{kind} chain on {label} tensors (agreement checked), us per op", rows,
                          unit="us", fmt="{:.2f}")
            results.append({"shape": label, "kind": kind, "rows": rows, "times": times})

    print("\nsummary: microseconds per op, forward + backward: median of rounds (min)")
    names = [r["name"] for r in results[0]["rows"]]
    header = (f"  {'chain':<14}" + "".join(f"{name:>16}" for name in names)
              + f"{'gg/numpy':>10}{'gg/tape':>10}")
    if torch is not None:
        header += f"{'gg/torch':>10}"
    print(header)
    for r in results:
        by = {row["name"]: row for row in r["rows"]}
        line = (f"  {r['kind'] + ' ' + r['shape']:<14}"
                + "".join(f"{by[n]['median']:>9.2f} ({by[n]['min']:.2f})" for n in names)
                + f"{by['glassgrad']['ratio_median']:>9.2f}x")
        r["gg_over_tape"] = float(np.median(C.paired_ratios(r["times"], "glassgrad", "tape")))
        line += f"{r['gg_over_tape']:>9.2f}x"
        if torch is not None:
            r["gg_over_torch"] = float(np.median(C.paired_ratios(r["times"], "glassgrad", "torch")))
            line += f"{r['gg_over_torch']:>9.2f}x"
        print(line)
    worst = max(by_row["median"] for r in results for by_row in r["rows"]
                if by_row["name"] == "glassgrad")
    worst_min = max(by_row["min"] for r in results for by_row in r["rows"]
                    if by_row["name"] == "glassgrad")
    print(f"\nissue 8 target: <= {TARGET_US:g} us per op on every chain; glassgrad's slowest chain: "
          f"median {worst:.2f} us ({'met' if worst <= TARGET_US else 'NOT met'}), "
          f"min {worst_min:.2f} us ({'met' if worst_min <= TARGET_US else 'NOT met'})")
    worst_tape = max(r["gg_over_tape"] for r in results)
    print(f"issue 20 target: <= {TARGET_TAPE:g}x the tape floor on every chain; worst "
          f"{worst_tape:.2f}x ({'met' if worst_tape <= TARGET_TAPE else 'NOT met'})")
    if torch is not None:
        worst_ratio = max(r["gg_over_torch"] for r in results)
        best_ratio = min(r["gg_over_torch"] for r in results)
        print(f"paired against PyTorch in this run (the machine's speed drifts, the ratio much "
              f"less): glassgrad takes {best_ratio:.2f}x to {worst_ratio:.2f}x PyTorch's time")
        print(f"issue 20 target: <= {TARGET_TORCH:g}x PyTorch on every chain; worst "
              f"{worst_ratio:.2f}x ({'met' if worst_ratio <= TARGET_TORCH else 'NOT met'})")
    for r in results:
        del r["times"]
    C.write_json(args.json, {"env": env, "length": n, "reps": args.reps, "results": results})


if __name__ == "__main__":
    main()
