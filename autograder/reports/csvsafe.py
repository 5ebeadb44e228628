"""Text cells of a CSV file that a spreadsheet will open: shown as text, never run as a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with = + - @,
a tab or a carriage return as a formula, which can compute, fetch or link
(=HYPERLINK(...)). OWASP's advice is followed: such a cell gets a leading
single quote, which the spreadsheet shows as text. Only text that comes from
outside (a student id, a folder name) goes through ``text_cell``; numbers the
grader formatted itself are written as they are, and stay numbers.
"""

from .limits import CSV_CELL_CHARS, cut, one_line

__all__ = ["text_cell", "FORMULA_START"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value, limit=CSV_CELL_CHARS):
    """``value`` as a CSV text cell: cut to ``limit`` characters, quoted with ``'`` if it could be a formula,
    and on one line (a line break in a cell that is not quoted would start a new row)."""
    text = cut(value, limit)
    return one_line("'" + text if text.startswith(FORMULA_START) else text)
