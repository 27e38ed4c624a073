"""The follower's handlers for LedgerV2's events (contracts/v2.md, "Payments and events"): what a v2 node acts on.

Each handler upserts by on-chain ids, so replaying a page (after a crash, or rebuilding after a reorg) changes
nothing. Status columns hold the enum labels of node/chain/v2/views.py ("Accepted", "Open", "NoVerdict", ...).
"""
from __future__ import annotations

import json
from enum import IntEnum
from typing import Callable

from .chain.v2.views import ClaimStatus, DisputeKind, DisputeStatus, ProposalStatus
from .state import NodeState


def label(kind: type[IntEnum], value: int) -> str:
    """'Accepted', 'NoVerdict', 'Claim': the member's name in CamelCase."""
    return "".join(part.capitalize() for part in kind(value).name.split("_"))


class V2Handlers:
    def __init__(self, state: NodeState):
        self.state = state

    def table(self) -> dict[str, Callable[[dict, dict], None]]:
        return {
            "JobCreated": self._job_created, "JobFunded": self._job_funded, "RoundStarted": self._round_started,
            "SeatRegistered": self._seat_registered, "SeatRetired": self._seat_retired,
            "ClaimSubmitted": self._claim_submitted, "Approved": self._approved, "Challenged": self._challenged,
            "DisputeOpened": self._dispute_opened, "HeadChallenged": self._head_challenged,
            "VerdictCommitted": self._verdict_committed, "VerdictRevealed": self._verdict_revealed,
            "JuryRedrawn": self._jury_redrawn, "DisputeResolved": self._dispute_resolved,
            "ClaimFinalized": self._claim_finalized, "HeadProposed": self._head_proposed,
            "HeadFinalized": self._head_finalized,
        }

    # -- jobs and rounds -------------------------------------------------------------------------------------
    def _job_created(self, a: dict, e: dict) -> None:
        self.state.upsert("jobs", {"job_id": a["jobId"], "owner": a["owner"], "spec_hash": a["specHash"],
                                   "genesis_head": a["genesisHead"], "head": a["genesisHead"], "round": 0,
                                   "escrow": str(a["escrow"]), "created_block": e["block"]})

    def _job_funded(self, a: dict, e: dict) -> None:
        self.state.db["jobs"].update(a["jobId"], {"escrow": str(a["newEscrow"])})

    def _round_started(self, a: dict, e: dict) -> None:
        self.state.upsert("rounds", {"job_id": a["jobId"], "round": a["round"], "head": a["head"],
                                     "start_block": a["startBlock"]})
        self.state.db["jobs"].update(a["jobId"], {"round": a["round"], "head": a["head"]})

    # -- seats -----------------------------------------------------------------------------------------------
    def _seat_registered(self, a: dict, e: dict) -> None:
        self.state.upsert("seats", {"seat_index": a["seatIndex"], "account": a["account"],
                                    "registered_at": a["registeredAt"], "retired_at": 0})

    def _seat_retired(self, a: dict, e: dict) -> None:
        self.state.db["seats"].update(a["seatIndex"], {"retired_at": a["retiredAt"]})

    # -- claims ----------------------------------------------------------------------------------------------
    def _claim_submitted(self, a: dict, e: dict) -> None:
        self.state.upsert("claims", {
            "claim_id": a["claimId"], "job_id": a["jobId"], "round": a["round"], "worker": a["worker"],
            "base": a["base"], "result": a["result"], "transcript_root": a["transcriptRoot"], "steps": a["steps"],
            "artifact_uri": a["artifactURI"], "submit_block": a["submitBlock"], "status": "Pending",
            "approvals": 0, "rejections": 0, "seat_count": a["seatCount"], "dispute_id": 0})

    def _approved(self, a: dict, e: dict) -> None:
        self.state.upsert("approvals", {"claim_id": a["claimId"], "member": a["member"],
                                        "seat_index": a["seatIndex"], "position": a["position"], "block": e["block"]})
        n = self.state.one("select count(*) as n from approvals where claim_id = ?", (a["claimId"],))["n"]
        self.state.db["claims"].update(a["claimId"], {"approvals": n})

    def _claim_finalized(self, a: dict, e: dict) -> None:
        self.state.db["claims"].update(a["claimId"], {"status": label(ClaimStatus, a["status"])})

    # -- disputes --------------------------------------------------------------------------------------------
    def _dispute_opened(self, a: dict, e: dict) -> None:
        self.state.upsert("disputes", {
            "dispute_id": a["disputeId"], "kind": label(DisputeKind, a["kind"]), "subject_id": a["subjectId"],
            "job_id": a["jobId"], "open_block": a["openBlock"], "seat_count": a["seatCount"], "status": "Open",
            "attempt": 0, "attempt_start": a["openBlock"], "faulty_mask": "0", "reveals": 0})
        if a["kind"] == DisputeKind.CLAIM:
            self.state.db["claims"].update(a["subjectId"], {"dispute_id": a["disputeId"]})
        else:
            self.state.db["proposals"].update(a["subjectId"], {"dispute_id": a["disputeId"]})

    def _challenged(self, a: dict, e: dict) -> None:
        self.state.upsert("challenges", {
            "dispute_id": a["disputeId"], "claim_id": a["claimId"], "challenger": a["challenger"],
            "segments": json.dumps(a["segments"]), "approvers": json.dumps(a["approvers"]),
            "draw_indices": json.dumps(a["drawIndices"]), "block": e["block"]})

    def _head_challenged(self, a: dict, e: dict) -> None:
        self.state.upsert("challenges", {
            "dispute_id": a["disputeId"], "claim_id": 0, "challenger": a["challenger"], "segments": "[0]",
            "approvers": "[]", "draw_indices": "[]", "block": e["block"]})

    def _verdict_committed(self, a: dict, e: dict) -> None:
        self.state.upsert("jurors", {"dispute_id": a["disputeId"], "attempt": a["attempt"], "juror": a["juror"],
                                     "commitment": a["commitment"], "verdicts": None, "revealed": 0})

    def _verdict_revealed(self, a: dict, e: dict) -> None:
        self.state.upsert("jurors", {"dispute_id": a["disputeId"], "attempt": a["attempt"], "juror": a["juror"],
                                     "verdicts": str(a["verdicts"]), "revealed": 1})
        reveals = self.state.one("select count(*) as n from jurors where dispute_id = ? and attempt = ? and revealed",
                                 (a["disputeId"], a["attempt"]))["n"]
        self.state.db["disputes"].update(a["disputeId"], {"reveals": reveals})

    def _jury_redrawn(self, a: dict, e: dict) -> None:
        self.state.db["disputes"].update(a["disputeId"], {"attempt": a["attempt"], "attempt_start": a["startBlock"],
                                                          "reveals": 0})

    def _dispute_resolved(self, a: dict, e: dict) -> None:
        self.state.db["disputes"].update(a["disputeId"], {"status": label(DisputeStatus, a["status"]),
                                                          "faulty_mask": str(a["faultyMask"]),
                                                          "reveals": a["reveals"]})

    # -- heads -----------------------------------------------------------------------------------------------
    def _head_proposed(self, a: dict, e: dict) -> None:
        self.state.upsert("proposals", {"proposal_id": a["proposalId"], "job_id": a["jobId"], "round": a["round"],
                                        "new_head": a["newHead"], "proposer": a["proposer"], "status": "Pending",
                                        "block": a["proposeBlock"], "parent": a["parent"], "dispute_id": 0})

    def _head_finalized(self, a: dict, e: dict) -> None:
        self.state.db["proposals"].update(a["proposalId"], {"status": label(ProposalStatus, a["status"])})
