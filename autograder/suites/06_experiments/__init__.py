"""Hidden tests of notebook 06_experiments."""
