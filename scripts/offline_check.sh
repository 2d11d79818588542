#!/usr/bin/env bash
# Run the test suite as a fresh clone on a machine without network or data:
# a copy of this checkout (tracked and untracked files, not ignored ones) in a
# scratch folder, so there is no ../shared beside it; no $SKLEARN_DL_DATA, no
# CI, an empty data cache; Debian's Fashion-MNIST folder hidden; and no
# network (a new network namespace with only loopback). Tests that need data
# must skip with a reason saying how to provide it; nothing may fail.
#
#   sudo bash scripts/offline_check.sh            # the whole suite, -n 2
#   sudo bash scripts/offline_check.sh -k house   # arguments go on to pytest
#
# Needs root (unshare, mount) and iproute2 (ip). PYTHON selects the interpreter
# (default: .venv/bin/python of this checkout).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/home"
mkdir "$work/repo"
# (files deleted but not yet committed are passed over)
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work/repo"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(-n 2 -q)
env -u SKLEARN_DL_DATA -u CI -u GITHUB_ACTIONS \
    SCIKIT_LEARN_DATA="$work/empty-cache" HOME="$work/home" MPLBACKEND=Agg \
    PYTHONPATH="$work/repo" \
    unshare --mount --net -- "$BASH" -c '
        set -e
        if [ -d /usr/share/datasets ]; then mount -t tmpfs none /usr/share/datasets; fi
        # a new network namespace starts with loopback down: bring it up (a
        # machine without network still has it; Jupyter kernels and Dask need it)
        ip link set lo up
        cd "$1" && shift && exec "$@"' _ "$work/repo" "$python" -m pytest "${args[@]}"
