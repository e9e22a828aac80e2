"""Data for training: a mini-batch loader and a few ready-made datasets.

Everything here deals in plain NumPy arrays (this module never imports `autograd`), so the data
side of a training script can be read, and tested, on its own.

    DataLoader(X, y, batch_size=32, shuffle=True, drop_last=False, seed=None)
    mnist(root=None, download=True)              the 70,000 handwritten digits
    binary_mnist(a=3, b=7, ...)                  only two of the digits, relabelled 0 and 1
    xor(), sine(n, noise, seed), spirals(n, classes, noise, seed)    small toy problems
    validation_split(X, y, fraction, seed)       hold some training rows out for validation

Every dataset returns the same shape of thing, a training set and a test set:

    (X_train, y_train), (X_test, y_test) = mnist()     # or spirals(), sine(), xor() ...
    d = spirals(); d.train.X, d.test.y                  # the same, by name

The toy problems live in nn/toys.py (and are found here too); they draw their test set
independently of the training set, from the same distribution.

MNIST is read from the four standard IDX files in `root/mnist/` (gzipped or not). `root` defaults
to $GLASSGRAD_DATA, else ~/.cache/glassgrad. Missing files are downloaded from `MIRRORS`.
"""
import hashlib
import http.client
import math
import numbers
import os
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from . import files
from .toys import Split, TrainTest, sine, spirals, xor

__all__ = ["DataLoader", "DatasetError", "Split", "TrainTest", "mnist", "binary_mnist", "xor",
           "sine", "spirals", "validation_split", "default_root", "mnist_folder",
           "missing_mnist_files", "MIRRORS", "MNIST_FILES", "MNIST_SHA256", "MNIST_SIZES"]


class DatasetError(RuntimeError):
    """A dataset file is missing, corrupt, or could not be downloaded."""




# ---------------------------------------------------------------------------------------------
# Mini-batches
# ---------------------------------------------------------------------------------------------

