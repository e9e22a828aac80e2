"""Re-execute every notebook in this folder and store it with its outputs.

    python notebooks/run.py               # all of them, full size (as committed)
    python notebooks/run.py 02_xor 05     # those whose file names start with these
    python notebooks/run.py --fast        # GLASSGRAD_FAST=1: small data, few epochs (as the tests)
    python notebooks/run.py --check       # execute, compare with what is stored, write nothing

Each notebook runs in a fresh kernel from this folder, with the repository on PYTHONPATH, and is
written back in place (whole or not at all). The notebooks seed every random number they use, and
this script stores no timestamps, so running it twice changes nothing but the timings printed in
outputs (training times, progress bars); `--check` reports any other difference.
"""
import argparse
import difflib
import html
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Numbers that are timings, ignored by --check: "12.3 s", "(0.4 s)", "3.1s/it", "[00:01<00:00]".
TIMING = re.compile(r"\d+(\.\d+)?\s?(s|ms|us|µs|it/s|s/it)\b|\[\d\d:\d\d[<\]][^\]]*\]?")


def notebooks(prefixes=()):
    found = sorted(HERE.glob("*.ipynb"))
    if prefixes:
        found = [p for p in found if p.name.startswith(tuple(prefixes))]
    return found


def execute(path, fast=False, timeout=3600):
    """The notebook at `path`, executed in a fresh kernel; returns the executed NotebookNode."""
    nb = nbformat.read(path, as_version=4)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PYTHONHASHSEED": "0", "GLASSGRAD_FAST": "1" if fast else "0"}
    shared = ROOT.parent / "shared" / "data"  # MNIST beside the checkout, as the tests find it
    if "GLASSGRAD_DATA" not in os.environ and (shared / "mnist").is_dir():
        env["GLASSGRAD_DATA"] = str(shared)
    saved = {k: os.environ.get(k) for k in (*env, "TQDM_DISABLE", "MPLBACKEND")}
    os.environ.update(env)
    os.environ.pop("TQDM_DISABLE", None)  # show the training progress in the stored outputs
    os.environ.pop("MPLBACKEND", None)    # Jupyter's inline backend: figures become outputs
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(HERE)}},
                                record_timing=False)
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    settle_widgets(nb)
    merge_streams(nb)
    return nb


def merge_streams(nb):
    """Join consecutive prints to the same stream into one output: how the kernel happens to
    split them depends on timing, and would change the file from run to run."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (out.get("output_type") == "stream" and last is not None
                    and last.get("output_type") == "stream" and last.get("name") == out.get("name")):
                last["text"] += out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def settle_widgets(nb):
    """Progress bars drawn as Jupyter widgets (tqdm.auto) are stored by nbclient as a reference to
    widget state, with a text fallback frozen at the bar's first state ("0%| | 0/60"), which is
    what a code forge or a viewer shows. Replace each by the text of its last state, read from
    the widget state, and drop the state itself (large, and different on every run)."""
    store = nb.metadata.pop("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = store.get("state", {})
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            if view is not None:
                text = _widget_text(models, view.get("model_id"))
                if text:
                    out["data"]["text/plain"] = text


def _widget_text(models, model_id):
    """A widget's last state as one line of text. A progress bar (tqdm's: a label, the bar, and
    a count) reads "desc: 100% [######] 60/60", from the bar's own value, since its labels are
    refreshed only now and then and may be behind."""
    model = models.get(model_id, {}).get("state", {})
    children = [models.get(c.replace("IPY_MODEL_", ""), {}).get("state", {})
                for c in model.get("children", [])]
    bars = [c for c in children if "Progress" in c.get("_model_name", "")]
    if bars:
        value, total = bars[0].get("value", 0), bars[0].get("max", 0) or 1
        label = _label(children[0]) if children and children[0] is not bars[0] else ""
        desc = re.sub(r"\s*\d+%\s*$", "", label).rstrip(": ")
        done = int(30 * value / total)
        return (f"{desc + ': ' if desc else ''}{100 * value / total:3.0f}% "
                f"[{'#' * done}{'.' * (30 - done)}] {value:g}/{total:g}")
    if children:
        return " ".join(t for t in map(_label, children) if t)
    return _label(model)


def _label(model):
    text = re.sub(r"<[^>]+>", "", str(model.get("value", "")))
    return html.unescape(text).replace("\xa0", " ").strip()


def write(nb, path):
    """Write through a temporary file beside `path`, so a failure leaves the old file whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def comparable(nb):
    """The notebook's cells and outputs as text, timings blanked, for --check."""
    cells = []
    merge_streams(nb)
    for cell in nb.cells:
        outputs = json.dumps(cell.get("outputs", []), indent=1, sort_keys=True)
        cells.append(cell.source + "\n" + TIMING.sub("<t>", outputs))
    return "\n".join(cells).splitlines()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="file name prefixes (default: every notebook)")
    parser.add_argument("--fast", action="store_true", help="GLASSGRAD_FAST=1 (small, quick)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the stored outputs instead of writing")
    args = parser.parse_args(argv)
    paths = notebooks(args.names)
    if not paths:
        parser.error(f"no notebook in {HERE} starts with {' or '.join(args.names)}")
    differ = []
    for path in paths:
        start = time.monotonic()
        print(f"{path.name} ...", end=" ", flush=True)
        nb = execute(path, fast=args.fast)
        if args.check:
            stored = nbformat.read(path, as_version=4)
            diff = list(difflib.unified_diff(comparable(stored), comparable(nb), "stored",
                                             "re-executed", lineterm="", n=1))
            if diff:
                differ.append(path.name)
                print("\n".join(diff[:40]))
        else:
            write(nb, path)
        print(f"{time.monotonic() - start:.0f} s", flush=True)
    if differ:
        print(f"outputs differ (beyond timings): {', '.join(differ)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
