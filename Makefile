# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
BIN    := $(VENV)/bin
# These torch/torchvision releases are on this machine's disk (no large download).
TORCH  ?= torch==2.14.1 torchvision==0.29.1

.PHONY: setup demo test lint format bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e '.[test,lint]'
	touch $@

demo: setup
	mkdir -p out
	$(BIN)/framestyle preview samples/chelsea_cat.png samples/vangogh_starry_night.jpg -o out/cat_preview.png --overwrite
	$(BIN)/framestyle image samples/chelsea_cat.png samples/vangogh_starry_night.jpg \
		--config fast -o out/cat_starry.png --animate out/cat_starry.gif --overwrite
	$(BIN)/framestyle video samples/bear.webm samples/vangogh_starry_night.jpg \
		--size 192 --frames 30 -o out/bear_starry.mp4 --overwrite
	$(BIN)/framestyle eval out/bear_starry.mp4 samples/bear.webm --style samples/vangogh_starry_night.jpg

test: setup
	$(BIN)/pytest -q

# Formatting, lint and types: what CI checks before the tests.
lint: setup
	$(BIN)/ruff format --check framestyle tests benchmarks
	$(BIN)/ruff check framestyle tests benchmarks
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format framestyle tests benchmarks
	$(BIN)/ruff check --fix framestyle tests benchmarks

bench: setup
	$(PY) benchmarks/bench_image.py

clean:
	rm -rf out .pytest_cache
