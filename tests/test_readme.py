"""The README's examples run and say what the README says they say."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_starts_with_the_two_set_up_commands():
    first = README.read_text().splitlines()[:4]
    assert any("pip install -e . && python -m nn.train" in line for line in first)
    assert any('pip install -e ".[dev]" && pytest' in line for line in first)


def test_the_readme_python_examples_run_and_diagnose_the_missing_mean():
    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S):
        exec(block, namespace)
    report = namespace["report"]
    assert report.first_mismatch == "z"
    assert [row.diagnosis for row in report.rows] == ["scaled", "scaled", "wrong"]
    assert report["z"].scale == pytest.approx(5)


def test_the_readme_checking_example_explains_the_missing_square():
    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S):
        exec(block, namespace)
    row = namespace["report"]["W1"]
    assert row.cause == "local_derivative" and row.op == "np.tanh"
    assert "1 - a where 1 - a**2 belongs" in row.explanation and "sum vs mean" in row.explanation
