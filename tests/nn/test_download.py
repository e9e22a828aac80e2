"""nn.data.mnist's download path, against fake mirrors served over HTTP on 127.0.0.1 only.

Each test serves tiny MNIST-shaped files (their SHA-256 sums made the expected ones) and checks
that a good copy lands in place, while a dead, corrupt, incomplete or interrupted one leaves
nothing behind.
"""
import gzip
import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

from nn import data
from nn.data import DatasetError


def idx(array):
    """IDX bytes of a uint8 array: magic (0, 0, 0x08, ndim), big-endian dims, then the values."""
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes() + array.tobytes()


IMAGES = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
FILES = {"train-images-idx3-ubyte": idx(IMAGES[:3]), "train-labels-idx1-ubyte": idx([1, 2, 3]),
         "t10k-images-idx3-ubyte": idx(IMAGES[3:]), "t10k-labels-idx1-ubyte": idx([4, 5])}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Trust the fake files' sums, and leave no real mirror to fall back on."""
    monkeypatch.setattr(data, "MNIST_SHA256",
                        {name: hashlib.sha256(raw).hexdigest() for name, raw in FILES.items()})
    monkeypatch.setattr(data, "MIRRORS", [])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a proxy setting must not reroute the fakes


class Server:
    """An HTTP server on 127.0.0.1 whose routes say what each path gets, and how."""

    def __init__(self):
        self.routes, self.requests = {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                body, how = server.routes[self.path]
                self.send_response(200)
                if how == "no-length":  # the body's end is the connection's end
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if how == "cut":  # announce the whole body, send half, hang up
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                else:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def mirror(self, name, how="ok", compress=True, corrupt=False):
        """Serve every fake file under /name/ and return that mirror's base URL."""
        for file, raw in FILES.items():
            if corrupt:
                raw = raw[:-1] + bytes([raw[-1] ^ 0xFF])
            body = gzip.compress(raw) if compress else raw
            self.routes[f"/{name}/{file}.gz"] = (body, how)
        return f"http://127.0.0.1:{self.httpd.server_port}/{name}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def dead_mirror():
    """A URL on a 127.0.0.1 port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def folder_contents(root):
    """The names in root/mnist; [] when the folder is not there (a failed first download removes
    the folder it created)."""
    folder = root / "mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_missing_files_are_downloaded_from_a_good_mirror(server, tmp_path):
    (X, y), (Xt, yt) = data.mnist(tmp_path, mirrors=[server.mirror("good")])
    np.testing.assert_array_equal(X * 255, IMAGES[:3].reshape(3, 784))
    np.testing.assert_array_equal(yt, [4, 5])
    assert folder_contents(tmp_path) == sorted(name + ".gz" for name in FILES)


def test_the_module_level_mirror_list_is_the_default(server, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MIRRORS", [server.mirror("good")])
    (_, y), _ = data.mnist(tmp_path)
    np.testing.assert_array_equal(y, [1, 2, 3])


def test_files_already_in_place_are_not_downloaded_again(server, tmp_path):
    good = server.mirror("good")
    data.mnist(tmp_path, mirrors=[good])
    server.requests.clear()
    data.mnist(tmp_path, mirrors=[good])
    assert server.requests == []


def test_only_the_missing_file_is_downloaded(server, tmp_path):
    (tmp_path / "mnist").mkdir()
    for name, raw in FILES.items():
        if name != "t10k-labels-idx1-ubyte":
            (tmp_path / "mnist" / name).write_bytes(raw)
    data.mnist(tmp_path, mirrors=[server.mirror("good")])
    assert server.requests == ["/good/t10k-labels-idx1-ubyte.gz"]


def test_a_dead_mirror_is_skipped_for_the_next_one(server, tmp_path, dead_mirror):
    (_, y), _ = data.mnist(tmp_path, mirrors=[dead_mirror, server.mirror("good")])
    np.testing.assert_array_equal(y, [1, 2, 3])


def test_a_mirror_without_the_file_is_skipped_for_the_next_one(server, tmp_path):
    (_, y), _ = data.mnist(tmp_path, mirrors=[server.mirror("good") + "nothing-here/",
                                              server.mirror("good")])
    np.testing.assert_array_equal(y, [1, 2, 3])


def test_a_corrupt_download_is_rejected_for_the_next_mirror(server, tmp_path):
    mirrors = [server.mirror("bad", corrupt=True), server.mirror("good")]
    (X, _), _ = data.mnist(tmp_path, mirrors=mirrors)
    np.testing.assert_array_equal(X * 255, IMAGES[:3].reshape(3, 784))
    assert server.requests[:2] == ["/bad/train-images-idx3-ubyte.gz",
                                   "/good/train-images-idx3-ubyte.gz"]


def test_a_corrupt_download_from_the_only_mirror_is_an_error_leaving_no_file(server, tmp_path):
    bad = server.mirror("bad", corrupt=True)
    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        data.mnist(tmp_path, mirrors=[bad])
    assert bad + "train-images-idx3-ubyte.gz" in str(err.value)
    assert folder_contents(tmp_path) == []


def test_an_interrupted_transfer_is_an_error_leaving_no_file(server, tmp_path):
    cut = server.mirror("cut", how="cut")
    with pytest.raises(DatasetError, match="could not download") as err:
        data.mnist(tmp_path, mirrors=[cut])
    assert cut + "train-images-idx3-ubyte.gz" in str(err.value)
    assert folder_contents(tmp_path) == []


def test_an_interrupted_transfer_is_followed_by_the_next_mirror(server, tmp_path):
    (_, y), _ = data.mnist(tmp_path, mirrors=[server.mirror("cut", how="cut"),
                                              server.mirror("good")])
    np.testing.assert_array_equal(y, [1, 2, 3])
    assert folder_contents(tmp_path) == sorted(name + ".gz" for name in FILES)


def test_ctrl_c_during_a_download_leaves_no_file(server, tmp_path, monkeypatch):
    class Interrupting:
        def update(self, n):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(data, "_progress_bar", lambda total, desc: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        data.mnist(tmp_path, mirrors=[server.mirror("good")])
    assert folder_contents(tmp_path) == []


def test_when_every_mirror_fails_the_error_lists_them_and_says_how_to_place_files(
        server, tmp_path, dead_mirror):
    bad = server.mirror("bad", corrupt=True)
    with pytest.raises(DatasetError) as err:
        data.mnist(tmp_path, mirrors=[dead_mirror, bad])
    message = str(err.value)
    assert dead_mirror + "train-images-idx3-ubyte.gz" in message
    assert bad + "train-images-idx3-ubyte.gz" in message
    assert "by hand" in message and str(tmp_path / "mnist") in message


def test_a_mirror_serving_uncompressed_files_is_accepted_and_saved_uncompressed(server, tmp_path):
    data.mnist(tmp_path, mirrors=[server.mirror("raw", compress=False)])
    assert folder_contents(tmp_path) == sorted(FILES)


def test_downloaded_files_are_readable_by_everyone(server, tmp_path):
    data.mnist(tmp_path, mirrors=[server.mirror("good")])
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in (tmp_path / "mnist").iterdir())


def test_without_tqdm_progress_is_reported_as_plain_text(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm...` raise ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    data.mnist(tmp_path, mirrors=[server.mirror("good")])
    assert "downloading train-images-idx3-ubyte.gz: 100%" in capsys.readouterr().err


# --- what a failed or killed download leaves behind ----------------------------------------------

def test_a_failed_first_download_leaves_no_empty_folders(tmp_path, dead_mirror):
    root = tmp_path / "data" / "deeper"
    with pytest.raises(DatasetError):
        data.mnist(root, mirrors=[dead_mirror])
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_keeps_folders_that_were_there_before(tmp_path, dead_mirror):
    (tmp_path / "mnist").mkdir()
    with pytest.raises(DatasetError):
        data.mnist(tmp_path, mirrors=[dead_mirror])
    assert (tmp_path / "mnist").is_dir()


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name != "posix", reason="stale temporaries are found by process id")
def test_a_part_file_left_by_a_killed_download_is_removed_by_the_next_download(server, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    stale = folder / f".train-images-idx3-ubyte.{dead_pid()}-abc123.part"
    live = folder / f".train-labels-idx1-ubyte.{os.getpid()}-def456.part"  # still being written
    stale.write_bytes(b"half a download")
    live.write_bytes(b"a download under way")
    data.mnist(tmp_path, mirrors=[server.mirror("good")])
    assert not stale.exists() and live.exists()


def test_a_server_announcing_more_than_the_file_can_hold_is_refused(server, tmp_path, monkeypatch):
    monkeypatch.setitem(data.MNIST_SIZES, "train-images-idx3-ubyte", 100)
    server.routes["/big/train-images-idx3-ubyte.gz"] = (bytes(2 << 20), "ok")
    with pytest.raises(DatasetError, match="announces 2097152 bytes"):
        data.mnist(tmp_path, mirrors=[f"http://127.0.0.1:{server.httpd.server_port}/big/"])
    assert folder_contents(tmp_path) == []


def test_a_server_sending_more_than_the_file_can_hold_is_cut_off(server, tmp_path, monkeypatch):
    monkeypatch.setitem(data.MNIST_SIZES, "train-images-idx3-ubyte", 100)
    server.routes["/big/train-images-idx3-ubyte.gz"] = (bytes(2 << 20), "no-length")
    with pytest.raises(DatasetError, match="sent more than"):
        data.mnist(tmp_path, mirrors=[f"http://127.0.0.1:{server.httpd.server_port}/big/"])
    assert folder_contents(tmp_path) == []
