# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make demo   -> creates .venv, installs, runs the demo channel until 3 reels are published
#   make test   -> creates .venv, installs, runs the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test up lint install clean replay-histories bench-compose

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/monolathe demo

up: $(STAMP)
	$(BIN)/monolathe up

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check workflows activities workers tests benchmarks

# Compose speed against the x264 floor at veryfast and medium; prints and writes var/bench/.
bench-compose: $(STAMP)
	$(BIN)/python -m benchmarks.compose

# Re-record the replay histories after an intended, patched workflow change.
replay-histories: $(STAMP)
	$(BIN)/python -m tests.replay.record_histories

clean:
	rm -rf var out .pytest_cache
