"""autograder/atomic.py: a report is replaced whole or not at all."""

import os
import subprocess
import sys

import pytest

from autograder.atomic import atomic_write_text
from grading_helpers import REPO


def test_atomic_write_keeps_the_old_file_when_a_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    atomic_write_text(path, "old")

    def crash(*args):
        raise KeyboardInterrupt   # the run is stopped between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "new" * 1000)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["results.json"]


def test_atomic_write_keeps_the_old_file_when_the_process_is_killed_mid_write(tmp_path):
    path = tmp_path / "results.json"
    atomic_write_text(path, "old")
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from autograder import atomic\n"
        "os.fsync = lambda fd: os._exit(9)\n"    # die with the new data written but not yet renamed
        f"atomic.atomic_write_text({str(path)!r}, 'new' * 100000)\n")], cwd=REPO)
    assert killed.returncode == 9
    assert path.read_text() == "old"
