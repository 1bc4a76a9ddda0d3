# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv and installs the project into it. Then, best effort (each step that cannot be
# done prints one line saying what was skipped and how to install it, and the command goes on):
# the system Graphviz (both), and for `make test` Debian's chromium + chromium-driver (the explorer's
# browser tests), torch==2.13.0 in the venv (the PyTorch cross-check tests and to_torch) and the [onnx]
# extra (onnx, onnxruntime: the ONNX export tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench graphviz browser torch onnx notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,examples]"
	touch $(STAMP)

graphviz:
	@bash scripts/install_graphviz.sh

browser:
	@bash scripts/install_browser.sh

torch: $(STAMP)
	@bash scripts/install_torch.sh $(PY)

onnx: $(STAMP)
	@bash scripts/install_onnx.sh $(PY)

demo: $(STAMP) graphviz
	$(PY) examples/demo.py

test: $(STAMP) graphviz browser torch onnx
	$(PY) -m pytest -q

# Re-run every notebook under examples/notebooks/ and store its outputs (tests/test_notebooks.py checks them).
notebooks: $(STAMP)
	$(PY) scripts/make_notebooks.py

# `make bench BASELINE=REV` also times tinygrad_sm as it was at git revision REV, in the same process.
BASELINE ?=
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py $(if $(BASELINE),--baseline $(BASELINE))
	OPENBLAS_NUM_THREADS=1 $(PY) benchmarks/second_order.py
	OPENBLAS_NUM_THREADS=1 $(PY) benchmarks/conv.py
	$(PY) -m pip install --quiet --no-deps -r benchmarks/requirements-quality.txt
	$(PY) benchmarks/quality.py

clean:
	rm -rf $(VENV) build dist *.egg-info out
