"""TeX on the site's pages turned into MathML while the site is built (docs/hooks.py calls
`render`), so formulas show in any current browser with no script and nothing fetched from the
network.

It finds, in the HTML of a page (its table of contents too) outside code, scripts, styles and
drawings: `\\( \\)` and `\\[ \\]` (what pymdownx.arithmatex leaves of a page's `$...$` and
`$$...$$`), and `$...$` and `$$...$$` themselves (notebooks' Markdown cells, and the HTML that
objects such as a Derivation display).
latex2mathml converts each formula; an `aligned` block, which it does not lay out, becomes a
two-column table here, one row per line, aligned on the `&` (both columns flush left: browsers
without MathML's columnalign honour CSS text-align: left in a cell, not right).
"""
import html
import re

from latex2mathml.converter import convert

# What is never formula: the head, code, scripts, styles, drawings, and the tags themselves.
_KEEP = re.compile(r"(<(head|pre|code|script|style|svg|textarea|math)\b.*?</\2>|<[^>]+>)",
                   re.S | re.I)
_FORMULA = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"                       # $$ display $$
    r"|\\\[(?P<d2>.+?)\\\]"                      # \[ display \]
    r"|\\\((?P<i1>.+?)\\\)"                      # \( inline \)
    r"|(?<![\\$\w])\$(?P<i2>[^\s$](?:[^$]*?[^\s$\\])?)\$(?!\d)",  # $inline$, not "$5 or $6"
    re.S)
_ALIGNED = re.compile(r"^\s*\\begin\{aligned\}(.*)\\end\{aligned\}\s*$", re.S)
_OUTER = re.compile(r"^<math[^>]*>(.*)</math>$", re.S)


def render(page_html):
    """The page's HTML with every formula outside code replaced by MathML."""
    out, last = [], 0
    for kept in _KEEP.finditer(page_html):
        out.append(_FORMULA.sub(_replace, page_html[last:kept.start()]))
        out.append(kept.group(0))
        last = kept.end()
    out.append(_FORMULA.sub(_replace, page_html[last:]))
    return "".join(out)


def _replace(m):
    display = m.group("d1") is not None or m.group("d2") is not None
    tex = html.unescape(next(g for g in m.groups() if g is not None))
    try:
        return mathml(tex, display)
    except Exception as error:  # a formula latex2mathml cannot read: say so, loudly, at build
        raise ValueError(f"docs: cannot turn this TeX into MathML: {tex!r} ({error})") from None


def mathml(tex, display=False):
    """One formula as a <math> element (an `aligned` block as a table)."""
    aligned = _ALIGNED.match(tex)
    if aligned is None:
        return convert(tex.strip(), display="block" if display else "inline")
    rows = []
    for line in re.split(r"\\\\", aligned.group(1)):
        if not line.strip():
            continue
        left, _, right = line.partition("&")
        cells = [_inner(r"\displaystyle " + left), _inner(r"\displaystyle {}" + right)]
        rows.append("<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in cells) + "</mtr>")
    return ('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
            '<mtable class="gg-aligned" columnalign="left left">' + "".join(rows) +
            "</mtable></math>")


def _inner(tex):
    return _OUTER.match(convert(tex)).group(1)
