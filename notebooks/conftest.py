"""Notebooks that need an optional extra are skipped, with the reason, where it is missing."""
import importlib.util

import pytest

NEEDS_TORCH = {"10_from_glassgrad_to_pytorch.ipynb"}


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("torch") is not None:
        return
    skip = pytest.mark.skip(reason="missing resource: torch, for the notebook's PyTorch half "
                                   "(pip install -e '.[oracle]', PyTorch's CPU build)")
    for item in items:
        if item.path.name in NEEDS_TORCH:
            item.add_marker(skip)
