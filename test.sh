#!/usr/bin/env bash
# Lint + type check + tests (the CI command).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
. .venv/bin/activate
ruff check .
mypy
python -m pytest -q "$@"
