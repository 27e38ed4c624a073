#!/usr/bin/env bash
# Gas of the four calls with targets, each measured alone in contracts/test/gas/LedgerGas.t.sol (all set-up
# work happens in setUp, cold storage as in a real transaction).
#   execution gas: gas used inside the ledger's call frame (forge trace), which the targets refer to;
#   report gas:    forge --gas-report's figure for the same call, which adds the 21,000 base cost and calldata.
# Usage: bench/gas.sh            (from the repository root; FOUNDRY_PROFILE is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
FORGE=node_modules/.bin/forge

trace=$("$FORGE" test --match-path 'contracts/test/gas/*' -vvvv 2>&1)
report=$("$FORGE" test --match-path 'contracts/test/gas/*' --gas-report 2>&1)

exec_gas() { # $1 = function name as it appears in the trace
  grep -E "^\s+├─ \[[0-9]+\] GradchainLedger::$1\(" <<<"$trace" | head -1 | sed -E 's/^[^[]*\[([0-9]+)\].*/\1/'
}
report_gas() { # $1 = function name in the gas report table
  grep -E "^\|\s+$1\s+\|" <<<"$report" | head -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}'
}

printf '%-22s %15s %12s %8s %8s\n' "case" "execution gas" "report gas" "target" "ratio"
row() { # label, trace name, report name, target
  local e r
  e=$(exec_gas "$2"); r=$(report_gas "$3")
  awk -v l="$1" -v e="$e" -v r="$r" -v t="$4" 'BEGIN { printf "%-22s %15d %12d %8d %8.2f\n", l, e, r, t, e / t }'
}
row "submitClaim" submitClaim submitClaim 80000
row "attest (1st vote)" attest attest 60000
row "attestBatch (3 votes)" attestBatch attestBatch 120000
row "finalizeClaim (3 votes)" finalizeClaim finalizeClaim 90000
echo
echo "ratio = execution gas / target; reproduce with: bench/gas.sh  (raw table: $FORGE test --match-path 'contracts/test/gas/*' --gas-report)"
