# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv, installs the project into it, and installs the system Graphviz where it can.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench graphviz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,examples]"
	touch $(STAMP)

graphviz:
	@bash scripts/install_graphviz.sh

demo: $(STAMP) graphviz
	$(PY) examples/demo.py

test: $(STAMP) graphviz
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py
	$(PY) -m pip install --quiet --no-deps -r benchmarks/requirements-quality.txt
	$(PY) benchmarks/quality.py

clean:
	rm -rf $(VENV) build dist *.egg-info out
