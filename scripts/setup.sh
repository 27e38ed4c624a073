#!/usr/bin/env bash
# Installs everything gradchain needs into this checkout: the Python venv (.venv) and the pinned Foundry,
# solcjs and OpenZeppelin from npm (node_modules), then compiles the contracts. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
pip_install() { # quiet, and without this machine's notes about package mirrors it does not have
  .venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt "$@" 2>&1 \
    | { grep -v "^WARNING: Location 'file:" || true; }
}
# torch first and pinned: an unpinned resolver would pull a multi-GB CUDA build instead of the local CPU one.
pip_install torch==2.13.0
pip_install -e '.[test]'

if [ ! -x node_modules/.bin/forge ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/forge build --quiet

