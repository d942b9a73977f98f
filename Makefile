# The whole set-up on a fresh machine is `make run` or `make test`; both create .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU build of torch 2.13.0 lies on disk here; a plain `torch` would pull CUDA wheels.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

.PHONY: setup run test bench report clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet $(FIND_LINKS) torch==2.13.0
	$(PY) -m pip install --quiet $(FIND_LINKS) -e '.[dev]'
	touch $(STAMP)

# A researcher's decisions on the themes apply whenever data/curation.yaml exists.
CURATION := $(if $(wildcard data/curation.yaml),--curation data/curation.yaml)

run: setup
	$(PY) -m flows.interview_pipeline --raw-dir data/raw --out-dir data/processed $(CURATION)

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

report: setup
	$(VENV)/bin/interviews report --processed-dir data/processed --out-dir reports

clean:
	rm -rf data/processed/*.parquet data/processed/run_manifest.json data/processed/topic_model data/interim
