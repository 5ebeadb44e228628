"""The course's autograder: hidden pytest suites run against sandboxed student code.

The grading pipeline lands here; see the README's instructor section.
"""
