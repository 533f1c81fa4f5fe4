# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT := out

.PHONY: demo test lint typecheck imports format golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: create the environment and scan the bundled example project examples/shop
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/secloop scan examples/shop --quiet --exit-code 0 --format json  --output $(OUT)/shop.json
	$(BIN)/secloop scan examples/shop --quiet --exit-code 0 --format sarif --output $(OUT)/shop.sarif
	$(BIN)/secloop scan examples/shop --quiet --exit-code 0 --format junit --output $(OUT)/shop.junit.xml
	$(BIN)/secloop scan examples/shop --quiet --exit-code 0 --format html  --output $(OUT)/shop.html
	@status=0; $(BIN)/secloop scan examples/shop || status=$$?; \
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
