"""Reading a file from a folder a student controls: never through a link, never from a pipe or a device.

``read_regular(path, limit)`` opens ``path`` with O_NOFOLLOW and O_NONBLOCK,
checks on the open file that it is a regular file (so a swap between a
look and the read is caught too), and reads at most ``limit + 1`` bytes, so
the caller can tell "too long" from "just right".
"""

import errno
import os
import stat

__all__ = ["read_regular", "kind", "kind_of", "NotAFile", "FLAGS", "FILE", "FOLDER", "LINK"]

FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


FILE, FOLDER, LINK = "a file", "a folder", "a symbolic link"


class NotAFile(OSError):
    """The path is there, but is not a regular file: ``kind`` says what it is ("a symbolic link", ...)."""

    def __init__(self, kind):
        super().__init__(f"it is {kind}, not a file")
        self.kind = kind


def kind_of(mode):
    """What a file of ``mode`` (from lstat) is, in words: "a file", "a folder", "a symbolic link", ..."""
    for test, name in ((stat.S_ISREG, FILE), (stat.S_ISDIR, FOLDER), (stat.S_ISLNK, LINK),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "a special file"


def kind(path):
    """What ``path`` is (see kind_of), without following a link; None when it is absent."""
    try:
        return kind_of(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def read_regular(path, limit):
    """At most ``limit + 1`` bytes of the regular file ``path``; NotAFile for anything else, OSError if unreadable."""
    try:
        mode = os.lstat(path).st_mode
    except NotADirectoryError:
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path)) from None
    if not stat.S_ISREG(mode):
        raise NotAFile(kind_of(mode))
    try:
        fd = os.open(path, FLAGS)
    except OSError as err:
        if err.errno == errno.ELOOP:   # replaced by a link since it was looked at
            raise NotAFile("a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(kind_of(mode))
        return f.read(limit + 1)
