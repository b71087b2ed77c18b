# The two commands of the README's quick start: `make demo` and `make test`.
# Each creates (or reuses) a local virtual environment and installs into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test,cli,plots,dask,docs
STAMP := $(VENV)/.skhp-installed

.PHONY: demo test docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/skhp tune --dataset digits --n-iter 24 --n-rounds 3 --cv 3 --max-iter 60 --n-jobs -1 --output skhp-output

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

docs: $(STAMP)
	$(BIN)/python docs/cli_pictures.py
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[benchmarks]"
	$(BIN)/python benchmarks/mlp_speed.py
	$(BIN)/python benchmarks/mlp_threads.py
	$(BIN)/python benchmarks/mlp_options.py
	$(BIN)/python benchmarks/mlp_memory.py
	$(BIN)/python benchmarks/search_overhead.py
	$(BIN)/python benchmarks/search_distributed.py

clean:
	rm -rf $(VENV) docs/_build build *.egg-info
