"""Worker: each round, train the assigned steps from the head, serve the evidence, submit one claim.

It behaves as a guest on its owner's machine (node/worker_policy/): nothing trains or is staked before the
owner agreed to the job's terms; training uses at most the threads, device and disk allowed, runs only inside
the schedule and, with --only-when-idle, only while other processes leave the CPU idle. A pause waits at a
segment boundary with the training state in memory and resumes from there; a claim whose round closed
meanwhile is abandoned before anything is submitted.
"""
from __future__ import annotations

import functools
import sys
import time
from datetime import datetime

from prover.store import DirStore

from ..chain.enums import Role
from ..chain.errors import ContractRevert
from ..diskspace import check_free
from ..worker_policy import earnings
from ..worker_policy.caps import check_device, check_device_for_spec, device_text
from ..worker_policy.numerics import check_numerics_for_spec
from ..worker_policy.consent import ConsentBook, ConsentRequired, ConsentSubject, describe, obtain_consent
from ..worker_policy.gate import WAITING, ClaimAbandoned, WorkGate
from ..worker_policy.idle import IdleMonitor
from ..worker_policy.pruning import disk_used, prune
from ..worker_policy.settings import WorkerSettings, format_size
from .runtime import Runtime

# Room kept for node.db beyond a claim's artifacts: a round adds event, outbox and log rows, and SQLite's
# rollback journal holds a copy of every page a transaction changes until it commits.
SQLITE_MARGIN_BYTES = 256 * 1024


