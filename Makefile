# Two entry points: `make demo` and `make test`. Both create (or reuse) .venv and install the project into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Every dependency comes from the lock (exact versions, CPU torch included; `make lock` regenerates it), then the
# project itself without dependencies. GPU users install a CUDA build of the locked torch version into $(VENV) first
# (README, "GPU use"): it satisfies the lock's torch==X.Y.Z and pip keeps it.
LOCK ?= requirements-lock.txt
STAMP := $(VENV)/.installed
DEMO_DATA ?= data/demo
DEMO_OUT ?= runs/demo

.PHONY: demo test test-label install lint lock clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip check
	touch $@

demo: $(STAMP)
	$(PY) -m monai_fairness.demo --data-dir $(DEMO_DATA) --out-dir $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests

# MONAI Label serving tests, in a separate environment (.venv-label; see README "Serving a bundle through MONAI Label")
test-label:
	bash integrations/monailabel/ci.sh

# Regenerate the lock from the ranges in setup.cfg (newest allowed releases), in a throwaway environment
lock:
	PYTHON=$(PYTHON) tools/lock.sh
	PYTHON=$(PYTHON) tools/lock.sh --label

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
