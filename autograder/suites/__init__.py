"""The hidden suites: one folder per assignment, one file per exercise.

They run in the grader's process (see ``runner``) and reach the student's
code only through the ``student`` fixture, which calls into the sandbox.
"""
