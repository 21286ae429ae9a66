# margo: two commands on a fresh machine.
#   make paper   print the bill (the trainings the profile needs, those cached, the estimated CPU-hours: --plan), then
#                regenerate the paper's tables and figures (quick profile, embedded synthetic data), then README.md's blocks
#                (EXECUTOR=ray: the trainings as tasks of a Ray cluster, RAY_ADDRESS or a local one)
#   make test    the notebook/library sync check, the notebooks' lesson cells, pytest
#   make release regenerate the quick, real and reference profiles at HEAD (and speed with SPEED=1),
#                record their times and run counts in paper_figures/release.json, rerun the tools'
#                measurements, regenerate the README's numbers, check every output against the code
#                (SKIP=real/robustness leaves a notebook out, and the record says so)
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
SPEED   ?=
EXECUTOR ?=
SKIP    ?=

BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test paper release docs sync-check lessons pytest bench clean-runs

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
	$(BIN)/python -m margo.paper --plan --profile $(PROFILE) $(if $(DATA),--data $(DATA)) $(if $(ONLY),--only $(ONLY))
	$(BIN)/python -m margo.paper --profile $(PROFILE) --jobs $(JOBS) $(if $(DATA),--data $(DATA)) $(if $(ONLY),--only $(ONLY)) $(if $(EXECUTOR),--executor $(EXECUTOR)) --readme

# the profiles one after the other (each reuses only cached runs made by HEAD's code: the cache key
# holds the code hash), speed last and alone since it times the machine; then the tools' measurements
# the README cites, the README's generated blocks, and the check (its status is the target's)
release: $(STAMP)
	$(BIN)/python -m margo.paper --release quick real reference $(if $(SPEED),speed) --jobs $(JOBS) $(if $(DATA),--data $(DATA)) $(if $(SKIP),--skip $(SKIP)) $(if $(EXECUTOR),--executor $(EXECUTOR))
	$(BIN)/python tools/determinism_cost.py
	$(BIN)/python tools/stress_resume.py --n 20
	$(BIN)/python -m margo.paper --readme
	$(BIN)/python -m margo.paper --check

clean-runs:
	rm -rf runs

# the teaching notebooks, the library reference and the executed paper notebooks under paper_figures/ as a static site
docs: $(STAMP)
	$(BIN)/python tools/build_docs.py --out _site
