"""The documentation site: it builds with --strict, documents every public name, has every
notebook, and its backprop slider works in a real browser."""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from this checkout with `mkdocs build --strict`."""
    pytest.importorskip("mkdocs", reason="missing resource: MkDocs (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-d", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_the_site_builds_with_strict(site):
    pages = ["getting-started", "tour", "check-your-backprop", "mistakes", "backprop-slider",
             "api/autograd", "api/nn", "benchmarks", "notebooks"]
    for page in pages:
        assert (site / page / "index.html").is_file(), page


@pytest.mark.parametrize("package", ["autograd", "nn"])
def test_every_public_name_is_in_the_api_reference(site, package):
    import importlib
    page = (site / "api" / package / "index.html").read_text(encoding="utf-8")
    missing = [name for name in importlib.import_module(package).__all__
               if not _documented(page, package, name)]
    assert not missing, f"not in the API reference of {package}: {missing}"


def _documented(page, package, name):
    """An entry's heading id is its full path: autograd.draw, or nn.estimator.MLPClassifier."""
    import re
    return re.search(rf'id="{package}(\.\w+)*\.{name}"', page) is not None


def test_the_site_has_every_notebook_with_its_checks_left_out(site):
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "notebooks" / nb.stem / "index.html"
        assert page.is_file(), nb.name
    xor = (site / "notebooks" / "02_xor" / "index.html").read_text(encoding="utf-8")
    assert "first_mismatch ==" not in xor  # a test-only assert cell, tagged remove-cell
    assert 'href="../#source-001"' in xor  # "Source 001" links to its summary


def test_the_reports_on_the_pages_are_made_by_the_code(site):
    page = (site / "check-your-backprop" / "index.html").read_text(encoding="utf-8")
    for diagnosis in ("shape", "transposed", "scaled x8", "sign", "zero", "nonfinite", "partial",
                      "wrong"):
        assert diagnosis in page
    assert "first mismatch" in page


def _words(site, page):
    """A built page's text with its HTML entities decoded and every run of white space one space
    (so that a sentence the report wrapped reads whole)."""
    import html
    return " ".join(html.unescape((site / page / "index.html").read_text(encoding="utf-8")).split())


def test_check_your_backprop_shows_every_cause_with_glassgrads_own_words(site):
    page = _words(site, "check-your-backprop")
    from autograd.check import CAUSES
    for cause in CAUSES:
        assert f"why: {cause}:" in page, cause
    assert "1 - a where 1 - a**2 belongs" in page           # tanh' as 1 - a
    assert "`W2` where `W2`.T belongs" in page
    assert "L2 term" in page and "weight decay" in page
    assert "no single slip reproduces it; the rows after it are right" in page
    assert "kink points" in page                             # the note on an ok row
    import re
    assert re.search(r"line \d+ in loss_fn \(`h1 = ag.watch\(", page)  # a block's line, quoted


def test_check_your_backprop_shows_derive_its_code_formulas_training_and_messages(site):
    page = _words(site, "check-your-backprop")
    assert "def gradients(W1, b1, W2, b2, X, labels):" in page
    assert "dz2 = (p - Y) / 8" in page and "dz1 = dh1 * (1 - h1**2)" in page
    assert "step 300: loss" in page                          # trained with d.function
    assert "your gradients depart from the derivation at z1" in page
    assert "DerivationTooLarge" in page and "too many to read" in page
    assert "dz1 = dh1 / (1 + np.exp(-z1))" in page           # a user's Op with its own rule


def test_formulas_are_mathml_and_no_tex_is_left_outside_code(site):
    import re
    pages = [site / "check-your-backprop" / "index.html",
             *sorted((site / "notebooks").glob("*/index.html"))]
    derivation = pages[0].read_text(encoding="utf-8")
    assert '<mtable class="gg-aligned"' in derivation        # d.math, one row per step
    for page in pages:
        text = page.read_text(encoding="utf-8")
        outside_code = re.sub(r"<(head|pre|code|script|style|svg|math)\b.*?</\1>", "", text,
                              flags=re.S)
        left = re.findall(r"\$\$|\$\\[a-z]+|\\begin\{|\\frac\{", outside_code)
        assert not left, f"{page.parent.name}: TeX not turned into MathML: {left[:5]}"
    assert "<math" in (site / "notebooks" / "04_softmax_cross_entropy" / "index.html").read_text(
        encoding="utf-8")


def test_every_public_name_has_a_docstring_for_the_api_reference():
    import importlib
    missing = [f"{package}.{name}" for package in ("autograd", "nn")
               for name in importlib.import_module(package).__all__
               if not (getattr(getattr(importlib.import_module(package), name), "__doc__", None)
                       or "").strip()]
    assert not missing, f"public names without a docstring: {missing}"


def _browser():
    try:
        from selenium import webdriver
    except ImportError:
        pytest.skip("missing resource: Selenium (pip install -e '.[docs]')")
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("missing resource: Chromium and its driver "
                    "(apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver, options


def test_the_backprop_slider_steps_forward_and_back_in_a_browser(site, tmp_path):
    webdriver, options = _browser()
    from selenium.webdriver.common.by import By
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        driver.get(f"http://127.0.0.1:{server.server_port}/backprop-slider/")
        player = driver.find_element(By.CSS_SELECTOR, ".gg-player")
        frames = player.find_elements(By.CSS_SELECTOR, ".gg-frame")
        assert len(frames) > 3

        def shown():
            visible = [f.get_attribute("data-step") for f in frames if f.is_displayed()]
            assert len(visible) == 1, visible
            return int(visible[0]), player.find_element(By.CSS_SELECTOR, ".gg-step").text

        assert shown() == (0, f"0 / {len(frames) - 1}")
        nxt = player.find_element(By.CSS_SELECTOR, ".gg-next")
        prev = player.find_element(By.CSS_SELECTOR, ".gg-prev")
        nxt.click()
        nxt.click()
        assert shown() == (2, f"2 / {len(frames) - 1}")
        prev.click()
        assert shown()[0] == 1
        assert "Matmul" in frames[1].text or frames[1].find_elements(By.CSS_SELECTOR, "svg")
        slider = player.find_element(By.CSS_SELECTOR, "input[type=range]")
        assert slider.get_attribute("value") == "1"
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_the_readme_links_the_sites_pages_and_says_how_to_serve_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("getting-started", "tour", "check-your-backprop", "mistakes", "backprop-slider",
                 "api/autograd", "api/nn"):
        assert f"(docs/{page}.md)" in readme and (ROOT / "docs" / f"{page}.md").is_file()
    assert "(notebooks/README.md)" in readme and "(benchmarks/README.md)" in readme
    assert "mkdocs serve" in readme and "mkdocs build --strict" in readme
