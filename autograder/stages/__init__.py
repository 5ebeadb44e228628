"""The stages of the grading pipeline; autograder.pipeline lists them in order."""
