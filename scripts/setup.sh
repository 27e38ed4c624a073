#!/usr/bin/env bash
# Installs everything gradchain needs into this checkout: the Python venv (.venv) and the pinned Foundry,
# solcjs and OpenZeppelin from npm (node_modules), then compiles the contracts. Safe and cheap to run again:
# the installs are skipped while their stamps match; `forge build` always runs (and fails the script).
set -euo pipefail
cd "$(dirname "$0")/.."

# A .venv or node_modules that is a link belongs to the checkout it points into (several worktrees share
# one): installing through the link would repoint its editable install at this checkout, or let `npm ci`
# wipe it under the other checkout. A stale stamp there is reported, not acted on.
borrowed() { # $1 = .venv | node_modules
  [ -L "$1" ] || return 1
  echo "note: $1 links to $(readlink -f "$1"), whose setup stamp does not match this checkout;" \
    "not installing through the link (run scripts/setup.sh in that checkout)" >&2
}

if [ ! -e .venv ] && [ ! -L .venv ]; then
  python3 -m venv .venv
fi
# What the installed packages depend on: the project's requirements, the pins, and the interpreter.
venv_stamp=$({ cat pyproject.toml constraints.txt; .venv/bin/python -c 'import sys; print(sys.version)'; } \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.gradchain-setup-stamp 2>/dev/null || true)" != "$venv_stamp" ] && ! borrowed .venv; then
  pip_install() { # quiet, and without this machine's notes about package mirrors it does not have
    .venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt "$@" 2>&1 \
      | { grep -v "^WARNING: Location 'file:" || true; }  # pipefail: the status is still pip's
  }
  # torch first and pinned: an unpinned resolver would pull a multi-GB CUDA build instead of the local CPU one.
  pip_install torch==2.13.0
  pip_install -e '.[test]'
  echo "$venv_stamp" >.venv/.gradchain-setup-stamp
fi

# The lock file's content, not its mtime: a fresh clone or copy has a new mtime and nothing new to install.
npm_stamp=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.gradchain-setup-stamp 2>/dev/null || true)" != "$npm_stamp" ] && ! borrowed node_modules; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_stamp" >node_modules/.gradchain-setup-stamp
fi

source scripts/foundry.sh
"$FORGE" build --quiet
