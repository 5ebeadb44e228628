"""nbgrader settings for the Validate button: start JupyterLab from this folder."""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# nbgrader's default is 30 s per cell; notebook 06 trains the notes' housing model
# for 30 epochs in one cell, which takes longer than that with most code.
c.Execute.timeout = 300
