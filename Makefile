# The two README commands: `make demo` and `make test`. Both set up everything they need.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
BSTAMP  := $(VENV)/.installed-bench
DATE    ?= 2026-11-27
TRADES  ?= 5000
SEED    ?= 7
OUT     ?= demo-out

.PHONY: demo test test-fast test-clock install install-test npm lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP) $@

$(BSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(STAMP) $(TSTAMP) $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP)
install-test: $(TSTAMP) node_modules/.installed

## make demo: a whole trading day on the embedded defaults (no cloud account).
demo: $(STAMP)
	PREFECT_HOME=$(OUT)/.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
	  $(BIN)/recon demo --date $(DATE) --trades $(TRADES) --seed $(SEED) --out $(OUT)

PYTEST  := PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -q -p no:cacheprovider
# pytest exit 5 (no tests collected) is a failure, never green
NOEMPTY := rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc
CLOCK_SHIFT ?= 2027-12-31

## make test: installs the test extras and node tools, then runs every test, then the tests marked
## `clock` again with the system clock moved to CLOCK_SHIFT (nothing may depend on today's date).
test: install-test
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/ruff check .
	$(PYTEST); $(NOEMPTY)
	$(MAKE) --no-print-directory test-clock

test-clock: install-test
	$(PYTEST) -m clock --clock-shift $(CLOCK_SHIFT); $(NOEMPTY)

## make test-fast: skips the tests marked slow (servers, whole days), for iterating.
test-fast: install-test
	$(PYTEST) -m "not slow"; $(NOEMPTY)

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## make bench: every benchmark in bench/ at its default size (figures go in BENCHMARKS.md).
bench: $(BSTAMP) node_modules/.installed
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) node_modules .recon demo-out
