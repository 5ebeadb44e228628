"""Hidden tests of notebook 04_backprop."""
