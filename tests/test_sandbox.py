"""The sandbox boundary: what student code can and cannot do, and what crosses back."""

import os
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import Limits, Sandbox, StudentError
from course_lib.bncache import BNCache
from course_lib.history import History

REPO = Path(__file__).resolve().parents[1]
FAST = Limits(call_seconds=3, load_seconds=3, memory_bytes=1 << 30)


def outcome(source, name, *args, limits=FAST):
    """(value, None) or (None, StudentError) of calling ``name`` defined by ``source``."""
    with Sandbox({name: source}, limits=limits) as sb:
        try:
            return sb.call(name, *args), None
        except StudentError as err:
            return None, err


def test_a_call_returns_plain_arrays_and_records():
    src = ("import numpy as np\nfrom course_lib.bncache import BNCache\n"
           "def f(x):\n    return x * 2, BNCache(x, x, x[0], x[0], x[0], x[0], 1e-5), np.float32(3), [1, (2.5, None)]\n")
    (arr, cache, scalar, nested), err = outcome(src, "f", np.ones((2, 3), np.float32))
    assert err is None and type(arr) is np.ndarray and arr.dtype == np.float32
    assert isinstance(cache, BNCache) and scalar == np.float32(3) and nested == [1, (2.5, None)]


@pytest.mark.parametrize("make", [
    lambda a: a[:, ::2], lambda a: a.T, lambda a: np.asfortranarray(a), lambda a: a[::-1, 1:],
    lambda a: a.astype(np.float32), lambda a: a[:0]], ids=["strided", "transposed", "fortran", "reversed",
                                                            "float32", "empty"])
def test_arrays_arrive_with_their_layout(make):
    a = make(np.arange(24.0).reshape(4, 6))
    src = "def f(x):\n    return x.strides, x.shape, str(x.dtype), x.copy()\n"
    (strides, shape, dtype, copy), err = outcome(src, "f", a)
    assert err is None and tuple(shape) == a.shape and dtype == str(a.dtype)
    assert tuple(strides) == a.strides or a.size == 0   # an empty array has no layout to keep
    np.testing.assert_array_equal(copy, a)


def test_mutation_of_an_input_is_seen_by_the_grader():
    with Sandbox({"f": "def f(x):\n    x -= x.mean(axis=0)\n    return x\n"}, limits=FAST) as sb:
        x = np.arange(6.0).reshape(3, 2)
        sb.call("f", x)
        assert not np.array_equal(sb.inputs_after[0], x)
        np.testing.assert_array_equal(x, np.arange(6.0).reshape(3, 2))   # the grader's copy is untouched


def test_history_crosses_as_a_history():
    h = History(loss=[1.0], metric=[0.5], val_loss=[1.0], val_metric=[0.7], metric_name="accuracy")
    value, err = outcome("def f(h):\n    return type(h).__name__, h.val_metric\n", "f", h)
    assert value == ("History", [0.7])


