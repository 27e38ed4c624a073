#!/usr/bin/env bash
# Gas of the four calls with targets, each measured alone in contracts/test/gas/LedgerGas.t.sol (all set-up
# work happens in setUp, cold storage as in a real transaction).
#   execution gas: gas used inside the ledger's call frame (forge trace), which the targets refer to;
#   report gas:    forge --gas-report's figure for the same call, which adds the 21,000 base cost and calldata.
# Usage: bench/gas.sh            (from the repository root; FOUNDRY_PROFILE is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/foundry.sh  # FORGE: the real binary, whose exit status tells a failing gas test apart

# forge's output is kept so a failure can show it; a failing run ends the script with forge's status.
forge_run() { # $@ = forge test arguments; prints forge's output, returns its status
  local out status=0
  out=$("$FORGE" test --match-path 'contracts/test/gas/*' "$@" 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$out" >&2
    echo "error: forge test --match-path 'contracts/test/gas/*' $* failed with status $status" >&2
    return "$status"
  fi
  printf '%s\n' "$out"
}
trace=$(forge_run -vvvv)
report=$(forge_run --gas-report)

exec_gas() { # $1 = function name as it appears in the trace
  grep -E "^\s+├─ \[[0-9]+\] GradchainLedger::$1\(" <<<"$trace" | head -1 | sed -E 's/^[^[]*\[([0-9]+)\].*/\1/'
}
report_gas() { # $1 = function name in the gas report table
  grep -E "^\|\s+$1\s+\|" <<<"$report" | head -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}'
}

printf '%-22s %15s %12s %8s %8s\n' "case" "execution gas" "report gas" "target" "ratio"
row() { # label, trace name, report name, target
  local e r
  # grep finds nothing when the trace or table lost the row: say which figure, rather than print a zero.
  e=$(exec_gas "$2" || true); r=$(report_gas "$3" || true)
  if ! [[ "$e" =~ ^[0-9]+$ ]]; then
    echo "error: no execution gas for GradchainLedger::$2 in forge's -vvvv trace" \
      "(expected a line '├─ [GAS] GradchainLedger::$2(...')" >&2
    exit 1
  fi
  if ! [[ "$r" =~ ^[0-9]+$ ]]; then
    echo "error: no report gas for $3 in forge's --gas-report table (expected a row '| $3 | MIN | ...')" >&2
    exit 1
  fi
  awk -v l="$1" -v e="$e" -v r="$r" -v t="$4" 'BEGIN { printf "%-22s %15d %12d %8d %8.2f\n", l, e, r, t, e / t }'
}
row "submitClaim" submitClaim submitClaim 80000
row "attest (1st vote)" attest attest 60000
row "attestBatch (3 votes)" attestBatch attestBatch 120000
row "finalizeClaim (3 votes)" finalizeClaim finalizeClaim 90000
echo
echo "ratio = execution gas / target; reproduce with: bench/gas.sh  (raw table: ${FORGE#"$PWD"/} test --match-path 'contracts/test/gas/*' --gas-report)"
