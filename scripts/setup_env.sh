#!/usr/bin/env bash
# Create .venv (if missing) with a CPU build of PyTorch, the package and its
# test dependencies, and the Debian Fashion-MNIST package when apt is usable.
# Idempotent: a second run only checks what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
VPY=.venv/bin/python

# Install torch first: an unpinned torch pulled in by a dependency may
# otherwise be a multi-GB CUDA build.  SKLEARN_DL_TORCH holds pip arguments
# (word-split on purpose), e.g. for PyTorch's CPU wheel index:
#   SKLEARN_DL_TORCH="--index-url https://download.pytorch.org/whl/cpu torch"
if ! "$VPY" -c "import torch" >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    "$VPY" -m pip install -q ${SKLEARN_DL_TORCH:-torch==2.13.0}
fi
"$VPY" -m pip install -q -e ".[dev${SKLEARN_DL_EXTRAS:-}]"

# Fashion-MNIST from Debian (the loaders also read $SKLEARN_DL_DATA or download).
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
    if command -v apt-get >/dev/null; then
        ($SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist) \
            || echo "note: could not install dataset-fashion-mnist; loaders will look elsewhere" >&2
    fi
fi
