#!/usr/bin/env bash
# Set up (see setup_env.sh) and run the demo: trains on Fashion-MNIST and prints results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec .venv/bin/sklearn-dl demo "$@"
