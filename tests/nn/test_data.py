"""nn.data: the mini-batch loader, the toy datasets, and reading (and checking) MNIST files."""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from nn import data
from nn.data import DataLoader, DatasetError


def epoch(loader):
    return [(xb.copy(), yb.copy()) for xb, yb in loader]


def numbered(n):
    """X whose row i is [i, i] and y whose entry i is i, so a batch shows which rows it holds."""
    return np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, axis=1), np.arange(n)


# --- DataLoader ------------------------------------------------------------------------------

def test_batches_have_the_batch_size_and_the_last_one_holds_the_rest():
    X, y = numbered(10)
    assert [len(xb) for xb, _ in DataLoader(X, y, batch_size=4)] == [4, 4, 2]


def test_len_counts_the_partial_last_batch():
    X, y = numbered(10)
    assert len(DataLoader(X, y, batch_size=4)) == 3


def test_drop_last_leaves_out_the_partial_batch():
    X, y = numbered(10)
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert [len(xb) for xb, _ in loader] == [4, 4]
    assert len(loader) == 2


def test_drop_last_keeps_every_batch_when_the_size_divides_the_samples():
    X, y = numbered(12)
    assert len(epoch(DataLoader(X, y, batch_size=4, drop_last=True))) == 3


def test_a_batch_larger_than_the_data_gives_one_batch_of_everything():
    X, y = numbered(5)
    assert [len(xb) for xb, _ in DataLoader(X, y, batch_size=32)] == [5]


def test_empty_data_gives_no_batches():
    loader = DataLoader(np.zeros((0, 3)), np.zeros(0), batch_size=4)
    assert len(loader) == 0 and epoch(loader) == []


