"""nbgrader settings for the course. Run every nbgrader command from this folder:
from anywhere else nbgrader silently ignores this file."""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "bn-course"

# Exercise stubs raise, so an untouched exercise fails loudly instead of returning None.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# nbgrader's default is 30 s per cell; notebook 06 trains the notes' housing model for
# 30 epochs in one cell (about 20 s with the reference), and a student's code may be slower.
c.Execute.timeout = 300
# A deleted test cell is restored and graded, not left as "needs manual grading".
c.OverwriteCells.add_missing_cells = True
# Feedback must never show hidden tests (nbgrader's issue #917).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
