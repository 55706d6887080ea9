# Two commands for a newcomer: `make demo` and `make test`. Both do all set-up first.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
SAMPLES ?= var/demo/input
OUT     ?= var/demo/out
N       ?= 24
SEED    ?= 2024

.PHONY: setup demo test e2e lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	PY=$(PY) VENV=$(VENV) bash scripts/setup.sh
	touch $@

# The demo's data is synthetic: BERKAS_DEV_MODE=1 lets `berkas run` use the development NIK-index key
# (docs/security.md); real data needs BERKAS_INDEX_SECRET.
demo: setup
	rm -rf var/demo
	$(BIN)/python -m scripts.generate_samples --out var/demo --count $(N) --seed $(SEED)
	BERKAS_DEV_MODE=1 $(BIN)/berkas run $(SAMPLES) --out $(OUT)
	$(BIN)/berkas report --store $(OUT)/store --tps-csv config/tps/demo_kota_pasuruan.csv

test: setup
	bash scripts/test.sh

# Only the browser tests of the review app (also part of `make test`).
e2e: setup
	$(BIN)/python -m pytest -m e2e tests/review

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf var .pytest_cache .ruff_cache
