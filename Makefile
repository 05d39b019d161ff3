# Two commands do everything on a fresh machine with Python >= 3.11 and make:
#   make quarter   set up .venv (first time only), run the sample quarter, print its report's path
#   make test      run the tests in the same environment
#   make test-fast the fast loop: every test but the whole-quarter (e2e) runs, a minute or so
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
QUARTER ?= 2027Q1
KERNEL := salesops
STAMP := $(VENV)/.installed

.PHONY: quarter test test-fast lab setup clean-reports

setup: $(STAMP)

# Reinstalled only when pyproject.toml changes; a second `make quarter` skips straight to the run.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed: run make with PYTHON=python3.11 (or newer)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (salesops)"
	@touch $(STAMP)

quarter: $(STAMP)
	$(BIN)/salesops run $(QUARTER)

# The tests run on every core (pytest-xdist), each test file on one worker so that its shared runs happen once.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not e2e"

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

clean-reports:
	rm -rf reports/*/ reports/.build-* reports/.old-*
