"""What `pip install .` (not only the editable install the tests run from) puts in place."""
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_a_non_editable_install_gets_every_package_of_autograd_and_nn():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is new in Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = set(find_packages(str(ROOT), include=config["tool"]["setuptools"]["packages"]["find"]
                              ["include"]))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for top in ("autograd", "nn") for p in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= found, f"packages left out of the install: {sorted(on_disk - found)}"
    assert {p.split(".")[0] for p in found} == {"autograd", "nn"}
