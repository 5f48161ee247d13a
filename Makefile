# Everything runs from a local virtualenv that these targets create on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

## make demo: start the hub and a local Segment sink, send a Look, show the result
demo: $(STAMP)
	$(BIN)/python -m tools.demo

## make test: the whole test suite (unit and end-to-end)
test: $(STAMP)
	$(BIN)/python -m pytest

## make serve: run the hub with gunicorn as in production (needs the settings)
serve: $(STAMP)
	$(BIN)/gunicorn -c gunicorn.conf.py action_hub.wsgi:app

## make bench: throughput and memory benchmark (see benchmarks/README.md)
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
