"""The example class: four students' answers, written apart from the reference.

- ``cells``: each student's exercise cells (a correct student, a buggy one, a
  half-finished one and one who tries to cheat)
- ``classroom``: those cells written into the released notebooks, as a
  submitted/ folder the grader grades

The main job (scripts/demo.py) grades the class; the tests and benchmarks
reuse its students.
"""
