# Two commands matter: `make run` (the whole portal on embedded defaults) and
# `make test` (everything CI checks). Both install what they need first. While coding,
# `make check` is the quick loop: lint, types and the tests not marked slow.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
EMULATOR_PORT ?= 4566
STAMP := $(VENV)/.installed

# Some machines set PYTHONDONTWRITEBYTECODE. Then every process the portal and its tests
# start (its commands, workers, gunicorn, the emulator) compiled all it imported,
# about 2.5 s of CPU each: uv installs no bytecode. Unset, the first process to import a
# module caches its bytecode for every later one.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run env test check check-tests lint typecheck migrations-check pytest clean constraints

# The same pinned versions (constraints.txt) either way; uv installs them in seconds
# where pip takes minutes. uv is the one on PATH, else the pinned one installed into the
# virtualenv by pip; when neither works (no wheel for the platform, no index), pip
# installs everything. INSTALLER=pip forces pip.
INSTALLER ?= uv
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@uv=""; \
	if [ "$(INSTALLER)" = uv ]; then \
	  uv=$$(command -v uv || true); \
	  if [ -z "$$uv" ] && $(BIN)/python -m pip install --quiet -c constraints.txt uv; then \
	    uv=$(BIN)/uv; fi; \
	fi; \
	if [ -n "$$uv" ] && "$$uv" pip install --quiet --python $(BIN)/python \
	    -c constraints.txt -e '.[dev]'; then \
	  echo "Installed with $$uv"; \
	else \
	  echo "Installing with pip"; \
	  $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'; \
	fi
	touch $(STAMP)

install: $(STAMP)

# Without AWS_ENDPOINT_URL the portal runs its own local Organizations emulator and a
# demo organization; with it, it talks to that endpoint and starts no emulator.
# `make env` prints the same environment for a second terminal (README).
ifeq ($(strip $(AWS_ENDPOINT_URL)),)
run env: export AWS_ENDPOINT_URL := http://127.0.0.1:$(EMULATOR_PORT)
run env: export VENDING_EMULATOR := true
# The emulator keeps its organization across restarts here; `make clean` removes it.
# (Only `make run`'s emulator: a second terminal starts none.)
run: export EMULATOR_STATE_FILE ?= var/emulator-state.pickle
run env: export AWS_ACCESS_KEY_ID := testing
run env: export AWS_SECRET_ACCESS_KEY := testing
run: PROCESSES := web worker beat emulator
# The demo's invitations: an accepted handshake is seen within seconds (AWS: 300).
run env: export VENDING_LIFECYCLE_SYNC_SECONDS ?= 5
else
run: PROCESSES := web worker beat
endif
run env: export DJANGO_DEBUG ?= true
run env: export AWS_DEFAULT_REGION ?= us-east-1
run env: export EMULATOR_PORT := $(EMULATOR_PORT)
run env: export PORT := $(PORT)
run env: export VENDING_PORTAL_URL ?= http://127.0.0.1:$(PORT)
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m portal.procfile start --port $(PORT) $(PROCESSES)

# What `make run` gives its processes, as shell exports: `eval "$$(make -s env)"` in a
# second terminal makes `.venv/bin/python manage.py ...` use the same database, broker and
# AWS endpoint (pass the same PORT / EMULATOR_PORT as to `make run`).
ENV_NAMES := AWS_ENDPOINT_URL VENDING_EMULATOR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	DJANGO_DEBUG AWS_DEFAULT_REGION EMULATOR_PORT PORT VENDING_PORTAL_URL \
	VENDING_LIFECYCLE_SYNC_SECONDS
env:
	@for name in $(ENV_NAMES); do \
		eval "value=\$${$$name-}"; [ -n "$$value" ] && printf "export %s='%s'\n" "$$name" "$$value"; \
	done; true

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: install
	$(BIN)/mypy vending portal

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=portal.settings_test

# Every test, on every core, each core taking work from the other when it runs out. Those
# that start real processes (marked serial) run beside the rest: each claims its own
# PostgreSQL database, Redis database, queue and ports (tests/system/harness.py).
pytest: install
	$(BIN)/pytest -n auto --dist worksteal

test: lint typecheck migrations-check pytest

# The quick loop (under a minute on two cores once its caches are warm; see
# docs/benchmarks.md): the tests marked slow (real processes, real waits on the
# emulator, drift scans, every route or source file, thousands of rows: half a second or
# more each) are left to `make test`. One test process per core, each starting on its
# half of the suite and taking work from the other when it runs out (`worksteal`): two
# per core, or tests dealt out one by one, cost more CPU than they save in waiting.
# Bytecode is cached even where the environment says not to, as mypy's cache is: a second
# run does not recompile.
# Lint and types run beside the tests: mypy and the import contracts use one core each,
# and on a first run mypy checks every module (20 s) while the tests start on the rest.
check:
	@$(MAKE) --no-print-directory -j3 --output-sync=line lint typecheck check-tests

check-tests: install
	$(BIN)/pytest -m "not slow" -n $$(nproc) --dist worksteal --hypothesis-profile=check

# Re-pin every dependency after changing pyproject.toml.
constraints:
	rm -rf /tmp/vending-constraints && $(PYTHON) -m venv /tmp/vending-constraints
	/tmp/vending-constraints/bin/pip install --quiet -e '.[dev]'
	/tmp/vending-constraints/bin/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
