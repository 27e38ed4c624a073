#!/usr/bin/env bash
# Sets everything up, then runs every test: forge (unit, fuzz, invariant; CI profile) and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-browser.sh
echo "== forge test (profile ci) =="
FOUNDRY_PROFILE=ci node_modules/.bin/forge test
echo "== pytest =="
.venv/bin/python -m pytest "$@"
