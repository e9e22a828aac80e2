"""Writing files so that no crash or kill leaves a half-written one under the real name.

A file is written under a hidden temporary name in the same folder, flushed to disk, and only then
renamed to its real name (one atomic step). The temporary's name carries the writer's process id,
so a later writer can tell the leftovers of a killed process from a write still under way, and
remove them.
"""
import contextlib
import os
import re
import tempfile
from pathlib import Path


def temporary(folder, prefix, suffix):
    """A new hidden temporary file in `folder`: (file open for writing and reading, path). Named
    prefix + pid + "-" + random + suffix, so that remove_stale() can find it again."""
    fd, path = tempfile.mkstemp(dir=folder, prefix=f"{prefix}{os.getpid()}-", suffix=suffix)
    return os.fdopen(fd, "w+b"), path


def finish(file, tmp, final):
    """Flush `file` (open on `tmp`) to disk, close it, and rename it to `final`."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; models and datasets are ordinary data
    os.replace(tmp, final)
    fsync_directory(os.path.dirname(os.path.abspath(final)))


def discard(file, tmp):
    """Close `file` and delete its temporary `tmp` (an error or Ctrl-C came mid-write)."""
    file.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


@contextlib.contextmanager
def atomic(final, prefix=".tmp-", suffix=""):
    """``with atomic(path) as f: f.write(...)``: on leaving the block the bytes replace `final` in
    one rename; on any error (Ctrl-C included) the temporary is removed and `final` is untouched."""
    folder = os.path.dirname(os.path.abspath(final))
    remove_stale(folder, prefix, suffix)
    file, tmp = temporary(folder, prefix, suffix)
    try:
        yield file
        finish(file, tmp, final)
    except BaseException:
        discard(file, tmp)
        raise


def fsync_directory(directory):
    """Make a rename in `directory` survive a power cut (POSIX; elsewhere it is as good as it gets)."""
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale(folder, prefix, suffix):
    """Delete the temporaries made by temporary(folder, prefix, suffix) whose process has died
    (killed mid-write: nothing else could clean up). Returns the names removed."""
    if os.name != "posix":  # no cheap way to ask whether a pid is alive; the leftovers stay hidden
        return []
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[^/]*" + re.escape(suffix) + "$")
    removed = []
    for path in Path(folder).glob(".*"):
        match = pattern.match(path.name)
        if match and not _alive(int(match.group(1))):
            try:
                path.unlink()
                removed.append(path.name)
            except OSError:
                pass  # gone already, or not ours to remove
    return removed


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only the existence check is made
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
