"""The notebooks folder: every notebook re-executable by one command, listed in its README with
the sources it cites, and its test-only checks out of the reader's way (but still run)."""
import ast
import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def _runner():
    spec = importlib.util.spec_from_file_location("notebooks_run", FOLDER / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_runner_picks_up_every_notebook_in_the_folder():
    assert _runner().notebooks() == NOTEBOOKS
    assert [p.name for p in _runner().notebooks(["02", "05"])] == ["02_xor.ipynb",
                                                                   "05_mnist_mlp.ipynb"]


def test_the_runners_check_ignores_timings_and_nothing_else():
    import nbformat
    runner = _runner()

    def notebook(text):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("fit()")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nb.cells = [cell]
        return nb

    first = notebook("epoch 1/2: 4/4 batches loss=0.51 (3.2 s)\ntook 12.5s, 0.4 ms per step")
    again = notebook("epoch 1/2: 4/4 batches loss=0.51 (2.9 s)\ntook 11.0s, 0.3 ms per step")
    changed = notebook("epoch 1/2: 4/4 batches loss=0.52 (2.9 s)\ntook 11.0s, 0.3 ms per step")
    assert runner.comparable(first) == runner.comparable(again)
    assert runner.comparable(first) != runner.comparable(changed)


def test_the_readme_has_a_line_per_notebook_and_the_five_sources():
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f"]({nb.name})" in readme, f"{nb.name} is not listed in notebooks/README.md"
    for n in range(5):
        assert f"\n## Source {n:03d}\n" in readme


def test_every_cited_source_links_to_its_summary():
    for nb in NOTEBOOKS:
        text = "".join("".join(c["source"]) for c in _cells(nb) if c["cell_type"] == "markdown")
        for number in set(re.findall(r"[Ss]ources? (00\d)", text)):
            assert f"README.md#source-{number}" in text, f"{nb.name} cites {number} unlinked"


def test_cells_hidden_from_readers_hold_only_checks_and_are_collapsed():
    for nb in NOTEBOOKS:
        for cell in _cells(nb):
            if "remove-cell" not in cell.get("metadata", {}).get("tags", []):
                continue
            body = ast.parse("".join(cell["source"])).body
            assert body and all(isinstance(s, ast.Assert) for s in body), (nb.name, cell["source"])
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True


def test_a_progress_widget_is_stored_as_the_text_of_its_last_state():
    import nbformat
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("for i in trange(60, desc='epochs'): ...")
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": view,
                              "text/plain": "epochs:   0%|          | 0/60 [00:00<?, ?it/s]"})]
    nb.cells = [cell]
    state = {
        "box": {"state": {"_model_name": "HBoxModel",
                          "children": ["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"]}},
        "left": {"state": {"_model_name": "HTMLModel", "value": "epochs:  83%"}},
        "bar": {"state": {"_model_name": "FloatProgressModel", "value": 60, "max": 60}},
        "right": {"state": {"_model_name": "HTMLModel", "value": " 50/60 [00:01&lt;00:00]"}},
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    _runner().settle_widgets(nb)
    data = nb.cells[0].outputs[0]["data"]
    assert data == {"text/plain": f"epochs: 100% [{'#' * 30}] 60/60"}
    assert "widgets" not in nb.metadata


def test_prints_split_by_the_kernel_are_stored_as_one_output():
    import nbformat
    cell = nbformat.v4.new_code_cell("print(message)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="the tensor 'W2' ..."),
                    nbformat.v4.new_output("stream", name="stdout", text="\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    _runner().merge_streams(nb)
    assert [(o["name"], o["text"]) for o in nb.cells[0].outputs] == [
        ("stdout", "the tensor 'W2' ...\n"), ("stderr", "warning\n")]


def test_an_error_raised_in_a_notebook_cell_names_the_cells_line_not_its_temporary_file():
    import numpy as np
    import pytest
    from autograd import Tensor
    code = compile("Tensor(np.ones(3)) + Tensor(np.ones(4))", "/tmp/ipykernel_4242/1234.py", "exec")
    with pytest.raises(ValueError) as error:
        exec(code, {"Tensor": Tensor, "np": np})
    assert "at line 1 of a notebook cell, in <module>" in str(error.value)
    assert "ipykernel_4242" not in str(error.value)  # the kernel's pid: different every run
