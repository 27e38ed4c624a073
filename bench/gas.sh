#!/usr/bin/env bash
# All-in gas per accepted claim of the v2 ledger (contracts/src/v2), D = 3, from one round of N accepted claims
# (contracts/test/v2/gas/LedgerV2Gas.t.sol), for two settlement paths and N = 4 (the demo's) and N = 16 (and
# N = 8 batched, the round this script measured before it had scenarios):
#   batched: N x submitClaim + 1 approveBatch (3N relayed signatures) + 1 finalizeClaims(N) + proposeHead + finalizeHead
#   direct:  N x submitClaim + 3N x approve + N x finalizeClaim + proposeHead + finalizeHead
# each total divided by N. forge --isolate runs every call as its own transaction (cold storage), and
# --gas-report's figures then include the 21,000 base cost and calldata. One forge run per scenario, so a
# report's rows are that scenario's calls only.
# Usage: bench/gas.sh [SCENARIO...]   SCENARIO = batched_4 | batched_8 | batched_16 | direct_4 | direct_16
#        (default: all)
#        (from anywhere; FOUNDRY_PROFILE is honoured). Exits with forge's status if forge fails, 1 if a figure
#        cannot be extracted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/foundry.sh
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(batched_4 batched_8 batched_16 direct_4 direct_16)

row() { # $1 = function, $2 = report; prints "avg calls" from the LedgerV2 table
  awk -v f="$1" -F'|' '
    /LedgerV2 Contract|src\/v2\/LedgerV2.sol:LedgerV2 / { inl = 1; next }
    /Contract/ && !/LedgerV2 / { if (inl) exit }
    inl { name = $2; gsub(/ /, "", name); if (name == f) { a = $4; c = $7; gsub(/ /, "", a); gsub(/ /, "", c); print a, c; exit } }
  ' <<<"$2"
}

summary=()
for sc in "${scenarios[@]}"; do
  case "$sc" in
    batched_*) fns=(submitClaim approveBatch finalizeClaims proposeHead finalizeHead) ;;
    direct_*) fns=(submitClaim approve finalizeClaim proposeHead finalizeHead) ;;
    *) echo "error: unknown scenario '$sc': expected batched_4, batched_8, batched_16, direct_4 or direct_16" >&2; exit 2 ;;
  esac
  n=${sc#*_}
  if ! [[ "$sc" =~ ^(batched_(4|8|16)|direct_(4|16))$ ]]; then
    echo "error: unknown scenario '$sc': expected batched_4, batched_8, batched_16, direct_4 or direct_16" >&2
    exit 2
  fi
  cmd=("$FORGE" test --match-path 'contracts/test/v2/gas/*' --match-test "test_gas_${sc}" --isolate --gas-report)
  status=0
  report=$("${cmd[@]}" 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$report" >&2
    echo "error: ${cmd[*]} failed with status $status" >&2
    exit "$status"
  fi
  echo "== $sc: N = $n claims, D = 3"
  printf '%-16s %8s %10s %12s %10s\n' "call" "calls" "avg gas" "total" "per claim"
  total=0
  for f in "${fns[@]}"; do
    avg='' calls=''
    read -r avg calls < <(row "$f" "$report") || true
    if ! [[ "${avg:-}" =~ ^[0-9]+$ && "${calls:-}" =~ ^[0-9]+$ ]]; then
      printf '%s\n' "$report" >&2
      echo "error: no gas-report row for LedgerV2.$f in scenario $sc" >&2
      exit 1
    fi
    t=$((avg * calls)); total=$((total + t))
    printf '%-16s %8d %10d %12d %10d\n' "$f" "$calls" "$avg" "$t" $((t / n))
  done
  printf 'all-in gas per accepted claim (%s): %d   (target 150,000)\n\n' "$sc" $((total / n))
  summary+=("$(printf '%-12s %8d' "$sc" $((total / n)))")
done
echo "summary (all-in gas per accepted claim, incl. 21,000 base per tx):"
printf '  %s\n' "${summary[@]}"
echo "reproduce one: ${FORGE#"$PWD"/} test --match-path 'contracts/test/v2/gas/*' --match-test test_gas_batched_4 --isolate --gas-report"