class DataLoader:
    """Iterate over (xb, yb) mini-batches of `batch_size` samples (rows) of X and y.

    The last batch is smaller when batch_size does not divide the number of samples; drop_last=True
    leaves it out instead. With shuffle=True every new iteration (every epoch) visits the samples
    in a fresh random order; the same `seed` gives the same sequence of orders. Batches are NumPy
    arrays with X's and y's dtypes: views when shuffle=False, copies otherwise.
    """

    def __init__(self, X, y, batch_size=32, shuffle=True, drop_last=False, seed=None):
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim == 0 or y.ndim == 0:
            raise ValueError("X and y must be arrays with one row per sample, "
                             f"got shapes {X.shape} and {y.shape}")
        if len(X) != len(y):
            raise ValueError("X and y must have the same number of samples (rows): "
                             f"len(X) = {len(X)} but len(y) = {len(y)}")
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) \
                or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        # One generator for the loader's lifetime: each epoch draws the next permutation from it,
        # so epochs differ from each other yet a seed replays the whole run.
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of batches one epoch yields."""
        n, size = len(self.X), self.batch_size
        return n // size if self.drop_last else math.ceil(n / size)

    def __iter__(self):
        n, size = len(self.X), self.batch_size
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, len(self) * size, size):
            stop = min(start + size, n)
            if order is None:
                yield self.X[start:stop], self.y[start:stop]
            else:
                rows = order[start:stop]
                yield self.X[rows], self.y[rows]

    def __repr__(self):
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle}, drop_last={self.drop_last})")


# ---------------------------------------------------------------------------------------------
# MNIST: reading and checking the IDX files
# ---------------------------------------------------------------------------------------------

# Base URLs tried one after another; each serves `<name>.gz`. Replace the list (or pass
# `mirrors=` to mnist) to use a local copy.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

# SHA-256 of each file's *uncompressed* bytes. Mirrors re-gzip the files differently, so the
# sums of the .gz files vary from copy to copy; the IDX bytes inside do not.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_FILES = tuple(MNIST_SHA256)
# Their sizes in bytes, uncompressed: a 16- or 8-byte header, then one byte per pixel or label.
# Nothing larger is ever downloaded or un-gzipped, whatever a mirror sends.
MNIST_SIZES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 784, "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 784, "t10k-labels-idx1-ubyte": 8 + 10_000,
}

TIMEOUT = 30  # seconds a mirror may stay silent before we give up on it


def default_root():
    """Where datasets live when no root is given: $GLASSGRAD_DATA, else ~/.cache/glassgrad."""
    env = os.environ.get("GLASSGRAD_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "glassgrad"


def mnist_folder(root=None):
    """The folder MNIST is read from and downloaded to: `root/mnist` (root defaults to
    default_root()), or `root` itself when it holds MNIST files and root/mnist does not --
    $GLASSGRAD_DATA pointed at the mnist folder rather than the folder above it, an easy slip."""
    root = Path(root if root is not None else default_root()).expanduser()
    folder = root / "mnist"
    if any(_find(folder, name) for name in MNIST_FILES):
        return folder
    if any(_find(root, name) for name in MNIST_FILES) or (root.name == "mnist"
                                                          and not folder.exists()):
        return root
    return folder


def missing_mnist_files(root=None):
    """The names of the MNIST files not (yet) in mnist_folder(root)."""
    folder = mnist_folder(root)
    return [name for name in MNIST_FILES if _find(folder, name) is None]


def _ungzip(data, source, limit):
    """The IDX bytes inside `data`, un-gzipped when gzipped (whatever the file's name says).

    At most `limit` bytes are ever produced: a few kilobytes of gzip can expand to gigabytes,
    and no MNIST file is larger than its known size.
    """
    if data[:2] != b"\x1f\x8b":  # gzip's magic number
        return data
    parts, size = [], 0
    try:
        while data:  # a gzip file may hold several members, one after another
            unzip = zlib.decompressobj(wbits=31)
            part = unzip.decompress(data, limit + 1 - size)
            size += len(part)
            if size > limit:
                raise DatasetError(f"{source}: un-gzipped it holds more than {limit} bytes, the "
                                   "size of the MNIST file it should be; it is not that file")
            if not unzip.eof:
                raise EOFError("compressed data ended before the end-of-stream marker")
            parts.append(part)
            data = unzip.unused_data
    except (EOFError, zlib.error) as e:
        raise DatasetError(f"{source}: cannot un-gzip it ({e}); the file is truncated or "
                           "corrupt") from None
    return b"".join(parts)


def _parse_idx(raw, name, source):
    """Check the IDX bytes of MNIST file `name` and view them as a uint8 array.

    IDX layout: 2 zero bytes, a type code (0x08 = unsigned bytes), the number of dimensions,
    then each dimension as a big-endian uint32, then the values row by row.
    """
    ndim = 3 if "images" in name else 1
    what = "image" if ndim == 3 else "label"
    magic = bytes([0, 0, 0x08, ndim])
    if len(raw) < 4:
        raise DatasetError(f"{source}: truncated: " + ("the file is empty (0 bytes)" if not raw else
                           f"only {len(raw)} bytes, not even the 4-byte IDX magic number"))
    if raw[:4] != magic:
        raise DatasetError(f"{source}: not an MNIST {what} file: expected the IDX magic number "
                           f"0x{magic.hex()} (unsigned bytes, {ndim} dimension(s)), "
                           f"found 0x{raw[:4].hex()}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{source}: truncated: expected a {header}-byte header, "
                           f"found only {len(raw)} bytes")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DatasetError(f"{source}: expected 28x28 images, found {dims[1]}x{dims[2]}")
    expected = header + math.prod(dims)
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "too long"
        raise DatasetError(f"{source}: {problem}: its header announces {dims[0]} {what}s, "
                           f"which take {expected} bytes, but it has {len(raw)}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_SHA256[name]:
        raise DatasetError(f"{source}: checksum mismatch: SHA-256 of the uncompressed bytes is "
                           f"{digest}, expected {MNIST_SHA256[name]}; the file is corrupt or not "
                           "the standard MNIST file")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims)


def _find(folder, name):
    """The file holding `name` in folder, raw preferred (faster), else gzipped; None if neither."""
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# MNIST: downloading
# ---------------------------------------------------------------------------------------------

class _TextProgress:
    """A one-line progress report for when tqdm is not installed."""

    def __init__(self, total, desc):
        self.total, self.desc, self.done, self.shown = total, desc, 0, -1
        # On a terminal rewrite one line; in a log, print a line every 10% instead.
        self.end = "\r" if sys.stderr.isatty() else "\n"

    def update(self, n):
        self.done += n
        if self.total:
            tenth = 10 * self.done // self.total
            if tenth > self.shown:
                self.shown = tenth
                print(f"{self.desc}: {10 * tenth}% of {self.total / 1e6:.1f} MB",
                      end=self.end, file=sys.stderr, flush=True)

    def close(self):
        if self.end == "\r" or not self.total:
            print(f"{self.desc}: {self.done / 1e6:.1f} MB", file=sys.stderr, flush=True)


def _progress_bar(total, desc):
    try:
        from tqdm.auto import tqdm  # optional: only the download needs it
    except ImportError:
        return _TextProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)


def _fetch(url, name, folder):
    """Download url into folder, check it, and only then give it its final name.

    The bytes go to a hidden temporary file in the same folder (so the final rename is atomic),
    flushed to disk before the rename; on any failure, Ctrl-C included, the temporary file is
    removed, so the folder never holds a half-written MNIST file. (A temporary left by a killed
    process is removed by the next download into the folder.)
    """
    # Even stored without compression, the file is its IDX bytes plus a small gzip wrapper.
    limit = MNIST_SIZES[name] + (1 << 20)
    out, tmp = files.temporary(folder, f".{name}.", ".part")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            if total is not None and total > limit:
                raise DatasetError(f"the server announces {total} bytes, more than MNIST's "
                                   f"{name} can take ({limit}); not downloading it")
            bar = _progress_bar(total, f"downloading {name}.gz")
            try:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
                    if out.tell() > limit:
                        raise DatasetError(f"the server sent more than {limit} bytes, more than "
                                           f"MNIST's {name} can take; stopped there")
            finally:
                bar.close()
            if total is not None and out.tell() != total:
                raise DatasetError(f"connection closed after {out.tell()} of {total} bytes")
        out.flush()
        data = Path(tmp).read_bytes()
        source = "the downloaded file"  # _download prefixes the URL
        _parse_idx(_ungzip(data, source, MNIST_SIZES[name]), name, source)
        final = folder / (name + ".gz" if data[:2] == b"\x1f\x8b" else name)
        files.finish(out, tmp, final)
    except BaseException:
        files.discard(out, tmp)
        raise
    return final


def _download(name, folder, mirrors):
    """Fetch `name` from the first mirror that serves a good copy; say what failed otherwise."""
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + name + ".gz"
        try:
            return _fetch(url, name, folder)
        # URLError and socket errors are OSErrors; IncompleteRead is an HTTPException; a
        # malformed URL is a ValueError. Any of them means: try the next mirror.
        except (OSError, http.client.HTTPException, ValueError, DatasetError) as e:
            failures.append(f"  {url}: {e}")
    tried = "\n".join(failures) or "  (no mirrors were given)"
    raise DatasetError(
        f"could not download MNIST file {name}. Tried:\n{tried}\n"
        f"To place the files by hand, get the four files {', '.join(MNIST_FILES)} (gzipped or "
        f"not) from any MNIST mirror and put them in {folder}, or point $GLASSGRAD_DATA (or "
        "root=) at a folder whose mnist/ subfolder holds them.")


# ---------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------

def _make_folder(folder):
    """Create folder and any missing parents; returns those created, outermost first."""
    created = []
    for parent in [*reversed(folder.parents), folder]:
        if not parent.exists():
            created.append(parent)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"cannot create {folder} to download MNIST into: {e}") from None
    return created


def _fetch_missing(folder, missing, mirrors):
    mirrors = MIRRORS if mirrors is None else mirrors
    if isinstance(mirrors, str):  # one URL given on its own
        mirrors = [mirrors]
    created = _make_folder(folder)
    try:
        for name in MNIST_FILES:  # temporaries left by a download that was killed
            files.remove_stale(folder, f".{name}.", ".part")
        for name in missing:
            _download(name, folder, mirrors)
    except BaseException:
        # A failed first download leaves no empty folders behind (files already fetched stay).
        for path in reversed(created):
            try:
                path.rmdir()
            except OSError:
                break
        raise


def mnist(root=None, download=True, mirrors=None):
    """The MNIST digits: ((X_train, y_train), (X_test, y_test)), a TrainTest of two Splits.

    X is float32 of shape (N, 784), pixel values scaled to [0, 1], one flattened 28x28 image per
    row; y is int64 in 0..9. N is 60,000 for training and 10,000 for testing.
    Files are read from `root/mnist/` (root defaults to default_root(); a root that is itself the
    mnist folder works too). Each one's magic number, dimensions and SHA-256 are checked: a bad
    file raises DatasetError naming it. Missing files are downloaded from `mirrors` (default:
    MIRRORS) when download=True.
    """
    folder = mnist_folder(root)
    missing = [name for name in MNIST_FILES if _find(folder, name) is None]
    if missing and not download:
        raise DatasetError(f"MNIST files not found in {folder}: {', '.join(missing)} (looked for "
                           "each name with and without .gz). Use download=True to fetch them, "
                           "or place them there by hand.")
    if missing:
        _fetch_missing(folder, missing, mirrors)

    def load(name):
        path = _find(folder, name)
        try:
            if not path.name.endswith(".gz") and path.stat().st_size > MNIST_SIZES[name]:
                raise DatasetError(f"{path}: too long: {path.stat().st_size} bytes, more than "
                                   f"the {MNIST_SIZES[name]} of MNIST's {name}")
            return _parse_idx(_ungzip(path.read_bytes(), path, MNIST_SIZES[name]), name, path)
        except DatasetError as e:
            raise DatasetError(f"{e}.\nDelete it and load again to download a fresh copy, "
                               "or replace it by hand.") from None

    def split(prefix):
        images, labels = load(f"{prefix}-images-idx3-ubyte"), load(f"{prefix}-labels-idx1-ubyte")
        if len(images) != len(labels):
            raise DatasetError(f"{folder}: {prefix} set has {len(images)} images "
                               f"but {len(labels)} labels")
        # One pass from uint8 straight to float32: the training images alone take 188 MB.
        X = np.divide(images.reshape(len(images), -1), np.float32(255), dtype=np.float32)
        return Split(X, labels.astype(np.int64))

    return TrainTest(split("train"), split("t10k"))


def binary_mnist(a=3, b=7, root=None, download=True, mirrors=None):
    """Only the digits a and b from MNIST, relabelled 0 (for a) and 1 (for b).

    Same structure and dtypes as mnist(): ((X_train, y_train), (X_test, y_test)).
    """
    if a == b or not {a, b} <= set(range(10)):
        raise ValueError(f"a and b must be two different digits 0..9, got a={a!r}, b={b!r}")

    def keep(X, y):
        rows = (y == a) | (y == b)
        return Split(X[rows], (y[rows] == b).astype(np.int64))

    train, test = mnist(root, download, mirrors)
    return TrainTest(keep(*train), keep(*test))


def validation_split(X, y, fraction, seed=None, copy=True):
    """Hold out a random `fraction` of the rows of (X, y) for validation: (train, val) Splits.

    The validation rows are never trained on, so choices made by looking at them (a learning
    rate, when to stop) leave the test set untouched until the one final measurement.
    `copy=False` moves the training rows to the front of X and y themselves (overwriting them)
    and gives views of them: the same splits without a second copy of a large training set
    (MNIST's is 188 MB), for arrays nobody else reads (read-only arrays are copied anyway).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows: {len(X)} and {len(y)}")
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"the validation fraction must be in [0, 1), got {fraction}")
    n_val = round(fraction * len(X))
    rows = np.random.default_rng(seed).permutation(len(X))
    train, val = np.sort(rows[n_val:]), np.sort(rows[:n_val])
    held_out = Split(X[val], y[val])
    if copy or not (X.flags.writeable and y.flags.writeable):
        return Split(X[train], y[train]), held_out
    # train is sorted, so train[k] >= k: a block's rows are read before any write reaches them
    for start in range(0, len(train), 4096):
        block = train[start:start + 4096]
        X[start:start + len(block)], y[start:start + len(block)] = X[block], y[block]
    return Split(X[:len(train)], y[:len(train)]), held_out
