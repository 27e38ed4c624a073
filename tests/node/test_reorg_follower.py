"""A chain that goes back, in one process: the follower rolls back, the outbox resends, re-signs or drops.

Real anvil; `evm_revert` rewinds it to a snapshot, after which new transactions build different blocks at the
same heights: to a node that already processed the old ones, exactly a reorg.
"""
from __future__ import annotations

import sqlite3
import time

import pytest
from eth_utils import keccak

from node.chain.anvil import Anvil
from node.chain.client import connect
from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import Role
from node.chain_identity import ChainMismatch, chain_identity, open_state_for_chain
from node.follower import EventFollower
from node.outbox import DROPPED, MINED, Outbox
from node.state import DERIVED_TABLES, NodeState

ETH = 10**18
WORKER_ROLE = Role.WORKER
GENESIS = keccak(b"genesis")
URI = "http://127.0.0.1:9"
TERMS = JobTermsV2(committee_size=1, quorum=1, submit_window=1000, verify_window=200)
CHECKPOINT_EVERY = 10  # claims of 40 steps: 4 segments


def deploy(w3):
    return deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=5, seat_stake_wei=ETH // 2)


def job_params() -> tuple:
    return TERMS.params(keccak(b"spec"), GENESIS, CHECKPOINT_EVERY).as_tuple()


class Chain:
    """A LedgerV2 with one job and three staked workers; snapshots to rewind to."""

    def __init__(self, w3):
        self.w3 = w3
        self.ledger, receipt = deploy(w3)
        self.deploy_block = receipt["blockNumber"]
        created = self.ledger.send(dev_account(0), "createJob", job_params(), value=5 * ETH)
        (event,) = self.ledger.events(created["blockNumber"], created["blockNumber"], names=["JobCreated"])
        self.job_id = event["args"]["jobId"]
        for i in (1, 2, 3):
            self.ledger.send(dev_account(i), "stake", WORKER_ROLE, value=ETH)

    def snapshot(self) -> str:
        return self.w3.provider.make_request("evm_snapshot", [])["result"]

    def revert(self, snap: str) -> None:
        assert self.w3.provider.make_request("evm_revert", [snap])["result"] is True

    def mine(self, blocks: int) -> None:
        self.w3.provider.make_request("anvil_mine", [hex(blocks)])

    def claim_args(self, tag: bytes) -> tuple:
        return (self.job_id, 0, GENESIS, keccak(b"result" + tag), keccak(b"root" + tag), 40, URI)

    def claims_of(self, worker: str) -> list:
        return [e for e in self.ledger.events(self.deploy_block)
                if e["event"] == "ClaimSubmitted" and e["args"]["worker"] == worker]


@pytest.fixture()
def chain():
    # One anvil per test: each test rewinds and builds its own history.
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        node = Anvil(log_path=Path(tmp) / "anvil.log")
        node.start()
        try:
            yield Chain(connect(node.url))
        finally:
            node.stop()


def follower_for(chain: Chain, path) -> EventFollower:
    follower = EventFollower(NodeState(path), chain.ledger, chain.deploy_block)
    follower.anchor(chain.deploy_block)
    return follower


def resending_outbox(follower: EventFollower, chain: Chain, account) -> Outbox:
    """An outbox wired to the follower as a node wires it (node/roles/runtime.py): a rollback resends."""
    outbox = Outbox(follower.state, chain.ledger, account)
    follower.rollback_listeners.append(lambda r: (outbox.mark_lost_after(r.ancestor), outbox.recover()))
    return outbox


def table_dump(db_path) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        return {t: sorted(conn.execute(f"select * from {t}").fetchall()) for t in (*DERIVED_TABLES, "events")}
    finally:
        conn.close()