def test_without_shuffle_batches_follow_the_original_order():
    X, y = numbered(10)
    ys = [yb for _, yb in DataLoader(X, y, batch_size=4, shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(ys), np.arange(10))


def test_a_shuffled_epoch_visits_every_sample_exactly_once():
    X, y = numbered(23)
    ys = np.concatenate([yb for _, yb in DataLoader(X, y, batch_size=5, seed=0)])
    np.testing.assert_array_equal(np.sort(ys), np.arange(23))


def test_shuffling_keeps_each_x_row_with_its_label():
    X, y = numbered(23)
    for xb, yb in DataLoader(X, y, batch_size=5, seed=0):
        np.testing.assert_array_equal(xb[:, 0], yb)


def test_each_new_epoch_is_shuffled_again():
    X, y = numbered(50)
    loader = DataLoader(X, y, batch_size=50, seed=0)
    (_, first), = epoch(loader)
    (_, second), = epoch(loader)
    assert not np.array_equal(first, second)


def test_the_same_seed_replays_the_same_epochs():
    X, y = numbered(30)
    a, b = DataLoader(X, y, batch_size=7, seed=3), DataLoader(X, y, batch_size=7, seed=3)
    for _ in range(2):
        for (xa, ya), (xb, yb) in zip(epoch(a), epoch(b)):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_different_seeds_give_different_orders():
    X, y = numbered(30)
    (_, a), = epoch(DataLoader(X, y, batch_size=30, seed=1))
    (_, b), = epoch(DataLoader(X, y, batch_size=30, seed=2))
    assert not np.array_equal(a, b)


def test_batches_keep_the_dtypes_of_x_and_y():
    X, y = numbered(6)
    xb, yb = next(iter(DataLoader(X, y.astype(np.int64), batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64


def test_lists_are_accepted_and_batched_as_arrays():
    xb, yb = next(iter(DataLoader([[1, 2], [3, 4]], [0, 1], batch_size=2, shuffle=False)))
    np.testing.assert_array_equal(xb, [[1, 2], [3, 4]])
    assert isinstance(yb, np.ndarray)


def test_different_numbers_of_samples_is_an_error_naming_both():
    with pytest.raises(ValueError, match=r"len\(X\) = 10 but len\(y\) = 9"):
        DataLoader(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_batch_size_must_be_a_positive_integer(size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(np.zeros((10, 2)), np.zeros(10), batch_size=size)


# --- toy datasets ----------------------------------------------------------------------------

def test_xor_is_the_four_points_with_a_float_target_column():
    (X, y), _ = data.xor()
    assert X.dtype == np.float32 and X.shape == (4, 2)
    assert y.dtype == np.float32 and y.shape == (4, 1)
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))


def test_xor_tests_on_the_same_four_points():
    (X, y), (X_test, y_test) = data.xor()
    np.testing.assert_array_equal(X_test, X)
    np.testing.assert_array_equal(y_test, y)


def test_sine_gives_float32_columns_of_sin_x_on_minus_pi_to_pi():
    (X, y), _ = data.sine(n=100, seed=0)
    assert X.shape == y.shape == (100, 1) and X.dtype == y.dtype == np.float32
    assert X.min() >= -np.pi and X.max() <= np.pi
    np.testing.assert_allclose(y, np.sin(X), atol=1e-6)


def test_sine_noise_has_the_requested_spread():
    (X, y), _ = data.sine(n=4000, noise=0.1, seed=0)
    assert abs(np.std(y - np.sin(X)) - 0.1) < 0.01


def test_sine_is_reproducible_with_a_seed():
    a, b = data.sine(n=50, noise=0.1, seed=7), data.sine(n=50, noise=0.1, seed=7)
    for part_a, part_b in zip(a, b):
        np.testing.assert_array_equal(part_a.X, part_b.X)
        np.testing.assert_array_equal(part_a.y, part_b.y)


def test_sine_test_points_are_drawn_apart_from_the_training_points():
    (X, _), (X_test, y_test) = data.sine(n=50, seed=0, n_test=30)
    assert X_test.shape == (30, 1) and not np.isin(X_test, X).any()
    np.testing.assert_allclose(y_test, np.sin(X_test), atol=1e-6)


def test_spirals_gives_n_points_per_class():
    (X, y), (X_test, y_test) = data.spirals(n=20, classes=4, seed=0, n_test=5)
    assert X.shape == (80, 2) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [20, 20, 20, 20])
    assert X_test.shape == (20, 2)
    np.testing.assert_array_equal(np.bincount(y_test), [5, 5, 5, 5])


def test_spirals_is_reproducible_with_a_seed_and_varies_without_the_same_one():
    a, b, c = (data.spirals(n=20, seed=s).train.X for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("load", [data.xor, data.sine, data.spirals])
def test_every_toy_dataset_returns_train_and_test_as_mnist_does(load):
    result = load()
    (X, y), (X_test, y_test) = result
    assert result.train.X is X and result.test.y is y_test
    assert len(X) == len(y) and len(X_test) == len(y_test) and X.shape[1:] == X_test.shape[1:]


def test_the_training_set_does_not_depend_on_the_size_of_the_test_set():
    a, b = data.spirals(n=30, seed=3, n_test=5), data.spirals(n=30, seed=3, n_test=50)
    np.testing.assert_array_equal(a.train.X, b.train.X)


# --- validation_split --------------------------------------------------------------------------

def test_validation_split_holds_out_the_fraction_and_keeps_every_row_once():
    X, y = numbered(60)
    (X_train, y_train), (X_val, y_val) = data.validation_split(X, y, 1 / 12, seed=0)
    assert len(y_val) == 5 and len(y_train) == 55
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_val])), np.arange(60))
    np.testing.assert_array_equal(X_val[:, 0], y_val)  # rows stay whole


def test_validation_split_in_place_gives_the_same_splits_without_a_copy():
    X, y = numbered(10_000)  # more rows than one block of the in-place move
    want_train, want_val = data.validation_split(X.copy(), y.copy(), 1 / 12, seed=3)
    train, val = data.validation_split(X, y, 1 / 12, seed=3, copy=False)
    for got, want in zip(train + val, want_train + want_val):
        np.testing.assert_array_equal(got, want)
    assert np.shares_memory(train.X, X) and np.shares_memory(train.y, y)


