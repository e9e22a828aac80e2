"""Memory: the peak of one MNIST epoch, and growth over 1000 training steps.

    python benchmarks/memory.py                       # 784-300-75-10 Adam and 784-128-10 SGD
    python benchmarks/memory.py --subset 10000        # quicker
    python benchmarks/memory.py --arch 784-128-10 --opt adam

Every measurement runs in a fresh Python process (this script calling itself with --child), so
one implementation's freed-but-kept memory never shows up in another's numbers. Each child loads
MNIST, keeps only the training images it needs, and then measures:

  epoch   peak resident memory (RSS) while building the model and training one epoch. On Linux
          the kernel's high-water mark (VmHWM) is reset after loading the data, so the peak is
          the epoch's; "above start" is that peak minus the RSS just before the model was built.
          Elsewhere the process's lifetime peak (ru_maxrss) is all there is.
  traced  the same epoch under tracemalloc: the peak of Python and NumPy allocations above the
          start. PyTorch's allocator does not report to tracemalloc, so torch has no number here.
  steps   1000 training steps (cycling through the batches): RSS, tracemalloc's current size
          and the number of objects the garbage collector tracks, after step 100 and after
          step 1000 (with --steps N: after step N // 10 and step N). Without a leak the growth
          between the two is ~0.

The three implementations are those of mnist_mlp.py, trained from the same initial weights.
"""
import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tracemalloc

import numpy as np

import _common as C
import mnist_mlp as M

MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Reading the process's memory
# ---------------------------------------------------------------------------------------------

