#!/usr/bin/env bash
# All-in gas per accepted claim of the v2 ledger (contracts/src/v2), from one round of N = 8 accepted claims with
# D = 3 (contracts/test/v2/gas/LedgerV2Gas.t.sol): N x submitClaim + 1 approveBatch (3N signatures) +
# 1 finalizeClaims (N) + proposeHead + finalizeHead, divided by N.
# forge --isolate runs every call as its own transaction (cold storage), and --gas-report's figures then include
# the 21,000 base cost and calldata.
# Usage: bench/gas_v2.sh   (from anywhere; FOUNDRY_PROFILE is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/foundry.sh
N=8
status=0
report=$("$FORGE" test --match-path 'contracts/test/v2/gas/*' --isolate --gas-report 2>&1) || status=$?
if [ "$status" -ne 0 ]; then
  printf '%s\n' "$report" >&2
  echo "error: forge test --match-path 'contracts/test/v2/gas/*' --isolate --gas-report failed with status $status" >&2
  exit "$status"
fi
row() { # $1 = function; prints "avg calls" from the LedgerV2 table
  awk -v f="$1" -F'|' '
    /LedgerV2 Contract|src\/v2\/LedgerV2.sol:LedgerV2 / { inl = 1; next }
    /Contract/ && !/LedgerV2 / { if (inl) exit }
    inl { name = $2; gsub(/ /, "", name); if (name == f) { a = $4; c = $7; gsub(/ /, "", a); gsub(/ /, "", c); print a, c; exit } }
  ' <<<"$report"
}
printf '%-16s %8s %10s %12s\n' "call" "calls" "avg gas" "total"
total=0
for f in submitClaim approveBatch finalizeClaims proposeHead finalizeHead; do
  read -r avg calls < <(row "$f") || true
  if ! [[ "${avg:-}" =~ ^[0-9]+$ && "${calls:-}" =~ ^[0-9]+$ ]]; then
    echo "error: no gas-report row for LedgerV2.$f" >&2
    printf '%s\n' "$report" >&2
    exit 1
  fi
  t=$((avg * calls)); total=$((total + t))
  printf '%-16s %8d %10d %12d\n' "$f" "$calls" "$avg" "$t"
done
echo
printf 'all-in gas per accepted claim (N=%d, D=3, incl. 21,000 base per tx): %d   (target 150,000)\n' "$N" $((total / N))
echo "reproduce: ${FORGE#"$PWD"/} test --match-path 'contracts/test/v2/gas/*' --isolate --gas-report"
