"""Settings shared by every test: hypothesis profiles, the MNIST location, and resource skips.

A test that needs something a user's machine may lack (MNIST, Graphviz's `dot`, PyTorch ...) skips
with a reason that starts with MISSING ("missing resource: ") and says how to provide it. With
GLASSGRAD_NO_SKIP=1 (CI sets it) such a skip is a failure instead, so CI never skips them; other
skips (e.g. scikit-learn's own optional checks) stay skips.
"""
import functools
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

MISSING = "missing resource: "

# `ci`: reproducible and unhurried (no per-example deadline on a noisy 2-core machine).
settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
# `dev`: a little randomness between runs, still no deadline.
settings.register_profile("dev", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
# `long`: fuzzing; run with HYPOTHESIS_PROFILE=long or --hypothesis-profile=long.
settings.register_profile(
    "long", deadline=None, max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The README's `pytest` works from a checkout with ../shared beside it, without any set-up.
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if "GLASSGRAD_DATA" not in os.environ and (_shared / "mnist").is_dir():
    os.environ["GLASSGRAD_DATA"] = str(_shared)
os.environ.setdefault("GLASSGRAD_FAST", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

# BLAS threads fight over the 2 cores of a loaded CI machine (a 32x784 @ 784x64 product took up
# to 100x longer); the tests are small, so one thread each is fastest and steadiest.
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except ImportError:
    pass


# ---- MNIST: found, downloaded, or a named skip ---------------------------------------------------

@functools.lru_cache(maxsize=None)
def mnist_problem():
    """None when MNIST is on disk (downloading it first if it is not and the network allows),
    else the one-line reason to skip with. Tried once per session."""
    from nn import data

    if not data.missing_mnist_files():
        return None
    folder = data.mnist_folder()
    try:
        data.mnist()
    except data.DatasetError as e:
        why = " ".join(line.strip() for line in str(e).splitlines()[:2])  # the first mirror's error
        return (f"{MISSING}MNIST is not in {folder} and could not be downloaded ({why}); "
                "set GLASSGRAD_DATA to a folder whose mnist/ holds the four files, or allow the "
                "download")
    return None


@pytest.fixture(scope="session")
def needs_mnist():
    """Use in a test that reads the real MNIST: it skips (naming what to do) when MNIST is absent."""
    problem = mnist_problem()
    if problem:
        pytest.skip(problem)


_LOADS_MNIST = re.compile(r"\b(binary_)?mnist\(")


def pytest_runtest_setup(item):
    # nbmake runs each notebook as one test; those that load MNIST need it like any other test.
    if item.path.suffix == ".ipynb" and _LOADS_MNIST.search(item.path.read_text(encoding="utf-8")):
        problem = mnist_problem()
        if problem:
            pytest.skip(problem)


# ---- GLASSGRAD_NO_SKIP=1: a missing resource is a failure ----------------------------------------

def _skip_reason(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        return report.longrepr[2].removeprefix("Skipped: ")
    return None


def _fail_missing_resource(report):
    reason = _skip_reason(report)
    if (reason is not None and reason.startswith(MISSING)
            and os.environ.get("GLASSGRAD_NO_SKIP", "") == "1"):
        report.outcome = "failed"
        report.longrepr = (f"{reason}\n(GLASSGRAD_NO_SKIP=1 turns a skip for a missing resource "
                           "into a failure)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_missing_resource(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # A module-level skip (pytest.importorskip at import time) is reported at collection.
    outcome = yield
    _fail_missing_resource(outcome.get_result())
