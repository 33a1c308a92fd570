# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed
PYTEST := QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

.PHONY: run test test-fast bench dist lint lock clean

# (Re)install when the venv is missing or the lock or pyproject.toml changed since the
# last install. Every package comes from the lock, pinned and checked by hash; the
# project itself is then installed on top without resolving anything again.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/w365desk

test: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

# Everything but the slow checks (the frozen build): for the edit-test loop.
test-fast: $(STAMP)
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

dist: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Re-resolve the lock from pyproject.toml's ranges (needs the package index). Run it
# after changing a dependency, and now and then to take upgrades; commit the result.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --universal \
		--python-version 3.11 --generate-hashes --quiet --output-file $(LOCK)

clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache
