"""Stage 1: read a submitted notebook, or say in the student's terms why it cannot be read.

Only a notebook whose cells cannot be read fails: what nbformat's reader
refuses is refused, found in the parsed JSON without importing nbformat (a
grading process would pay seconds for it). nbformat's schema check is not
run: its complaints were always tolerated, as students' notebooks often carry
odd metadata (extensions, other editors, a missing cell id) that changes
nothing for grading.

What could hurt the grader is refused before it is parsed: a symbolic link
(never followed), a pipe, socket or device (opening a pipe would block), a
file over MAX_BYTES, and JSON nested deeper than MAX_DEPTH (the parser would
run out of stack). Each is a malformed notebook, told to the student.
"""

import json
import os
import re
from array import array
from itertools import accumulate
from pathlib import Path

from ..discover import notebooks_in
from ..records import Submission, Validated
from ..safe_read import FILE, FOLDER, LINK, NotAFile, kind, read_regular

__all__ = ["validate", "notebook_json", "nesting_depth", "MAX_BYTES", "MAX_DEPTH"]

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 100   # [ and { one inside another; a notebook JupyterLab saves needs about 10

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")   # read as signed bytes: +1 in, -1 out
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))

_RESAVE = "Open it in JupyterLab, check that your work is there, save it (File > Save Notebook) and submit it again."


def validate(submission: Submission, context=None) -> Validated:
    """The notebook of ``submission`` as a plain dict, or the student-facing reason it cannot be graded."""
    try:
        return Validated(submission, nb=_read(submission))
    except _Unreadable as bad:
        return Validated(submission, error=str(bad))


def notebook_json(path):
    """The parsed JSON of the notebook file at ``path``, or None when it cannot be read safely or parsed."""
    path = Path(path)
    try:
        return _parse(path.name, _read_bytes(path, path.stem))[0]
    except _Unreadable:
        return None


class _Unreadable(Exception):
    pass


def _read(submission):
    path = Path(submission.path)
    name = path.name
    nb, _ = _parse(name, _read_bytes(path, submission.assignment))
    if not isinstance(nb, dict):
        raise _Unreadable(f"{name} is JSON but not a notebook (it holds a {type(nb).__name__}, not an object "
                          "with cells). Submit the .ipynb file of the assignment.")
    version = nb.get("nbformat")
    if isinstance(version, int) and version < 4:
        raise _Unreadable(f"{name} is saved in nbformat {version}, an old notebook format the grader cannot read; "
                          "open and save it in a current JupyterLab, then submit it again.")
    if not isinstance(nb.get("cells"), list):
        raise _Unreadable(f"{name} is JSON but not a notebook: it has no list of \"cells\". Submit the .ipynb "
                          "file of the assignment, as JupyterLab saves it.")
    for index, cell in enumerate(nb["cells"]):
        _check_cell(name, index, cell)
    _structure_check(nb, name)
    return nb


def _parse(name, data):
    """(the parsed JSON, its text) of a notebook's bytes, or the student-facing reason they are no notebook."""
    if not data.strip():
        raise _Unreadable(f"{name} is empty (0 bytes of notebook). It was probably saved while the upload "
                          f"was under way, or the wrong file was submitted. {_RESAVE}")
    if b"\x00" in data[:8192]:
        raise _Unreadable(f"{name} is not a notebook: it holds binary data, not text. Submit the .ipynb file "
                          "that JupyterLab saves, not an export (PDF, zip) or a renamed file.")
    try:
        text = data.decode("utf-8-sig")   # tolerate a byte-order mark some editors add
    except UnicodeDecodeError as err:
        raise _Unreadable(f"{name} is not UTF-8 text (bad byte at position {err.start}), so it is not a "
                          f"notebook JupyterLab saved. {_RESAVE}") from None
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise _Unreadable(f"{name} is malformed: its JSON is nested {depth} levels deep, and a notebook is never "
                          f"nested more than {MAX_DEPTH}, so the grader does not read it. Start from the last "
                          f"good copy of your notebook (File > Revert, or your checkpoint). {_RESAVE}")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as err:
        raise _Unreadable(f"{name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}). The file "
                          "was probably edited outside Jupyter or cut short. If JupyterLab cannot open it either, "
                          "start from the last good copy (File > Revert, or your checkpoint). " + _RESAVE) from None
    except (ValueError, RecursionError) as err:   # a number too long to convert, say
        raise _Unreadable(f"{name} is malformed: its JSON cannot be read ({str(err)[:200]}). Start from the last "
                          f"good copy of your notebook (File > Revert, or your checkpoint). {_RESAVE}") from None


def nesting_depth(data):
    """How deep [ and { nest in JSON bytes, outside strings: linear time, no parsing, no recursion.

    Escapes are dropped first (so an escaped quote ends no string), then the
    strings; what follows a quote that is never closed is inside a string.
    """
    bare = _STRING.sub(b"", _ESCAPE.sub(b"", data)).split(b'"', 1)[0]
    return max(accumulate(array("b", bare.translate(_STEPS, _NOT_BRACKET))), default=0)


