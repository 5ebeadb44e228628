"""Attacks on the sandbox, one test each, with the audit hook switched off: the operating system must hold alone.

Every attack runs in each isolation this machine allows, in both ways the
child can run when the grader is root: as a fresh uid of its own (the
default), and as the grader's own user ("own-user"). The payloads follow
the classes of the red-team review: reading the grader's files, escaping to
a shell or native code, writing where the grader reads, probing the
grader's processes, signalling and outliving the sandbox, filling shared
memory, the network, unbounded values and time, and hiding a mutation.
A class-level test then grades honest students beside attackers through the
real pipeline.
"""

import os
import pwd
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import Limits, Sandbox, StudentError
from autograder.sandbox.isolation import UID_BASE, works

REPO = Path(__file__).resolve().parents[1]
OWN_USER = pwd.getpwuid(os.geteuid()).pw_name
FAST = dict(call_seconds=5, load_seconds=5, memory_bytes=1 << 30, audit_hook=False)
SETUPS = {
    "namespaces": Limits(isolation="namespaces", **FAST),
    "namespaces-own-user": Limits(isolation="namespaces", user=OWN_USER, **FAST),
    "seccomp": Limits(isolation="seccomp", **FAST),
    "seccomp-own-user": Limits(isolation="seccomp", user=OWN_USER, **FAST),
}


@pytest.fixture(params=sorted(SETUPS))
def limits(request):
    limits = SETUPS[request.param]
    if not works(limits.isolation):
        pytest.skip(f"the isolation {limits.isolation!r} does not work on this machine")
    if request.param.endswith("own-user") and os.geteuid() != 0:
        pytest.skip("the same as the default when the grader is not root")
    return limits


def run(limits, source, name="f", *args):
    """(value, None) or (None, StudentError) of ``name(*args)`` defined by ``source``."""
    with Sandbox({name: source}, limits=limits) as sb:
        try:
            return sb.call(name, *args), None
        except StudentError as err:
            return None, err


def attempt(limits, body, *args):
    """Run ``body`` (the body of f) and return what it returned, or 'refused: ...' for an exception it raised."""
    source = ("import os, sys\ndef f(*args):\n    try:\n"
              + "".join(f"        {line}\n" for line in body.strip().splitlines())
              + "    except BaseException as err:\n        return 'refused: ' + type(err).__name__\n")
    value, err = run(limits, source, "f", *args)
    assert err is None, err
    return value


