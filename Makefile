# mmext: `make demo` (main job on the generated demo data) and `make test`.
# Both install what they need first (tools/misc/install.sh: venv in $(VENV), mmcv with ops).
VENV ?= .venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install demo demo-data test test-fast lint bench gpu-checks clean

install:
	bash tools/misc/install.sh

demo: install
	bash tools/misc/run_demo.sh

demo-data: install
	$(PY) tools/misc/make_demo_data.py

test: install
	$(PY) -m pytest tests

test-fast: install  # the suite without the tests marked slow (wheel build, trainings)
	$(PY) -m pytest tests -m "not slow"

lint: install  # ruff.toml: pyflakes, syntax errors and a few bugbear rules; no reformatting
	$(PY) -m ruff check .

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

gpu-checks: install
	bash tools/misc/gpu_checks.sh

clean:
	rm -rf work_dirs data/demo
