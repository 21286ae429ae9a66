# margo: two commands on a fresh machine.
#   make paper   regenerate the paper's tables and figures (quick profile, embedded synthetic data), then README.md's blocks
#   make test    the notebook/library sync check, the notebooks' lesson cells, pytest
# Both create .venv on first use.
#
# TORCH is the torch requirement pip is given first. The default takes a CPU wheel where one is
# provided locally and the normal PyPI build elsewhere; pick another build with, for example,
#   make install TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124"

PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch==2.13.0
PROFILE ?= quick
DATA    ?=
ONLY    ?=
JOBS    ?= 2

BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test paper sync-check lessons pytest bench clean-runs docs

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

sync-check: $(STAMP)
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	@if [ -n "$$(git status --porcelain -- nbs margo)" ]; then \
		echo "notebooks and margo/ are out of sync (nbdev-clean && nbdev-export changed):"; \
		git status --porcelain -- nbs margo; exit 1; fi
	@echo "sync check: notebooks and margo/ agree"

lessons: $(STAMP)
	$(BIN)/nbdev-test --n-workers 2

pytest: $(STAMP)
	$(BIN)/python -m pytest -q tests

test: sync-check lessons pytest

paper: $(STAMP)
	$(BIN)/python -m margo.paper --profile $(PROFILE) --jobs $(JOBS) $(if $(DATA),--data $(DATA)) $(if $(ONLY),--only $(ONLY)) --readme

clean-runs:
	rm -rf runs

# the teaching notebooks, the library reference and the executed paper notebooks under paper_figures/ as a static site
docs: $(STAMP)
	$(BIN)/python tools/build_docs.py --out _site
