"""Settings shared by every test: hypothesis profiles and the MNIST location."""
import os
from pathlib import Path

from hypothesis import HealthCheck, settings

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
