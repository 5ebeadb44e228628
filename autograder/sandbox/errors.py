"""How a call into student code can fail, in words for the student."""

__all__ = ["StudentError", "KINDS"]

KINDS = {
    "missing": "is not defined",
    "not_implemented": "is not written yet (it still raises NotImplementedError)",
    "raised": "raised an exception",
    "timeout": "ran out of time",
    "crashed": "stopped the grader's sandbox",
    "unsupported": "returned something that is not plain data",
}


class StudentError(Exception):
    """A call into the student's code that did not return a value.

    kind: one of KINDS; message: what happened, written for the student.
    """

    def __init__(self, kind, message):
        if kind not in KINDS:
            kind = "crashed"
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
