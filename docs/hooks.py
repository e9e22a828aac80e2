"""Build-time hooks for the documentation site (mkdocs.yml `hooks:`).

Nothing a page shows about glassgrad's behaviour is pasted text: it is made while the site is
built, from the code in this checkout, so the pages stay true as the code changes.

    ```python exec            a code block that is run; what it prints follows it on the page,
    ...                       and show(x) puts a drawing (its SVG) or an HTML player there too.
    ```                       Blocks of one page share their variables, top to bottom.
    ```python exec hidden     the same, without showing the code (set-up)
    {{ api autograd }}        the API reference: one entry per public name of the package
    {{ include benchmarks/README.md }}   another file's Markdown, its title dropped

A block that raises stops the build, naming the page and the block. A block's lines read as a
notebook cell's do in glassgrad's messages ("line 4 in loss_fn (`h1 = np.tanh(z1)`)"), and its
warnings show after its output, as in a notebook. The Notebooks section of the navigation lists
every notebook in notebooks/, so a new one appears without editing mkdocs.yml. Formulas ($...$
on the pages, in the notebooks and in what the blocks show) become MathML at build time
(docs/mathml.py): the site needs no script to show them.
"""
import contextlib
import html
import importlib
import importlib.util
import io
import itertools
import json
import linecache
import os
import re
import sys
import textwrap
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python exec( hidden)?\n(.*?)^```[ \t]*$", re.M | re.S)
API = re.compile(r"^\{\{ api (\w+) \}\}$", re.M)
INCLUDE = re.compile(r"^\{\{ include ([\w./-]+) \}\}$", re.M)
WIDTH = 100  # glassgrad's reports are this wide; longer printed lines are wrapped

# nn's lazily loaded names live in these modules (griffe reads the source, not nn.__getattr__)
LAZY_HOME = {"MLPClassifier": "estimator", "MLPRegressor": "estimator", "fit": "train",
             "evaluate": "train", "History": "train", "EarlyStopping": "train"}


def _load(name):
    spec = importlib.util.spec_from_file_location(f"glassgrad_docs_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mathml = _load("mathml")


def on_config(config):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("MPLBACKEND", "Agg")
    nav = config["nav"]
    for i, entry in enumerate(nav):
        if isinstance(entry, dict) and "Notebooks" in entry:
            pages = ["notebooks/README.md"] + [{_title(p): f"notebooks/{p.name}"} for p in
                                               sorted((ROOT / "notebooks").glob("*.ipynb"))]
            nav[i] = {"Notebooks": pages}
    return config


def _title(notebook):
    """A notebook's first heading, as plain text for the navigation (no TeX dollars)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        text = "".join(cell["source"])
        m = re.search(r"^# (.+)$", text, re.M)
        if cell["cell_type"] == "markdown" and m:
            return m.group(1).replace("$", "")
    return notebook.stem


def public_names(package):
    """The names a package exports: its __all__."""
    return list(importlib.import_module(package).__all__)


def on_page_markdown(markdown, page, config, files):
    markdown = INCLUDE.sub(lambda m: _include(m.group(1)), markdown)
    markdown = API.sub(lambda m: _api(m.group(1)), markdown)
    if "```python exec" in markdown:
        markdown = _run_blocks(markdown, page.file.src_path)
    return markdown


def _include(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    return re.sub(r"\A# .*\n", "", text)  # the including page has its own title


def _api(package):
    blocks = []
    for name in public_names(package):
        module = LAZY_HOME.get(name) if package == "nn" else None
        target = f"{package}.{module}.{name}" if module else f"{package}.{name}"
        obj = getattr(importlib.import_module(package), name)
        kind = type(obj).__name__
        if kind != "module" and _is_submodule(package, name):
            # autograd.tensor is the function, but griffe would read the submodule of that name
            target = f"{obj.__module__}.{obj.__qualname__}"
        options = "      show_submodules: false\n      members: false\n" if kind == "module" else ""
        blocks.append(f"::: {target}\n    options:\n      heading_level: 2\n{options}")
    return "\n".join(blocks)


def _is_submodule(package, name):
    folder = ROOT / package
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def _run_blocks(markdown, where):
    namespace = {"__name__": "__docs__"}
    shown = []
    namespace["show"] = shown.append
    out, last = [], 0
    for n, m in enumerate(FENCE.finditer(markdown), 1):
        hidden, code = bool(m.group(1)), m.group(2)
        out.append(markdown[last:m.start()])
        last = m.end()
        printed = io.StringIO()
        filename = _cell_name(code)
        try:
            with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                exec(compile(code, filename, "exec"), namespace)
        except Exception:
            raise RuntimeError(f"docs: the code block {n} of {where} failed:\n"
                               f"{traceback.format_exc()}") from None
        if not hidden:
            out.append(f"```python\n{code}```\n")
        text = printed.getvalue() + "".join(  # shown as a notebook shows them, after the output
            f"{w.category.__name__}: {w.message}\n" for w in said
            if not issubclass(w.category, DeprecationWarning))
        text = _wrap(text)
        if text.strip():
            out.append(f'\n```{{.text .gg-output title="output"}}\n{text.rstrip()}\n```\n')
        for obj in shown:
            out.append(f'\n<div class="gg-figure" markdown="0">{_html(obj)}</div>\n')
        shown.clear()
    out.append(markdown[last:])
    return "".join(out)


def _wrap(text, width=WIDTH):
    """Lines longer than a report's (a long message) wrapped at spaces, as a notebook's output
    area wraps them, so that none runs off the page."""
    lines = []
    for line in text.splitlines():
        lines.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False,
                                   drop_whitespace=False) if len(line) > width else [line])
    return "\n".join(line.rstrip() for line in lines) + "\n"


_CELLS = itertools.count(1)


def _cell_name(code):
    """A file name for a block that glassgrad's messages read as a notebook cell's ("line 4 in
    loss_fn (`h1 = np.tanh(z1)`)", as a learner sees them in Jupyter): shaped like IPython's
    (autograd.graph._NOTEBOOK_CELL), its text in linecache as IPython keeps a cell's, so that the
    line can be quoted."""
    filename = f"/glassgrad-docs/ipykernel_0/{next(_CELLS)}.py"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return filename


def _html(obj):
    """A drawing as inline SVG, or an object's own HTML (a frames_html player)."""
    if hasattr(obj, "pipe"):
        svg = obj.pipe(format="svg", encoding="utf-8")
        return svg[svg.index("<svg"):]
    if hasattr(obj, "_repr_html_"):
        return obj._repr_html_()
    return f"<pre>{html.escape(str(obj))}</pre>"


NOTEBOOK_LINK = re.compile(r'href="(README\.md|\d\d_[\w-]+\.ipynb)(#[\w-]+)?"')


def on_post_page(output, page, config):
    """Formulas become MathML: in the page, and in its table of contents (notebooks' headings)."""
    return mathml.render(output)


def on_page_content(content, page, config, files):
    """In a notebook page, links to the notebooks' README and to other notebooks point at pages."""
    if not page.file.src_path.endswith(".ipynb"):
        return content

    def fix(m):
        target, anchor = m.group(1), m.group(2) or ""
        url = "../" if target == "README.md" else f"../{target[:-len('.ipynb')]}/"
        return f'href="{url}{anchor}"'
    return NOTEBOOK_LINK.sub(fix, content)
