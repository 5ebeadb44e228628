"""The system calls student code may not make: a seccomp filter compiled by libseccomp.

``program(shared_host=...)`` is the filter as a classic BPF program (bytes),
compiled once with libseccomp (through ``pyseccomp``). bubblewrap loads it
before it starts the child's Python; without namespaces, the child loads it
itself before any student code runs (``load``). Every other system call is
allowed: the filter closes the doors an escape needs, it does not list what
numpy needs. Denied calls fail with EPERM (clone3 with ENOSYS, so that the C
library falls back to clone, whose flags the filter can see); a call of
another architecture's ABI kills the process.
"""

import errno
from functools import lru_cache

__all__ = ["DENIED", "SHARED_HOST", "program", "load"]

DENIED = (
    # other processes and the kernel's own objects
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # namespaces and mounts: no way out of the sandbox's view, and no new one
    "setns", "unshare", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel attack surface no numerical code needs
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "reboot", "swapon", "swapoff", "syslog", "acct", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "quotactl", "quotactl_fd", "name_to_handle_at", "open_by_handle_at",
    "lookup_dcookie", "vhangup", "mknod", "mknodat", "fanotify_init", "iopl", "ioperm", "uselib",
    "sethostname", "setdomainname",
    # no new sockets (the socket pair to the grader exists already) and no new processes (threads are fine)
    "socket", "socketpair", "fork", "vfork",
)
# Without namespaces the child shares the host's processes, files and IPC: a signal (sent directly, or
# asked of the kernel through a file's owner), another process's limits, the metadata of a file Landlock
# lets it see (Landlock does not cover chmod, chown, utime or xattrs) and System V IPC are all refused.
SHARED_HOST = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_open",
               "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
               "utime", "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
               "lremovexattr", "fremovexattr", "shmget", "msgget", "semget", "mq_open", "link", "linkat",
               "symlink", "symlinkat")
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15
FIOSETOWN, SIOCSPGRP = 0x8901, 0x8902
CLONE_THREAD = 0x00010000
CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
TIOCSTI = 0x5412


@lru_cache(maxsize=2)
def program(shared_host=False):
    """The filter as BPF bytes. shared_host: the child has no namespaces, so also deny SHARED_HOST and asking
    for signals through a file's owner."""
    import tempfile

    import pyseccomp as sc

    rules = sc.SyscallFilter(sc.ALLOW)
    eperm = sc.ERRNO(errno.EPERM)
    for name in DENIED + (SHARED_HOST if shared_host else ()):
        try:
            rules.add_rule(eperm, name)
        except (OSError, ValueError, RuntimeError):
            pass   # not a system call of this architecture
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))   # a process, not a thread
    for flag in CLONE_NAMESPACES:
        rules.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    rules.add_rule(eperm, "ioctl", sc.Arg(1, sc.EQ, TIOCSTI))
    rules.add_rule(eperm, "prlimit64", sc.Arg(0, sc.NE, 0))   # its own limits only (pid 0)
    if shared_host:
        for command in (F_SETOWN, F_SETSIG, F_SETOWN_EX):
            rules.add_rule(eperm, "fcntl", sc.Arg(1, sc.EQ, command))
        for request in (FIOSETOWN, SIOCSPGRP):
            rules.add_rule(eperm, "ioctl", sc.Arg(1, sc.EQ, request))

    with tempfile.TemporaryFile() as f:
        rules.export_bpf(f)
        f.seek(0)
        return f.read()


def load(bpf):
    """Install ``bpf`` on this process (after no_new_privs): what the child does when there is no bubblewrap."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    prog = Program(len(bpf) // 8, bpf)
    if libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
