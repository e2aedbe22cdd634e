#!/usr/bin/env bash
# Set up (first time) and start mishu on the embedded default: indexes the shipped knowledge base and
# the 範例 records on first start, then serves the API and the Streamlit pages on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/mishu up "$@"
