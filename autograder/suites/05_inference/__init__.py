"""Hidden tests of notebook 05_inference."""
