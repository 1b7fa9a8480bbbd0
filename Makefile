# The README's whole setup: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# pytest-xdist workers: one more than the cores, since many tests spend their time waiting
# on an emulator or a child process rather than computing.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

# The vendor's official client, reka-mcp, in a venv of its own (it needs Python >= 3.12 and
# mcp < 2, whose 2.x breaks its imports): tests/emulator/test_reka_mcp.py runs it against the
# emulator. The first of these that runs and is >= 3.12 builds it; REKA_PYTHON=... overrides.
REKA_VENV := .venv-reka
REKA_PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 \
	$$HOME/.pyenv/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo "$$p"; break; }; done)

.PHONY: demo test docs media bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# A real directory target, built once. A failed or interrupted install removes what it made,
# so a half-made venv never passes for a built one.
$(REKA_VENV):
	@test -n '$(REKA_PYTHON)' || { echo 'make: $@ needs Python >= 3.12 (python3.12 on PATH or under ~/.pyenv/versions/); set REKA_PYTHON=...' >&2; exit 1; }
	rm -rf $@; trap 'rm -rf $@' EXIT; trap 'exit 1' INT TERM HUP; \
	$(REKA_PYTHON) -m venv $@ \
	&& $@/bin/python -m pip install --quiet --upgrade pip \
	&& $@/bin/python -m pip install --quiet 'reka-mcp==0.1.10' 'mcp<2' \
	&& trap - EXIT

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Lint, format, types, then the whole suite on every core (pytest-xdist).
test: $(STAMP) $(REKA_VENV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist load --maxschedchunk 1

# The docs site, built as CI builds it: any broken link or anchor fails. (mkdocs-material
# prints an end-of-life notice about MkDocs 2.0 on every build; the variable silences it.)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(or $(SITE),build/site)

media: $(STAMP)
	$(BIN)/python scripts/make_media.py examples/catalog/media

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run_all.py --quick

clean:
	rm -rf $(VENV) $(REKA_VENV) .mypy_cache .ruff_cache .pytest_cache build dist site