def test_rollback_rebuilds_the_tables_a_fresh_follower_would_build(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    follower.poll()
    snap = chain.snapshot()
    chain.ledger.send(dev_account(1), "submitClaim", *chain.claim_args(b"lost"))
    chain.ledger.send(dev_account(2), "submitClaim", *chain.claim_args(b"lost too"))
    follower.poll()
    assert len(follower.state.rows("select * from claims")) == 2
    old_cursor = follower.cursor

    chain.revert(snap)  # the chain goes back; a different history grows past the old cursor
    chain.ledger.send(dev_account(3), "submitClaim", *chain.claim_args(b"new"))
    chain.mine(3)
    seen = []
    follower.rollback_listeners.append(seen.append)
    follower.poll()

    (rollback,) = seen
    assert rollback.old_cursor == old_cursor and rollback.ancestor < old_cursor and rollback.events_dropped == 2
    claims = follower.state.rows("select worker, result from claims")
    assert claims == [{"worker": dev_account(3).address, "result": "0x" + keccak(b"resultnew").hex()}]
    fresh = follower_for(chain, tmp_path / "fresh.db")
    fresh.poll()
    assert table_dump(tmp_path / "node.db") == table_dump(tmp_path / "fresh.db")


def test_a_chain_shorter_than_the_cursor_is_a_reorg_too(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    snap = chain.snapshot()
    chain.ledger.send(dev_account(1), "submitClaim", *chain.claim_args(b"lost"))
    follower.poll()
    chain.revert(snap)  # no new blocks: the chain simply ends below the cursor
    assert chain.w3.eth.block_number < follower.cursor
    rollback = follower.check_chain()
    assert rollback is not None and rollback.ancestor == chain.w3.eth.block_number
    assert follower.state.rows("select * from claims") == []


def test_a_lost_transaction_goes_out_again_with_the_same_signed_bytes(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    worker = dev_account(1)
    outbox = resending_outbox(follower, chain, worker)
    snap = chain.snapshot()
    before = outbox.submit("claim:1:0", "submitClaim", *chain.claim_args(b"a"))
    assert before["status"] == MINED
    follower.poll()

    chain.revert(snap)
    assert chain.claims_of(worker.address) == []
    follower.poll()

    after = outbox.status("claim:1:0")
    assert after["status"] == MINED and after["tx_hash"] == before["tx_hash"] and outbox.resent == 1
    (landed,) = chain.claims_of(worker.address)
    assert landed["transactionHash"].to_0x_hex() == before["tx_hash"]


def test_a_nonce_taken_by_another_transaction_is_re_signed_and_lands_once(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    worker = dev_account(1)
    outbox = resending_outbox(follower, chain, worker)
    snap = chain.snapshot()
    before = outbox.submit("claim:1:0", "submitClaim", *chain.claim_args(b"a"))
    follower.poll()

    chain.revert(snap)
    chain.ledger.send(worker, "stake", WORKER_ROLE, value=ETH)  # the same key spends the claim's nonce elsewhere
    follower.poll()

    after = outbox.status("claim:1:0")
    assert after["status"] == MINED and outbox.resigned == 1
    assert after["nonce"] == before["nonce"] + 1 and after["tx_hash"] != before["tx_hash"]
    (landed,) = chain.claims_of(worker.address)  # exactly once on chain, under the new hash
    assert landed["transactionHash"].to_0x_hex() == after["tx_hash"]


def test_a_lost_transaction_whose_call_now_reverts_is_dropped_and_its_intent_freed(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    worker = dev_account(1)
    outbox = resending_outbox(follower, chain, worker)
    snap = chain.snapshot()
    outbox.submit("claim:1:0", "submitClaim", *chain.claim_args(b"a"))
    follower.poll()

    chain.revert(snap)
    # In the new history this worker already claimed round 0 with other bytes: the old claim cannot land.
    chain.ledger.send(worker, "submitClaim", *chain.claim_args(b"b"))
    follower.poll()

    assert outbox.status("claim:1:0") is None, "the key is free: the role decides again"
    (dropped,) = follower.state.rows("select * from outbox where status = ?", (DROPPED,))
    assert dropped["key"].startswith("claim:1:0#dropped") and "DuplicateClaim" in dropped["error"]
    assert len(chain.claims_of(worker.address)) == 1


def test_a_reorg_above_the_cursor_is_seen_through_the_outbox_block_hashes(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    worker = dev_account(1)
    outbox = Outbox(follower.state, chain.ledger, worker)
    follower.poll()
    snap = chain.snapshot()
    mined = outbox.submit("claim:1:0", "submitClaim", *chain.claim_args(b"a"))  # the follower has not seen it
    chain.revert(snap)
    chain.ledger.send(dev_account(2), "submitClaim", *chain.claim_args(b"other"))  # an event at the same height
    assert chain.w3.eth.block_number == mined["block"]
    follower.poll()  # the cursor's block is intact: the follower's own check sees nothing

    assert outbox.mark_lost_by_block_hash() == 1
    outbox.recover()
    assert outbox.status("claim:1:0")["status"] == MINED
    assert len(chain.claims_of(worker.address)) == 1


def test_a_database_from_another_chain_is_refused_or_moved_aside(chain, tmp_path):
    db = tmp_path / "node.db"
    identity = chain_identity(chain.w3, chain.ledger.address, chain.deploy_block)
    open_state_for_chain(db, identity, reset=False, rpc_url="rpc").set_meta("marker", "old")

    # anvil's genesis takes the wall clock's second: two chains started in the same second are the same chain
    # up to their deployment (and then a plain reorg to the node). A second later, a fresh devnet is another.
    time.sleep(1.1)
    other = Anvil(log_path=tmp_path / "other.log")
    other.start()
    try:
        w3 = connect(other.url)
        ledger, receipt = deploy(w3)
        assert ledger.address == chain.ledger.address, "a fresh devnet deploys at the same address"
        assert receipt["blockNumber"] == chain.deploy_block, "in the same block"
        fresh = chain_identity(w3, ledger.address, receipt["blockNumber"])
        with pytest.raises(ChainMismatch, match="belongs to another chain.*--reset-state"):
            open_state_for_chain(db, fresh, reset=False, rpc_url=other.url)
        assert NodeState(db).get_meta("marker") == "old", "refusing changes nothing"

        state = open_state_for_chain(db, fresh, reset=True, rpc_url=other.url)
        assert state.get_meta("marker") is None
        (aside,) = tmp_path.glob("node.db.*.old")
        assert NodeState(aside).get_meta("marker") == "old", "the old database is kept, not deleted"
    finally:
        other.stop()


def written_cursor(db_path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute("select value from meta where key = 'last_block'").fetchone()[0])
    finally:
        conn.close()


def test_blocks_without_events_move_the_cursor_in_memory_and_events_are_written_at_once(chain, tmp_path):
    """A commit per block cost ~1 ms of CPU four times a second; an empty block is held in memory instead."""
    follower = follower_for(chain, tmp_path / "node.db")
    follower.poll()
    written = written_cursor(tmp_path / "node.db")
    for _ in range(5):  # five polls, one new empty block each: nothing written
        chain.mine(1)
        follower.poll()
    assert follower.cursor == written + 5 and written_cursor(tmp_path / "node.db") == written

    chain.ledger.send(dev_account(1), "submitClaim", *chain.claim_args(b"kept"))
    follower.poll()  # a block with an event: its rows and the cursor are written in one transaction
    assert written_cursor(tmp_path / "node.db") == follower.cursor
    assert len(follower.state.rows("select * from claims")) == 1

    chain.mine(3)
    follower.poll()
    assert written_cursor(tmp_path / "node.db") < follower.cursor
    # A crash now loses the cursor held in memory: a new follower re-reads from the written one, to the same state.
    restarted = follower_for(chain, tmp_path / "node.db")
    restarted.poll()
    assert restarted.cursor == follower.cursor
    fresh = follower_for(chain, tmp_path / "fresh.db")
    fresh.poll()
    assert table_dump(tmp_path / "node.db") == table_dump(tmp_path / "fresh.db")


def test_a_chain_that_goes_back_under_a_cursor_held_in_memory_is_rolled_back(chain, tmp_path):
    follower = follower_for(chain, tmp_path / "node.db")
    chain.ledger.send(dev_account(1), "submitClaim", *chain.claim_args(b"kept"))
    follower.poll()
    snap = chain.snapshot()
    chain.mine(4)
    follower.poll()  # empty blocks: the cursor is ahead of node.db's
    held = follower.cursor
    assert written_cursor(tmp_path / "node.db") < held
    chain.revert(snap)
    chain.ledger.send(dev_account(2), "submitClaim", *chain.claim_args(b"new"))
    chain.mine(6)  # a different history, longer than the one the follower held
    seen = []
    follower.rollback_listeners.append(seen.append)
    follower.poll()
    (rollback,) = seen
    assert rollback.old_cursor == held and rollback.ancestor < held
    assert {r["worker"] for r in follower.state.rows("select worker from claims")} == {dev_account(1).address,
                                                                                     dev_account(2).address}
    fresh = follower_for(chain, tmp_path / "fresh.db")
    fresh.poll()
    assert table_dump(tmp_path / "node.db") == table_dump(tmp_path / "fresh.db")


def test_only_events_that_may_change_a_jobs_state_invalidate_its_cached_read(chain, tmp_path):
    """Runtime.job() re-reads getJob when job_events_applied moves: a claim moves it, a stake does not."""
    follower = follower_for(chain, tmp_path / "node.db")
    follower.poll()
    before, all_before = follower.job_events_applied, follower.events_applied
    chain.ledger.send(dev_account(4), "stake", WORKER_ROLE, value=ETH)
    chain.mine(1)
    follower.poll()
    assert follower.events_applied > all_before and follower.job_events_applied == before
    chain.ledger.send(dev_account(1), "submitClaim", *chain.claim_args(b"moves it"))
    chain.mine(1)
    follower.poll()
    assert follower.job_events_applied == before + 1


def test_a_page_of_events_is_one_commit_its_rows_and_cursor_together(chain, tmp_path):
    """sqlite-utils commits each write by itself unless a transaction is open, and `with conn:` opens none: a
    page of events was a commit (an fsync) per row, and a crash between them kept rows without their cursor."""
    follower = follower_for(chain, tmp_path / "node.db")
    follower.poll()
    for i in range(3):
        chain.ledger.send(dev_account(1 + i), "submitClaim", *chain.claim_args(b"page %d" % i))
    statements: list[str] = []
    follower.state.db.conn.set_trace_callback(statements.append)
    applied = follower.poll()
    follower.state.db.conn.set_trace_callback(None)
    assert len(applied) >= 3, applied
    commits = [s for s in statements if s.strip().upper().startswith("COMMIT")]
    assert len(commits) == 1, f"{len(commits)} commits for one page of {len(applied)} events"
    assert written_cursor(tmp_path / "node.db") == follower.cursor
