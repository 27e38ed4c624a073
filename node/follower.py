"""Follow the ledger's events from the last processed block into the node's SQLite state.

Blocks are read in pages up to `latest - confirmations`; each page's rows and the cursor are written in one
SQLite transaction, and every row is an upsert by on-chain id, so a crash mid-page replays harmlessly.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable

from hexbytes import HexBytes

from .chain.client import Ledger
from .chain.enums import ClaimStatus, ProposalStatus
from .state import CURSOR_KEY, NodeState



def plain(value: Any) -> Any:
    """Event values as JSON-friendly Python: bytes → 0x-hex, nested tuples → lists."""
    if isinstance(value, (bytes, bytearray, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):  # web3's AttributeDict for struct arguments is a Mapping, not a dict
        return {k: plain(v) for k, v in value.items()}
    return value


class EventFollower:
    def __init__(self, state: NodeState, ledger: Ledger, start_block: int, confirmations: int = 0,
                 page_blocks: int = 2000):
        self.state = state
        self.ledger = ledger
        self.start_block = start_block
        self.confirmations = confirmations
        self.page_blocks = page_blocks
        self.handlers: dict[str, Callable[[dict, dict], None]] = {
            "JobCreated": self._job_created,
            "JobFunded": self._job_funded,
            "RoundStarted": self._round_started,
            "ClaimSubmitted": self._claim_submitted,
            "Attested": self._attested,
            "ClaimFinalized": self._claim_finalized,
            "HeadProposed": self._head_proposed,
            "HeadAttested": self._head_attested,
            "HeadFinalized": self._head_finalized,
        }

    @property
    def cursor(self) -> int:
        return self.state.last_block(default=self.start_block - 1)

    def poll(self) -> list[dict]:
        """Apply every new confirmed event; returns them (as plain dicts) for the role loop to react to."""
        safe_head = self.ledger.w3.eth.block_number - self.confirmations
        applied: list[dict] = []
        while self.cursor < safe_head:
            first = self.cursor + 1
            last = min(safe_head, first + self.page_blocks - 1)
            events = [self._plain_event(e) for e in self.ledger.events(first, last)]
            with self.state.db.conn:  # one transaction: the page's rows and the cursor move together
                for event in events:
                    self._apply(event)
                self.state.set_meta(CURSOR_KEY, last)
            applied.extend(events)
        return applied

    @staticmethod
    def _plain_event(event: Any) -> dict:
        return {"name": event["event"], "args": plain(dict(event["args"])), "block": event["blockNumber"],
                "log_index": event["logIndex"], "tx_hash": "0x" + bytes(event["transactionHash"]).hex()}

    def _apply(self, event: dict) -> None:
        self.state.upsert("events", {"block": event["block"], "log_index": event["log_index"],
                                     "name": event["name"], "args": json.dumps(event["args"]),
                                     "tx_hash": event["tx_hash"]})
        handler = self.handlers.get(event["name"])
        if handler:
            handler(event["args"], event)

    # -- handlers: one per event that changes what a node acts on ------------------------------------------
    def _job_created(self, a: dict, e: dict) -> None:
        self.state.upsert("jobs", {"job_id": a["jobId"], "owner": a["owner"], "spec_hash": a["specHash"],
                                   "genesis_head": a["genesisHead"], "head": a["genesisHead"], "round": 0,
                                   "escrow": str(a.get("escrow", 0)), "created_block": e["block"]})

    def _job_funded(self, a: dict, e: dict) -> None:
        self.state.db["jobs"].update(a["jobId"], {"escrow": str(a.get("newEscrow", 0))})

    def _round_started(self, a: dict, e: dict) -> None:
        self.state.upsert("rounds", {"job_id": a["jobId"], "round": a["round"], "head": a["head"],
                                     "start_block": a.get("startBlock", e["block"])})
        self.state.db["jobs"].update(a["jobId"], {"round": a["round"], "head": a["head"]})

    def _claim_submitted(self, a: dict, e: dict) -> None:
        self.state.upsert("claims", {
            "claim_id": a["claimId"], "job_id": a["jobId"], "round": a["round"], "worker": a["worker"],
            "base": a["base"], "result": a["result"], "transcript_root": a["transcriptRoot"], "steps": a["steps"],
            "artifact_uri": a["artifactURI"], "submit_block": a.get("submitBlock", e["block"]),
            "status": "Pending", "approvals": 0, "rejections": 0})

    def _attested(self, a: dict, e: dict) -> None:
        self.state.upsert("votes", {"claim_id": a["claimId"], "verifier": a["verifier"],
                                    "approve": int(a["approve"]), "block": e["block"]})
        tally = self.state.one("select sum(approve) as yes, sum(1 - approve) as no from votes where claim_id = ?",
                               (a["claimId"],))
        self.state.db["claims"].update(a["claimId"], {"approvals": tally["yes"], "rejections": tally["no"]})

    def _claim_finalized(self, a: dict, e: dict) -> None:
        self.state.db["claims"].update(a["claimId"], {"status": ClaimStatus(a["status"]).label})

    def _head_proposed(self, a: dict, e: dict) -> None:
        self.state.upsert("proposals", {"proposal_id": a["proposalId"], "job_id": a["jobId"], "round": a["round"],
                                        "new_head": a["newHead"], "proposer": a.get("proposer", ""),
                                        "status": "Pending", "block": e["block"]})

    def _head_attested(self, a: dict, e: dict) -> None:
        self.state.upsert("head_votes", {"proposal_id": a["proposalId"], "verifier": a["verifier"],
                                         "approve": int(a["approve"])})

    def _head_finalized(self, a: dict, e: dict) -> None:
        self.state.db["proposals"].update(a["proposalId"], {"status": ProposalStatus(a["status"]).label})
