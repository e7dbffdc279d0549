# archlab — two commands do all the set-up: `make compare` and `make test`.
# Each target creates .venv (Python 3.11+) and installs the project into it when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# Two workers, each running whole files (a file's tests share its started systems): most of the
# suite waits on real processes, so two run side by side on 2 cores. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: compare test bench lab classroom notebooks install clean

install: $(INSTALLED)

# uv (from PyPI, into the venv) installs the project in about 20 s where pip takes about a minute;
# pip does it alone when uv cannot (no uv wheel for this platform, PyPI unreachable but pip's own sources).
# --compile-bytecode, as pip does: where PYTHONDONTWRITEBYTECODE is set, every process would
# otherwise compile what it imports again (a front started in 4.4 s instead of 1.4).
$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@($(BIN)/python -m pip install --quiet uv && $(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode --upgrade pip -e '.[dev]') \
		|| (echo "uv could not install the project: pip does (about a minute)" >&2; \
		    $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e '.[dev]')
	@touch $@

compare: $(INSTALLED)
	$(BIN)/archlab compare

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
test: $(INSTALLED)
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(INSTALLED)
	$(BIN)/archlab bench

# Every architecture live, side by side, in one page (Ctrl-C stops it all); ARGS="--host 0.0.0.0" for a class.
classroom: $(INSTALLED)
	$(BIN)/archlab classroom $(ARGS)

# Rooted at the checkout, so the notebooks' links to docs/ (the glossary) open inside JupyterLab.
lab: $(INSTALLED)
	$(BIN)/jupyter lab --ServerApp.root_dir=. notebooks/00_start_here.ipynb

# Re-execute every notebook and record the code it ran against (tests fail on stale outputs).
notebooks: $(INSTALLED)
	$(BIN)/archlab notebooks --execute

clean:
	rm -rf .archlab
