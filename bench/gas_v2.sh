#!/usr/bin/env bash
# The former name of bench/gas.sh (the v2 ledger is the only one): same arguments, same output, same exit status.
exec bash "$(dirname "$0")/gas.sh" "$@"
