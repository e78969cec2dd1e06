# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/monitor.yaml

.PHONY: run once test lint bench contract clean install

$(BIN)/nhs-monitor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/nhs-monitor

run: $(BIN)/nhs-monitor             ## migrate the SQLite store under data/ and start the daemon
	mkdir -p data
	$(BIN)/nhs-monitor --config $(CONFIG) db upgrade
	$(BIN)/nhs-monitor --config $(CONFIG) run

once: $(BIN)/nhs-monitor            ## one pass over every source, then exit
	mkdir -p data
	$(BIN)/nhs-monitor --config $(CONFIG) run --once

test: $(VENV)/.test-deps            ## install the test extras and run the suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .

bench: $(VENV)/.test-deps           ## on-demand benchmarks (print figures)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench.extract_bench
	$(BIN)/python bench/classify_speed.py
	$(BIN)/python bench/classifier_eval.py
	$(BIN)/python -m bench.cycle              # needs nginx (apt-get install nginx); see bench/README.md

contract:                           ## the shared contract smoke check
	$(PYTHON) ../shared/tools/contract/check.py

clean:
	rm -rf $(VENV) data .pytest_cache