def _read_bytes(path, assignment):
    """The bytes of the notebook file at ``path``; never through a link, never from a pipe or a device."""
    try:
        found = kind(path)
    except OSError as err:
        raise _Unreadable(f"{path.name} could not be read ({err.strerror}). Submit it again.") from None
    if found == FOLDER:
        notebooks = notebooks_in(path)
        if not notebooks:
            raise _Unreadable(f"No notebook (.ipynb) was found in your {assignment} folder. "
                              f"Submit {assignment}.ipynb.")
        listed = ", ".join(p.name for p in notebooks)
        raise _Unreadable(f"Your {assignment} folder holds several notebooks ({listed}) and none is named "
                          f"{assignment}.ipynb, so the grader cannot tell which to grade. Keep only one, "
                          f"or name the one to grade {assignment}.ipynb.")
    if found is None:
        raise _Unreadable(f"No notebook was submitted for {assignment} (expected {assignment}/{path.name}).")
    if found != FILE:
        raise _not_a_file(path.name, found)
    try:
        _check_size(path.name, os.lstat(path).st_size)   # the size it says, before reading a byte
        data = read_regular(path, MAX_BYTES)
    except NotAFile as err:
        raise _not_a_file(path.name, err.kind) from None
    except OSError as err:
        raise _Unreadable(f"{path.name} could not be read ({err.strerror}). Submit it again.") from None
    _check_size(path.name, len(data))
    return data


def _check_size(name, size):
    if size > MAX_BYTES:
        raise _Unreadable(
            f"{name} is {size / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB. Large outputs "
            "(images, long printouts) make it big: run Kernel > Restart Kernel and Clear Outputs of All "
            "Cells, save, and submit again.")


def _not_a_file(name, kind):
    if kind == LINK:
        return _Unreadable(f"{name} is a symbolic link, not a notebook file; the grader does not follow links. "
                           "Submit the notebook file itself.")
    return _Unreadable(f"{name} is not a notebook file: it is {kind}, which the grader does not read. Submit the "
                       ".ipynb file that JupyterLab saves.")


def _check_cell(name, index, cell):
    where = f"cell {index + 1} of {name}"
    if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
        raise _Unreadable(f"{where} is damaged (it has no cell type), so the notebook cannot be read. {_RESAVE}")
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
        raise _Unreadable(f"{where} is damaged (its source is not text), so the notebook cannot be read. {_RESAVE}")


def _structure_check(nb, name):
    """What nbformat's reader refuses in a notebook that has cells, found in the parsed JSON itself.

    ``nbformat.reads`` refuses a notebook whose nbformat is not the int 4 or whose
    nbformat_minor is no int, and fails on a notebook or cell without a metadata
    object, on attachments or outputs of the wrong kind, and (from nbformat 4.5) on a
    cell id that is a list or an object. Its schema check, whose complaints were never
    held against a student, is not run: importing nbformat and jsonschema costs a
    grading process seconds. tests/test_validate.py holds this to nbformat's verdicts.
    """
    def bad(what):
        return _Unreadable(f"{name} could not be read as a notebook ({what}). {_RESAVE}")

    version, minor = nb.get("nbformat", 1), nb.get("nbformat_minor", 0)
    if type(version) is not int or version != 4:
        raise bad(f"its nbformat is {json.dumps(version)[:40]}, and the grader reads nbformat 4")
    if not isinstance(minor, int):
        raise bad(f"its nbformat_minor is {json.dumps(minor)[:40]}, not a whole number")
    if not isinstance(nb.get("metadata"), dict):
        raise bad("its metadata is missing or is not an object")
    for index, cell in enumerate(nb["cells"]):
        where = f"cell {index + 1}"
        if not isinstance(cell.get("metadata"), dict):
            raise bad(f"the metadata of {where} is missing or is not an object")
        attachments = cell.get("attachments", {})
        if not isinstance(attachments, dict) or not all(isinstance(a, dict) for a in attachments.values()):
            raise bad(f"the attachments of {where} are damaged")
        if cell["cell_type"] == "code" and not _outputs_readable(cell.get("outputs", [])):
            raise bad(f"the outputs of {where} are damaged")
        if minor >= 5 and isinstance(cell.get("id"), (list, dict)):
            raise bad(f"the id of {where} is damaged")


def _outputs_readable(outputs):
    """Whether nbformat's reader can rejoin these outputs of a code cell."""
    if isinstance(outputs, (str, dict)):
        return not outputs   # iterated, each character or key is an output without .get
    if not isinstance(outputs, list):
        return False
    for output in outputs:
        if not isinstance(output, dict):
            return False
        kind = output.get("output_type", "")
        if isinstance(kind, (list, dict)):
            return False
        if kind in ("execute_result", "display_data"):
            if not isinstance(output.get("data", {}), dict):
                return False
        elif kind and isinstance(output.get("text", ""), list) and not all(isinstance(t, str) for t in output["text"]):
            return False
    return True
