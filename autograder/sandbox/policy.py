"""The child's audit hook: friendly messages for what student code may not do. Not a boundary.

CPython's audit hooks are not a sandbox, and nothing here decides a grade:
the operating system's isolation (``isolation.py``: namespaces, seccomp,
Landlock, a uid of the child's own) is what keeps student code away from the
grader. The hook only turns the most common refusals into a sentence the
student understands ("the grader's sandbox does not allow opening ..."),
where the operating system would say "No such file or directory" or
"Operation not permitted". The tests of ``tests/test_sandbox_attacks.py``
run with the hook switched off.

It allows reading the Python installation and the sandbox's own folders,
writing only in the working folder, and nothing else: no process, thread,
signal, socket, ctypes, garbage-collector walk or tracing.
"""

import os
import sys

DENIED_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.startfile",
    "subprocess.Popen", "pty.spawn",
    "os.kill", "os.killpg", "signal.pthread_kill",
    "socket.__new__", "socket.bind", "socket.connect", "socket.getaddrinfo", "socket.sendto",
    "_thread.start_new_thread",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "sys.settrace", "sys.setprofile", "sys._current_frames", "sys.addaudithook",
    "resource.setrlimit", "resource.prlimit",
    "os.chroot", "os.setuid", "os.setgid",
}
PATH_EVENTS = {   # event -> indices of path arguments that are written to
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (0, 1),
    "os.symlink": (0, 1), "os.chmod": (0,), "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,),
    "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.move": (0, 1),
}
READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "glob.glob": 0, "os.chdir": 0}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _real(path):
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return os.path.realpath(os.path.abspath(path))


def _inside(path, folders):
    return any(path == f or path.startswith(f + os.sep) for f in folders)


def install(*, read_dirs, write_dirs, deny_dirs):
    read_dirs = [_real(d) for d in read_dirs] + ["/dev/null", "/dev/urandom", "/proc/self"]
    write_dirs = [_real(d) for d in write_dirs]
    deny_dirs = [_real(d) for d in deny_dirs]
    real, inside = _real, _inside   # the hook keeps its own references
    denied, path_events, read_events, write_flags = frozenset(DENIED_EVENTS), dict(PATH_EVENTS), dict(READ_EVENTS), WRITE_FLAGS
    refuse = PermissionError

    def may_read(path):
        p = real(path)
        return not inside(p, deny_dirs) and (inside(p, read_dirs) or inside(p, write_dirs))

    def may_write(path):
        p = real(path)
        return not inside(p, deny_dirs) and inside(p, write_dirs)

    def hook(event, args):
        if event in denied or event.startswith("ctypes."):
            raise refuse(f"the grader's sandbox does not allow {event}")
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(flags & write_flags)
            if not (may_write(path) if writing else may_read(path)):
                raise refuse(f"the grader's sandbox does not allow opening {path}")
        elif event in path_events:
            for i in path_events[event]:
                if i < len(args) and isinstance(args[i], (str, bytes, os.PathLike)) and not may_write(args[i]):
                    raise refuse(f"the grader's sandbox does not allow {event} on {args[i]}")
        elif event in read_events:
            path = args[read_events[event]] if args else "."
            if isinstance(path, (str, bytes, os.PathLike)) and not may_read(path):
                raise refuse(f"the grader's sandbox does not allow {event} on {path}")

    sys.addaudithook(hook)
