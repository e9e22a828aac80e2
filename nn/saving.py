"""Saving a model to an .npz file, and loading it back -- architecture included -- without pickle.

The file is an ordinary NumPy .npz archive holding one array per parameter, under its state-dict
name ("0.weight"), and nothing else: `np.load(path)` gives the state dict, ready for PyTorch too.
An .npz file is a zip archive, and the archive's comment holds a JSON description of the model:

    {"format": "glassgrad.model", "version": 1, "model": "MLP",
     "architecture": {"type": "MLP", "config": {"sizes": [784, 300, 75, 10], ...}}}

`nn.load(path)` rebuilds the model from that description and fills in the weights. Only nn's own
layers can be rebuilt this way (a model written as your own Module subclass needs your code: build
it, then call `model.load(path)`), and only by calling their constructors with plain numbers and
strings: loading never unpickles, so a file can never run code.
"""
import json
import os
import zipfile

import numpy as np

from . import files, layers
from .module import Module, Sequential

FORMAT, VERSION = "glassgrad.model", 1

# The classes a file may name. Exactly these: a subclass may have its own forward().
BUILDABLE = {cls.__name__: cls for cls in (
    layers.Linear, layers.Identity, layers.ReLU, layers.LeakyReLU, layers.Sigmoid, layers.Tanh,
    layers.Softmax, layers.LogSoftmax, layers.Dropout, layers.Flatten, layers.MLP, Sequential)}


def describe(module):
    """{"type": ..., "config": ...} that rebuilds `module`, or None when it is not built only
    from nn's layers."""
    if BUILDABLE.get(type(module).__name__) is not type(module):
        return None
    config = module.get_config()
    if config is None and isinstance(module, Sequential):  # e.g. an MLP given activation classes
        config = Sequential.get_config(module)
        return None if config is None else {"type": "Sequential", "config": config}
    return None if config is None else {"type": type(module).__name__, "config": config}


def build(spec):
    """The module that `spec` (from describe) describes, with freshly initialised weights."""
    if not isinstance(spec, dict) or spec.get("type") not in BUILDABLE \
            or not isinstance(spec.get("config"), dict):
        raise ValueError(f"not a description of one of nn's layers: {str(spec)[:200]}")
    cls, config = BUILDABLE[spec["type"]], spec["config"]
    if cls is Sequential:
        return Sequential(*(build(item) for item in config.get("layers", [])))
    return cls(**config)


def save(module, path):
    """Write `module`'s parameters and, when it can be rebuilt, its architecture; atomically."""
    path = os.fspath(path)
    record = {"format": FORMAT, "version": VERSION, "model": type(module).__name__,
              "architecture": describe(module)}
    with files.atomic(path, prefix=".tmp-", suffix=".npz") as f:
        np.savez(f, **module.state_dict())
        with zipfile.ZipFile(f, mode="a") as archive:
            archive.comment = json.dumps(record).encode()
    return path


def read(path):
    """(parameter arrays by name, the architecture record or None) from a file written by save."""
    path = os.fspath(path)
    _check_kind(path)
    key = None  # the array being read, to name it if NumPy refuses it
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of named arrays")
        with archive:  # reading every array here surfaces truncation here
            arrays = {}
            for key in archive.files:
                arrays[key] = archive[key]
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        if "allow_pickle" in str(err):  # NumPy refusing an object array
            what = "the file is" if key is None else f"array {key!r} holds"
            raise ValueError(f"cannot load {path!r}: {what} pickled Python objects; glassgrad "
                             f"refuses pickles because loading one can run arbitrary code. "
                             f"Save with Module.save (plain numbers only)") from err
        raise ValueError(f"cannot load {path!r}: not a readable .npz state dict "
                         f"(truncated or corrupt?): {err}") from err
    return arrays, _record(path)


def _record(path):
    """The description save() wrote in the archive's comment, or None (another program's file)."""
    with zipfile.ZipFile(path) as archive:
        comment = archive.comment
    try:
        record = json.loads(comment.decode())
    except ValueError:  # no comment, or not ours
        return None
    return record if isinstance(record, dict) and record.get("format") == FORMAT else None


def _check_kind(path):
    """Say what the file is when it is plainly not an .npz archive (a zip file, "PK...")."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith((b"PK", b"\x93NUMPY")):
        return  # a zip archive, or a single .npy array (read() names that case)
    if head[:1] == b"\x80":  # pickle protocol 2 and later
        raise ValueError(f"cannot load {path!r}: the file is a Python pickle (pickle.dump or "
                         "torch.save of an object), not an .npz file; glassgrad refuses pickles "
                         "because loading one can run arbitrary code. Save with Module.save")
    what = "it is empty (0 bytes)" if not head else f"it starts with {head!r}"
    raise ValueError(f"cannot load {path!r}: not a .npz file ({what}; an .npz file is a zip "
                     "archive, which starts with b'PK'). Save models with Module.save")


def load(path):
    """The model saved at `path` by Module.save (or `python -m nn.train --save`), rebuilt from its
    recorded architecture and holding the saved weights.

        model = nn.load("model.npz")

    Never unpickles. A model that is not built only from nn's layers cannot be rebuilt without
    its code: then build it yourself and call ``model.load(path)``.
    """
    arrays, record = read(path)
    path = os.fspath(path)
    if record is None:
        raise ValueError(f"{path!r} holds weights without a description of the model (written "
                         "by an older glassgrad, or by np.savez): build the model as it was and "
                         f"call model.load({path!r})")
    if not isinstance(record.get("version"), int) or record["version"] > VERSION:
        raise ValueError(f"{path!r} was written by a newer glassgrad (model file version "
                         f"{record['version']}; this one reads up to {VERSION}): upgrade")
    if record.get("architecture") is None:
        raise ValueError(f"{path!r} holds only weights: it was saved from a {record.get('model')}"
                         ", which is not built only from nn's layers, so it cannot be rebuilt "
                         "without its code. Build the model as it was and call "
                         f"model.load({path!r})")
    try:
        model = build(record["architecture"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path!r}: cannot rebuild the model it describes: {err}") from err
    model.load_state_dict(arrays)
    return model


__all__ = ["save", "load", "read", "describe", "build"]
