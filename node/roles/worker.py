"""Worker: each round, train the assigned steps from the head, serve the evidence, submit one claim."""
from __future__ import annotations

import time

from prover.store import DirStore

from ..chain.errors import ContractRevert
from .runtime import Runtime

WORKER_ROLE = 1


class Worker:
    def __init__(self, rt: Runtime, prove=None):
        self.rt = rt
        # The proving strategy: honest by default; the demo's cheater swaps in one from roles/cheats.py.
        from prover.claim import prove_claim

        self.prove = prove or prove_claim
        self.steps_done = 0
        self.train_seconds = 0.0

    def start(self) -> None:
        self.rt.ensure_stake(WORKER_ROLE, self.rt.job()["min_worker_stake"])
        self.rt.context.on_missing = self.regenerate_missing

    def regenerate_missing(self, hex_id: str) -> bool:
        """Serve an unstored intermediate checkpoint: replay it from the nearest stored one (PROTOCOL.md §3)."""
        from prover.claim import regenerate
        from prover.transcript import Transcript

        wanted = bytes.fromhex(hex_id)
        for path in sorted(self.rt.store.root.glob("*.transcript.json")):
            transcript = Transcript.from_bytes(path.read_bytes())
            if wanted in transcript.boundary_ids():
                tensors = regenerate(self.rt.spec, transcript, DirStore(self.rt.store.root), wanted)
                self.rt.keep_checkpoint(wanted, tensors)
                return True
        return False

    def claim_key(self, round_: int) -> str:
        return f"claim:{self.rt.job_id}:{round_}"

    def tick(self) -> None:
        rt = self.rt
        job = rt.job()
        round_ = job["round"]
        self._refresh_status(job)
        key = self.claim_key(round_)
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)  # already signed: make sure it is mined, never re-sign
            return
        closes_at = job["round_start"] + job["submit_window"]
        if rt.block() >= closes_at:
            return  # too late for this round: wait for the next head
        head = job["head"]
        head_tensors = rt.head_tensors(head, round_)
        proof = self.prove(rt.spec, head_tensors, round_, rt.address, DirStore(rt.store.root),
                           keep_every=rt.options.keep_every)
        self.steps_done += rt.spec.steps_per_claim
        self.train_seconds += proof.train_seconds
        transcript_bytes = proof.transcript.to_bytes()
        rt.store.put("transcript", transcript_bytes, expected_id=proof.transcript.root)
        rt.keep_checkpoint(proof.result_id, proof.result_tensors)
        rt.state.log("trained", round=round_, root="0x" + proof.transcript.root.hex(),
                     seconds=round(proof.train_seconds, 3))
        try:
            rt.outbox.submit(key, "submitClaim", rt.job_id, round_, head, proof.result_id, proof.transcript.root,
                             rt.spec.steps_per_claim, rt.public_url)
        except ContractRevert as exc:
            # Signing runs the call first: a closed window or a head that just moved is refused here,
            # before anything was written to the outbox, so the next tick starts clean.
            rt.state.log("claim-refused", round=round_, error=str(exc))

    def _refresh_status(self, job: dict) -> None:
        rows = self.rt.state.rows("select status, count(*) as n from claims where worker = ? group by status",
                                  (self.rt.address,))
        counts = {r["status"]: r["n"] for r in rows}
        self.rt.status.update(round=job["round"], steps_trained=self.steps_done,
                              steps_per_second=round(self.steps_done / self.train_seconds, 1)
                              if self.train_seconds else None,
                              claims=counts, updated_at=time.time())
