"""Error catalogue, files and state: load_state_dict with missing, unexpected, mis-shaped or
non-numeric values; MNIST files that are missing, truncated, foreign or corrupt. Each message says
what was expected, what came, and where (the model, the key, the file).

Already covered elsewhere: each of missing / unexpected / mis-shaped keys on its own, a failed load
changing nothing, non-strict loads, corrupt, damaged, truncated and single-array .npz files
(tests/nn/test_module.py); .npz files holding pickles (tests/test_nothing_lost.py); truncated raw
and gzipped MNIST files, a wrong magic number, a checksum mismatch, 27x27 images, fewer labels than
images, all files missing (tests/nn/test_data.py).
"""
import gzip
import hashlib
import os

import numpy as np
import pytest

import nn
from nn import data
from nn.data import DatasetError


# ---- load_state_dict ----------------------------------------------------------------------------

def test_load_state_dict_reports_every_problem_at_once_with_dotted_names_and_both_shapes():
    model = nn.MLP([2, 3, 1])
    state = {"0.weight": np.zeros((2, 3)), "0.bias": np.zeros(3), "2.weight": np.zeros((1, 3)),
             "head.weight": np.zeros(1)}  # 2.bias missing, head.weight unexpected, 0.weight transposed
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("cannot load state dict into MLP: ")
    assert "missing keys: 2.bias" in message
    assert "unexpected keys: head.weight" in message
    assert "0.weight: expected (3, 2), got (2, 3)" in message


def test_load_state_dict_with_a_string_array_names_the_key_and_changes_nothing():
    model = nn.Linear(2, 1)
    before = model.state_dict()
    with pytest.raises((TypeError, ValueError)) as info:
        model.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array(["x"])})
    message = str(info.value)
    assert "Linear" in message and "bias" in message and "<U1" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_load_state_dict_with_an_object_array_is_refused_naming_the_key():
    model = nn.Linear(2, 1)
    before = model.weight.data.copy()
    with pytest.raises((TypeError, ValueError)) as info:
        model.load_state_dict({"weight": np.array([[1.0, None]], dtype=object), "bias": np.zeros(1)})
    message = str(info.value)
    assert "Linear" in message and "weight" in message and "object" in message
    np.testing.assert_array_equal(model.weight.data, before)


# ---- MNIST files ------------------------------------------------------------------------------

def _idx(array):
    """IDX bytes: magic (0, 0, 0x08, ndim), big-endian uint32 dimensions, then the uint8 values."""
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes() + array.tobytes()


FILES = {
    "train-images-idx3-ubyte": _idx(np.arange(3 * 784).reshape(3, 28, 28) % 251),
    "train-labels-idx1-ubyte": _idx([1, 2, 3]),
    "t10k-images-idx3-ubyte": _idx(np.arange(2 * 784).reshape(2, 28, 28) % 241),
    "t10k-labels-idx1-ubyte": _idx([4, 5]),
}


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A data root whose mnist/ holds four tiny valid files (their sums made the expected ones)."""
    monkeypatch.setattr(data, "MNIST_SHA256",
                        {name: hashlib.sha256(raw).hexdigest() for name, raw in FILES.items()})
    (tmp_path / "mnist").mkdir()
    for name, raw in FILES.items():
        (tmp_path / "mnist" / name).write_bytes(raw)
    return tmp_path


def test_the_fixture_files_load(root):
    (X, y), (Xt, yt) = data.mnist(root, download=False)
    assert X.shape == (3, 784) and yt.tolist() == [4, 5]


def test_one_missing_file_is_named_alone_with_the_folder_and_how_to_get_it(root):
    (root / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError) as info:
        data.mnist(root, download=False)
    message = str(info.value)
    assert f"MNIST files not found in {root / 'mnist'}: t10k-labels-idx1-ubyte (" in message
    assert "train-images" not in message and "download=True" in message


def test_an_empty_dataset_file_is_called_empty_not_a_wrong_magic_number(root):
    path = root / "mnist" / "train-images-idx3-ubyte"
    path.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"(?s)truncated.*(0 bytes|empty)") as info:
        data.mnist(root, download=False)
    assert str(path) in str(info.value)


def test_a_file_cut_inside_its_header_names_the_header_size_and_what_is_there(root):
    path = root / "mnist" / "train-images-idx3-ubyte"
    path.write_bytes(FILES["train-images-idx3-ubyte"][:6])
    with pytest.raises(DatasetError, match=r"truncated: expected a 16-byte header, found only 6 "
                                           r"bytes") as info:
        data.mnist(root, download=False)
    assert str(path) in str(info.value) and "Delete it and load again" in str(info.value)


def test_an_html_page_saved_in_place_of_a_file_is_a_wrong_magic_number_with_both_values(root):
    # what a misconfigured mirror or proxy serves: "<!DOCTYPE html>..."
    path = root / "mnist" / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(DatasetError, match=r"not an MNIST label file: expected the IDX magic number "
                                           r"0x00000801 \(unsigned bytes, 1 dimension\(s\)\), found "
                                           r"0x3c21444f") as info:
        data.mnist(root, download=False)
    assert str(path) in str(info.value)


def test_labels_where_images_are_expected_is_a_wrong_magic_number_naming_both(root):
    path = root / "mnist" / "t10k-images-idx3-ubyte"
    path.write_bytes(FILES["t10k-labels-idx1-ubyte"])
    with pytest.raises(DatasetError, match=r"not an MNIST image file: expected the IDX magic number "
                                           r"0x00000803 .*found 0x00000801"):
        data.mnist(root, download=False)


def test_a_file_longer_than_its_header_announces_is_named_too_long(root):
    path = root / "mnist" / "train-labels-idx1-ubyte"
    path.write_bytes(FILES["train-labels-idx1-ubyte"] + b"\x07")
    with pytest.raises(DatasetError, match=r"too long: its header announces 3 labels, which take 11 "
                                           r"bytes, but it has 12") as info:
        data.mnist(root, download=False)
    assert str(path) in str(info.value)


def test_a_gzip_file_whose_content_is_corrupt_says_it_cannot_be_ungzipped(root):
    path = root / "mnist" / "train-labels-idx1-ubyte"
    path.unlink()
    packed = bytearray(gzip.compress(FILES["train-labels-idx1-ubyte"]))
    packed[-8] ^= 0xFF  # the CRC-32 of the content no longer matches
    gz = root / "mnist" / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(bytes(packed))
    with pytest.raises(DatasetError, match=r"cannot un-gzip it .*truncated or corrupt") as info:
        data.mnist(root, download=False)
    assert str(gz) in str(info.value)


def test_a_checksum_mismatch_in_labels_names_the_file_and_both_sums(root):
    path = root / "mnist" / "t10k-labels-idx1-ubyte"
    raw = FILES["t10k-labels-idx1-ubyte"][:-1] + b"\x09"  # a label changed: same size and header
    path.write_bytes(raw)
    with pytest.raises(DatasetError, match="checksum mismatch") as info:
        data.mnist(root, download=False)
    message = str(info.value)
    assert str(path) in message and hashlib.sha256(raw).hexdigest() in message
    assert data.MNIST_SHA256["t10k-labels-idx1-ubyte"] in message
    assert os.path.exists(path)  # a bad file is reported, never deleted behind the user's back
