# The two commands:
#   make demo   the main job: releases the student notebooks, then runs the
#               notes' circle experiment (creates .venv and installs what it needs)
#   make test   the whole test suite (creates .venv and installs the test extra)
# Students: make lab   installs everything and opens JupyterLab on notebooks/.
# Other targets: make release, make bench, make clean.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
export MPLBACKEND := Agg
export KERAS_BACKEND := torch

.PHONY: demo test bench clean venv venv-test release lab

$(PY):
	$(PYTHON) -m venv $(VENV)

# The base install: the library, nbgrader and JupyterLab.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

# The test extra. torch is installed first, pinned, so that pip takes the
# CPU build and nothing later pulls a CUDA one.
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[test]'
	touch $@

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

demo: release
	$(PY) scripts/demo.py

# solutions/<id>/<id>.ipynb -> notebooks/<id>/<id>.ipynb with nbgrader; never edit notebooks/ by hand.
release: $(VENV)/.installed
	$(PY) scripts/release.py

# Figures show inline in JupyterLab, so the Agg backend the other targets use is not passed on.
# Jupyter refuses to run as root unless told to (containers often run as root).
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(VENV)/.installed
	env -u MPLBACKEND $(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

test: $(VENV)/.installed-test
	BN_COURSE_REQUIRE_FRAMEWORKS=1 $(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(PY) bench/bn_speed.py
	$(PY) bench/housing_epoch.py
	$(PY) bench/notebooks.py
	$(PY) bench/grader_speed.py
	$(PY) bench/grader_speed.py --memory

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
