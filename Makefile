# Moa: `make demo` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
TOOLS := .venv-tools
DEMO := .venv-demo
PYENV_PYTHONS := $(shell pyenv versions --bare 2>/dev/null | grep -E '^3\.1[1-3]\.[0-9]+$$' | sort -V | tr '\n' ':' | sed 's/:$$//')

# tox finds python3.11 and python3.13 through pyenv's shims; uv never downloads.
ifneq ($(PYENV_PYTHONS),)
export PYENV_VERSION := $(PYENV_PYTHONS)
endif
export UV_PYTHON_DOWNLOADS := never
export PIP_DISABLE_PIP_VERSION_CHECK := 1

TOX_ENVS ?= ALL
PARALLEL ?= 2

.PHONY: demo test dist bench docs lint clean

$(TOOLS)/.done: Makefile
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q 'tox>=4.22' 'tox-uv>=1.11' 'uv>=0.8' 'twine>=6.1'
	touch $@

# The Moa packages the demo runs on, installed editable from this checkout: an edit
# under packages/*/src reaches the demo at its next (auto)reload. Reinstalled when
# their metadata (pyproject.toml) or this Makefile changes.
DEMO_PACKAGES := packages/moa-ops packages/moa-accounts packages/moa-queries packages/moa-signup \
	packages/moa-mindmap
PORT ?= 8000

$(DEMO)/.done: Makefile examples/teammoa/requirements.txt examples/teammoa/requirements/base.txt $(addsuffix /pyproject.toml,$(DEMO_PACKAGES))
	$(PYTHON) -m venv $(DEMO)
	$(DEMO)/bin/pip install -q -r examples/teammoa/requirements.txt $(addprefix -e ,$(DEMO_PACKAGES))
	touch $@

# The port is checked before anything else: runserver only logs "Address already in
# use" and waits.
.PHONY: demo-port
demo-port:
	@$(PYTHON) examples/teammoa/check_port.py $(PORT)

# The demo is the template rendered with examples/teammoa/.cookiecutter.json plus its own
# files (moa_testsupport.demo.DEMO_ONLY), on its own settings.
demo: export DJANGO_SETTINGS_MODULE := teammoa.settings.demo
demo: demo-port $(DEMO)/.done
	cd examples/teammoa && ../../$(DEMO)/bin/python manage.py migrate --noinput
	cd examples/teammoa && ../../$(DEMO)/bin/python manage.py load_demo_data
	cd examples/teammoa && ../../$(DEMO)/bin/python manage.py runserver 127.0.0.1:$(PORT)

# After a change to template/: render it over the demo again (the demo's tests fail
# until the demo matches its rendering).
.PHONY: demo-render
demo-render: $(DEMO)/.done
	$(DEMO)/bin/pip install -q 'cookiecutter>=2.6' ./tools/moa-testsupport
	$(DEMO)/bin/python -m moa_testsupport.demo

# Built once here, installed by name from a local index in the tox envs (MOA_DIST_DIR).
test: $(TOOLS)/.done dist
	rm -rf .tox/results && mkdir -p .tox/results
	MOA_DIST_DIR=$(CURDIR)/dist $(TOOLS)/bin/tox run-parallel -e $(TOX_ENVS) -p $(PARALLEL) --parallel-no-spinner; \
	  status=$$?; $(PYTHON) tools/summarize_results.py .tox/results; exit $$status

# An sdist and a wheel of each package (hatchling), checked as the package index will.
dist: $(TOOLS)/.done
	rm -rf dist
	for package in packages/*/; do $(TOOLS)/bin/uv build -q --out-dir dist $$package || exit 1; done
	$(TOOLS)/bin/twine check --strict dist/*

lint: $(TOOLS)/.done
	$(TOOLS)/bin/tox run -e lint

docs: $(TOOLS)/.done
	$(TOOLS)/bin/tox run -e docs

bench: $(DEMO)/.done
	$(DEMO)/bin/pip install -q -r benchmarks/requirements.txt ./tools/moa-testsupport
	$(DEMO)/bin/python benchmarks/run.py

clean:
	rm -rf $(TOOLS) $(DEMO) .tox docs/_build
