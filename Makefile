# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT := out
# Advisories for the demo's vulnerability matching: the PyPA advisory database, where a
# copy is at hand (secloop never downloads anything unless asked: see `secloop db`).
ADVISORIES ?= ../shared/corpus/pypa-advisory-database
DEMO_DB := $(OUT)/vulndb.sqlite
SCAN := SECLOOP_DB=$(DEMO_DB) $(BIN)/secloop scan

.PHONY: demo test lint selfscan format golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: create the environment and scan the bundled example project examples/shop
demo: $(STAMP)
	@mkdir -p $(OUT)
	@if [ -d "$(ADVISORIES)" ]; then \
		$(BIN)/secloop db import "$(ADVISORIES)" --db $(DEMO_DB); \
	else \
		echo "No advisory data at $(ADVISORIES): vulnerable dependencies will not be matched."; \
		echo "Import OSV records with: secloop db import PATH --db $(DEMO_DB)"; \
	fi
	$(SCAN) examples/shop --quiet --exit-code 0 --format json  --output $(OUT)/shop.json
	$(SCAN) examples/shop --quiet --exit-code 0 --format sarif --output $(OUT)/shop.sarif
	$(SCAN) examples/shop --quiet --exit-code 0 --format junit --output $(OUT)/shop.junit.xml
	$(SCAN) examples/shop --quiet --exit-code 0 --format html  --output $(OUT)/shop.html
	@status=0; $(SCAN) examples/shop || status=$$?; \
	echo; echo "Reports: $(OUT)/shop.html (open in a browser), $(OUT)/shop.sarif, $(OUT)/shop.json, $(OUT)/shop.junit.xml"; \
	echo "The gate exited $$status: 1 means findings at or above --fail-on, as expected for this deliberately insecure example."; \
	test $$status -eq 1

## test: create the environment, install what the tests need, run lint, types, contracts and tests
test: $(STAMP) lint
	$(BIN)/python -m pytest --cov --cov-report=term -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory selfscan

## selfscan: secloop scans its own source for secrets and insecure code (fixtures excluded)
selfscan: $(STAMP)
	$(BIN)/secloop scan . --quiet --scanners secret,python,dockerfile,kubernetes \
		--exclude tests/ --exclude examples/ --exclude bench/ --exclude docs/ --exclude $(OUT)/

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## golden: regenerate the golden report files after an intended output change
golden: $(STAMP)
	$(BIN)/python scripts/golden.py

bench: $(STAMP)
	@echo "see bench/README.md"

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov build *.egg-info src/*.egg-info
