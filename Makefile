# Set-up is part of every entry point: `make run` and `make test` work on a fresh machine.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup starter-model run test bench

$(STAMP): pyproject.toml scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	$(VENV)/bin/gongkai build-encoder  # converts the bundled encoder once; checks it by checksum after
	touch $@

setup: $(STAMP)

# The first review form already shows a suggestion: a model trained on the starter corpus (models/corpus),
# unless a version is promoted already (then nothing is done).
starter-model: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/gongkai train --starter

run: starter-model
	$(VENV)/bin/gongkai up

test: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/python -m pytest --durations=25

bench: setup
	$(VENV)/bin/python bench/corpus_accuracy.py
	$(VENV)/bin/python bench/speed.py
	$(VENV)/bin/python bench/model_eval.py
	$(VENV)/bin/python bench/model_speed.py --int8