def _status(field):
    """A field of /proc/self/status in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def rss():
    return _status("VmRSS")


def trim():
    """Hand the C heap's free pages back to the OS (glibc only), so that memory freed while loading
    the data is not silently reused by the epoch and left out of its peak."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak():
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0); True when it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss():
    hwm = _status("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


# ---------------------------------------------------------------------------------------------
# One child: one implementation, one measurement
# ---------------------------------------------------------------------------------------------

def child(args):
    torch = C.load_torch(args.child == "torch")
    if args.child == "torch" and torch is None:
        raise SystemExit("torch is not installed")
    (X, y), test = M.mnist(args.data_root)
    X, y = X[:args.subset].copy(), y[:args.subset].copy()  # copies: the full set can go
    del test
    sizes = [int(s) for s in args.arch.split("-")]
    init = M.initial_params(sizes)
    batches = M.epoch_batches(len(X), 100)
    if torch is not None:
        X, y = torch.from_numpy(X), torch.from_numpy(y)
        batches = [torch.from_numpy(b) for b in batches]
    gc.collect()
    trim()
    out = {}

    if args.mode == "epoch":
        out["start"] = rss()
        out["peak_reset"] = reset_peak()
        step = M.trainer(args.child, init, sizes, args.opt, torch)
        M.run_epoch(step, X, y, batches)
        out["peak"] = peak_rss()
    elif args.mode == "traced":
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        step = M.trainer(args.child, init, sizes, args.opt, torch)
        M.run_epoch(step, X, y, batches)
        out["traced_peak"] = tracemalloc.get_traced_memory()[1] - start
        tracemalloc.stop()
    else:  # steps
        tracemalloc.start()
        step = M.trainer(args.child, init, sizes, args.opt, torch)
        samples, sampled = {}, sample_steps(args.steps)
        for i in range(1, args.steps + 1):
            rows = batches[(i - 1) % len(batches)]
            step(X[rows], y[rows])
            if i in sampled:
                gc.collect()
                samples[str(i)] = {"rss": rss(), "traced": tracemalloc.get_traced_memory()[0],
                              "objects": len(gc.get_objects())}
        out["samples"] = samples
    print(json.dumps(out))


def run_child(impl, mode, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", impl, "--mode", mode,
           "--arch", args.arch_one, "--opt", args.opt_one, "--subset", str(args.subset),
           "--steps", str(args.steps)]
    if args.data_root:
        cmd += ["--data-root", args.data_root]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{impl} {mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------

def main():
    parser = C.base_parser(__doc__.split("\n")[0], reps=None)
    parser.add_argument("--subset", type=int, default=60000, help="training images in the epoch")
    parser.add_argument("--steps", type=int, default=1000, help="steps for the growth check")
    parser.add_argument("--arch", action="append", choices=["784-128-10", "784-300-75-10"])
    parser.add_argument("--opt", action="append", choices=["sgd", "adam"])
    parser.add_argument("--data-root")
    # internal: the parent runs this script again as a child for each measurement
    parser.add_argument("--child", choices=["numpy", "glassgrad", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["epoch", "traced", "steps"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 2:
        parser.error(f"--steps must be at least 2 (got {args.steps}): growth is measured "
                     "between two steps")
    C.set_threads(args.threads)
    if args.child:
        args.arch, args.opt = args.arch[0], args.opt[0]
        return child(args)

    torch = C.load_torch(not args.no_torch)
    env = C.environment(torch)
    C.print_environment(env)
    if args.arch or args.opt:
        configs = [(a, o) for a in (args.arch or ["784-128-10", "784-300-75-10"])
                   for o in (args.opt or ["sgd", "adam"])]
    else:  # the two configurations issue 8 sets targets for
        configs = [("784-300-75-10", "adam"), ("784-128-10", "sgd")]
    impls = ["numpy", "glassgrad"] + (["torch"] if torch is not None else [])
    print(f"MNIST, {args.subset} training images, batch {M.BATCH}, float32; each number from a "
          "fresh process")
    # The children run mnist_mlp's trainers; check here, once, that they compute the same thing.
    (X, y), _ = M.mnist(args.data_root)
    X, y = X[:2000].copy(), y[:2000].copy()
    for arch, opt in configs:
        sizes = [int(s) for s in arch.split("-")]
        M.check_agreement(X, y, sizes, opt, M.initial_params(sizes), torch)
    print("agreement check passed: the implementations train to the same parameters (5 steps)")
    del X, y, _

    results = []
    for arch, opt in configs:
        args.arch_one, args.opt_one = arch, opt
        res = {impl: {} for impl in impls}
        for impl in impls:
            for mode in ("epoch", "traced", "steps"):
                if mode == "traced" and impl == "torch":
                    continue
                res[impl].update(run_child(impl, mode, args))
        results.append({"arch": arch, "opt": opt, "results": res})
        print_config(arch, opt, res, args.steps)
    C.write_json(args.json, {"env": env, "subset": args.subset, "steps": args.steps,
                             "results": results})


def sample_steps(steps):
    """The steps after which memory is sampled: the end of the first tenth (step 100 of 1000),
    when every buffer the training loop keeps has been made, and the last step."""
    return max(1, steps // 10), steps


def print_config(arch, opt, res, steps):
    base = res["numpy"]
    peak_note = "" if base.get("peak_reset") else "  (lifetime peak: VmHWM could not be reset)"
    print(f"\n{arch} {opt}: one epoch{peak_note}")
    print(f"  {'implementation':<14}{'peak RSS MB':>12}{'above start':>13}{'traced peak':>13}"
          f"{'peak/numpy':>12}{'above/numpy':>13}{'traced/numpy':>14}")
    for impl, r in res.items():
        above = r["peak"] - r["start"]
        traced = r.get("traced_peak")
        print(f"  {impl:<14}{r['peak'] / MB:>12.1f}{above / MB:>13.1f}"
              + (f"{traced / MB:>13.1f}" if traced is not None else f"{'n/a':>13}")
              + f"{r['peak'] / base['peak']:>11.3f}x"
              + f"{above / (base['peak'] - base['start']):>12.3f}x"
              + (f"{traced / base['traced_peak']:>13.3f}x" if traced is not None else f"{'n/a':>14}"))
    g = res["glassgrad"]
    traced_ratio = g["traced_peak"] / base["traced_peak"]
    print(f"  issue 8 target, peak within 10 % of NumPy's: whole process {g['peak'] / base['peak']:.3f}x "
          f"({'met' if g['peak'] <= 1.1 * base['peak'] else 'NOT met'}), the epoch's own "
          f"allocations (traced) {traced_ratio:.3f}x ({'met' if traced_ratio <= 1.1 else 'NOT met'})")
    print(f"  issue 20 target, peak <= NumPy's: whole process {g['peak'] / base['peak']:.3f}x "
          f"({'met' if g['peak'] <= base['peak'] else 'NOT met'}), traced {traced_ratio:.3f}x "
          f"({'met' if traced_ratio <= 1.0 else 'NOT met'})")
    first, last = sample_steps(steps)
    print(f"\n{arch} {opt}: growth from step {first} to step {last}")
    print(f"  {'implementation':<14}{'RSS MB':>10}{'traced KB':>12}{'gc objects':>12}")
    for impl, r in res.items():
        s = r["samples"]
        a, b = s[str(first)], s[str(last)]
        print(f"  {impl:<14}{(b['rss'] - a['rss']) / MB:>+10.2f}"
              f"{(b['traced'] - a['traced']) / 1024:>+12.1f}{b['objects'] - a['objects']:>+12d}")
    s = res["glassgrad"]["samples"]
    a, b = s[str(first)], s[str(last)]
    # A leak of one small array or one Tensor per step would show as >= 900 objects or ~100 KB.
    flat = b["traced"] - a["traced"] < 64 * 1024 and b["objects"] - a["objects"] < 100
    print(f"  issue 8 target, no growth: glassgrad {'met' if flat else 'NOT met'} "
          f"(criterion: < 64 KB traced and < 100 objects over the last {last - first} steps)")


if __name__ == "__main__":
    main()
