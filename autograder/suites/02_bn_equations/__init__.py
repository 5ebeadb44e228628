"""Hidden tests of notebook 02_bn_equations."""
