# newstrace: the two commands a new machine needs are `make demo` and `make test`.
# Both create .venv and install the pinned dependencies (requirements.lock) on first use.

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench browser clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, exactly 2.13.0 (the CPU build): any other spec pulls GBs of CUDA packages.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	# The static first-pass model, distilled here from the installed MiniLM (about 2 minutes, once).
	$(BIN)/python -m newstrace.static_model
	touch $(STAMP)

# Debian's Chromium for the browser tests (they skip with a message when it is absent).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: /usr/bin/chromium is missing; browser tests will be skipped (apt-get install chromium)"; fi

demo: install
	$(BIN)/newstrace demo

test: install browser
	$(BIN)/ruff check newstrace tests bench
	$(BIN)/mypy newstrace
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check newstrace tests bench
	$(BIN)/mypy newstrace

bench: install
	@echo "see BENCHMARKS.md for each benchmark's command"

clean:
	rm -rf $(VENV) demo build *.egg-info
