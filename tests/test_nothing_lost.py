"""Nothing lost: a save or a download killed midway (SIGKILL, no chance to clean up) leaves the
previous file intact and never a half-written file under the real name; .npz loading never unpickles.

Each kill happens in a child process, so the test process survives it. A hidden temporary file
(".tmp-*.npz", ".<name>.*.part") may be left behind by a SIGKILL -- nothing can remove it -- but the
real file name only ever holds a complete file.

Already covered elsewhere: a crash (exception) inside save leaves the old file and no temporary
(tests/nn/test_module.py); a corrupt, cut or Ctrl-C'd download leaves no file
(tests/nn/test_download.py).
"""
import hashlib
import http.server
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import data

ROOT = Path(__file__).resolve().parent.parent  # the checkout, so the child imports this nn

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def _child(code, *args):
    """Start `python -c code args...` with this checkout importable; stdout piped."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_PROXY="127.0.0.1", TQDM_DISABLE="1")
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _wait_for(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def _visible(folder):
    return sorted(p.name for p in Path(folder).iterdir() if not p.name.startswith("."))


# ---- model saves --------------------------------------------------------------------------------

PAUSED_SAVE = """
import sys, time, io
import numpy as np
import nn
path, marker = sys.argv[1], sys.argv[2]
real_savez = np.savez

def half_then_hang(file, **arrays):
    # the real archive's first half reaches the disk, then the process hangs mid-write
    buffer = io.BytesIO()
    real_savez(buffer, **arrays)
    file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    file.flush()
    open(marker, "w").close()
    time.sleep(60)

np.savez = half_then_hang
nn.Linear(300, 200, rng=np.random.default_rng(1)).save(path)
"""


def test_a_save_killed_in_the_middle_of_writing_leaves_the_previous_file_intact(tmp_path):
    path, marker = tmp_path / "model.npz", tmp_path / ".writing"
    old = nn.Linear(300, 200, rng=np.random.default_rng(0))
    old.save(path)
    before = path.read_bytes()
    proc = _child(PAUSED_SAVE, path, marker)
    try:
        _wait_for(marker.exists, "the child to be inside the write")
    finally:
        _kill(proc)
    marker.unlink()
    assert path.read_bytes() == before
    loaded = nn.Linear(300, 200).load(path)
    np.testing.assert_array_equal(loaded.weight.data, old.weight.data)
    assert _visible(tmp_path) == ["model.npz"]
    # the kill really was midway: the half-written temporary is still there, under a hidden name
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert len(leftovers) == 1 and 0 < leftovers[0].stat().st_size < len(before)


SAVE_LOOP = """
import sys
import numpy as np
import nn
import autograd as ag
path = sys.argv[1]
model = nn.Linear(1000, 500)
for k in range(1, 10 ** 6):
    with ag.no_grad():
        for p in model.parameters():
            p.fill_(k)
    model.save(path)
    print(k, flush=True)
"""


def test_a_process_saving_over_and_over_killed_at_any_moment_leaves_a_complete_recent_file(tmp_path):
    path = tmp_path / "model.npz"
    model = nn.Linear(1000, 500)
    model.save(path)  # version 0: random values
    proc = _child(SAVE_LOOP, path)
    try:
        for _ in range(3):  # let three saves complete; the fourth is under way (saving is the loop)
            last = int(proc.stdout.readline())
    finally:
        _kill(proc)
    model.load(path)  # a complete archive: every array readable
    values = {float(v) for p in model.parameters() for v in np.unique(p.data)}
    assert len(values) == 1  # one save's values throughout, never a mix of two
    assert values.pop() >= last  # a save that had returned is never lost
    assert _visible(tmp_path) == ["model.npz"]


# ---- .npz files are loaded without ever unpickling ---------------------------------------------

class _Trap:
    """Unpickling this creates the file `path`: proof that pickled code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_loading_an_npz_with_an_object_array_is_refused_saying_why(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, weight=np.array([{"a": 1}], dtype=object), bias=np.zeros(1))
    with pytest.raises(ValueError) as info:
        nn.Linear(2, 1).load(path)
    message = str(info.value)
    assert "objects.npz" in message and "'weight'" in message and "pickle" in message


