"""The grader's side of the sandbox: start the child, call the student's functions, survive anything.

``Sandbox(cells)`` runs a student's exercise cells (grade_id -> source) in a
child process with limits on CPU time, memory, file size and wall time, no
network where the system allows it (``unshare -n``), and the audit policy of
``policy.py``. With ``Limits.user`` (or ``AUTOGRADER_SANDBOX_USER``) set and the
grader running as root, the child runs as that user: the operating system then
keeps it out of whatever that user may not read or write, including what the
audit hook cannot see. ``call(name, *args)`` sends arguments as JSON and ``.npy``
files and reads the answer back without pickle. When the child dies or
hangs, that call fails with a StudentError and the next call starts a fresh
child: one broken exercise never takes the others down.
"""

import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_lib.bncache import BNCache
from course_lib.history import History

from . import wire
from .errors import StudentError

__all__ = ["Limits", "Sandbox", "SandboxSetupError", "fast_tmp", "sandbox_user", "USER_ENV"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RECORDS = {"BNCache": BNCache, "History": History}
SAFE_COURSE_LIB = ("bncache.py", "history.py")
COURSE_LIB_SHIM = {
    "__init__.py": '"""The part of course_lib that student code may import inside the grader\'s sandbox."""\n',
    "train.py": "from .history import History\n\n__all__ = ['History']\n",
}
USER_ENV = "AUTOGRADER_SANDBOX_USER"


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0      # wall time of one call (the cells' import: load_seconds)
    load_seconds: float = 20.0
    cpu_seconds: int = 120          # CPU time over the child's life
    memory_bytes: int = 2 << 30     # address space
    file_bytes: int = 64 << 20      # any file the child writes, its output logs included
    output_chars: int = 2000        # of the student's output kept for feedback
    user: str | None = None         # the account the child runs as (None: $AUTOGRADER_SANDBOX_USER, else the grader's)


class SandboxSetupError(RuntimeError):
    """The sandbox cannot start as configured: a fault of the grader's setup, never of the student's code."""


def sandbox_user(limits):
    """The account the child runs as, or None for the grader's own: ``limits.user``, else $AUTOGRADER_SANDBOX_USER."""
    name = limits.user if limits.user is not None else os.environ.get(USER_ENV, "")
    return name.strip() or None


def _account(name):
    """(uid, gid) of the user ``name``, who the grader must be able to become."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxSetupError(f"the sandbox user {name!r} does not exist on this system") from None
    if entry.pw_uid != os.geteuid() and os.geteuid() != 0:
        raise SandboxSetupError(
            f"the sandbox can run student code as {name!r} only when the grader runs as root "
            f"(it runs as uid {os.geteuid()}); unset {USER_ENV} or run the grader as root")
    return entry.pw_uid, entry.pw_gid


def _works(command, **popen):
    try:
        return subprocess.run(command, capture_output=True, timeout=10, cwd="/", **popen).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=1)
def _network_prefix():
    """['unshare', '-n', '--'] when this system lets us cut the network that way, else []."""
    exe = shutil.which("unshare")
    for prefix in ([exe, "-n", "--"], [exe, "-rn", "--"]) if exe else ():
        if _works(prefix + ["true"]):
            return prefix
    return []


@lru_cache(maxsize=None)
def _launch(user):
    """How the child is started: (command prefix, Popen keywords, (uid, gid) or None).

    As another user, root's ``unshare -n`` leaves the network first and becomes
    the user after (the user could not leave it alone); where unshare cannot,
    Popen becomes the user and the network stays. Either way, with no
    supplementary groups. The user must be able to run this Python and import
    numpy, which is checked once here, so that a bad setup is one clear error
    instead of a crash per student.
    """
    if user is None:
        return _network_prefix(), {}, None
    uid, gid = _account(user)
    if uid == os.geteuid():
        return _network_prefix(), {}, None
    exe = shutil.which("unshare")
    prefix, popen = [], {"user": uid, "group": gid, "extra_groups": []}
    if exe and _works([exe, "-n", f"--setgid={gid}", f"--setuid={uid}", "--", "true"]):
        prefix, popen = [exe, "-n", f"--setgid={gid}", f"--setuid={uid}", "--"], {}
    probe = f"import sys; sys.path.extend({_site_dirs()!r}); import numpy"
    done = subprocess.run(prefix + [sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd="/", **popen)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SandboxSetupError(f"the sandbox user {user!r} cannot run {sys.executable} with numpy: {why}; "
                                "that Python and its packages must be readable by every user")
    return prefix, popen, (uid, gid)


@lru_cache(maxsize=1)
def fast_tmp():
    """/dev/shm when it is usable: the arrays crossing the boundary then never touch a disk."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _site_dirs():
    import numpy

    return [str(Path(numpy.__file__).resolve().parents[1])]


def _read_dirs():
    import sysconfig

    paths = sysconfig.get_paths()
    dirs = {paths["stdlib"], paths["platstdlib"], *_site_dirs(), sys.base_prefix, sys.prefix}
    return sorted(str(Path(d).resolve()) for d in dirs)


def _deny_dirs():
    """The reference library and the grader, wherever they are installed, even inside an allowed folder.

    Everything else outside the allowed folders (the repository's solutions,
    tests and notebooks among it) is refused anyway.
    """
    import course_lib

    return sorted({str(HERE.parent), str(Path(course_lib.__file__).resolve().parent),
                   str(REPO / "course_lib"), str(REPO / "autograder")})


def _limit(limits):
    def preexec():
        import resource

        os.setsid()   # its own session: the grader can kill the whole group
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # an oversized write raises instead of killing
        for res, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_AS, limits.memory_bytes),
                           (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (value, value))
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))
        except (ValueError, OSError):
            pass
    return preexec


