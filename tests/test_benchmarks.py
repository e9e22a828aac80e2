"""The benchmark scripts run, at sizes small enough for the test suite.

Before timing anything, each script checks that glassgrad, its hand-written NumPy version (and
PyTorch, when installed) compute the same thing, and exits with an error when they do not: so
these runs test the references the speed numbers are measured against. Nothing here looks at a
timing.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUNS = {
    "per_op": (["per_op.py", "--length", "50", "--reps", "1"],
               "agreement checked"),
    "per_op without torch": (["per_op.py", "--length", "50", "--reps", "1", "--no-torch"],
                             "agreement checked"),
    "deep_graph": (["deep_graph.py", "--depth", "500", "--reps", "1"],
                   "a chain dropped without backward is freed"),
    "gradcheck_fast": (["gradcheck_fast.py", "--reps", "1", "--batch", "4"],
                       "check: passes on the true gradients, fails on a ReLU backward"),
    "mnist_mlp": (["mnist_mlp.py", "--subset", "512", "--reps", "1", "--arch", "784-128-10"],
                  "agreement check passed"),
    "compare_gradients": (["compare_gradients.py", "--reps", "1", "--batch", "8", "--arch",
                           "784-32-10", "--params-only"], "reports checked"),
    "memory": (["memory.py", "--subset", "256", "--steps", "20", "--arch", "784-128-10",
                "--opt", "adam"],
               "growth from step 2 to step 20"),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_benchmark_script_runs_and_its_implementations_agree(name, request):
    args, expected = RUNS[name]
    script = os.path.join(ROOT, "benchmarks", args[0])
    with open(script, encoding="utf-8") as f:
        if "mnist(" in f.read():  # it reads MNIST (itself, or through mnist_mlp's loader)
            request.getfixturevalue("needs_mnist")
    done = subprocess.run([sys.executable, script, *args[1:], "--threads", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    assert expected in done.stdout
