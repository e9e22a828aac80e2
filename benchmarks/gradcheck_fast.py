"""gradcheck(fast=True) and compare_gradients on a 784-300-75-10 MLP: seconds per check.

    python benchmarks/gradcheck_fast.py
    python benchmarks/gradcheck_fast.py --batch 128 --reps 5

The function checked is the mean softmax cross-entropy of the MLP (ReLU hidden layers) on a batch
of real MNIST images, as a function of all six parameter tensors (258 835 numbers), in float64
as gradcheck wants. Full finite differences would need two forward passes per number; fast mode
checks random directional derivatives instead, which is what makes a whole-network check
practical. Two checks guard the timing:

  - the check passes on the correct function;
  - the check fails when one ReLU's backward is off by 1 % (a fast mode that checked nothing
    would be very fast).

PyTorch's own fast gradcheck (torch.autograd.gradcheck(fast_mode=True)) on the same function
is timed alongside for reference; there is no hand-written NumPy column, since a check by hand
would not be the same computation.

compare_gradients is timed on the same loss, given the right gradients of all six parameters
(the report must say every row is ok): one forward and backward, and the comparison.
"""
import numpy as np

import _common as C

import autograd as ag
import nn.functional as F
from nn.data import mnist

try:  # the public face re-exports it; fall back to its module while that is being wired up
    from autograd import GradcheckError, compare_gradients, gradcheck
except ImportError:
    from autograd.check import GradcheckError, compare_gradients, gradcheck

SIZES = [784, 300, 75, 10]


class OffReLU(ag.Op):
    """ReLU whose backward is 1 % too large: a gradient bug gradcheck must catch."""

    __slots__ = ()

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy, y, x):
        return gy * (x > 0) * 1.01


def make_problem(batch, data_root):
    (X, y), _ = mnist(data_root)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(X), batch, replace=False)
    xb, yb = X[rows].astype(np.float64), y[rows]
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)  # PyTorch's Linear initialisation
        params.append(rng.uniform(-bound, bound, (n_out, n_in)))
        params.append(rng.uniform(-bound, bound, n_out))
    return xb, yb, params


def glassgrad_loss(xb, yb, relu=ag.relu):
    def f(*params):
        h = ag.Tensor(xb)
        n = len(params) // 2
        for i in range(n):
            h = ag.linear(h, params[2 * i], params[2 * i + 1])
            if i < n - 1:
                h = relu(h)
        return F.cross_entropy(h, yb)
    return f


def torch_loss(torch, xb, yb):
    xt, yt = torch.from_numpy(xb), torch.from_numpy(yb)

    def f(*params):
        h = xt
        n = len(params) // 2
        for i in range(n):
            h = torch.nn.functional.linear(h, params[2 * i], params[2 * i + 1])
            if i < n - 1:
                h = torch.relu(h)
        return torch.nn.functional.cross_entropy(h, yt)
    return f


NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def compare_problem(xb, yb, params):
    """compare_gradients' arguments for the MLP's loss: the params by name, and their true
    gradients (from one backward pass) as the hand-derived ones."""
    f = glassgrad_loss(xb, yb)
    named = dict(zip(NAMES, params))
    ts = leaves(params)
    f(*ts).backward()
    hand = {name: t.grad for name, t in zip(NAMES, ts)}
    return (lambda **p: f(*[p[name] for name in NAMES])), named, hand


def leaves(params):
    return [ag.Tensor(p, requires_grad=True) for p in params]


def check_works(xb, yb, params):
    """The check passes on the right gradients and fails on a 1 % error."""
    gradcheck(glassgrad_loss(xb, yb), *leaves(params), fast=True)
    try:
        gradcheck(glassgrad_loss(xb, yb, relu=lambda h: OffReLU()(h)), *leaves(params),
                     fast=True)
    except GradcheckError:
        return
    raise C.Mismatch("gradcheck(fast=True) passed a ReLU whose backward is 1 % off: it does "
                     "not check enough for its time to mean anything")


def main():
    parser = C.base_parser(__doc__.split("\n")[0], reps=5)
    parser.add_argument("--batch", type=int, default=32, help="MNIST images in the loss")
    parser.add_argument("--data-root")
    args = parser.parse_args()
    C.set_threads(args.threads)
    torch, env = C.start_timing(args)

    xb, yb, params = make_problem(args.batch, args.data_root)
    n = sum(p.size for p in params)
    print(f"MLP {'-'.join(map(str, SIZES))}: {n} parameters in 6 tensors, float64, cross-entropy "
          f"on {args.batch} MNIST images")
    check_works(xb, yb, params)
    print("check: passes on the true gradients, fails on a ReLU backward that is 1 % off")

    f = glassgrad_loss(xb, yb)
    variants = {"glassgrad": lambda: (lambda ts: lambda: gradcheck(f, *ts, fast=True))(
        leaves(params))}
    if torch is not None:
        tf = torch_loss(torch, xb, yb)

        def torch_check():
            ts = [torch.tensor(p, requires_grad=True) for p in params]
            return lambda: torch.autograd.gradcheck(tf, ts, fast_mode=True)
        variants["torch"] = torch_check
    loss_fn, named, hand = compare_problem(xb, yb, params)
    report = compare_gradients(loss_fn, named, hand)
    if not report.ok:
        raise C.Mismatch(f"compare_gradients finds the true gradients wrong:\n{report}")
    print("check: compare_gradients finds the true gradients of all six parameters ok")
    variants["compare_grads"] = lambda: lambda: compare_gradients(loss_fn, named, hand)
    times = C.interleaved(variants, args.reps, clock=args.clock)
    rows = C.summarize(times, baseline="none")
    C.print_table(f"gradcheck(fast=True) and compare_gradients, seconds per check "
                  f"({args.reps} rounds)", rows)
    g = next(r for r in rows if r["name"] == "glassgrad")
    verdict = "met" if g["median"] < 1.0 else "NOT met"
    print(f"\ntarget: gradcheck(fast=True) < 1 s -> median {g['median']:.3f} s: {verdict}")
    C.write_json(args.json, {"env": env, "batch": args.batch, "reps": args.reps, "rows": rows})


if __name__ == "__main__":
    main()
