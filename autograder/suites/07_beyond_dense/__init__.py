"""Hidden tests of notebook 07_beyond_dense."""