def test_validation_split_in_place_copies_a_read_only_array():
    X, y = numbered(20)
    X.flags.writeable = False
    train, _ = data.validation_split(X, y, 0.25, seed=0, copy=False)
    assert not np.shares_memory(train.X, X)


def test_validation_split_of_zero_holds_out_nothing():
    X, y = numbered(10)
    (X_train, _), (X_val, _) = data.validation_split(X, y, 0.0)
    assert len(X_train) == 10 and len(X_val) == 0


def test_validation_split_rejects_a_fraction_outside_0_to_1():
    with pytest.raises(ValueError, match="fraction"):
        data.validation_split(*numbered(10), 1.0)


# --- the real MNIST files (from $GLASSGRAD_DATA or the user cache; skipped, named, without) -----

@pytest.fixture(scope="module")
def real_mnist(needs_mnist):
    return data.mnist(download=False)


def test_mnist_has_60000_training_and_10000_test_rows_of_784_pixels(real_mnist):
    (X, y), (Xt, yt) = real_mnist
    assert X.shape == (60000, 784) and y.shape == (60000,)
    assert Xt.shape == (10000, 784) and yt.shape == (10000,)


def test_mnist_pixels_are_float32_between_0_and_1(real_mnist):
    (X, _), (Xt, _) = real_mnist
    assert X.dtype == Xt.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0 and Xt.min() == 0.0 and Xt.max() == 1.0


def test_mnist_labels_are_int64_digits_all_present(real_mnist):
    (_, y), (_, yt) = real_mnist
    assert y.dtype == yt.dtype == np.int64
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    np.testing.assert_array_equal(np.unique(yt), np.arange(10))


def test_the_built_in_checksums_are_the_shared_ones(needs_mnist):
    # Hashed here with gzip and hashlib, apart from nn.data's own reading of the files.
    folder = data.mnist_folder()
    for name in data.MNIST_FILES:
        raw_path, gz_path = folder / name, folder / (name + ".gz")
        raw = raw_path.read_bytes() if raw_path.is_file() else gzip.decompress(gz_path.read_bytes())
        assert hashlib.sha256(raw).hexdigest() == data.MNIST_SHA256[name], name
        assert len(raw) == data.MNIST_SIZES[name], name
    sums = folder / "SHA256SUMS.uncompressed"  # the shared data folder's own list, when present
    if sums.is_file():
        listed = dict(line.split()[::-1] for line in sums.read_text().splitlines() if line)
        assert listed == data.MNIST_SHA256


