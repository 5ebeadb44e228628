"""Hidden tests of notebook 01_covariate_shift."""
