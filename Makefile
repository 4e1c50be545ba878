# Rare-earth research notebooks. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY3   ?= python3
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT  ?= 8000

TARGETS := help env report serve test lab bench docs check-data snapshot new-article screenshots clean bench-claims check-article accept-article
.PHONY: $(TARGETS)

# `make test -k quota` would hand -k to make (keep going) and run every test; pytest's options
# go in PYTEST_ARGS. Refuse the mistake before anything runs.
ifneq ($(filter test,$(MAKECMDGOALS)),)
ifneq ($(findstring k,$(filter-out -%,$(firstword $(MAKEFLAGS))))$(filter-out $(TARGETS),$(MAKECMDGOALS)),)
$(error make test passes options to pytest only through PYTEST_ARGS, e.g. make test PYTEST_ARGS='-k quota' or PYTEST_ARGS='-x' ('-k' on make's own command line is make's keep-going flag, and '$(filter-out $(TARGETS),$(MAKECMDGOALS))' is not a target))
endif
endif

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  pytest options go in PYTEST_ARGS: make test PYTEST_ARGS='-k quota' runs the tests whose names match;"
	@echo "  make test runs on two workers (TEST_WORKERS=2; one notebook's cells stay on one worker); TEST_WORKERS=0: one process"

$(STAMP): environment.yml pyproject.toml tools/pins.py
	@echo "setting up $(VENV) from the pins in environment.yml"
	@test -x $(PY) || $(PY3) -m venv $(VENV)
	@mkdir -p build
	@$(PY3) tools/pins.py > build/requirements.txt
	@$(PY) -m pip install -q "$$(grep '^uv==' build/requirements.txt)"
	@$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -r build/requirements.txt -e .
	@$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (rare-earth-notebooks)" >/dev/null
	@$(PY) -m nbreport.execution.provisioner --name python3-warm --display-name "Python 3 (rare-earth-notebooks, pre-imported)" >/dev/null
	@touch $(STAMP)

env: $(STAMP) ## create or update the virtual environment from environment.yml

report: $(STAMP) ## execute every notebook in the manifest and build site/
	@$(PY) -m nbreport

serve: ## serve site/ on http://127.0.0.1:8000 (search needs it: browsers refuse its index from file://; PORT=8001 for another port)
	@$(PY3) tools/serve.py "$(PORT)" site

# Two pytest-xdist workers: most tests wait on a kernel, a build or the browser, and the two cores
# of CI overlap them (13 min 20 s serial, idle machine); TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 2
test: $(STAMP) ## run every test (unit, data, notebooks, site in a browser) on TEST_WORKERS=2 workers
	@$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; fi; exit $$rc

lab: $(STAMP) ## open JupyterLab on 127.0.0.1 with the project's kernel
	@$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser --notebook-dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

bench: $(STAMP) ## print build-speed figures (cold build, floor, rebuilds, page sizes)
	@$(PY) tools/bench.py

check-article: $(STAMP) ## draft an article's claims ledger from its text (FILE=article.txt [PUBLISHED=YYYY-MM-DD] [OUTLET=..] [SOURCE=id] [OUT=draft.csv])
	@$(PY) -m helpers.drafting "$(FILE)" $(if $(PUBLISHED),--published "$(PUBLISHED)") $(if $(OUTLET),--outlet "$(OUTLET)") $(if $(SOURCE),--source "$(SOURCE)") $(if $(OUT),--out "$(OUT)")

accept-article: $(STAMP) ## accept reviewed draft rows: claims, source, notebook (DRAFT=draft.csv FILE=article.txt SOURCE=id SLUG=yyyy-mm-dd_outlet_slug [ADDRESS=url] [OUTLET=..] [TITLE=..] [PUBLISHED=..] [TEXTS=folder, default ../article-texts])
	@$(PY) tools/accept_article.py --draft "$(DRAFT)" --file "$(FILE)" --source "$(SOURCE)" --slug "$(SLUG)" $(if $(ADDRESS),--address "$(ADDRESS)") $(if $(OUTLET),--outlet "$(OUTLET)") $(if $(TITLE),--title "$(TITLE)") $(if $(PUBLISHED),--published "$(PUBLISHED)") $(if $(TEXTS),--texts "$(TEXTS)")

bench-claims: $(STAMP) ## measure the drafter: recall, recipe accuracy, furniture false positives, speed (DEVSET_DIR=texts)
	@$(PY) tools/bench_claims.py $(if $(DEVSET_DIR),--devset "$(DEVSET_DIR)") $(BENCH_ARGS)

docs: $(STAMP) ## rewrite the README's data dictionary, article list and claims totals from the data
	@$(PY) -m helpers.data --write-readme
	@$(PY) tools/readme_totals.py --write

check-data: $(STAMP) ## validate every data file against the schema and list each problem
	@$(PY) -m helpers.data

snapshot: $(STAMP) ## re-store the guarded outputs (claims tables, model findings) after a deliberate change
	@$(PY) tools/snapshot_notebooks.py

new-article: $(STAMP) ## scaffold an article notebook and its manifest entry, print its ledger rows (SOURCE=id SLUG=yyyy-mm-dd_outlet_slug)
	@$(PY) tools/new_article.py --source "$(SOURCE)" --slug "$(SLUG)" $(if $(DRY_RUN),--dry-run)

screenshots: $(STAMP) ## picture the built site for the README (after make report)
	@$(PY) tools/screenshots.py

clean: ## remove build outputs (keeps .venv)
	rm -rf build site
