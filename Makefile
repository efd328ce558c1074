# The two commands of the README: `make demo` (main job) and `make test` (test suite).
.PHONY: setup demo test test-all reliability lint
setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/rerec demo

test: setup
	.venv/bin/ruff check rerec tests benchmarks
	.venv/bin/python -m pytest -q

test-all: setup
	.venv/bin/python -m pytest -q -m ""

reliability: setup
	.venv/bin/python -m pytest -q -rA -s -m reliability

lint: setup
	.venv/bin/ruff check rerec tests benchmarks && .venv/bin/ruff format --check rerec tests benchmarks