# -- the grader's files: the reference, the hidden suites, the solutions ---------------------------
@pytest.mark.parametrize("path", [REPO / "course_lib" / "batchnorm.py",
                                  REPO / "autograder" / "suites" / "02_bn_equations" / "test_batchnorm_forward.py",
                                  REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb"],
                         ids=["reference", "suite", "solution"])
def test_the_graders_files_cannot_be_read(limits, path):
    got = attempt(limits, f"return open({str(path)!r}).read()[:100]")
    assert got.startswith("refused"), got


def test_the_reference_cannot_be_imported(limits):
    got = attempt(limits, f"sys.path.insert(0, {str(REPO)!r})\nimport course_lib.batchnorm as b\n"
                          "return b.batchnorm_forward.__name__")
    assert got.startswith("refused"), got


def test_a_relative_open_from_a_directory_fd_stays_inside(limits):
    """The kernel resolves the path, so no trick of relative paths, dir_fd or str subclasses reaches the grader."""
    body = (f"fd = os.open('/', os.O_RDONLY)\n"
            f"return os.read(os.open({str(REPO.relative_to('/') / 'course_lib' / 'batchnorm.py')!r}, os.O_RDONLY, "
            "dir_fd=fd), 50)")
    got = attempt(limits, body)
    assert got.startswith("refused"), got


def test_the_graders_processes_and_their_command_lines_are_out_of_sight(limits):
    body = ("seen = []\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n        try:\n"
            "            seen.append(open(f'/proc/{pid}/cmdline', 'rb').read())\n        except OSError:\n"
            "            pass\nreturn [s.decode(errors='replace') for s in seen if b'pytest' in s or b'--out' in s]")
    got = attempt(limits, body)
    assert got == [] or got.startswith("refused"), got


# -- escaping to a shell or to native code ------------------------------------------------------------
def test_no_process_can_be_started(limits, tmp_path):
    marker = tmp_path / "shell-ran"
    tmp_path.chmod(0o777)
    bodies = [
        f"import subprocess\nsubprocess.run(['/bin/sh', '-c', 'touch {marker}'])\nreturn 'ran'",
        f"rc = os.system('touch {marker}')\nreturn 'refused: ' + str(rc) if rc else 'ran'",
        "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nreturn 'forked'",
        f"import multiprocessing.util as u\nu.spawnv_passfds('/bin/sh', ['/bin/sh', '-c', 'touch {marker}'], [])\n"
        "return 'spawned'",
        f"import ctypes\nrc = ctypes.CDLL(None).system(b'touch {marker}')\nreturn 'refused: ' + str(rc) if rc else 'ran'",
    ]
    for body in bodies:
        got = attempt(limits, body)
        assert got.startswith("refused"), (body, got)
    assert not marker.exists()


def test_no_namespace_or_mount_can_be_made(limits):
    for body in ("os.unshare(os.CLONE_NEWUSER)\nreturn 'unshared'",
                 "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "rc = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\nreturn 'refused: mount' if rc else 'mounted'",
                 "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "rc = libc.syscall(101, 16, 1, 0, 0)\nreturn 'refused: ptrace' if rc else 'traced'",
                 "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = os.open('/proc/self/ns/net', os.O_RDONLY)\n"
                 "rc = libc.setns(fd, 0)\nreturn 'refused: setns' if rc else 'entered'"):
        got = attempt(limits, body)
        assert got.startswith("refused"), (body, got)


def test_no_new_socket_reaches_the_network(limits):
    got = attempt(limits, "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))\nreturn 'connected'")
    assert got.startswith("refused"), got


# -- writing where the grader reads ---------------------------------------------------------------------
def test_files_of_the_grader_cannot_be_written_or_created(limits, tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("student,total\nalice,8\n")
    db = tmp_path / "gradebook.db"
    tmp_path.chmod(0o777)
    target.chmod(0o666)
    for body in (f"open({str(target)!r}, 'w').write('mallory,100')\nreturn 'written'",
                 f"import sqlite3\nsqlite3.connect({str(db)!r}).execute('create table x (y)')\nreturn 'created'",
                 f"os.symlink('/etc/passwd', {str(tmp_path / 'link')!r})\nreturn 'linked'"):
        got = attempt(limits, body)
        assert got.startswith("refused"), (body, got)
    assert target.read_text() == "student,total\nalice,8\n" and not db.exists()
    assert not (tmp_path / "link").exists()


def test_the_exchange_has_no_path_to_plant_links_in(limits):
    """The grader never writes or reads a path the child can reach: links planted in the work folder are inert."""
    body = ("for i in range(50):\n    for name in (f'in{i}a_0.npy', f'out{i}_0.npy', f'in{i}k_0.npy', 'config.json'):\n"
            "        try:\n            os.symlink('/etc/shadow', name)\n        except OSError:\n            pass\n"
            "return args[0] * 2")
    with Sandbox({"f": "import os\ndef f(*args):\n" + "".join(f"    {ln}\n" for ln in body.splitlines())},
                 limits=limits) as sb:
        for _ in range(3):
            np.testing.assert_array_equal(sb.call("f", np.ones(3)), 2 * np.ones(3))
    assert os.stat("/etc/shadow").st_uid == 0


# -- mutation cannot be hidden ----------------------------------------------------------------------------
def test_an_in_place_change_is_seen_even_when_the_child_hides_its_traces(limits):
    src = ("import os\ndef f(x):\n    x -= 1\n    for fd in range(3, 64):\n        try:\n            os.close(fd)\n"
           "        except OSError:\n            pass\n    for name in os.listdir('.'):\n        os.unlink(name)\n"
           "    return x.sum()\n")
    with Sandbox({"f": src}, limits=limits) as sb:
        with pytest.raises(StudentError):
            sb.call("f", np.ones(4))   # it closed its own channel, so the call fails
        with pytest.raises(StudentError, match="inputs back"):
            sb.inputs_after
    with Sandbox({"f": "def f(x):\n    x -= 1\n    return 0\n"}, limits=limits) as sb:
        sb.call("f", np.ones(4))
        np.testing.assert_array_equal(sb.inputs_after[0], np.zeros(4))


# -- signals and processes that outlive the sandbox ---------------------------------------------------------
def test_signals_reach_nothing_outside_and_nothing_outlives_the_sandbox(limits):
    victim_src = "def g(x):\n    return x + 1\n"
    with Sandbox({"g": victim_src}, limits=limits) as victim:
        assert victim.call("g", 1) == 2
        body = ("import signal, threading, time\n"
                "for pid in range(1, 4_000):\n    try:\n        os.kill(pid, signal.SIGKILL) if pid != os.getpid() "
                "else None\n    except OSError:\n        pass\n"
                "threading.Thread(target=time.sleep, args=(600,), daemon=False).start()\nreturn 'done'")
        attempt(limits, body)
        assert victim.call("g", 1) == 2   # the other student's sandbox is alive
    left = _sandbox_processes()
    assert left == [], f"processes of the sandbox's uid still run: {left}"


def _sandbox_processes(settle=5.0):
    """Processes of any sandbox uid, once the kernel has had up to ``settle`` seconds to end a killed namespace."""
    end = time.monotonic() + settle
    while True:
        left = [p for p in os.listdir("/proc") if p.isdigit() and (_uid_of(p) or 0) >= UID_BASE]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.05)


def _uid_of(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None


# -- shared resources: /dev/shm, memory, the student's time ---------------------------------------------------
def test_filling_shared_memory_harms_no_other_student(limits):
    body = ("import itertools\nfor i in itertools.count():\n"
            "    with open(f'/dev/shm/fill{i}', 'wb') as f:\n        f.write(bytes(8 << 20))\nreturn 'filled'")
    with Sandbox({"g": "def g(x):\n    return x * 3\n"}, limits=limits) as other:
        got = attempt(limits, body)
        assert got.startswith("refused"), got
        np.testing.assert_array_equal(other.call("g", np.ones(2)), 3 * np.ones(2))


@pytest.mark.parametrize("source, words", [
    ("import numpy as np\ndef f():\n    return np.broadcast_to(0.0, (2 ** 27,))\n", "MB"),
    ("import numpy as np\ndef f():\n    return np.zeros(3, dtype='V40')\n", "dtype"),
    ("def f():\n    return 'x' * (4 << 20)\n", "characters"),
    ("def f():\n    return [[0] * 1000] * 1000\n", "items"),
    ("def f():\n    v = 0\n    for _ in range(10_000):\n        v = [v]\n    return v\n", "nested"),
], ids=["stride0", "void", "string", "items", "deep"])
def test_unbounded_values_are_refused_before_the_grader_computes_on_them(limits, source, words):
    value, err = run(limits, source, "f")
    assert err is not None and err.kind == "unsupported" and words in err.message, (value, err)


def test_a_long_message_is_cut_before_it_reaches_the_grader(limits):
    value, err = run(limits, "def f():\n    raise ValueError('y' * (4 << 20))\n", "f")
    assert err.kind == "raised" and len(err.message) < 2000


def test_the_students_time_is_one_budget_across_cells_and_calls():
    limits = Limits(call_seconds=2, load_seconds=2, student_seconds=3, audit_hook=False)
    cells = {"a": "import time\ntime.sleep(1.5)\n", "f": "import time\ndef f():\n    time.sleep(1.5)\n    return 1\n",
             "g": "def g():\n    return 2\n"}
    with Sandbox(cells, limits=limits) as sb:
        with pytest.raises(StudentError) as first:
            for _ in range(5):
                sb.call("f")
        assert "used up its time" in first.value.message
        with pytest.raises(StudentError, match="used up its time"):
            sb.call("g")   # the budget is spent: nothing more runs
        assert sb.used_seconds >= 3


def test_memory_and_file_limits_hold(limits):
    for body, words in (("return len(bytearray(4 << 30))", "refused: MemoryError"),
                        ("open('big', 'wb').write(bytes(200 << 20))\nreturn 'written'", "refused")):
        got = attempt(limits, body)
        assert got.startswith(words), (body, got)


# -- the probe of this machine ---------------------------------------------------------------------------------
def test_this_machine_isolates_with_namespaces_where_ci_runs():
    """CI runs as root on a machine that allows namespaces; elsewhere the strongest mode is used and printed."""
    if os.environ.get("CI") != "true":
        pytest.skip("checked on CI's machine only")
    assert works("namespaces")


def test_the_socket_pair_is_the_only_channel():
    """What the grader gives the child: the socket pair, the log, /dev/null; no other descriptor of the grader's."""
    limits = Limits(isolation="namespaces", **FAST) if works("namespaces") else Limits(**FAST)
    body = "return sorted(int(fd) for fd in os.listdir('/proc/self/fd'))"
    got = attempt(limits, body)
    assert isinstance(got, list) and len(got) <= 6, got


# -- a class: honest students graded beside attackers, through the real pipeline -------------------------------
WRONG = FORWARD_N1 = ('''import numpy as np
from course_lib.bncache import BNCache

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    return out, BNCache(x=x, x_hat=x_hat, mu=mu, var=var, inv_std=inv_std, gamma=gamma, eps=eps)
''')
# Each payload runs when its cell is loaded, then the wrong forward above is defined (or replaced, if the
# payload found the reference). It must earn nothing over WRONG and harm no other student.
PAYLOADS = {
    "steal_reference": f'''
import sys, os
for root in ({str(REPO)!r}, "/proc/1/root" + {str(REPO)!r}, "/proc/self/cwd/../../../" + {str(REPO)!r}):
    try:
        sys.path.insert(0, root)
        from course_lib.batchnorm import batchnorm_forward as _stolen
        STOLEN = _stolen
    except BaseException:
        pass
''',
    "rewrite_reports": '''
import os
for top in ("/tmp", "/dev/shm", "/work", os.path.expanduser("~")):
    for folder, _, files in os.walk(top):
        for name in files:
            if name in ("results.json", "grades.csv", ".stamp.json"):
                try:
                    open(os.path.join(folder, name), "w").write('{"score": 100}')
                except OSError:
                    pass
''',
    "kill_everyone": '''
import os, signal
for pid in range(2, 1 << 15):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
''',
    "fill_shm": '''
import itertools
for i in itertools.count():
    try:
        with open(f"/dev/shm/fill{i}", "wb") as f:
            f.write(bytes(16 << 20))
    except OSError:
        break
''',
    "stay_behind": '''
import threading, time, os
def haunt():
    while True:
        time.sleep(0.05)
        for pid in range(2, 1 << 12):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
threading.Thread(target=haunt, daemon=True).start()
try:
    if os.fork() == 0:
        os.setsid()
        haunt()
except OSError:
    pass
''',
}


def _notebook(folder, source):
    import json

    released = REPO / "notebooks" / "02_bn_equations" / "02_bn_equations.ipynb"
    nb = json.loads(released.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "batchnorm_forward":
            cell["source"] = source
    solution = json.loads((REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    for cell, model in zip(nb["cells"], solution["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "bn_param_count":
            cell["source"] = model["source"]
    folder.mkdir(parents=True)
    (folder / "02_bn_equations.ipynb").write_text(json.dumps(nb))


@pytest.mark.parametrize("mode", ["namespaces", "seccomp"])
def test_a_class_with_attackers_grades_every_honest_student_fully(mode, tmp_path):
    import functools
    import json

    from autograder import pipeline
    from autograder.records import Submission
    from autograder.stages.run import run as run_stage

    if not works(mode):
        pytest.skip(f"the isolation {mode!r} does not work on this machine")
    solution = json.loads((REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    right = next("".join(c["source"]) for c in solution["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "batchnorm_forward")
    students = {"honest1": right, "wrong": WRONG, "honest2": right}
    for name, payload in PAYLOADS.items():
        students[f"x_{name}"] = payload + "\n" + WRONG + "\nif 'STOLEN' in globals():\n    batchnorm_forward = STOLEN\n"
    students["honest3"] = right
    subs = []
    for student, source in students.items():
        _notebook(tmp_path / "submitted" / student / "02_bn_equations", source)
        subs.append(Submission(student, "02_bn_equations",
                               tmp_path / "submitted" / student / "02_bn_equations" / "02_bn_equations.ipynb"))
    stage = functools.partial(run_stage, limits=Limits(isolation=mode, call_seconds=5, load_seconds=5,
                                                       audit_hook=False))
    graded = pipeline.grade_all(subs, tmp_path / "out", workers=2, run_stage=stage)
    scores = {g.submission.student: (g.score, g.max_score, g.error) for g in graded}
    top = scores["honest1"][1]
    for student in ("honest1", "honest2", "honest3"):
        assert scores[student] == (top, top, None), scores
    wrong = scores["wrong"][0]
    assert wrong < top
    for name in PAYLOADS:
        got = scores[f"x_{name}"]
        assert got[2] is None and got[0] <= wrong, (name, got)
    for student in students:   # every report is the grader's, intact
        doc = json.loads((tmp_path / "out" / student / "02_bn_equations" / "results.json").read_text())
        assert doc["score"] == scores[student][0]
    left = _sandbox_processes()
    assert left == [], f"sandbox processes outlived the class: {left}"


# -- with the audit hook on, as graded: its known bypasses reach nothing either -------------------------------
BYPASSES = {
    "str_subclass_that_lies": (
        "class P(str):\n    def startswith(self, *a):\n        return True\n"
        f"return open(P({str(REPO / 'course_lib' / 'batchnorm.py')!r})).read()[:50]"),
    "fspath_that_changes": (
        f"class P:\n    n = 0\n    def __fspath__(self):\n        P.n += 1\n"
        f"        return '/sandbox' if P.n == 1 else {str(REPO / 'course_lib' / 'batchnorm.py')!r}\n"
        "return open(P()).read()[:50]"),
    "posixsubprocess_fork_exec": (   # what multiprocessing.util.spawnv_passfds calls, with no audit event
        "import _posixsubprocess\nr, w = os.pipe()\n"
        "pid = _posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'exit 7'], [b'/bin/sh'], True, (w,), None, None, "
        "-1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False)\n"
        "return 'spawned %d' % os.waitpid(pid, 0)[1]"),
    "sqlite_on_a_host_path": (
        f"import sqlite3\nsqlite3.connect({str(REPO / 'gradebook.db')!r}).execute('create table x (y)')\n"
        "return 'created'"),
    "stat_probe": f"return os.stat({str(REPO / 'autograder' / 'suites')!r}).st_mode",
    "readlink_probe": "return os.readlink('/proc/1/exe')",
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_the_hooks_bypasses_reach_nothing(name):
    limits = Limits(call_seconds=5, load_seconds=5, memory_bytes=1 << 30, isolation="namespaces")
    if not works("namespaces"):
        pytest.skip("the namespaces isolation does not work on this machine")
    got = attempt(limits, BYPASSES[name])
    assert isinstance(got, str) and got.startswith("refused"), got
    assert not (REPO / "gradebook.db").exists()


# -- what a child without namespaces could still reach, and the protocol itself ---------------------------------
def test_no_signal_through_a_files_owner_and_no_other_process_limits(limits):
    for body in ("import fcntl\nr, w = os.pipe()\nfcntl.fcntl(r, fcntl.F_SETOWN, os.getpid())\nreturn 'owner set'",
                 "import fcntl\nr, w = os.pipe()\nfcntl.fcntl(r, 10, 9)\nreturn 'signal set'",
                 "import resource\nresource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (1, 1))\nreturn 'lowered'"):
        got = attempt(limits, body)
        if limits.isolation == "namespaces" and "getppid" not in body:
            continue   # inside its own pid namespace a file's owner can only be one of its own processes
        assert got.startswith("refused"), (body, got)


def test_the_sandboxs_own_modules_cannot_be_changed(limits):
    from autograder.sandbox.client import _libdir

    before = os.stat(_libdir() / "child.py").st_mode
    got = attempt(limits, "os.chmod(os.path.join(os.path.dirname(sys.modules['wire'].__file__), 'child.py'), 0o600)\n"
                          "return 'changed'")
    assert got.startswith("refused"), got
    assert os.stat(_libdir() / "child.py").st_mode == before


def test_in_memory_files_are_bounded_by_the_descriptor_limit(limits):
    got = attempt(limits, "keep = []\ntry:\n    while len(keep) < 10_000:\n        keep.append(os.memfd_create('m'))\n"
                          "except OSError:\n    pass\nfor fd in keep:\n    os.close(fd)\nreturn len(keep)")
    assert got < Limits().descriptors, got


def test_a_message_the_grader_did_not_ask_for_breaks_the_protocol(limits):
    src = ("import gc, socket\ndef f():\n    for o in gc.get_objects():\n        if isinstance(o, socket.socket):\n"
           "            o.send(b'{\"id\": 99, \"ok\": true}')\n    return 1\n")
    with Sandbox({"f": src, "g": "def g():\n    return 2\n"}, limits=limits) as sb:
        with pytest.raises(StudentError, match="protocol") as info:
            sb.call("f")
        assert info.value.kind == "crashed"
        assert sb.call("g") == 2   # a fresh child for the next function


def test_one_notebooks_code_never_stands_in_for_anothers():
    """02's cell lost its function; 05's notebook defines one: 02 is graded on 02's cells alone."""
    import json

    from autograder.pipeline import Context
    from autograder.records import Extracted, Submission
    from autograder.stages.run import run as run_stage

    solution = json.loads((REPO / "solutions" / "02_bn_equations" / "02_bn_equations.ipynb").read_text())
    right = next("".join(c["source"]) for c in solution["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "batchnorm_forward")
    two = Extracted(Submission("s", "02_bn_equations", Path("x")), programs={"batchnorm_forward": "x = 1\n"})
    five = Extracted(Submission("s", "05_inference", Path("y")), programs={"update_running_stats": right})
    context = Context(Path("out"))
    graded = [run_stage(ex, context, limits=Limits(call_seconds=5, load_seconds=5)) for ex in (two, five)]
    forward = [o for o in graded[0].outcomes if o.exercise == "batchnorm_forward"]
    assert forward and all(o.score == 0 for o in forward)
