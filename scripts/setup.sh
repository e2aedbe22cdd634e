#!/usr/bin/env bash
# Create .venv and install mishu with its offline models (idempotent). Used by run.sh, test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
stamp=.venv/.mishu-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  python -m pip install -q --upgrade pip
  # torch is pinned to the CPU build this machine class installs offline (sentence-transformers backend).
  python -m pip install -q "torch==2.13.0"
  # every other dependency at the version the tests ran with, checked against its sha256 (scripts/lock.sh
  # regenerates the lock); then mishu itself, which also picks up a dependency newer than the lock
  python -m pip install -q --require-hashes --no-deps -r requirements.lock
  python -m pip install -q -e ".[dev,st]"
  touch "$stamp"
fi
