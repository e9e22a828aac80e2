"""Tests that need something a machine may lack skip, saying what and how to get it; CI's
GLASSGRAD_NO_SKIP=1 turns exactly those skips into failures.

Each case runs pytest in a child process, in a folder holding a copy of the root conftest.py and
one small test file, so the switch is tested as a user (or CI) meets it.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TESTS = '''
import pytest

def test_needs_a_resource():
    pytest.skip("missing resource: the flux capacitor (pip install flux)")

def test_skips_for_another_reason():
    pytest.skip("not relevant on this platform")

@pytest.mark.skipif(True, reason="missing resource: Graphviz's dot (apt install graphviz)")
def test_marked_as_needing_a_resource():
    pass

def test_passes():
    pass
'''

MODULE_SKIP = '''
import pytest
pytest.importorskip("no_such_module_xyz", reason="missing resource: xyz (pip install xyz)")

def test_never_runs():
    pass
'''


def run_pytest(tmp_path, source, no_skip=False, conftest_extra="", args=("test_cases.py",),
               **env_changes):
    """Run `source` as test_cases.py beside a copy of the root conftest (plus `conftest_extra`);
    stdout and stderr. env_changes: variables to set, or to remove when given None."""
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text() + conftest_extra)
    (tmp_path / "test_cases.py").write_text(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_PROXY="127.0.0.1")
    env.pop("GLASSGRAD_NO_SKIP", None)
    if no_skip:
        env["GLASSGRAD_NO_SKIP"] = "1"
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    done = subprocess.run([sys.executable, "-m", "pytest", "-rsfE", "-p", "no:cacheprovider",
                           *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    return done.stdout + done.stderr


def test_without_the_switch_a_missing_resource_is_a_skip_that_says_how_to_get_it(tmp_path):
    out = run_pytest(tmp_path, TESTS)
    assert "1 passed, 3 skipped" in out
    assert "missing resource: the flux capacitor (pip install flux)" in out


def test_with_the_switch_a_missing_resource_fails_and_other_skips_stay_skips(tmp_path):
    out = run_pytest(tmp_path, TESTS, no_skip=True)
    # a skip marker acts in the test's set-up, so pytest calls that failure an error
    assert "1 failed, 1 passed, 1 skipped, 1 error" in out
    assert "FAILED test_cases.py::test_needs_a_resource" in out
    assert "ERROR test_cases.py::test_marked_as_needing_a_resource" in out
    assert "not relevant on this platform" in out  # still reported as a skip
    assert "GLASSGRAD_NO_SKIP=1" in out  # the failure says why it is one


def test_with_the_switch_a_module_that_cannot_import_its_resource_fails(tmp_path):
    assert "1 skipped" in run_pytest(tmp_path, MODULE_SKIP)
    out = run_pytest(tmp_path, MODULE_SKIP, no_skip=True)
    assert "1 error" in out and "missing resource: xyz" in out


def test_without_mnist_a_test_that_needs_it_skips_naming_glassgrad_data_and_the_download(tmp_path):
    source = '''
from nn import data
data.MIRRORS[:] = ["http://127.0.0.1:9/mnist/"]  # nothing listens there: the download fails

def test_reads_mnist(needs_mnist):
    pass
'''
    home = tmp_path / "home"
    home.mkdir()
    out = run_pytest(tmp_path, source, HOME=str(home), GLASSGRAD_DATA=None)
    assert "1 skipped" in out
    reason = next(line for line in out.splitlines() if "missing resource: MNIST" in line)
    assert "GLASSGRAD_DATA" in reason and "download" in reason
    assert not (home / ".cache").exists()  # the failed download left no empty folders


def test_ci_turns_missing_resources_into_failures():
    assert "GLASSGRAD_NO_SKIP=1" in (ROOT / ".ci" / "run").read_text()


def test_a_notebook_that_loads_mnist_skips_without_it(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from nn.data import mnist\n(X, y), _ = mnist()")])
    nbformat.write(notebook, tmp_path / "needs_mnist.ipynb")
    home = tmp_path / "home"
    home.mkdir()
    dead_mirrors = '\nimport nn.data\nnn.data.MIRRORS[:] = ["http://127.0.0.1:9/mnist/"]\n'
    out = run_pytest(tmp_path, "", conftest_extra=dead_mirrors, args=["--nbmake",
                                                                     "needs_mnist.ipynb"],
                     HOME=str(home), GLASSGRAD_DATA=None)
    assert "1 skipped" in out and "missing resource: MNIST" in out
