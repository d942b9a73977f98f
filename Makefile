# The whole set-up on a fresh machine is `make run` or `make test`; both create .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU build of torch 2.13.0 lies on disk here; a plain `torch` would pull CUDA wheels.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

.PHONY: setup run test bench report notebook clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet $(FIND_LINKS) torch==2.13.0
	$(PY) -m pip install --quiet $(FIND_LINKS) -e '.[dev]'
	# UMAP's kernels compiled and cached now, once per machine, not in the first run.
	$(PY) -m nlp.startup
	# The default embedding backend's ONNX export built now, once per machine, not in the first run.
	$(PY) -m nlp.backends
	touch $(STAMP)

# A researcher's decisions on the themes apply whenever data/curation.yaml exists.
CURATION := $(if $(wildcard data/curation.yaml),--curation data/curation.yaml)
# Attributes of the interviewees (group, role, region, date...) are joined when this file exists.
PARTICIPANTS := $(if $(wildcard data/participants.csv),--participants data/participants.csv)

run: setup
	$(PY) -m flows.interview_pipeline --raw-dir data/raw --out-dir data/processed $(CURATION) $(PARTICIPANTS)

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

report: setup
	$(VENV)/bin/interviews report --processed-dir data/processed --out-dir reports

# JupyterLab is an extra: installed on first use, then opened on the notebooks folder.
notebook: setup
	$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install --quiet $(FIND_LINKS) -e '.[dev,notebook]'
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf data/processed/*.parquet data/processed/run_manifest.json data/processed/topic_model data/interim
