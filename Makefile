# The two README commands: `make demo` and `make test`. Both set up everything they need.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
DATE    ?= 2026-11-27
TRADES  ?= 5000
SEED    ?= 7
OUT     ?= demo-out

.PHONY: demo test install install-test npm lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP) $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP)
install-test: $(TSTAMP) node_modules/.installed

## make demo: a whole trading day on the embedded defaults (no cloud account).
demo: $(STAMP)
	PREFECT_HOME=$(OUT)/.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
	  $(BIN)/recon demo --date $(DATE) --trades $(TRADES) --seed $(SEED) --out $(OUT)

## make test: installs the test extras and node tools, then runs every test.
test: install-test
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/ruff check .
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -q -p no:cacheprovider; \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules .recon demo-out
