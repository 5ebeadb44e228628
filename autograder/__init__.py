"""The course's autograder: hidden pytest suites run against sandboxed student code.

    python -m autograder grade SUBMITTED --out OUT [--workers N] [--assignment ID ...]

The stages are listed in ``pipeline``; student code runs only in
``sandbox``'s child process; the suites live in ``suites/<assignment>/``.
"""
