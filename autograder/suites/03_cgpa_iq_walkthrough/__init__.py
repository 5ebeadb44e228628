"""Hidden tests of notebook 03_cgpa_iq_walkthrough."""
