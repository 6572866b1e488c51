# The two commands of the README: `make run` and `make test`. Little else lives here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := webapp

.PHONY: run test fuzz setup catalogs chromium fonts valgrind lint

run: setup
	@mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask push init
	@$(BIN)/flask demo-logins
	@echo ""
	@echo "Showroom app: http://127.0.0.1:5000/  (Ctrl+C stops it)"
	@# The push sender and the scheduled jobs run beside the server and stop with it.
	$(BIN)/flask push send --loop & sender=$$!; \
	  $(BIN)/flask jobs loop & jobs=$$!; \
	  trap 'kill $$sender $$jobs 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup chromium valgrind
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Longer, random runs of the sync fuzz tests (make test runs a fixed 100 examples each).
fuzz: setup
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -n 2 \
	  tests/sync/test_push_fuzz.py tests/sync/test_schemathesis.py

setup: $(VENV)/.installed catalogs fonts

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Compiled catalogs are build output, never committed.
catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d webapp/translations

# Debian's Chromium for the browser tests.
chromium: fonts
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# bench/instructions.py counts a page's instructions under callgrind; a test checks how.
valgrind:
	@command -v valgrind >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind)

# A CJK font and Pango for the printed memo and order (WeasyPrint), and for the screenshots:
# Chinese, not boxes. Installed from Debian's packages when missing, never fetched at run time.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . && ldconfig -p | grep -q libpangoft2 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 fontconfig)

lint:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
