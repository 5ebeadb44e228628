"""Stage 1: read a submitted notebook, or say in the student's terms why it cannot be read.

Only a notebook whose cells cannot be read fails. nbformat's schema check is
run but its complaints are tolerated: students' notebooks often carry odd
metadata (extensions, other editors, a missing cell id) that changes nothing
for grading.
"""

import json
import warnings
from pathlib import Path

from ..discover import notebooks_in
from ..records import Submission, Validated

__all__ = ["validate", "MAX_BYTES"]

MAX_BYTES = 20 * 1024 * 1024

_RESAVE = "Open it in JupyterLab, check that your work is there, save it (File > Save Notebook) and submit it again."


def validate(submission: Submission) -> Validated:
    """The notebook of ``submission`` as a plain dict, or the student-facing reason it cannot be graded."""
    try:
        return Validated(submission, nb=_read(submission))
    except _Unreadable as bad:
        return Validated(submission, error=str(bad))


class _Unreadable(Exception):
    pass


def _read(submission):
    path = Path(submission.path)
    data = _read_bytes(path, submission.assignment)
    name = path.name
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
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise _Unreadable(f"{name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}). The file "
                          "was probably edited outside Jupyter or cut short. If JupyterLab cannot open it either, "
                          "start from the last good copy (File > Revert, or your checkpoint). " + _RESAVE) from None
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
    _nbformat_check(text, name)
    return nb


def _read_bytes(path, assignment):
    if path.is_dir():
        notebooks = notebooks_in(path)
        if not notebooks:
            raise _Unreadable(f"No notebook (.ipynb) was found in your {assignment} folder. "
                              f"Submit {assignment}.ipynb.")
        listed = ", ".join(p.name for p in notebooks)
        raise _Unreadable(f"Your {assignment} folder holds several notebooks ({listed}) and none is named "
                          f"{assignment}.ipynb, so the grader cannot tell which to grade. Keep only one, "
                          f"or name the one to grade {assignment}.ipynb.")
    if not path.exists():
        raise _Unreadable(f"No notebook was submitted for {assignment} (expected {assignment}/{path.name}).")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _Unreadable(
                f"{path.name} is {size / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB. Large outputs "
                "(images, long printouts) make it big: run Kernel > Restart Kernel and Clear Outputs of All "
                "Cells, save, and submit again.")
        return path.read_bytes()
    except OSError as err:
        raise _Unreadable(f"{path.name} could not be read ({err.strerror}). Submit it again.") from None


def _check_cell(name, index, cell):
    where = f"cell {index + 1} of {name}"
    if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
        raise _Unreadable(f"{where} is damaged (it has no cell type), so the notebook cannot be read. {_RESAVE}")
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
        raise _Unreadable(f"{where} is damaged (its source is not text), so the notebook cannot be read. {_RESAVE}")


def _nbformat_check(text, name):
    """nbformat's own reader and schema check: only a failure to read at all counts."""
    import nbformat   # imported here: it takes about a second, which the parent process never needs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # nbformat warns about the schema issues tolerated below
        try:
            nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        except Exception as err:
            raise _Unreadable(f"{name} could not be read as a notebook ({type(err).__name__}: "
                              f"{str(err)[:200]}). {_RESAVE}") from None
        if nb.get("nbformat", 0) < 4:
            raise _Unreadable(f"{name} is saved in nbformat {nb.get('nbformat')}, an old notebook format the "
                              "grader cannot read; open and save it in a current JupyterLab, then submit it again.")
        try:
            nbformat.validate(nb)
        except Exception:
            pass   # odd metadata, missing cell ids, unknown fields: harmless for grading
