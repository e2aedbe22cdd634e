#!/usr/bin/env bash
# Regenerate requirements.lock (every dependency pinned with sha256 hashes) from pyproject.toml, pinned to
# the versions installed in .venv (the ones the tests ran with). torch is left out: setup.sh installs the
# CPU build of the pinned torch itself, and the CUDA packages that PyPI's torch would pull in are not used.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
python -m pip install -q uv
cons=$(mktemp)
python -m pip freeze --exclude-editable | grep -v -E '^(torch|uv|mishu)==' > "$cons"
uv pip compile pyproject.toml --extra dev --extra st --python-version 3.11 \
  --python-platform x86_64-unknown-linux-gnu --generate-hashes -c "$cons" \
  --no-emit-package torch --no-emit-package cuda-bindings --no-emit-package cuda-pathfinder --no-emit-package cuda-toolkit --no-emit-package nvidia-cublas --no-emit-package nvidia-cuda-cupti --no-emit-package nvidia-cuda-nvrtc --no-emit-package nvidia-cuda-runtime --no-emit-package nvidia-cudnn-cu13 --no-emit-package nvidia-cufft --no-emit-package nvidia-cufile --no-emit-package nvidia-curand --no-emit-package nvidia-cusolver --no-emit-package nvidia-cusparse --no-emit-package nvidia-cusparselt-cu13 --no-emit-package nvidia-nccl-cu13 --no-emit-package nvidia-nvjitlink --no-emit-package nvidia-nvshmem-cu13 --no-emit-package nvidia-nvtx --no-emit-package triton  \
  --custom-compile-command "scripts/lock.sh" -o requirements.lock "$@"
rm -f "$cons"
