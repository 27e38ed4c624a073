#!/usr/bin/env bash
# Sets everything up, then runs every test: forge (unit, fuzz, invariant; CI profile) and pytest.
# Stops at the first failure with that tool's exit status (set -e, and the real forge binary: the npm
# wrapper would report 0 for failing contract tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-browser.sh
source scripts/foundry.sh
echo "== forge test (profile ci) =="
FOUNDRY_PROFILE=ci "$FORGE" test
echo "== pytest =="
.venv/bin/python -m pytest "$@"
