"""docs/mathml.py: the site's formulas become MathML at build time, code and prices untouched."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("latex2mathml",
                    reason="missing resource: latex2mathml (pip install -e '.[docs]')")

_spec = importlib.util.spec_from_file_location(
    "glassgrad_docs_mathml", Path(__file__).resolve().parents[2] / "docs" / "mathml.py")
mathml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mathml)


def test_inline_and_display_formulas_become_math_elements():
    out = mathml.render(r"<p>with $x_1$ and \(y\):</p><p>$$\frac{a}{b}$$</p>")
    assert out.count("<math") == 3 and 'display="block"' in out and "$" not in out


def test_code_prices_and_tags_are_left_alone():
    page = '<p>costs $5 or $6</p><pre><code>$x$ = "$$"</code></pre><a title="$y$">$z$</a>'
    out = mathml.render(page)
    assert "costs $5 or $6" in out and "<code>$x$ = \"$$\"</code>" in out
    assert 'title="$y$"' in out and out.count("<math") == 1


def test_an_aligned_block_is_a_table_with_one_row_per_line():
    tex = r"\begin{aligned} z &= x W \\ \delta_z &amp;= \tfrac{1}{8}(p - Y) \end{aligned}"
    out = mathml.render(f"$${tex}$$")
    assert out.count("<mtr>") == 2 and out.count("<mtd>") == 4 and "&amp;" not in out


def test_a_formula_latex2mathml_cannot_read_stops_the_build_naming_it():
    with pytest.raises(ValueError, match="cannot turn this TeX"):
        mathml.render(r"<p>$\frac{a}{$</p>")
