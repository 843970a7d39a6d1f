# ChargeOps: `make demo` serves the platform with demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
OCPP_PORT ?= 9000
# Development commands run with DEBUG on; production sets its own environment (see README).
export DEBUG ?= true

.PHONY: demo test lint venv

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# The demo runs the web server, the OCPP gateway and simulated piles (every pile the demo data
# has online), and stops all three on Ctrl+C: the web server stops on the key itself, and then
# the other two (which, started in the background, do not see it) are asked to stop and waited
# for. Signalling the whole group instead reached the web server a second time while it was
# shutting down, which crashed it ("Segmentation fault").
demo: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --scale small
	@echo "ChargeOps is at http://$(HOST):$(PORT)/ and piles connect to ws://$(HOST):$(OCPP_PORT)/ocpp/<id> (Ctrl+C stops it)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	$(PY) manage.py ocpp_gateway --host $(HOST) --port $(OCPP_PORT) & \
	$(PY) manage.py simulate_piles --count 1000 --url ws://$(HOST):$(OCPP_PORT)/ocpp & \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: lint
	$(PY) -m pytest