class Sandbox:
    """A student's cells in a child process. Use as a context manager, or call ``close()``."""

    def __init__(self, cells, *, limits=Limits(), root=None):
        """root: the folder to work in (default /dev/shm when usable). When the child runs as
        another user, its folder must be reachable by that user, so it goes to /dev/shm or the
        system's temporary folder instead.
        """
        self.cells = dict(cells)
        self.limits = limits
        self._prefix, self._popen, self._owner = _launch(sandbox_user(limits))
        if self._owner is not None:
            root = fast_tmp() or tempfile.gettempdir()
        self._root = Path(tempfile.mkdtemp(prefix="bn-sandbox-", dir=root or fast_tmp()))
        if self._owner is not None:
            self._root.chmod(0o711)   # the child may pass through, not list or write
        self._proc = None
        self._next_id = 0
        self.load_errors = {}   # grade_id -> what the cell raised, or how it stopped the child
        self._sent, self._after = None, ()
        self.starts = 0
        self._stopped = {}   # name -> the StudentError of a call that hung or killed the child

    # -- the child's life ---------------------------------------------------------
    def _prepare(self):
        lib = self._root / "lib"
        (lib / "course_lib").mkdir(parents=True, exist_ok=True)
        for name in ("child.py", "wire.py", "policy.py"):
            shutil.copyfile(HERE / name, lib / name)
        for name in SAFE_COURSE_LIB:
            shutil.copyfile(REPO / "course_lib" / name, lib / "course_lib" / name)
        for name, text in COURSE_LIB_SHIM.items():
            (lib / "course_lib" / name).write_text(text)
        if self._owner is not None:   # readable by the child whatever the umask, writable by the grader only
            for path in (lib, *lib.rglob("*")):
                path.chmod(0o755 if path.is_dir() else 0o644)
        return lib

    def _give(self, path):
        """Make ``path`` the child's: its working folder and the inputs it may change in place."""
        if self._owner is not None:
            os.chown(path, *self._owner)

    def _start(self):
        lib = self._root / "lib"
        if not lib.exists():
            lib = self._prepare()
        work = self._root / f"work{self.starts}"
        work.mkdir(mode=0o700)
        self._give(work)
        self.starts += 1
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        config = {"libdir": str(lib), "site_dirs": _site_dirs(), "workdir": str(work), "req_fd": req_r,
                  "resp_fd": resp_w, "read_dirs": _read_dirs() + [str(lib)], "deny_dirs": _deny_dirs()}
        config_path = self._root / "config.json"
        config_path.write_text(json.dumps(config))
        config_path.chmod(0o644)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               **{k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
        log = open(self._root / "output.log", "ab")
        try:
            self._proc = subprocess.Popen(
                self._prefix + [sys.executable, "-I", "-S", str(lib / "child.py"), str(config_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env,
                pass_fds=(req_r, resp_w), preexec_fn=_limit(self.limits), close_fds=True, **self._popen)
        finally:
            log.close()
            os.close(req_r)
            os.close(resp_w)
        self._requests = os.fdopen(req_w, "wb", buffering=0)
        self._answers = resp_r
        self._buffer = b""
        self._work = work

    def _load(self):
        """Start a child and run the cells one by one; a cell that kills or hangs the child is left out."""
        while True:
            self._start()
            try:
                for grade_id in [g for g in self.cells if g not in self.load_errors]:
                    answer = self._exchange({"op": "load", "cells": {grade_id: self.cells[grade_id]}},
                                            self.limits.load_seconds)
                    self.load_errors.update(answer.get("errors", {}) if answer.get("ok") else {})
                return
            except StudentError as err:
                # the cell being loaded took the child down: record it, and load the rest in a fresh child
                self.load_errors[grade_id] = err.message

    def _kill(self):
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        self._requests.close()
        os.close(self._answers)

    def close(self):
        self._kill()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one exchange ---------------------------------------------------------------
    def _read_line(self, deadline):
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._answers], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise EOFError
            self._buffer += chunk
            if len(self._buffer) > 16 << 20:
                raise EOFError
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _exchange(self, request, seconds):
        self._next_id += 1
        request = {**request, "id": self._next_id}
        deadline = time.monotonic() + seconds
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            while True:
                answer = json.loads(self._read_line(deadline))
                if isinstance(answer, dict) and answer.get("id") == self._next_id:
                    return answer
        except TimeoutError:
            self._kill()
            raise StudentError("timeout", f"did not finish within {seconds:g} seconds (an infinite loop?)") from None
        except (EOFError, BrokenPipeError, ValueError, OSError):
            code = self._proc.wait() if self._proc else None
            self._kill()
            raise StudentError("crashed", self._crash_message(code)) from None

    def _crash_message(self, code):
        tail = self.output()[-300:].strip()
        if code is not None and code < 0 and -code in (signal.SIGKILL, signal.SIGXCPU):
            why = "was stopped: it used more CPU time or memory than allowed"
        elif code is not None and code < 0:
            why = f"was killed by signal {-code}"
        else:
            why = f"ended the process (exit status {code}: sys.exit, os._exit, or running out of memory)"
        return f"your code {why}" + (f"; its last output: {tail}" if tail else "")

    def output(self):
        """The start of what the student's code printed, for feedback."""
        try:
            with open(self._root / "output.log", "rb") as f:
                return f.read(self.limits.output_chars).decode("utf-8", "replace")
        except OSError:
            return ""

    # -- the student-facing API used by the suites -----------------------------------
    def _request(self, op, name, cell, args=(), kwargs=None):
        if name in self._stopped:
            # a function that hung or killed the child once is not run again: one bad function
            # must not cost the whole batch its time limit once per test
            raise self._stopped[name]
        if self._proc is None:
            self._load()
        prefix = f"in{self._next_id + 1}"
        try:
            enc_args = wire.encode(tuple(args), str(self._work), prefix + "a")
            enc_kwargs = wire.encode(dict(kwargs or {}), str(self._work), prefix + "k")
        except wire.WireError as err:
            raise TypeError(f"the grader cannot send {err}") from None
        for file in _files(enc_args) + _files(enc_kwargs):   # the child opens its inputs read-write
            self._give(self._work / file)
        try:
            answer = self._exchange({"op": op, "name": name, "cell": cell, "args": enc_args, "kwargs": enc_kwargs},
                                    self.limits.call_seconds)
        except StudentError as err:
            self._stopped[name] = StudentError(err.kind, err.message + " (so its other tests were not run)")
            raise
        if op == "call":
            self._sent = enc_args   # read back only if a test asks: most never do
        if not answer.get("ok"):
            kind, message = str(answer.get("kind", "crashed")), str(answer.get("message", ""))[:1000]
            if kind == "missing" and cell in self.load_errors:
                kind, message = "raised", f"the cell that defines {name} failed when it was run: {self.load_errors[cell]}"
            raise StudentError(kind, message)
        try:
            value = wire.decode(answer.get("value"), str(self._work), records=RECORDS)
        except (wire.WireError, ValueError, OSError, TypeError, KeyError) as err:
            raise StudentError("unsupported", f"returned something the grader cannot read ({err})") from None
        return _detach(value)

    @property
    def inputs_after(self):
        """The positional arguments of the last call as they are now: the grader's view of mutation."""
        if self._sent is None or self._proc is None:
            return self._after
        try:
            self._after = _detach(wire.decode(self._sent, str(self._work), records=RECORDS))
        except (wire.WireError, ValueError, OSError):
            self._after = ()
        self._sent = None
        return self._after

    def call(self, name, *args, **kwargs):
        """The student's ``name(*args, **kwargs)``, computed in the child."""
        return self._request("call", name, name, args, kwargs)

    def value(self, name, cell=None):
        """A top-level variable of the student's code, e.g. ``z_by_hand`` (cell ``by_hand_z``)."""
        return self._request("value", name, cell or _cell_of(name))


def _cell_of(name):
    if name.endswith("_by_hand"):
        return "by_hand_" + name[: -len("_by_hand")]
    return name


def _files(encoded):
    """The .npy file names in a value encoded by ``wire.encode``."""
    if isinstance(encoded, dict):
        own = [encoded["file"]] if encoded.get("t") == "array" else []
        return own + [f for v in encoded.values() for f in _files(v)]
    if isinstance(encoded, (list, tuple)):
        return [f for v in encoded for f in _files(v)]
    return []


def _detach(value):
    """Copies of every array, so no memory map or shared buffer outlives the exchange."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_detach(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_detach(v) for v in value)
    if isinstance(value, dict):
        return {k: _detach(v) for k, v in value.items()}
    if isinstance(value, History):
        return History(**{f: _detach(getattr(value, f)) for f in wire.FIELDS["History"]})
    return value
