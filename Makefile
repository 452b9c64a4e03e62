# chatroom: `make run` starts the server, `make test` runs the whole suite.
#
# Both install exactly the versions in uv.lock (with their hashes) into .venv, using the uv
# pinned in uv-requirements.txt (installed into .tools with pip, also by hash). Nothing is
# resolved on the day: two machines get the same packages. The first run downloads about
# 30 MB (runtime only, for `make run`) or 180 MB (with the test tools); later runs start at once.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
ARGS ?=

# uv uses the Python named above and never downloads one of its own.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# --frozen: install what uv.lock says; `lock-check` (part of `make test`) makes sure the lock
# still matches pyproject.toml.
SYNC := $(UV) sync --frozen --quiet

.PHONY: run test lock-check lint typecheck pytest lock upgrade wheel bench bench-masks clean \
	sync-run sync-dev

$(UV): uv-requirements.txt
	@echo "Setting up uv (first run only; a few seconds)..."
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes --no-deps -r uv-requirements.txt
	touch $(UV)

# The runtime packages only; --inexact keeps the test tools if `make test` installed them.
sync-run: $(UV)
	@test -x $(BIN)/chatroom || echo "Installing chatroom's locked runtime packages (first run only; about 10 s)..."
	$(SYNC) --no-dev --inexact

sync-dev: $(UV)
	@test -x $(BIN)/pytest || echo "Installing the locked packages for the tests (first run only; about 10 s)..."
	$(SYNC)

run: sync-run
	$(BIN)/chatroom server $(ARGS)

lock-check: $(UV)
	@$(UV) lock --check --offline --quiet 2>/dev/null || \
		{ echo "pyproject.toml and uv.lock disagree: run 'make lock' and commit uv.lock" >&2; exit 1; }

lint: sync-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: sync-dev
	$(BIN)/mypy src/chatroom bench

pytest: sync-dev
	$(BIN)/pytest

test: lock-check lint typecheck pytest

# After editing the dependencies in pyproject.toml: resolve them again into uv.lock, keeping
# every other pin as it is.
lock: $(UV)
	$(UV) lock

# Move every pin to the newest version the ranges allow; run `make test` after. (uv itself is
# moved by hand: uv-requirements.txt and [tool.uv] required-version, see the README.)
upgrade: $(UV)
	$(UV) lock --upgrade

# The wheel a user installs with pip: dist/chatroom-VERSION-py3-none-any.whl.
wheel: sync-dev
	$(BIN)/python -m build --wheel --no-isolation --outdir dist

# The benchmark (bench/, not shipped in the wheel): make bench ARGS="--scale 0.1".
bench: sync-dev
	$(BIN)/python -m bench $(ARGS)

# What a hostile ban list costs per message, beside the matcher it replaced.
bench-masks: sync-dev
	$(BIN)/python -m bench.masks $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) build dist .mypy_cache .pytest_cache .ruff_cache
