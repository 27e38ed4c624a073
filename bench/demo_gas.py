"""Gas per accepted claim of a job on a running devnet, from its receipts (node/chain/v2/gas_receipts.py).

    .venv/bin/python bench/demo_gas.py HOME [--job 1] [--from-block N]

HOME holds the demo's deployment.json (written by `gradchain devnet up`); the devnet must be
up. The scan starts at the deployment block unless --from-block says otherwise. Prints gas per function, the
groups kept out of the settlement figure (stakes, jobs, withdrawals, disputes) and the settlement gas per
accepted claim.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node.chain.v2.gas_receipts import gas_per_accepted_claim  # noqa: E402
from node.chain.errors import ChainError  # noqa: E402
from node.config import DeploymentMissing  # noqa: E402
from node.wallet.session import open_ledger  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("home", type=Path, help="the demo's home (holds deployment.json)")
    ap.add_argument("--job", type=int, default=1, help="job id (default 1)")
    ap.add_argument("--from-block", type=int, default=None, help="first block scanned (default: deployment block)")
    args = ap.parse_args(argv)
    try:
        session = open_ledger(args.home)
    except (DeploymentMissing, ChainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start = session.deployment.block if args.from_block is None else args.from_block
    report = gas_per_accepted_claim(session.ledger, start, args.job)
    print(f"ledger {session.ledger.address}, job {args.job}, blocks {report['from_block']}..{report['to_block']}")
    print(f"{'function':<16} {'txs':>5} {'reverted':>8} {'gas used':>12} {'job share':>12}")
    for name, row in sorted(report["functions"].items()):
        share = report["job_settlement"].get(name)
        print(f"{name:<16} {row['txs']:>5} {row['reverted']:>8} {row['gas_used']:>12} "
              f"{'' if share is None else share:>12}")
    print()
    for group, gas in report["groups"].items():
        print(f"{group:<16} {gas:>12}")
    print()
    per = report["gas_per_accepted_claim"]
    print(f"accepted claims of job {args.job}: {report['accepted_claims']}")
    print(f"settlement gas of job {args.job}: {report['settlement_gas']}")
    print("settlement gas per accepted claim: " + ("n/a (no accepted claim)" if per is None else f"{per:,.0f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
