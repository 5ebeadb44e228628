"""How much of a student's text the grader quotes, and how large each report may be: one place for each limit.

A value the student's code returns, a message it raises, a file name or a
code cell can be of any size. Each is cut where it is quoted, with a marker
saying how much was left out (``cut``), and a report that would still be
too large is made again with every limit halved (``fit``, ``Caps``), and
says so.

The hidden suite fixes the number of tests; everything else in a report is
bounded here.
"""

import re
from dataclasses import dataclass

from course_lib.compare import ARRAY_CHARS, MESSAGE_CHARS, QUOTE_CHARS, cut, more

__all__ = ["Caps", "caps", "cut", "cut_list", "fit", "more", "one_line", "size_name",
           "QUOTE_CHARS", "ARRAY_CHARS", "ERROR_QUOTE_CHARS", "MESSAGE_CHARS", "OUTPUT_CHARS", "PROBLEM_CHARS",
           "PROBLEMS", "NAME_CHARS", "CELL_CHARS", "CODE_CHARS", "ANSWERS", "HIGHLIGHT_CHARS", "HIGHLIGHT_SECONDS",
           "RESULTS_BYTES", "FEEDBACK_MD_BYTES", "FEEDBACK_HTML_BYTES", "CSV_CELL_CHARS", "LEVELS"]

# What a check quotes of the student's work (QUOTE_CHARS, ARRAY_CHARS, MESSAGE_CHARS) is set in
# course_lib/compare.py, which the visible checks share with the hidden suites, and imported here.
ERROR_QUOTE_CHARS = 500    # the message of an exception the student's code raised

# What a report quotes.
OUTPUT_CHARS = 4_000       # one test's output as a whole; the error that stopped grading
PROBLEM_CHARS = 1_000      # one problem or note about a submission (they name the student's files)
PROBLEMS = 30              # problems (and notes) listed; the rest are counted
NAME_CHARS = 200           # a student id, a file name, an assignment, a test's name, a cell's grade id
CELL_CHARS = 20_000        # the student's code (or written answer) shown from one cell
CODE_CHARS = 200_000       # the student's code and written answers shown on one page
ANSWERS = 50               # written answers shown on one page
HIGHLIGHT_CHARS = 50_000   # code coloured on one page; the rest is shown as plain text
HIGHLIGHT_SECONDS = 2.0    # time spent colouring the code of one page; the rest is shown as plain text
CSV_CELL_CHARS = 200       # a text cell of a CSV file (a student id, an assignment)

# The size of each report file, in bytes of UTF-8.
RESULTS_BYTES = 1 << 20        # results.json
FEEDBACK_MD_BYTES = 1 << 20    # feedback.md
FEEDBACK_HTML_BYTES = 2 << 20  # feedback.html

LEVELS = 8   # how many times ``fit`` halves the limits before it settles for the smallest


@dataclass(frozen=True)
class Caps:
    """The limits a report is made with: ``level`` 0 is the full size; each level halves them."""

    level: int = 0
    output: int = OUTPUT_CHARS
    problem: int = PROBLEM_CHARS
    problems: int = PROBLEMS
    cell: int = CELL_CHARS
    code: int = CODE_CHARS
    answers: int = ANSWERS
    highlight: int = HIGHLIGHT_CHARS

    @property
    def shortened(self):
        """Whether the report is smaller than it would be at full size."""
        return self.level > 0


def caps(level=0) -> Caps:
    """The limits at ``level``: 0 as above, 1 half of them and no colouring of code, and so on."""
    if level <= 0:
        return Caps()
    scale = 2 ** level
    return Caps(level, OUTPUT_CHARS // scale, PROBLEM_CHARS // scale, max(1, PROBLEMS // scale),
                CELL_CHARS // scale, CODE_CHARS // scale, max(1, ANSWERS // scale), 0)


def cut_list(items, count, chars):
    """At most ``count`` items, each cut to ``chars``; when there were more, the last says how many."""
    items = list(items)
    if len(items) > count:
        items = items[:count - 1] + [f"… and {len(items) - count + 1} more"]
    return [cut(item, chars) for item in items]


def one_line(text):
    """``text`` with every line break (and run of them) made one space."""
    return re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", text)


def fit(render, limit):
    """``render(caps(level))`` for the lowest level whose text is at most ``limit`` bytes of UTF-8.

    At the last level every quoted text is a few characters long, so what is
    left is the report's frame: its headings, scores and test names.
    """
    for level in range(LEVELS + 1):
        text = render(caps(level))
        if level == LEVELS or len(text) <= limit // 4 or len(text.encode("utf-8")) <= limit:
            return text
    return text


def size_name(limit):
    """A size as people write it: 1 MiB, 2 MiB, 512 KiB."""
    return f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit >> 10} KiB"