# -- cheating: one test each; none may change what reaches the grader ------------------------------
CHEATS = {
    "read_reference": (f"def f(x):\n    return open({str(REPO / 'course_lib' / 'batchnorm.py')!r}).read()\n",
                       "does not allow opening"),
    "read_hidden_suites": (f"import os\ndef f(x):\n    return os.listdir({str(REPO / 'autograder')!r})\n",
                           "does not allow os.listdir"),
    "read_solutions": (f"def f(x):\n    return open({str(REPO / 'solutions' / 'README.md')!r}).read()\n",
                       "does not allow opening"),
    "import_reference": ("def f(x):\n    from course_lib.batchnorm import batchnorm_forward\n    return 1\n",
                         "No module named 'course_lib.batchnorm'"),
    "import_reference_by_path": ("import importlib.util\ndef f(x):\n    s = importlib.util.spec_from_file_location("
                                 f"'b', {str(REPO / 'course_lib' / 'batchnorm.py')!r})\n"
                                 "    m = importlib.util.module_from_spec(s); s.loader.exec_module(m)\n    return 1\n",
                                 "does not allow opening"),
    "write_results": ("def f(x):\n    open('/tmp/results.json', 'w').write('{\"score\": 100}')\n",
                      "does not allow opening"),
    "signal_parent": ("import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n",
                      "does not allow os.kill"),
    "fork_bomb": ("import os\ndef f(x):\n    while True:\n        os.fork()\n", "does not allow os.fork"),
    "subprocess": ("import subprocess\ndef f(x):\n    subprocess.run(['sh', '-c', 'echo hi'])\n",
                   "does not allow subprocess.Popen"),
    "network": ("import socket\ndef f(x):\n    socket.socket().connect(('127.0.0.1', 9))\n",
                "does not allow socket"),
    "ctypes": ("import ctypes\ndef f(x):\n    return ctypes.CDLL(None).getppid()\n", "does not allow ctypes"),
    "gc_walk": ("import gc\ndef f(x):\n    return len(gc.get_objects())\n", "does not allow gc.get_objects"),
    "raise_limits": ("import resource\ndef f(x):\n    resource.setrlimit(resource.RLIMIT_CPU, (-1, -1))\n",
                     "does not allow resource.setrlimit"),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheat_is_refused(name):
    source, words = CHEATS[name]
    value, err = outcome(source, "f", np.ones(2))
    assert err is not None and err.kind == "raised" and words in err.message, (value, err)


def test_cheat_writing_results_leaves_no_file():
    outcome(CHEATS["write_results"][0], "f", np.ones(2))
    assert not Path("/tmp/results.json").exists()


def test_objects_that_equal_everything_do_not_cross():
    src = "class Yes:\n    def __eq__(self, other): return True\n    __hash__ = None\ndef f(x):\n    return Yes()\n"
    _, err = outcome(src, "f", np.ones(2))
    assert err.kind == "unsupported"


def test_numpy_subclass_comes_back_as_a_plain_array():
    src = ("import numpy as np\nclass Liar(np.ndarray):\n    def __eq__(self, o): return np.True_\n"
           "    def __array_finalize__(self, obj): pass\ndef f(x):\n    return np.zeros(3).view(Liar)\n")
    value, err = outcome(src, "f", np.ones(2))
    assert type(value) is np.ndarray and not np.array_equal(value, np.ones(3))


def test_monkeypatching_numpy_stays_in_the_child():
    src = "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.ndarray\ndef f(x):\n    return x * 0\n"
    value, err = outcome(src, "f", np.ones(2))
    assert not np.allclose(value, np.ones(2))


def test_object_arrays_do_not_cross():
    _, err = outcome("import numpy as np\ndef f(x):\n    return np.array([object()])\n", "f", np.ones(2))
    assert err.kind == "unsupported"


# -- bad behaviour: a clear message, and the next call still works -----------------------------------
@pytest.mark.parametrize("source, kind, words", [
    ("import os\ndef f(x):\n    os._exit(0)\n", "crashed", "ended the process"),
    ("import sys\ndef f(x):\n    sys.exit(1)\n", "raised", "SystemExit"),
    ("def f(x):\n    while True:\n        pass\n", "timeout", "did not finish"),
    ("def f(x):\n    return bytearray(8 << 30)\n", "raised", "MemoryError"),
    ("def f(x):\n    while True:\n        print('spam' * 1000)\n", "raised", "File too large"),
    ("def f(x):\n    raise NotImplementedError()\n", "not_implemented", "NotImplementedError"),
    ("def f(x):\n    return f(x)\n", "raised", "RecursionError"),
])
def test_misbehaviour_is_reported_and_contained(source, kind, words):
    with Sandbox({"f": source, "g": "def g(x):\n    return x + 1\n"}, limits=FAST) as sb:
        with pytest.raises(StudentError) as info:
            sb.call("f", np.ones(2))
        assert info.value.kind == kind and words in info.value.message
        np.testing.assert_array_equal(sb.call("g", np.ones(2)), 2 * np.ones(2))


def test_a_cell_that_kills_the_child_at_import_spares_the_others():
    cells = {"a": "import os\nos._exit(1)\n", "b": "def b(x):\n    return 2 * x\n", "c": "while True:\n    pass\n",
             "d": "def d(x):\n    return 4\n", "e": "import nonexistent_module\ndef e(x):\n    return 5\n"}
    with Sandbox(cells, limits=FAST) as sb:
        assert sb.call("b", 1.0) == 2.0 and sb.call("d", 0) == 4
        for name, words in (("a", "ended the process"), ("c", "did not finish"), ("e", "nonexistent_module")):
            with pytest.raises(StudentError, match=words):
                sb.call(name, 0)


def test_a_missing_function_is_named():
    with Sandbox({"batchnorm_forward": "def batchnorm_fwd(x):\n    return x\n"}, limits=FAST) as sb:
        with pytest.raises(StudentError) as info:
            sb.call("batchnorm_forward", 1.0)
    assert info.value.kind == "missing" and "batchnorm_forward" in info.value.message


def test_the_child_is_gone_after_close():
    sb = Sandbox({"f": "def f(x):\n    return x\n"}, limits=FAST)
    sb.call("f", 1.0)
    pid = sb._proc.pid
    sb.close()
    time.sleep(0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_many_calls_hold_no_descriptor_or_buffer_of_earlier_ones():
    """Each call's arguments are freed when it returns, not when a garbage collection happens to run."""
    src = "import gc, os\ngc.disable()\ndef f(x, g, b):\n    return len(os.listdir('/proc/self/fd'))\n"
    with Sandbox({"f": src}, limits=Limits(audit_hook=False)) as sb:
        counts = [sb.call("f", np.ones((4, 3)), np.ones(3), np.zeros(3)) for _ in range(100)]
    assert max(counts) <= min(counts) + 1, counts
