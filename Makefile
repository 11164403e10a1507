# whatif — developer tasks. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv app test bench lint

venv: $(STAMP)

# The interpreter is an order-only prerequisite: creating it does not by itself
# force a reinstall; only a pyproject.toml newer than the stamp does.
$(VPY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --upgrade pip
	$(VPY) -m pip install -e '.[test]'
	touch $(STAMP)

# Jupyter refuses to run as root unless told to (containers and CI machines run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=

app: venv
	$(VENV)/bin/jupyter lab notebooks/whatif.ipynb $(ROOT_FLAG) $(LAB_ARGS)

test: venv
	$(VPY) -m pytest $(PYTEST_ARGS)

bench: venv
	$(VPY) benchmarks/bench_model.py

lint: venv
	@test -x $(VENV)/bin/ruff || $(VPY) -m pip install ruff
	$(VENV)/bin/ruff check .
