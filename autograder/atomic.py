"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The data goes to a temporary file in the same folder (so ``os.replace`` is a
rename within one file system), is flushed to disk, and only then takes the
final name. A run killed midway leaves the previous file intact, plus at most
a stray ``.<name>.*.tmp`` that nothing reads.
"""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_bytes"]


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically; creates the parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)   # mkstemp creates 0600; reports are meant to be read
        os.replace(tmp, path)
    except BaseException:      # also on KeyboardInterrupt: never leave the temporary behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path, text):
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder):
    # The rename itself is durable only once the folder is synced; not every OS allows it.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
