# The README's two commands: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install bytecode run test suite test-all lint check clean bench docs

install: $(STAMP)

# Reinstall whenever the project's dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Python caches compiled modules in __pycache__ unless PYTHONDONTWRITEBYTECODE is set (as in
# many containers and CI images): then a checkout compiled the mock's ~80 modules again at
# every start, ~0.1 s of CPU of a cold start. compileall writes them anyway and Python reads
# them; a module edited since is compiled in memory again, as without them. The same goes for
# the bundled YAML's parsed copies (mockserver/openapi/parsed.py): `python -m mockserver.openapi`.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q mockserver
	$(BIN)/python -m mockserver.openapi > /dev/null

run: bytecode
	$(BIN)/stability-mock serve

test: $(STAMP)
	$(BIN)/ruff check mockserver contract_tests tests fixtures examples bench docs
	$(BIN)/mypy
	$(MAKE) --no-print-directory suite

# The suite alone, in pytest-xdist workers: one per core by default (TEST_WORKERS=0: one process).
# worksteal: an idle worker takes queued tests from a busy one, as the tests' lengths differ
# 1000-fold. tests/collection.py fails the run unless every collected test ran, each once.
TEST_WORKERS ?= auto
suite: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# The documentation site, served at http://127.0.0.1:8000 and rebuilt on every change
# (sphinx-autobuild). `make test` builds it too, with warnings as errors (tests/test_docs.py).
docs: $(STAMP)
	$(BIN)/sphinx-autobuild --host 127.0.0.1 --port 8000 --watch mockserver --watch spec docs docs/_build/html

# The suite on every Python the classifiers in pyproject.toml claim that this machine has (on PATH,
# or pyenv's or uv's): `make test` on $(PYTHON), then pytest on each other one in a virtualenv of
# its own (.venv-3.12, ...). Prints which versions ran and which were absent; fails if any failed.
test-all:
	PYTHON=$(PYTHON) MAKE=$(MAKE) bash .ci/test-all

# Not part of `make test`: measures the scale issue's figures (~5-10 min on 2 cores) and
# writes bench/RESULTS.md. Installs wrk (Debian) and Prism (npm, temporary folder) if it can.
bench: bytecode
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check mockserver contract_tests tests fixtures examples bench docs
	$(BIN)/ruff format --check mockserver contract_tests tests fixtures examples bench docs
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-3.* .venv-mutate .venv-litellm examples/adapters/node/node_modules mutants .stability-mock build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache docs/_build docs/reference/generated

# Robustness: 10,000 fuzzed raw HTTP requests, and a mixed load with polling (3 minutes).
.PHONY: fuzz soak

fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzzing --requests 10000

soak: $(STAMP)
	$(BIN)/python -m bench.soak --duration 180

# Mutation testing of the modules that hold the API's rules and the mock's policies (list and
# tests in pyproject's [tool.mutmut]; survivors judged equivalent in bench/notes/mutation.md).
# mutmut 3 rather than cosmic-ray: it runs each mutant only against the tests that call the
# function it changes, in a process forked from one that has imported everything, so its
# ~1,000 mutants fit in under 20 min on 2 cores; cosmic-ray starts a whole pytest per mutant.
# Prints a score per module (goal: 90 %) and every survivor. Not part of `make test`, and CI
# does not run it: it adds 4 to 18 min on 2 cores (bench/notes/mutation.md), and a new
# survivor needs a person to judge it (a missing test, or an equivalent to list). Run it when
# you change one of those modules.
# Its own venv: mutmut brings setproctitle, which renames gunicorn's processes (see pyproject).
# `make mutate MODULES=mockserver.pipeline.journal` runs and scores only that module's mutants.
MUTATE_VENV := .venv-mutate
MUTATE_STAMP := $(MUTATE_VENV)/.installed-stamp

$(MUTATE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(MUTATE_VENV)
	$(MUTATE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MUTATE_VENV)/bin/python -m pip install --quiet -e ".[mutation]"
	touch $(MUTATE_STAMP)

.PHONY: mutate
mutate: $(MUTATE_STAMP)
	nice -n 10 $(MUTATE_VENV)/bin/python -m bench.mutation $(MODULES)