class Worker:
    def __init__(self, rt: Runtime, prove=None):
        self.rt = rt
        # The proving strategy: honest by default; the demo's cheater swaps in one from roles/cheats.py.
        from prover.claim import prove_claim

        self.prove = prove or prove_claim
        self.prove_honestly = prove_claim
        extra = rt.options.extra
        self.settings: WorkerSettings = extra.get("worker_settings") or WorkerSettings()
        self.ask = extra.get("ask")  # the interactive consent prompt (None: not a terminal)
        self.yes_source = extra.get("yes_source", "--yes")
        rt.thread_share.cap = self.settings.max_threads  # a cap on its share of the host (node/host_share.py)
        self.threads: int | None = None  # set at start, once this node counts among the host's running nodes
        self.training_threads: int | None = None  # torch's pool as the training thread last saw it
        self.device = check_device(self.settings.device)
        self.idle = None
        if self.settings.only_when_idle:
            self.idle = IdleMonitor(self.settings.idle_threshold, self.settings.idle_grace_s).start()
        self.gate = WorkGate(self.settings.schedule, self.idle, extra.get("clock", datetime.now), rt.stopping)
        self.steps_done = 0
        self.progress: dict | None = None  # the claim being trained: round, segments done, segments
        self.abandoned = 0
        self.pruned_files = self.pruned_bytes = 0
        self.claim_bytes: int | None = None  # disk one claim takes: estimated from the spec, then measured
        self.round_seen_at: dict[int, float] = {}  # wall time each round was first seen (for rounds per hour)
        self.job_terms: dict | None = None
        self.ahead: tuple | None = None  # (round, head, proof or None): a claim trained ahead (_train_ahead)
        rt.live_status = self.live_status

    # -- consent and start ---------------------------------------------------------------------------------------
    def may_warm_up(self) -> bool:
        """Warm-up trains a step, so only when consent is already known and training may run now."""
        if self.settings.only_when_idle or not self.settings.schedule.allows(self.gate.clock()):
            return False
        if self.settings.yes:
            return True
        from prover.spec import JobSpec

        try:
            spec_hash = "0x" + JobSpec.from_json(self.rt.options.spec_file.read_bytes()).spec_hash().hex()
        except (OSError, ValueError):
            return False
        return ConsentBook(self.rt.options.home).has_job(self.rt.deployment.chain_id, self.rt.ledger.address,
                                                         self.rt.job_id, spec_hash)

    def start(self) -> None:
        rt = self.rt
        job = rt.job()
        self._remember_job(job)
        self.threads = rt.thread_share.refresh(force=True)
        check_device_for_spec(self.device, rt.spec.verification_mode)
        check_numerics_for_spec(rt.spec)
        self.claim_bytes = self._estimated_claim_bytes()
        self._check_disk_cap()
        subject = ConsentSubject(chain_id=rt.deployment.chain_id, ledger=rt.ledger.address, job_id=rt.job_id,
                                 spec_hash="0x" + rt.spec.spec_hash().hex(),
                                 reward_per_claim_wei=job["reward_per_claim"], worker_slash_wei=job["worker_slash"],
                                 min_worker_stake_wei=job["min_worker_stake"])
        cap = self.settings.max_disk_bytes
        summary = describe(subject, rt.spec, job, self.settings.caps_text(), device_text(self.device), self.threads,
                           self.claim_bytes, format_size(cap) if cap is not None else "none",
                           rt.address, rt.public_url, rt.options.auto_stake_wei)
        try:
            how = obtain_consent(ConsentBook(rt.options.home), subject, summary, self.settings.yes, self.yes_source,
                                 self.ask, rt.options.home)
        except ConsentRequired:
            print(summary, file=sys.stderr)
            raise
        if how != "prompt":
            print(summary if how != "recorded" else summary.splitlines()[1].strip(), file=sys.stderr)
        print(f"consent: {how}", file=sys.stderr)
        rt.state.log("consent", how=how, job=rt.job_id)
        rt.ensure_stake(Role.WORKER, job["min_worker_stake"])
        rt.context.on_missing = self.regenerate_missing

    def regenerate_missing(self, hex_id: str) -> bool:
        """Serve an unstored intermediate checkpoint named by one of this worker's own transcripts: replay it
        from the nearest stored one (PROTOCOL.md §3). Any other id is a dict look-up (node/regeneration.py)."""
        return self.regeneration.regenerate(hex_id)

    @functools.cached_property
    def regeneration(self):
        # Built on first use (the first GET or stored transcript), by one scan of the store.
        from ..regeneration import Regeneration

        return Regeneration(self.rt.store, self.rt.address, lambda: self.rt.spec, self.device)

    def claim_key(self, round_: int) -> str:
        return f"claim:{self.rt.job_id}:{round_}"

    # -- the loop ----------------------------------------------------------------------------------------------
    def tick(self) -> None:
        rt = self.rt
        job = rt.job()
        self._remember_job(job)
        round_ = job["round"]
        until = rt.options.extra.get("until_round")
        if until is not None and round_ >= until:
            self.gate.enter(WAITING, f"--until-round {until} reached: serving evidence of earlier claims only")
            return
        key = self.claim_key(round_)
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)  # already signed: make sure it is mined, never re-sign
            self.gate.enter(WAITING, "claim submitted: waiting for the next round")
            self._train_ahead(job)
            return
        closes_at = job["round_start"] + job["submit_window"]
        if rt.submissions_closed(job):
            full = job["round_claims"] >= job["max_claims_per_round"]
            self.gate.enter(WAITING, f"this round is full ({job['round_claims']} of {job['max_claims_per_round']} "
                            "claims): waiting for the next head" if full
                            else "this round's window has closed: waiting for the next head")
            self._train_ahead(job)
            return
        if not self._committee_can_form():
            return
        proof = self._take_ahead(round_, job["head"])
        if proof is None:
            if not self._may_train(job):
                return
            proof = self._prove(round_, job["head"], lambda: rt.block() < closes_at)
            if proof is None:
                return
        try:
            rt.outbox.submit(key, "submitClaim", rt.job_id, round_, job["head"], proof.result_id,
                             proof.transcript.root, rt.spec.steps_per_claim, rt.public_url)
            self.gate.enter(WAITING, "claim submitted: waiting for the next round")
        except ContractRevert as exc:
            # Signing runs the call first: a closed window or a head that just moved is refused here,
            # before anything was written to the outbox, so the next tick starts clean.
            rt.state.log("claim-refused", round=round_, error=str(exc))
            self.gate.enter(WAITING, f"claim of round {round_} refused: {exc}")

    def _may_train(self, job: dict) -> bool:
        """Room on disk, and the owner's terms (schedule, idle, disk cap) allow training now."""
        self._make_room(job)
        if not self.gate.may_start():
            return False  # paused: the schedule, the owner's own use of the CPU, or the disk cap
        # Before anything of this claim is written: a claim that cannot fit would fail half-way, and a node
        # that cannot write its database cannot record what it signed. DiskFull stops the node (runtime.py).
        check_free(self.rt.store.root, (self.claim_bytes or 0) + SQLITE_MARGIN_BYTES)
        return True

    def _prove(self, round_: int, head: bytes, still_useful, head_tensors=None):
        """Train and store round `round_`'s claim from `head`; None if it was abandoned (a pause outlived it)."""
        rt = self.rt
        if head_tensors is None:
            head_tensors = rt.head_tensors(head, round_)
        try:
            proof = self._train(round_, head_tensors, still_useful)
        except ClaimAbandoned as exc:
            self.abandoned += 1
            self.gate.enter(WAITING, f"claim of round {round_} abandoned: {exc}")
            rt.state.log("claim-abandoned", round=round_, reason=str(exc), progress=self.progress)
            return None
        except BaseException:
            self.gate.enter(WAITING, f"training of round {round_} failed (see the log)")
            raise
        finally:
            self.progress = None
        transcript_bytes = proof.transcript.to_bytes()
        rt.store.put_own("transcript", transcript_bytes, proof.transcript.root)
        if not rt.cheating(round_):  # a cheat's made-up checkpoints cannot be regenerated: they stay missing
            self.regeneration.add(proof.transcript)
        rt.keep_checkpoint(proof.result_id, proof.result_tensors)
        if rt.cheating(round_):  # DEMO/TESTS ONLY: what a dishonest worker will not serve
            from .cheats import withheld_after

            for artifact_id in withheld_after(rt.options.cheat, proof):
                rt.store.delete(artifact_id)
        self.claim_bytes = self._measured_claim_bytes(proof, len(transcript_bytes))
        rt.state.log("trained", round=round_, root="0x" + proof.transcript.root.hex(),
                     seconds=round(proof.train_seconds, 3))
        return proof

    # -- training ahead ------------------------------------------------------------------------------------------
    def _train_ahead(self, job: dict) -> None:
        """Train round r+1's claim while round r's head waits out its challenge window.

        Once every claim of round r is final and a head is proposed, the next head is already fixed: the mean
        of the round's accepted results (PROTOCOL.md §6), which this worker computes itself, as it would at the
        round's start. Its batches depend on the round, the worker and the job only (prover/step.py), so the
        claim trained now is the one it would train then, and it is submitted as soon as the round opens. If
        the head that is finalized is another (a wrong proposal went unchallenged), the claim is dropped and
        the round's claim is trained from that head as usual. Waiting for a proposal, not just for the claims
        to be final, keeps a worker whose network has no aggregator from training for rounds that never come.
        """
        rt, round_ = self.rt, job["round"]
        nxt = round_ + 1
        until = rt.options.extra.get("until_round")
        if (self.ahead is not None and self.ahead[0] == nxt) or (until is not None and nxt >= until):
            return
        if not job["pending_proposal"] or job["open_claims"] or not rt.submissions_closed(job):
            return
        from ..heads import accepted_claims_synced, round_mean

        if not accepted_claims_synced(rt, round_) or not self._committee_can_form() or not self._may_train(job):
            return
        head, tensors = round_mean(rt, rt.job_id, round_)
        rt.state.log("training-ahead", round=nxt, head="0x" + head.hex())
        proof = self._prove(nxt, head, lambda: rt.job()["round"] <= nxt, head_tensors=tensors)
        self.ahead = (nxt, head, proof)
        if proof is not None:
            self.gate.enter(WAITING, f"claim of round {nxt} trained ahead: waiting for round {nxt} to open")

    def _take_ahead(self, round_: int, head: bytes):
        """The claim trained ahead for this round from this head, if any; one from another head is dropped."""
        ahead, self.ahead = self.ahead, None
        if ahead is None or ahead[0] != round_ or ahead[2] is None:
            return None
        if ahead[1] != head:
            self.rt.state.log("ahead-dropped", round=round_, trained_from="0x" + ahead[1].hex(),
                              head="0x" + head.hex())
            return None
        return ahead[2]

    def _committee_can_form(self) -> bool:
        """A claim's committee is drawn from the seats registered before its submission block, less the
        worker's own. With fewer than committeeSize of them it cannot reach its quorum, and the claim would
        Expire at the worker's cost (expiryPenalty): wait for the verifiers' seats instead of training for it."""
        rt = self.rt
        seats = rt.state.one("select count(*) as n from seats where retired_at = 0 and registered_at < ? and "
                             "lower(account) != lower(?)", (rt.block(), rt.address))["n"]
        needed = rt.job_params.committee_size
        if seats < needed:
            self.gate.enter(WAITING, f"waiting for verifier seats: {seats} of the {needed} a committee needs")
            return False
        return True

    def _train(self, round_: int, head_tensors, still_useful):
        """prove_claim, pausing between segments whenever the gate says so."""
        rt, spec = self.rt, self.rt.spec
        self.progress = {"round": round_, "segments_done": 0, "segments": spec.segments_per_claim}
        # torch's pool size is a per-thread setting (OpenMP): read it here, in the thread that trains, not in
        # the HTTP server's thread that answers /status (it reads its own default, every core).
        import torch

        self.training_threads = torch.get_num_threads()

        def between_segments(j: int, losses) -> None:
            self.steps_done += spec.checkpoint_every
            self.progress["segments_done"] = j + 1
            rt.report("training", round=round_, step=(j + 1) * spec.checkpoint_every, steps=spec.steps_per_claim)
            self.gate.between_segments(still_useful=still_useful)

        prove = self.prove if rt.cheating(round_) else self.prove_honestly
        rt.report("training", round=round_, step=0, steps=spec.steps_per_claim)  # before "training" is measured
        with rt.cpu.measure("training"):  # its pauses between segments cost no CPU; their block reads, "chain"
            proof = prove(spec, head_tensors, round_, rt.address, DirStore(rt.store.root),
                          keep_every=rt.options.keep_every, progress=between_segments, device=self.device,
                          job_key=rt.job_key)
        if self.progress["segments_done"] == 0:  # a strategy that reports no progress (the demo's cheater)
            self.steps_done += spec.steps_per_claim
        return proof

    # -- disk ---------------------------------------------------------------------------------------------------
    def _check_disk_cap(self) -> None:
        """Refuse at start a --max-disk that cannot hold even one claim: it would hold training forever."""
        cap = self.settings.max_disk_bytes
        if cap is not None and cap < self.claim_bytes:
            source = self.rt.options.extra.get("max_disk_source", "--max-disk")
            need = format_size(self.claim_bytes, up=True)
            raise ValueError(f"{source} {format_size(cap)} is smaller than one claim of job {self.rt.job_id} "
                             f"({need}): raise it to at least {need}")

    def _make_room(self, job: dict) -> None:
        """Under --max-disk: prune before a claim; hold training if even pruning cannot make room."""
        cap = self.settings.max_disk_bytes
        if cap is None:
            return
        root = self.rt.store.root
        need = self.claim_bytes or 0
        if disk_used(root) + need <= cap:
            self.gate.holds.pop("disk", None)
            return
        ours = {r["transcript_root"]: r for r in self.rt.state.rows(
            "select transcript_root, status, round from claims where worker = ? and job_id = ?",
            (self.rt.address, self.rt.job_id))}
        plan = prune(root, ours, job["round"], "0x" + job["head"].hex(), need, cap)
        if plan.delete:
            self.pruned_files += len(plan.delete)
            self.pruned_bytes += plan.freed_bytes
            self.rt.state.log("pruned", files=len(plan.delete), bytes=plan.freed_bytes)
        left = plan.used_bytes - plan.freed_bytes
        if left + need > cap:
            self.gate.holds["disk"] = (f"disk cap {format_size(cap)} reached: {format_size(left)} stored that "
                                       f"verifiers may still ask for, a claim needs {format_size(need)}")
        else:
            self.gate.holds.pop("disk", None)

    def _estimated_claim_bytes(self) -> int:
        from prover.claim import kept_boundaries
        from prover.state import genesis

        spec = self.rt.spec
        checkpoint = sum(t.numel() * t.element_size() for t in genesis(spec).values())
        kept = len(kept_boundaries(spec.segments_per_claim, self.rt.options.keep_every))
        return (kept + 1) * checkpoint + 512 * spec.segments_per_claim  # + the result, + the transcript

    def _measured_claim_bytes(self, proof, transcript_size: int) -> int:
        sizes = [self.rt.store.path(i) for i in {*proof.stored_ids, proof.result_id}]
        return transcript_size + sum(found[0].stat().st_size for found in sizes if found)

    # -- status --------------------------------------------------------------------------------------------------
    def _remember_job(self, job: dict) -> None:
        self.round_seen_at.setdefault(job["round"], time.time())
        self.job_terms = {"job_id": self.rt.job_id, "round": job["round"], "reward_per_claim": job["reward_per_claim"]}

    def _round_seconds(self) -> float | None:
        """Mean wall time between rounds this node saw start (the first one seen may have started earlier)."""
        seen = sorted(self.round_seen_at.items())[1:]
        if len(seen) < 2:
            return None
        return (seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0])

    def live_status(self) -> dict:
        """The worker's part of /status, computed when asked (a pause blocks the loop, not the HTTP server)."""
        from ..worker_policy.gate import PAUSED, WORKING

        gate, sample = self.gate, (self.idle.last if self.idle else None)
        status = {
            "activity": gate.activity, "reason": gate.reason, "paused_since": gate.paused_since,
            "pauses": gate.pauses, "last_pause_latency_s": gate.last_pause_latency_s,
            "claim_in_progress": dict(self.progress) if self.progress else None,
            "claims_abandoned": self.abandoned, "torch_threads": self.training_threads or self.threads,
            "device": self.device,
            "settings": self.settings.to_json(),
            "cpu": {"others_percent": round(sample.others_percent, 1), "own_percent": round(sample.own_percent, 1)}
            if sample else None,
            "disk": {"used_bytes": disk_used(self.rt.store.root), "cap_bytes": self.settings.max_disk_bytes,
                     "claim_bytes": self.claim_bytes, "pruned_files": self.pruned_files,
                     "pruned_bytes": self.pruned_bytes},
        }
        if self.job_terms is not None and self.rt.spec is not None:
            status["earnings"] = earnings.summary(
                self.rt.state, self.rt.address, self.job_terms, self.rt.spec.steps_per_claim, self.steps_done,
                gate.seconds(WORKING), gate.seconds(PAUSED), self._round_seconds())
            status["round"] = self.job_terms["round"]
            # Kept from before the earnings block, for scripts that read them.
            status.update(steps_trained=self.steps_done,
                          steps_per_second=status["earnings"]["steps_per_second"],
                          claims=status["earnings"]["claims"])
        status["updated_at"] = time.time()
        return status