def test_an_npz_with_a_pickled_object_array_never_runs_its_code(tmp_path):
    path, trap = tmp_path / "trap.npz", tmp_path / "code-ran"
    np.savez(path, weight=np.array([_Trap(trap)], dtype=object), bias=np.zeros(1))
    with pytest.raises(ValueError, match="trap.npz"):
        nn.Linear(2, 1).load(path)
    assert not trap.exists()


def test_a_plain_pickle_named_npz_is_refused_naming_the_file_and_never_runs_its_code(tmp_path):
    path, trap = tmp_path / "model.npz", tmp_path / "code-ran"
    path.write_bytes(pickle.dumps(_Trap(trap)))
    with pytest.raises(ValueError, match=r"(?s)model\.npz.*pickle"):
        nn.Linear(2, 1).load(path)
    assert not trap.exists()


# ---- MNIST downloads ----------------------------------------------------------------------------

def _idx(array):
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes() + array.tobytes()


# 400 images (313 616 bytes): several 64 KiB chunks reach the .part file before the pause
MNIST = {"train-images-idx3-ubyte": _idx(np.arange(400 * 784).reshape(400, 28, 28) % 253),
         "train-labels-idx1-ubyte": _idx(np.arange(400) % 10),
         "t10k-images-idx3-ubyte": _idx(np.arange(2 * 784).reshape(2, 28, 28) % 7),
         "t10k-labels-idx1-ubyte": _idx([4, 5])}
SENT_BEFORE_PAUSE = 200_000


@pytest.fixture
def slow_mirror():
    """A 127.0.0.1 mirror serving the files uncompressed; the big one stalls after
    SENT_BEFORE_PAUSE bytes until `release` is set. Yields (base URL, release)."""
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.rsplit("/", 1)[-1].removesuffix(".gz")
            if name not in MNIST:
                self.send_error(404)
                return
            body = MNIST[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if name == "train-images-idx3-ubyte":
                    self.wfile.write(body[:SENT_BEFORE_PAUSE])
                    self.wfile.flush()
                    release.wait(30)
                    body = body[SENT_BEFORE_PAUSE:]
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/mnist/", release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


DOWNLOAD = """
import sys
from nn import data
data.mnist(sys.argv[1], mirrors=[sys.argv[2]])
"""


def test_a_download_killed_midway_never_leaves_a_file_under_the_real_name(tmp_path, slow_mirror):
    url, release = slow_mirror
    folder = tmp_path / "mnist"
    proc = _child(DOWNLOAD, tmp_path, url)

    def partial_download():
        return folder.is_dir() and any(p.name.endswith(".part") and p.stat().st_size > 0
                                       for p in folder.iterdir())

    try:
        _wait_for(partial_download, "the first bytes of the download")
    finally:
        _kill(proc)
    assert _visible(folder) == []
    assert all(p.name.startswith(".train-images-idx3-ubyte.") and p.name.endswith(".part")
               for p in folder.iterdir())


def test_after_a_killed_download_the_next_load_downloads_afresh_and_works(
        tmp_path, slow_mirror, monkeypatch):
    url, release = slow_mirror
    proc = _child(DOWNLOAD, tmp_path, url)
    try:
        _wait_for(lambda: any(p.name.endswith(".part") for p in (tmp_path / "mnist").glob(".*")),
                  "the download to start")
    finally:
        _kill(proc)
    release.set()
    monkeypatch.setattr(data, "MNIST_SHA256",
                        {name: hashlib.sha256(raw).hexdigest() for name, raw in MNIST.items()})
    (X, y), _ = data.mnist(tmp_path, mirrors=[url])
    assert X.shape == (400, 784) and y[:3].tolist() == [0, 1, 2]
    assert _visible(tmp_path / "mnist") == sorted(MNIST)
