"""A stand-in for the sandbox that runs student cells in this process: for testing suites only.

It has the sandbox's API and converts values the same way (through
``wire``), but it is not a boundary: never grade untrusted code with it.
"""

import numpy as np

from course_lib.cells import error_text
from course_lib.history import History

from . import wire
from .client import RECORDS, cell_of, parts_of
from .errors import StudentError

__all__ = ["InProcessStudent"]


class InProcessStudent:
    def __init__(self, cells):
        self.namespaces, self.load_errors = {}, {}
        for grade_id, cell in dict(cells).items():
            ns = {"__name__": f"cell_{grade_id}"}
            self.namespaces[grade_id] = ns
            for label, source in parts_of(grade_id, cell):
                try:
                    exec(compile(source, label, "exec"), ns)
                except Exception as err:
                    self.load_errors.setdefault(grade_id, f"{type(err).__name__}: {err}")
        self.inputs_after = ()

    def _find(self, name, cell):
        for ns in [self.namespaces.get(cell, {})] + list(self.namespaces.values()):
            if name in ns:
                return ns[name]
        if cell in self.load_errors:
            raise StudentError("raised", f"the cell that defines {name} raised {self.load_errors[cell]}")
        raise StudentError("missing", f"no {name} is defined: keep the name the notebook gives it")

    def _roundtrip(self, value, prefix):
        """``value`` as the other side of the boundary sees it: arguments keep the test's layout (views over
        one buffer, as in the child), results come back as fresh contiguous copies (as to the grader)."""
        sending = prefix in ("a", "k")
        try:
            spec, data = wire.pack(value, keep_layout=sending)
        except wire.WireError as err:
            raise StudentError("unsupported", f"returned {err}") from None
        return wire.unpack(spec, bytearray(data) if sending else data, writable=sending, layouts=sending,
                           records=RECORDS)

    def call(self, name, *args, **kwargs):
        fn = self._find(name, name)
        if not callable(fn):
            raise StudentError("missing", f"{name} is not a function")
        args = self._roundtrip(tuple(args), "a")
        kwargs = self._roundtrip(dict(kwargs), "k")
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError as err:
            raise StudentError("not_implemented", f"NotImplementedError: {err}") from None
        except Exception as err:
            raise StudentError("raised", error_text(err, name)) from None
        finally:
            self.inputs_after = tuple(_detach(a) for a in args)
        return self._roundtrip(result, "r")

    def value(self, name, cell=None):
        return self._roundtrip(self._find(name, cell or cell_of(name)), "v")

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _detach(value):
    """Copies of every array, so the arguments seen after a call do not change with the buffer they were in."""
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
