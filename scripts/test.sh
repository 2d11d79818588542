#!/usr/bin/env bash
# Set up (see setup_env.sh) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
if [ -z "${SKLEARN_DL_DATA:-}" ] && [ -d ../shared/data ]; then
    export SKLEARN_DL_DATA="$(cd ../shared/data && pwd)"
fi
export MPLBACKEND=Agg
exec .venv/bin/python -m pytest -n 2 "$@"
