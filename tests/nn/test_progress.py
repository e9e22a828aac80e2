"""nn.train's progress bar in Jupyter: one text output, updated in place, so that a saved notebook
shows each epoch's last state (not a widget frozen at 0%)."""
import numpy as np

import nn
from nn import functional as F
from nn import progress
from nn import train as train_module


class _Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, data, raw=False):
        self.shown[-1] = data["text/plain"]


def test_in_jupyter_each_epoch_ends_as_one_readable_line(monkeypatch):
    shown = []

    def display(data, raw=False, display_id=None):
        shown.append(data["text/plain"])
        return _Handle(shown)

    import IPython.display
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    (X, y), _ = nn.data.spirals(20, 3, seed=0)
    nn.manual_seed(0)
    model = nn.MLP([2, 8, 3])
    train_module.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
                     nn.DataLoader(X, y, batch_size=16, seed=0), epochs=2)
    assert len(shown) == 2  # one output per epoch
    for epoch, line in enumerate(shown, 1):
        assert line.startswith(f"epoch {epoch}/2: [{'#' * 30}] 4/4 batches ")
        assert "loss=" in line
        assert "accuracy=" in line and line.endswith(" s)")
        assert "0%" not in line


def test_outside_jupyter_there_is_no_notebook_bar():
    assert not progress.in_notebook()
