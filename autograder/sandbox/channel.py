"""The transport between grader and child: messages on a socket pair, each with one in-memory file.

A message is a JSON object of at most ``MAX_HEADER`` bytes on a
``SOCK_SEQPACKET`` socket pair made before the child starts, plus one file
descriptor passed with it: a sealed ``memfd`` holding the message's body
(its JSON ``spec`` and the bytes of its arrays). No path is ever involved:
the child cannot replace, link or grow what the grader sent, and the grader
reads what the child sent through the descriptor it received, up to a size
cap, never through a name in a folder the child can write.

Both sides import this module (the child from a read-only copy); standard
library only.
"""

import fcntl
import json
import mmap
import os
import socket
import stat
import struct

__all__ = ["send", "receive", "read_body", "map_body", "ChannelError", "MAX_HEADER", "MAX_BODY", "MAX_ANSWER_SPEC",
           "SEALS"]

MAX_HEADER = 1 << 16
MAX_BODY = 80 << 20
MAX_ANSWER_SPEC = 1 << 20   # bytes of JSON in an answer the grader reads: parsed only within this size
SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL if hasattr(fcntl, "F_SEAL_SEAL") else 0
_LENGTH = struct.Struct("<Q")


class ChannelError(OSError):
    """A message that is not of the protocol's form (truncated, oversized, or not a plain memory file)."""


def body_file(spec, data):
    """A sealed memfd holding ``spec`` (as JSON) and ``data``; returns (fd, size)."""
    text = json.dumps(spec, allow_nan=True, separators=(",", ":")).encode()
    fd = os.memfd_create("bn-sandbox", os.MFD_CLOEXEC | getattr(os, "MFD_ALLOW_SEALING", 0))
    try:
        pad = -(len(text) + _LENGTH.size) % 64
        blob = _LENGTH.pack(len(text) + pad) + text + b" " * pad
        for part in (blob, data):
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view):]
        if SEALS:
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        return fd, len(blob) + len(data)
    except BaseException:
        os.close(fd)
        raise


def send(sock, header, spec=None, data=b""):
    """Send ``header`` with a body file holding ``spec`` and ``data``; returns the body's fd (the caller's to close)."""
    fd, _ = body_file(spec, data)
    try:
        payload = json.dumps(header, separators=(",", ":")).encode()
        if len(payload) > MAX_HEADER:
            raise ChannelError("a message header over the size limit")
        sock.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])
        return fd
    except BaseException:
        os.close(fd)
        raise


def receive(sock):
    """(header, fd of the body) of the next message; raises EOFError when the other side is gone."""
    data, ancillary, flags, _ = sock.recvmsg(MAX_HEADER, socket.CMSG_SPACE(4 * 4))
    fds = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4]))
    if not data and not fds:
        raise EOFError
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        raise ChannelError("a message that is not of the protocol's form")
    try:
        header = json.loads(data)
    except (ValueError, RecursionError):
        os.close(fds[0])
        raise ChannelError("a message header that is not JSON") from None
    if type(header) is not dict:
        os.close(fds[0])
        raise ChannelError("a message header that is not an object")
    return header, fds[0]


def _size(fd, limit):
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ChannelError("a message body that is not a plain file")
    if info.st_size > limit:
        raise ChannelError(f"a message body of {info.st_size} bytes (the limit is {limit})")
    return info.st_size


def read_body(fd, limit=MAX_BODY, spec_limit=None):
    """(spec, data) of a body file, copied out through ``fd`` with a size cap: the sender cannot change it later.

    spec_limit: the most bytes of JSON parsed (the grader reading an answer); more is a ChannelError.
    """
    size = _size(fd, limit)
    raw = b""
    while len(raw) < size:
        chunk = os.pread(fd, size - len(raw), len(raw))
        if not chunk:
            break
        raw += chunk
    return _split(raw, spec_limit)


def map_body(fd):
    """(spec, shared writable map of the body): the child's view of its inputs, written through to the grader."""
    size = _size(fd, MAX_BODY)
    if size == 0:
        raise ChannelError("an empty message body")
    return _split(mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))


def _split(raw, spec_limit=None):
    if len(raw) < _LENGTH.size:
        raise ChannelError("a message body cut short")
    (length,) = _LENGTH.unpack(raw[:_LENGTH.size])
    if spec_limit is not None and length > spec_limit:
        raise ChannelError(f"a value whose description takes {length} bytes (the limit is {spec_limit})")
    if length > len(raw) - _LENGTH.size:
        raise ChannelError("a message body cut short")
    try:
        spec = json.loads(raw[_LENGTH.size:_LENGTH.size + length])
    except (ValueError, RecursionError):
        raise ChannelError("a message body that is not JSON") from None
    return spec, memoryview(raw)[_LENGTH.size + length:]
