"""A job whose network cannot accept claims says so (issue 16): `job create` warns when fewer verifiers hold
seats than its quorum needs, and `job show` says STALLED, naming how many more seats and what stake each needs,
until they exist; then it says ready, and warns while committees would be smaller than the terms ask."""
from __future__ import annotations

import json
import re

from node.chain.devaccounts import dev_account
from node.chain.v2.views import Role
from node.wallet.amounts import format_eth

from v2_wallet_helpers import ETH, JOB_OPTIONS  # committee 3, quorum 2


def test_a_job_says_it_is_stalled_until_its_quorum_of_seats_exists(job_cli, home, ledger):
    created = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, *JOB_OPTIONS])
    assert created.exit_code == 0, created.output
    job_id = re.search(r"^job (\d+) created", created.stdout, re.M).group(1)
    seat_stake = ledger.call("seatStake")
    assert ("warning: claims cannot be accepted: each needs 2 approvals from its committee, and only 0 verifiers "
            f"hold a seat (2 more must stake at least {format_eth(seat_stake)}") in created.stderr, created.stderr

    def shown() -> tuple[str, dict]:
        text, data = job_cli(["show", job_id, "--home", home]), job_cli(["show", job_id, "--home", home, "--json"])
        assert text.exit_code == 0 and data.exit_code == 0, (text.output, data.output)
        return text.stdout, json.loads(data.stdout)["network"]

    ledger.send(dev_account(2), "stake", int(Role.VERIFIER), value=ETH)
    text, network = shown()
    assert "network: 1 seats (committee 3, quorum 2, jury" in text and "STALLED: claims cannot be accepted" in text
    assert "only 1 verifier holds a seat (1 more must stake" in text
    assert (network["seats"], network["can_accept"]) == (1, False) and "expiry penalty" in network["stall"]

    ledger.send(dev_account(3), "stake", int(Role.VERIFIER), value=ETH)
    text, network = shown()
    assert "ready: claims can be drawn, approved and accepted" in text and "STALLED" not in text
    assert "warning: committees will have 2 members, not 3" in text
    assert (network["seats"], network["can_accept"], network["stall"]) == (2, True, None)

    ledger.send(dev_account(4), "stake", int(Role.VERIFIER), value=ETH)
    text, network = shown()
    assert "committees will have" not in text and not any("committees" in w for w in network["warnings"])
