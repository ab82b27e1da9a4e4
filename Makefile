# mmext: `make demo` (main job on the generated demo data) and `make test`.
# Both install what they need first (tools/misc/install.sh: venv in $(VENV), mmcv with ops).
VENV ?= .venv
PY := $(VENV)/bin/python
export VENV

.PHONY: install demo demo-data test bench gpu-checks clean

install:
	bash tools/misc/install.sh

demo: install
	bash tools/misc/run_demo.sh

demo-data: install
	$(PY) tools/misc/make_demo_data.py

test: install
	$(PY) -m pytest tests

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

gpu-checks: install
	bash tools/misc/gpu_checks.sh

clean:
	rm -rf work_dirs data/demo
