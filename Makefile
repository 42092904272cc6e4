# Two entry points: `make demo` and `make test`. Both create (or reuse) .venv and install the project into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch first, pinned, so that no dependency range pulls a second (CUDA) build on CPU-only machines.
# GPU users: see README ("GPU use") or run `make TORCH="torch==2.13.0 --index-url <your CUDA wheel index>" demo`.
TORCH ?= torch==2.13.0
EXTRAS ?= dev,prune
STAMP := $(VENV)/.installed
DEMO_DATA ?= data/demo
DEMO_OUT ?= runs/demo

.PHONY: demo test test-label install lint clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(PY) -m monai_fairness.demo --data-dir $(DEMO_DATA) --out-dir $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests

# MONAI Label serving tests, in a separate environment (.venv-label; see README "Serving a bundle through MONAI Label")
test-label:
	bash integrations/monailabel/ci.sh

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
