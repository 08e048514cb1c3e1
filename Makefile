VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: check test install-dev

# ruff, mypy (clean where typed, a baseline elsewhere), the import layers, the declared dependencies.
check: $(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	VENV=$(VENV) .ci/mypy-count
	$(BIN)/mypy outreach/policy outreach/channels
	$(BIN)/lint-imports
	$(BIN)/deptry .

test: $(BIN)/pytest
	$(BIN)/pytest

install-dev:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test,dev]'

$(BIN)/lint-imports $(BIN)/pytest:
	@echo "$@ is missing: run 'make install-dev' first" >&2
	@exit 1
