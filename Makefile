# Set-up is part of every entry point: `make run` and `make test` work on a fresh machine.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup run test bench

$(STAMP): pyproject.toml scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	$(VENV)/bin/gongkai build-encoder  # converts the bundled encoder once; checks it by checksum after
	touch $@

setup: $(STAMP)

run: setup
	$(VENV)/bin/gongkai up

test: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/python -m pytest

bench: setup
	$(VENV)/bin/python bench/corpus_accuracy.py
	$(VENV)/bin/python bench/speed.py
	$(VENV)/bin/python bench/model_eval.py
	$(VENV)/bin/python bench/model_speed.py --int8
