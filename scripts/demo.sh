#!/usr/bin/env bash
# Sets everything up, then runs the demo: a local network of workers, verifiers and an aggregator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gradchain demo "$@"
