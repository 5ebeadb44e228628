"""The student bundle's command line: ``python -m autograder check NOTEBOOK ...``.

The course's grader and its hidden tests stay with the course staff. Here
there is one command, ``check``: the self-check with the public checks,
exercise by exercise (``course_lib.selfcheck``).
"""
