#!/usr/bin/env bash
# Debian's chromium for the explorer's browser test (tests/audit_v2/test_explorer_browser.py), driven by the playwright
# package (in the [test] extra). Never `playwright install`: it downloads its own browsers, which cannot be
# fetched here. Skipped when chromium is already installed.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "note: /usr/bin/chromium is missing and apt-get needs root: the explorer's browser test will be skipped" >&2
  fi
fi
