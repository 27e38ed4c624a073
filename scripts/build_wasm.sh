#!/usr/bin/env bash
# The wasm step function from its source (issue 17): prover/wasm/mlp_sgd.wat -> mlp_sgd.wasm with wabt's wat2wasm
# (npm, pinned in package.json), MVP features only (no SIMD, threads, bulk memory or reference types).
#   bash scripts/build_wasm.sh           check: the committed module is exactly what the source builds (exit 1 if not)
#   bash scripts/build_wasm.sh --update  rebuild the committed module (then a wasm job's spec needs the new hash)
set -euo pipefail
cd "$(dirname "$0")/.."
src=prover/wasm/mlp_sgd.wat
out=prover/wasm/mlp_sgd.wasm
wat2wasm=node_modules/.bin/wat2wasm
[ -x "$wat2wasm" ] || { echo "error: $wat2wasm is missing: run scripts/setup.sh (npm ci installs wabt)" >&2; exit 1; }
built=$(mktemp)
trap 'rm -f "$built"' EXIT
"$wat2wasm" --disable-simd --disable-bulk-memory --disable-reference-types --disable-multi-value \
  --disable-saturating-float-to-int --disable-sign-extension --disable-mutable-globals "$src" -o "$built"
if [ "${1:-}" = "--update" ]; then
  cp "$built" "$out"
  echo "wrote $out ($(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1))"
elif cmp -s "$built" "$out"; then
  echo "ok: $out is what $src builds ($(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1))"
else
  echo "error: $out is not what $src builds: run bash scripts/build_wasm.sh --update (and re-pin wasm jobs)" >&2
  exit 1
fi
