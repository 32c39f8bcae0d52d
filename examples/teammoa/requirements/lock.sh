#!/usr/bin/env bash
# Compile the lock files from the ranges of requirements/*.txt: production.lock
# (what the Dockerfile installs) and dev.lock (local.txt and production.txt: what
# CI and development install). Each pins every package, dependencies included,
# to one version with the sha256 hashes of its files, and holds for every
# platform and every Python the project supports: a package that needs a newer
# Python than the oldest (Django 6 needs 3.12) gets one pin per Python.
#
#   requirements/lock.sh                        # after editing requirements/*.txt
#   requirements/lock.sh --upgrade              # every package to its newest allowed release
#   requirements/lock.sh --upgrade-package NAME # only NAME
#
# Without --upgrade, a package keeps the version its lock already pins while that
# still fits. Arguments go to `uv pip compile`; uv comes from requirements/local.txt.
set -euo pipefail

# The oldest Python the project supports (README.md).
oldest_python=3.11

# Write the lock $1 from what follows: requirements files, then uv's options
# (--upgrade), which apply to both locks.
compile() {
    local lock=$1
    shift
    uv pip compile --quiet --universal --python-version "$oldest_python" \
        --generate-hashes --custom-compile-command requirements/lock.sh \
        --output-file "$lock" "$@"
}

if ! command -v uv >/dev/null; then
    echo "lock.sh: no uv here: python -m pip install -r requirements/local.txt" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
compile requirements/production.lock requirements/production.txt "$@"
# Constrained by the production lock, so CI tests the versions the image runs.
compile requirements/dev.lock requirements/local.txt requirements/production.txt \
    --constraint requirements/production.lock "$@"
