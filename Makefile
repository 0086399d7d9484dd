# make run   - set up everything and serve the demo on http://127.0.0.1:8000
# make test  - run the whole test suite (the mini-program's npm tests too)
# make check-deploy - validate the image's compose file and the Kubernetes manifests, offline
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The WeChat mini-program: its npm packages are installed again when package-lock.json changes.
MINIPROGRAM := miniprogram
NPM_STAMP := $(MINIPROGRAM)/node_modules/.installed
# The clock-dependent tests (marked `clock`) run again at each of these instants: just after
# midnight, and just before the midnight that ends February and the one that ends the year
# (both also "just before midnight"; a plain 23:50 added nothing they do not cover).
CLOCKS := 2026-11-27T00:10:00+08:00 2027-02-28T23:50:00+08:00 2027-12-31T23:50:00+08:00

.PHONY: run test test-clocks lint format setup system-packages migrate demo demo-year bench bench-ws clean mutants check-deploy

# The tests also need what the browser tests drive, the benchmark its load generator (wrk)
# (passed on to system-packages below).
test test-clocks: SYSTEM_PACKAGES_FLAGS := --for-tests
bench: SYSTEM_PACKAGES_FLAGS := --for-bench
check-deploy: SYSTEM_PACKAGES_FLAGS := --for-deploy-check

# Checked on every run (it is quick, and prints nothing when nothing is missing).
system-packages:
	PYTHON=$(PYTHON) bash scripts/system_packages.sh $(SYSTEM_PACKAGES_FLAGS)

$(STAMP): requirements.txt requirements-dev.txt | system-packages
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(NPM_STAMP): $(MINIPROGRAM)/package-lock.json | system-packages
	cd $(MINIPROGRAM) && npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

setup: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --admin-url "http://127.0.0.1:$${PORT:-8000}/admin/"

run: demo
	bash scripts/run_dev.sh

# A year of history at the demo's first hospital for the dashboards, the queue model and the
# simulation, a no-show model trained on it and made active, and the year's bookings scored
# by it (about two minutes on SQLite). Once: a second run is refused (seed_year --replace
# writes the year again).
demo-year: demo
	$(BIN)/python manage.py seed_year --hospital 北京仁和医院 --days 365 --seed 1
	$(BIN)/python manage.py noshow_train --activate
	$(BIN)/python manage.py noshow_score_past

# The suite runs in TEST_WORKERS processes (default: the cores, at most 4), each on a test
# database and a Redis database of its own (scripts/pytest_workers.py); TEST_WORKERS=1 runs
# it in one process.
test: $(STAMP) $(NPM_STAMP)
	cd $(MINIPROGRAM) && npm test --silent
	opts=$$($(BIN)/python scripts/pytest_workers.py) && $(BIN)/python -m pytest -q $$opts

# The passes run side by side, each on a test database of its own (scripts/test_clocks.sh).
# pytest exits 5 when no test is marked `clock`: that fails here too.
test-clocks: $(STAMP)
	bash scripts/test_clocks.sh $(CLOCKS)

# Mutation testing of the booking, cancel, waitlist, payment and refund services, on SQLite
# (on demand, not in CI; about 45 minutes on two idle cores). Config: [tool.mutmut] in pyproject.toml.
# Results stay in mutants/; a second run only retests what changed.
mutants: $(STAMP)
	DATABASE_URL= $(BIN)/mutmut run --max-children $${MUTANTS_CHILDREN:-2}
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python -m tests.mutation_score

bench: $(STAMP)
	$(BIN)/python manage.py rush_benchmark

# 200 open consults talking over WebSockets through daphne and the configured channel layer
# (Redis with REDIS_URL or CHANNEL_LAYER_URL), against the in-memory layer.
bench-ws: $(STAMP)
	$(BIN)/python manage.py consult_ws_benchmark

# compose.yaml (docker-compose config) and deploy/k8s's base and overlays (kubectl kustomize,
# then kubernetes-validate against bundled schemas); no cluster or Docker daemon needed.
check-deploy: $(STAMP) system-packages
	bash scripts/check_deploy.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 var
