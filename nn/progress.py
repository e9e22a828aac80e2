"""Progress bars for `fit`: tqdm in a terminal when it is installed, otherwise a text bar that
shows the same things (count, elapsed time, the numbers), so the main job needs nothing beyond
NumPy and says the same with or without the extras; in Jupyter a text bar that updates one output
in place."""
import os
import sys
import time


def _clock(seconds):
    """Elapsed time as tqdm writes it: 00:04, 12:30, 1:02:03."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class TextBar:
    """`desc: 100%|#####| 430/430 [00:04, train_loss=0.05 ...]`, redrawn in place on a terminal;
    in a log file (not a terminal) written once, when it closes."""

    def __init__(self, total, desc, file=None):
        self.total, self.desc, self.n, self.postfix = total, desc, 0, ""
        self.file = sys.stderr if file is None else file
        self.live = getattr(self.file, "isatty", lambda: False)()
        self.start = self._last = time.monotonic()

    def line(self):
        total = self.total or 0
        if total:
            done = int(20 * self.n / total)
            head = f"{100 * self.n // total:3d}%|{'#' * done}{' ' * (20 - done)}| {self.n}/{total}"
        else:
            head = f"{self.n}"
        tail = f", {self.postfix}" if self.postfix else ""
        return f"{self.desc}: {head} [{_clock(time.monotonic() - self.start)}{tail}]"

    def _draw(self):
        self.file.write("\r" + self.line())
        self.file.flush()

    def update(self, n=1):
        self.n += n
        now = time.monotonic()
        if self.live and (now - self._last > 0.2 or self.n == self.total):
            self._last = now
            self._draw()

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text
        if self.live and refresh:
            self._draw()

    def close(self):
        if self.live:
            self._draw()
            self.file.write("\n")
        else:
            self.file.write(self.line() + "\n")
        self.file.flush()


class NotebookBar(TextBar):
    """In Jupyter: the same text bar, as one output that updates in place (a display id), so a
    saved notebook keeps each epoch's last state ("469/469 ... 3.2 s"), readable anywhere,
    instead of a widget that other viewers show frozen at 0%."""

    def __init__(self, total, desc, units="batches"):
        from IPython.display import display
        super().__init__(total, desc)
        self.units = units
        self.live = False  # it draws into its output, never into a file
        self._handle = display({"text/plain": self._text()}, raw=True, display_id=True)

    def _text(self, seconds=None):
        done = int(30 * self.n / max(self.total or 1, 1))
        total = f"/{self.total}" if self.total else ""
        took = f" ({seconds:.1f} s)" if seconds is not None else ""
        return (f"{self.desc}: [{'#' * done}{'.' * (30 - done)}] {self.n}{total} {self.units} "
                f"{self.postfix}{took}").rstrip()

    def update(self, n=1):
        self.n += n
        now = time.monotonic()
        if now - self._last > 0.5:
            self._last = now
            self._handle.update({"text/plain": self._text()}, raw=True)

    def close(self):
        self._handle.update({"text/plain": self._text(time.monotonic() - self.start)}, raw=True)


def in_notebook():
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress(total, desc, enabled, unit="batch"):
    """A bar counting `unit`s ("batch" or "epoch"), or None when progress is off."""
    if not enabled or os.environ.get("TQDM_DISABLE", "0").lower() not in ("", "0", "false"):
        return None
    if in_notebook():
        return NotebookBar(total, desc, {"batch": "batches", "epoch": "epochs"}[unit])
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return TextBar(total, desc)
    return tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True, unit=unit)
