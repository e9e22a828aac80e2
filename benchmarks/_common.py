"""Shared helpers for the benchmark scripts: thread counts, interleaved timing, paired ratios, tables.

Every script times several implementations of one computation (glassgrad, hand-written NumPy,
PyTorch) in the same process. Repetitions are interleaved -- each round runs every implementation
once, in a rotated order -- so a burst of background load hits them all alike, and the ratio
glassgrad / NumPy is formed *within* each round (a paired ratio) before taking its median. On a busy
machine the paired ratio is far steadier than a ratio of two separately measured medians.
"""
import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

# Run from anywhere: `python benchmarks/mnist_mlp.py` should import the glassgrad in this checkout
# even when it has not been installed.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------------------------------------
# Threads and optional PyTorch
# ---------------------------------------------------------------------------------------------

def numpy_threads():
    """How many threads NumPy's BLAS uses (threadpoolctl's answer when it is installed)."""
    try:
        from threadpoolctl import threadpool_info
        counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


_limits = []  # keeps threadpoolctl's limiter alive for the whole run


def set_threads(n):
    """Make NumPy's BLAS use n threads (needs threadpoolctl). On a loaded machine one thread per
    library gives far steadier timings than threads that wait for each other."""
    if n is None:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("--threads needs threadpoolctl (pip install threadpoolctl), or set "
                         "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before starting Python")
    _limits.append(threadpool_limits(limits=n, user_api="blas"))


def load_torch(wanted=True):
    """PyTorch set to NumPy's thread count, or None when it is absent or not wanted."""
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(numpy_threads())
    return torch


def environment(torch=None):
    """One dict describing the machine and the libraries, printed at the top of every script."""
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "numpy_threads": numpy_threads(),
    }
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
    return env


def load_average():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return None


def print_environment(env):
    print(f"python {env['python']} on {env['platform']} ({env['processor']}, "
          f"{env['cpu_count']} CPUs)")
    line = f"numpy {env['numpy']} with {env['numpy_threads']} BLAS thread(s)"
    if "torch" in env:
        line += f"; torch {env['torch']} with {env['torch_threads']} thread(s)"
    else:
        line += "; torch not installed (or --no-torch): no PyTorch column"
    print(line)
    load = load_average()
    if load is not None:
        print(f"load average {load:.2f} on {env['cpu_count']} CPUs")
        # Threads of one BLAS call wait for each other: when another process holds a core, a
        # multi-threaded product stalls, and single rounds come out many times slower.
        if env["numpy_threads"] > 1 and load > 0.5:
            print("warning: the machine is busy; timings with several BLAS threads swing widely "
                  "from round to round. --threads 1 gives steadier ratios.")


def base_parser(description, reps):
    parser = argparse.ArgumentParser(description=description)
    if reps is not None:  # memory.py measures once per fresh process: no rounds
        parser.add_argument("--reps", type=int, default=reps, help="timed repetitions (rounds)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--threads", type=int, help="BLAS threads for NumPy, and threads for "
                        "PyTorch (default: NumPy's own choice, which PyTorch is then set to)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: elapsed time (default); cpu: this process's CPU time, which "
                        "time spent waiting for a core does not inflate (meaningful with --threads 1)")
    parser.add_argument("--json", metavar="PATH", help="also write the results to this file")
    return parser


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def describe_clock(clock, threads):
    if clock == "wall":
        return "wall-clock time"
    note = "" if threads == 1 else f" (summed over {threads} BLAS threads: use --threads 1)"
    return f"CPU time of this process{note}"


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

def interleaved(variants, reps, warmup=1, clock="wall"):
    """Time each variant `reps` times, one of each per round, in an order rotated every round.

    `variants` maps a name to a zero-argument function that returns a zero-argument `run`
    callable: setup (building a fresh model, say) happens outside the timed region, only `run()` is
    timed. Garbage is collected before each run so that one variant's garbage is not charged to the
    next. `clock` is "wall" (elapsed) or "cpu" (this process's CPU time). Returns
    {name: [seconds per round]}.
    """
    now = CLOCKS[clock]
    names = list(variants)
    times = {name: [] for name in names}
    for r in range(-warmup, reps):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            run = variants[name]()
            gc.collect()
            start = now()
            run()
            elapsed = now() - start
            if r >= 0:
                times[name].append(elapsed)
            del run
    return times


def paired_ratios(times, num, den):
    """Round-by-round ratios times[num][i] / times[den][i]."""
    return [a / b for a, b in zip(times[num], times[den])]


def summarize(times, baseline="numpy", scale=1.0):
    """Rows of (name, median, min, median paired ratio, min paired ratio) with times * scale."""
    rows = []
    base_min = min(times[baseline]) if baseline in times else float("nan")
    for name, ts in times.items():
        ratios = paired_ratios(times, name, baseline) if baseline in times else [float("nan")]
        rows.append({
            "min_over_min": float(np.min(ts)) / base_min,
            "name": name,
            "median": float(np.median(ts)) * scale,
            "min": float(np.min(ts)) * scale,
            "ratio_median": float(np.median(ratios)),
            "ratio_min": float(np.min(ratios)),
            "ratio_max": float(np.max(ratios)),
            "reps": len(ts),
        })
    return rows


def print_table(title, rows, unit="s", fmt="{:.3f}"):
    """A fixed-width table: implementation, median, min, the paired ratio to the baseline
    (median over rounds, with its range) and the ratio of the two minimums."""
    print(f"\n{title}")
    header = (f"  {'implementation':<14} {'median ' + unit:>12} {'min ' + unit:>12}   "
              f"{'paired ratio to numpy: median [min..max]':<42} {'min/min':>8}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in rows:
        known = row["ratio_median"] == row["ratio_median"]  # NaN when there is no baseline
        ratio = (f"{row['ratio_median']:.3f}x [{row['ratio_min']:.3f}..{row['ratio_max']:.3f}]"
                 if known else "-")
        mm = f"{row['min_over_min']:.3f}x" if known else "-"
        print(f"  {row['name']:<14} {fmt.format(row['median']):>12} {fmt.format(row['min']):>12}"
              f"   {ratio:<42} {mm:>8}")


def write_json(path, payload):
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=float))
        print(f"\nresults written to {path}")


# ---------------------------------------------------------------------------------------------
# Agreement checks: a benchmark must never compare two different computations
# ---------------------------------------------------------------------------------------------

class Mismatch(AssertionError):
    pass


def assert_close(name, got, want, rtol=1e-4, atol=1e-6):
    """Raise Mismatch (naming the quantity and the worst error) unless got ~= want."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise Mismatch(f"{name}: shapes differ, {got.shape} vs {want.shape}")
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bound = atol + rtol * np.abs(want.astype(np.float64))
    if not np.all(err <= bound):
        worst = np.argmax(err - bound)
        raise Mismatch(f"{name}: max abs error {err.max():.3g} (at flat index {worst}: "
                       f"{got.flat[worst]!r} vs {want.flat[worst]!r}); tolerance "
                       f"atol={atol}, rtol={rtol}")


def start_timing(args):
    """Load PyTorch (unless --no-torch), print the environment and the clock; (torch, env)."""
    torch = load_torch(not args.no_torch)
    env = environment(torch)
    print_environment(env)
    env["clock"] = args.clock
    print("timing: " + describe_clock(args.clock, env["numpy_threads"]))
    return torch, env