def test_default_root_is_glassgrad_data(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSGRAD_DATA", str(tmp_path))
    assert data.default_root() == tmp_path


def test_default_root_without_glassgrad_data_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("GLASSGRAD_DATA", raising=False)  # unset already on a fresh machine
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.default_root() == tmp_path / ".cache" / "glassgrad"


# --- small synthetic MNIST files, for the format checks -----------------------------------------

def idx(array):
    """IDX bytes of a uint8 array: magic (0, 0, 0x08, ndim), big-endian dims, then the values."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def fake_files():
    """Four tiny MNIST-shaped files: 6 training and 4 test images with known labels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = [0, 255]  # so the scaling's end points are known
    labels = np.array([3, 7, 1, 3, 7, 0, 7, 3, 2, 9])
    return {"train-images-idx3-ubyte": idx(images[:6]), "train-labels-idx1-ubyte": idx(labels[:6]),
            "t10k-images-idx3-ubyte": idx(images[6:]), "t10k-labels-idx1-ubyte": idx(labels[6:])}


def trust(monkeypatch, files):
    """Make the files' own SHA-256 sums the expected ones."""
    monkeypatch.setattr(data, "MNIST_SHA256",
                        {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()})


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A root whose mnist/ folder holds the gzipped fake files, their sums trusted."""
    files = fake_files()
    trust(monkeypatch, files)
    (tmp_path / "mnist").mkdir()
    for name, raw in files.items():
        (tmp_path / "mnist" / (name + ".gz")).write_bytes(gzip.compress(raw))
    return tmp_path


def replace_file(root, name, raw):
    """Put `raw` (uncompressed) in place of file `name`, removing its gzipped version."""
    (root / "mnist" / (name + ".gz")).unlink()
    (root / "mnist" / name).write_bytes(raw)
    return root / "mnist" / name


def test_gzipped_files_are_read(fake_root):
    (X, y), (Xt, yt) = data.mnist(fake_root, download=False)
    assert X.shape == (6, 784) and Xt.shape == (4, 784)
    np.testing.assert_array_equal(y, [3, 7, 1, 3, 7, 0])
    np.testing.assert_array_equal(yt, [7, 3, 2, 9])


def test_raw_files_read_the_same_as_gzipped_ones(fake_root, tmp_path_factory):
    raw_root = tmp_path_factory.mktemp("raw")
    (raw_root / "mnist").mkdir()
    for name, raw in fake_files().items():
        (raw_root / "mnist" / name).write_bytes(raw)
    for (a, b), (c, d) in zip(data.mnist(fake_root, download=False),
                              data.mnist(raw_root, download=False)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_pixels_0_and_255_become_0_and_1(fake_root):
    (X, _), _ = data.mnist(fake_root, download=False)
    assert X[0, :2].tolist() == [0.0, 1.0]


def test_a_truncated_file_is_an_error_naming_it(fake_root):
    raw = fake_files()["train-images-idx3-ubyte"]
    path = replace_file(fake_root, "train-images-idx3-ubyte", raw[:-100])
    with pytest.raises(DatasetError, match="truncated") as err:
        data.mnist(fake_root, download=False)
    assert str(path) in str(err.value)
    assert f"{len(raw)} bytes, but it has {len(raw) - 100}" in str(err.value)


def test_a_truncated_gzip_file_is_an_error_naming_it(fake_root):
    path = fake_root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetError, match="truncated or corrupt") as err:
        data.mnist(fake_root, download=False)
    assert str(path) in str(err.value)


def test_a_wrong_magic_number_is_an_error_naming_the_file_and_both_numbers(fake_root):
    labels = fake_files()["train-labels-idx1-ubyte"]
    path = replace_file(fake_root, "train-labels-idx1-ubyte", b"\x00\x00\x08\x03" + labels[4:])
    with pytest.raises(DatasetError, match="expected the IDX magic number 0x00000801") as err:
        data.mnist(fake_root, download=False)
    assert str(path) in str(err.value) and "found 0x00000803" in str(err.value)


def test_images_that_are_not_28_by_28_are_an_error_naming_the_file(fake_root, monkeypatch):
    files = fake_files()
    files["t10k-images-idx3-ubyte"] = idx(np.zeros((4, 27, 27)))
    trust(monkeypatch, files)
    path = replace_file(fake_root, "t10k-images-idx3-ubyte", files["t10k-images-idx3-ubyte"])
    with pytest.raises(DatasetError, match="expected 28x28 images, found 27x27") as err:
        data.mnist(fake_root, download=False)
    assert str(path) in str(err.value)


def test_a_checksum_mismatch_is_an_error_naming_the_file_and_both_sums(fake_root):
    raw = bytearray(fake_files()["train-images-idx3-ubyte"])
    raw[-1] ^= 0xFF  # one pixel changed: same size, same header, different bytes
    path = replace_file(fake_root, "train-images-idx3-ubyte", bytes(raw))
    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        data.mnist(fake_root, download=False)
    message = str(err.value)
    assert str(path) in message and hashlib.sha256(raw).hexdigest() in message
    assert data.MNIST_SHA256["train-images-idx3-ubyte"] in message


def test_fewer_labels_than_images_is_an_error(fake_root, monkeypatch):
    files = fake_files()
    files["train-labels-idx1-ubyte"] = idx([3, 7, 1])
    trust(monkeypatch, files)
    replace_file(fake_root, "train-labels-idx1-ubyte", files["train-labels-idx1-ubyte"])
    with pytest.raises(DatasetError, match="6 images but 3 labels"):
        data.mnist(fake_root, download=False)


def test_missing_files_without_download_is_an_error_listing_them(tmp_path):
    with pytest.raises(DatasetError, match="not found") as err:
        data.mnist(tmp_path, download=False)
    assert str(tmp_path / "mnist") in str(err.value)
    assert all(name in str(err.value) for name in data.MNIST_FILES)


def test_binary_mnist_keeps_the_two_digits_labelled_0_and_1(fake_root):
    (X, y), (Xt, yt) = data.binary_mnist(3, 7, root=fake_root, download=False)
    (Xall, _), _ = data.mnist(fake_root, download=False)
    np.testing.assert_array_equal(y, [0, 1, 0, 1])  # the training labels were 3 7 1 3 7 0
    np.testing.assert_array_equal(yt, [1, 0])  # and the test labels 7 3 2 9
    np.testing.assert_array_equal(X, Xall[[0, 1, 3, 4]])
    assert y.dtype == np.int64 and X.dtype == np.float32 and Xt.shape == (2, 784)


def test_binary_mnist_needs_two_different_digits():
    with pytest.raises(ValueError, match="two different digits"):
        data.binary_mnist(3, 3, download=False)


# --- where the files are: GLASSGRAD_DATA at the mnist folder itself -------------------------------

def test_a_root_that_is_the_mnist_folder_itself_is_understood(fake_root):
    (X, _), (_, yt) = data.mnist(fake_root / "mnist", download=False)
    assert X.shape == (6, 784) and yt.tolist() == [7, 3, 2, 9]


def test_glassgrad_data_pointing_at_the_mnist_folder_is_understood(fake_root, monkeypatch):
    monkeypatch.setenv("GLASSGRAD_DATA", str(fake_root / "mnist"))
    (_, y), _ = data.mnist(download=False)
    assert y.tolist() == [3, 7, 1, 3, 7, 0]
    assert data.mnist_folder() == fake_root / "mnist"


def test_an_empty_folder_named_mnist_is_where_mnist_goes(tmp_path):
    (tmp_path / "mnist").mkdir()
    assert data.mnist_folder(tmp_path / "mnist") == tmp_path / "mnist"
    assert data.mnist_folder(tmp_path) == tmp_path / "mnist"


# --- un-gzipping is bounded by the file's known size ------------------------------------------------

def test_a_gzip_file_that_expands_beyond_the_mnist_size_is_refused(fake_root):
    (fake_root / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(20_000)))
    with pytest.raises(DatasetError, match="more than 10008 bytes"):
        data.mnist(fake_root, download=False)


def test_un_gzipping_a_bomb_stops_at_the_limit_without_expanding_it():
    import tracemalloc
    bomb = gzip.compress(bytes(50_000_000))  # 50 MB of zeros in about 50 KB
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="more than 10008 bytes"):
            data._ungzip(bomb, "bomb.gz", 10_008)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # never anywhere near the 50 MB it would expand to


def test_a_gzip_file_of_several_members_is_read_whole(fake_root):
    raw = fake_files()["train-labels-idx1-ubyte"]
    gz = fake_root / "mnist" / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gzip.compress(raw[:5]) + gzip.compress(raw[5:]))
    (_, y), _ = data.mnist(fake_root, download=False)
    assert y.tolist() == [3, 7, 1, 3, 7, 0]


def test_a_raw_file_larger_than_the_mnist_size_is_refused_unread(fake_root):
    path = replace_file(fake_root, "t10k-labels-idx1-ubyte", bytes(10_009))
    with pytest.raises(DatasetError, match="too long: 10009 bytes"):
        data.mnist(fake_root, download=False)
    assert path.exists()
