"""What every role shares: chain, state, outbox, event follower, artifact store and server, the job's spec."""
from __future__ import annotations

import functools
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from eth_account.signers.local import LocalAccount

from prover.jobkey import job_key

from ..api.app import create_app
from ..api.context import NodeContext
from ..api.server import BackgroundServer
from ..api.upload_policy import UploadPolicy
from ..artifact_store import ArtifactStore
from ..chain.errors import ChainError, ContractRevert
from ..chain.raw_reads import READS
from ..cpu_account import CpuAccount, measure_chain_io, measure_methods
from ..chain_identity import ChainMismatch, chain_identity, open_state_for_chain
from ..diskspace import disk_full_as_error, is_disk_full
from ..fetch import HttpFetcher
from ..follower import EventFollower
from ..host_share import Registration, ThreadShare
from ..jobs import load_spec_for_job
from ..outbox import Outbox
from ..reorg import ChainReplaced, Rollback
from ..wallet.session import open_ledger


# A job's state is read again after an event that may change it (node/follower.py, JOB_STATE_KEPT), and at least
# this often: the contract emits an event for every change, so the bound is a guard, not the mechanism.
JOB_CACHE_MAX_AGE_S = 10.0
BLOCK_FRESH_S = 0.2  # a block number this young is reused (a block every 0.25 s on the devnet, 12 s on mainnet)


@dataclass
class NodeOptions:
    role: str
    job_id: int
    spec_file: Path
    data_dir: Path  # this node's own files: node.db, artifacts/
    home: Path
    account: LocalAccount
    rpc_url: str | None = None
    deployment_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None  # what claims advertise; defaults to http://host:port
    # One block behind the head: a JSON-RPC node can report a block's number before eth_getLogs returns its logs
    # (seen in anvil under load; geth and erigon have had the same race), and a page read then would skip them.
    confirmations: int = 1
    poll_interval_s: float = 0.3
    # The worker stores every m-th checkpoint and regenerates the rest on request. 1 by default: a regenerated
    # checkpoint costs k steps of CPU each time a verifier asks for it (6.6% of a worker's CPU at m = 2 in
    # bench/network_share.py), a stored one its bytes on disk (39 kB for the digits preset).
    keep_every: int = 1
    auto_stake_wei: int = 0  # stake this much at start if the active stake is below the job's minimum
    cheat: str | None = None  # demo and tests only: a dishonest worker strategy
    reset_state: bool = False  # a database built on another chain is moved aside instead of refused
    upload_peers: tuple[str, ...] = ()  # empty: PUT /artifacts is refused (PROTOCOL.md §7)
    upload_quota_bytes: int = 0  # per peer, counted in node.db across restarts
    peers: tuple[str, ...] = ()  # other nodes' URLs a checkpoint may be fetched from when its worker fails
    extra: dict = field(default_factory=dict)


class Runtime:
    def __init__(self, options: NodeOptions):
        self.options = options
        session = open_ledger(options.home, options.rpc_url, options.deployment_file)
        self.ledger, self.deployment = session.ledger, session.deployment
        self.cpu = CpuAccount()  # where this node's CPU goes, in /status (bench/network_share.py reads it)
        measure_chain_io(self.ledger, self.cpu)
        self.account = options.account
        self.address = options.account.address
        self.job_id = options.job_id
        # Binds this node's training and checks to this job on this ledger and chain (PROTOCOL.md §3).
        self.job_key = job_key(self.deployment.chain_id, self.ledger.address, self.job_id)
        self.spec = None  # loaded once the job exists on chain (a node may start before its job is created)
        identity = chain_identity(self.ledger.w3, self.ledger.address, self.deployment.block)
        self.state = open_state_for_chain(options.data_dir / "node.db", identity, options.reset_state,
                                          self.ledger.w3.provider.endpoint_uri)
        self.store = ArtifactStore(options.data_dir / "artifacts")
        self.outbox = Outbox(self.state, self.ledger, self.account)
        self.follower = EventFollower(self.state, self.ledger, self.deployment.block, options.confirmations)
        self.follower.reads.count = self.cpu.count_rpc
        measure_methods(self.follower.reads, READS, self.cpu, "chain")
        self.follower.anchor(self.deployment.block)
        self.follower.rollback_listeners.append(self._after_rollback)
        self.stopping = threading.Event()
        self.status: dict = {}
        # A role may add fields computed when /status is asked (a paused worker's loop is blocked, its HTTP not).
        self.live_status: Callable[[], dict] | None = None
        # node/console/: more /status fields, and listeners of the roles' progress reports (see report()).
        self.status_sources: list[Callable[[], dict]] = []
        self.progress_listeners: list[Callable[[str, dict], None]] = []
        self.context = NodeContext(role=options.role, address=self.address, chain_id=self.deployment.chain_id,
                                   ledger_address=self.ledger.address, store=self.store, state=self.state,
                                   extra_status=self.status_details, uploads=self._upload_policy(),
                                   relays_approvals=options.role == "aggregator")
        self.server = BackgroundServer(create_app(self.context), options.host, options.port)
        self.public_url = options.public_url or self.server.url
        self._fetchers: dict[str, HttpFetcher] = {}
        # torch's pool: this node's share of the host's cores among the nodes running here (node/host_share.py)
        self.thread_share = ThreadShare(options.home, options.extra.get("max_threads"))
        self._registration: Registration | None = None
        self._job_cache: tuple[int, float, object] | None = None  # (follower.job_events_applied, time read, JobState)

    def _upload_policy(self) -> UploadPolicy | None:
        if self.options.role == "gateway":  # browsers push their artifacts here; the role admits staked workers
            return UploadPolicy.open_admitting(self.state, self.deployment.chain_id, self.address,
                                               self.options.upload_quota_bytes,
                                               lambda address: "the gateway has not read its job yet: retry")
        if not self.options.upload_peers:
            return None
        return UploadPolicy.open(self.state, self.deployment.chain_id, self.address, self.options.upload_peers,
                                 self.options.upload_quota_bytes)

    def status_details(self) -> dict:
        details = self.status.copy()  # a copy (atomic under the GIL): the role loop updates it while we read
        if self.live_status is not None:
            details.update(self.live_status())
        for source in self.status_sources:
            details.update(source())
        details["cpu_seconds"] = self.cpu.snapshot()
        details["rpc_calls"] = dict(self.cpu.rpc_calls)
        return details

    def report(self, activity: str, **fields) -> None:
        """A role says what it is doing ('training' step i of H, 'replaying' claim c, ...) for the console.
        Called between training segments: listeners only store numbers, and nothing is written or sent."""
        for listener in self.progress_listeners:
            listener(activity, fields)

    # -- job facts -----------------------------------------------------------------------------------------
    def cheating(self, round_: int) -> bool:
        """DEMO/TESTS ONLY: this node's --cheat is in force in round `round_` (--cheat-from-round makes a sleeper:
        honest until then, so that an honest network can first be shown to run clean)."""
        return self.options.cheat is not None and round_ >= self.options.extra.get("cheat_from_round", 0)

    def job(self, fresh: bool = False) -> dict:
        """The job's state and terms under the names every role reads.

        The state is read once and reused until the follower applies an event that may change it (every change
        of a job's state emits one; approvals, votes and stakes do not change it) or JOB_CACHE_MAX_AGE_S passes:
        a role acts at most a block or two after the change, and idle nodes stop reading the contract every
        tick. `fresh`: read it now (after sending a transaction)."""
        cached, applied = self._job_cache, self.follower.job_events_applied
        if (fresh or cached is None or cached[0] != applied
                or time.monotonic() - cached[1] >= JOB_CACHE_MAX_AGE_S):
            cached = self._job_cache = (applied, time.monotonic(), self.ledger.job(self.job_id))
        state, p = cached[2], self.job_params
        return {"round": state.round, "round_start": state.round_start, "head": state.head,
                "open_claims": state.open_claims, "pending_proposal": state.pending_proposal,
                "accepted_count": state.accepted_count, "submit_window": p.submit_window,
                "round_claims": state.round_claims, "max_claims_per_round": p.max_claims_per_round,
                "quorum": p.quorum, "verify_window": p.verify_window, "reward_per_claim": p.reward_per_claim,
                # One open claim per round and a round ends only when its claims are final: one bond suffices.
                "min_worker_stake": p.claim_bond, "worker_slash": p.claim_bond}

    def submissions_closed(self, job: dict, block: int | None = None) -> bool:
        """The round of `job` (a `job()`) takes no more claims: its window passed or it is full."""
        from ..chain.v2.rules import submissions_closed

        return submissions_closed(self.block() if block is None else block, job["round_start"],
                                  job["submit_window"], job["round_claims"], job["max_claims_per_round"])

    @functools.cached_property
    def job_params(self):
        """JobParams: fixed at creation, read once."""
        return self.ledger.job_params(self.job_id)

    def block(self) -> int:
        """The chain's block number: the follower's own read of this tick if it is fresh, else a new one."""
        seen = self.follower.latest_seen
        if seen is not None and time.monotonic() - seen[1] < BLOCK_FRESH_S:
            return seen[0]
        return self.ledger.w3.eth.block_number

    # -- checkpoints -----------------------------------------------------------------------------------------
    def keep_checkpoint(self, checkpoint_id: bytes, tensors) -> None:
        from prover.checkpoint import checkpoint_to_bytes

        if not self.store.has(checkpoint_id):
            self.store.put("checkpoint", checkpoint_to_bytes(tensors, checkpoint_id), expected_id=checkpoint_id)

    def local_checkpoint(self, checkpoint_id: bytes):
        from prover.checkpoint import checkpoint_from_bytes

        if not self.store.has(checkpoint_id):
            return None
        data, _ = self.store.get(checkpoint_id)
        return checkpoint_from_bytes(data, checkpoint_id)

    def fetcher(self, base_url: str) -> HttpFetcher:
        if base_url not in self._fetchers:
            fetcher = self._fetchers[base_url] = HttpFetcher(base_url)
            measure_methods(fetcher, ("fetch",), self.cpu, "http")
        return self._fetchers[base_url]

    def checkpoint(self, checkpoint_id: bytes, artifact_uri: str):
        """A checkpoint from the local store, else fetched from `artifact_uri` (checked) and kept.

        The download is cut at the spec's checkpoint size, and the header is checked against the spec's layout
        before any tensor is built (CheckpointError if it does not fit)."""
        from prover.bounds import max_checkpoint_bytes
        from prover.checkpoint import CheckpointError, checkpoint_from_bytes
        from verifier.artifacts import MalformedArtifact, inspect_checkpoint

        local = self.local_checkpoint(checkpoint_id)
        if local is not None:
            return local
        data = self._fetch_from_any([artifact_uri, *self.options.peers], checkpoint_id,
                                    max_checkpoint_bytes(self.spec))
        try:
            problem = inspect_checkpoint(self.spec, data).layout_problem
        except MalformedArtifact as e:
            problem = str(e)
        if problem is not None:
            raise CheckpointError(f"checkpoint 0x{checkpoint_id.hex()} from {artifact_uri}: {problem}")
        self.store.put("checkpoint", data, expected_id=checkpoint_id)
        return checkpoint_from_bytes(data, checkpoint_id)

    def _fetch_from_any(self, sources: list[str], artifact_id: bytes, max_bytes: int) -> bytes:
        """The artifact from the first source that serves it (each fetch checks the bytes against the id)."""
        from verifier.errors import ArtifactUnavailable

        failures = []
        for source in sources:
            try:
                return self.fetcher(source).fetch(artifact_id, max_bytes=max_bytes)
            except ArtifactUnavailable as exc:
                failures.append(f"{source}: {exc}")
        raise ArtifactUnavailable(artifact_id, "; ".join(failures) or "no source to fetch it from")

    def head_tensors(self, head: bytes, round_: int):
        """The tensors of round `round_`'s head: local, genesis, or rebuilt from the previous round's results."""
        from prover.checkpoint import checkpoint_id
        from prover.state import genesis

        local = self.local_checkpoint(head)
        if local is not None:
            return local
        if round_ == 0:
            tensors = genesis(self.spec)
        else:
            from ..heads import round_mean

            _, tensors = round_mean(self, self.job_id, round_ - 1)
        if checkpoint_id(tensors) != head:
            raise ChainError(f"could not rebuild head 0x{head.hex()} of round {round_} from the chain's history")
        self.keep_checkpoint(head, tensors)
        return tensors

    # -- reorgs ----------------------------------------------------------------------------------------------
    def _after_rollback(self, rollback: Rollback) -> None:
        """The chain went back: what the outbox saw mined above the ancestor goes out again (node/outbox.py)."""
        lost = self.outbox.mark_lost_after(rollback.ancestor)
        print(f"chain went back: block {rollback.old_cursor} -> {rollback.ancestor} (chain head "
              f"{rollback.chain_head}); {rollback.events_dropped} events forgotten, {lost} transactions to resend",
              file=sys.stderr)
        self.outbox.recover()

    def sync_with_chain(self) -> None:
        """Before acting on anything stored: roll back what the chain no longer holds, resend what it lost."""
        try:
            self.follower.check_chain()
        except ChainReplaced as exc:
            raise self._mismatch(exc) from None

    def _mismatch(self, exc: ChainReplaced) -> ChainMismatch:
        return ChainMismatch(f"{exc}; pass --reset-state to move {self.state.path} aside")

    # -- lifecycle -------------------------------------------------------------------------------------------
    def _await_job(self) -> None:
        """Wait (serving /status) until the job exists, then load its spec, checked against the chain."""
        self.status.update(waiting_for_job=self.job_id)
        while not self.stopping.is_set():
            try:
                self.spec = load_spec_for_job(self.ledger, self.job_id, self.options.spec_file)
                break
            except ContractRevert as exc:
                if exc.name != "JobNotFound":
                    raise
            except (ChainError, OSError) as exc:
                self.state.log("chain-error", error=str(exc))
            self.stopping.wait(self.options.poll_interval_s)
        self.status.pop("waiting_for_job", None)

    def ensure_stake(self, role_id: int, minimum: int, exact: bool = False) -> None:
        """Stake up to `minimum` (--auto-stake's amount if larger, unless `exact`: the v2 aggregator stays below
        the seat stake, so it holds no seat it would not serve)."""
        active = self.ledger.call("stakeOf", self.address, role_id)[0]
        if active >= minimum:
            return
        if self.options.auto_stake_wei <= 0:
            raise ChainError(f"{self.address} has {active} wei staked as {self.options.role}, the job needs "
                             f"{minimum}: stake with `gradchain wallet stake --role {self.options.role}` "
                             "or pass --auto-stake ETH")
        self.outbox.submit(f"stake:{self.options.role}:{self.block()}", "stake", role_id,
                           value=minimum - active if exact else max(self.options.auto_stake_wei, minimum - active))

    @staticmethod
    def preload() -> None:
        """Load torch and the protocol modules before the node reports it is serving, so that the first round's
        short window is spent training or replaying, not importing."""
        import prover.claim  # noqa: F401  (imported for its side effect: loading torch now)
        import verifier.verify  # noqa: F401

    def warm_up(self) -> None:
        """Load the data and take one throwaway step, so the first round's window is not spent warming up.

        Uses the spec file as given (it is checked against the chain's hash once the job exists).
        """
        if not self.options.spec_file.is_file():
            return
        from prover.spec import JobSpec
        from prover.state import genesis
        from prover.step import run_segment

        spec = JobSpec.from_json(self.options.spec_file.read_bytes())
        run_segment(spec, genesis(spec), spec.spec_hash(), 0, self.address, 0, 1, job_key=self.job_key)

    def run(self, tick, on_start=None, on_resume=None, may_warm_up=None) -> None:
        """Serve HTTP, settle the outbox, then follow the chain and call `tick()` until SIGTERM/SIGINT.

        may_warm_up: asked before the warm-up step (a worker without its owner's consent trains nothing).
        A full disk anywhere (ENOSPC, SQLite's "disk is full", a worker's own free-space check) stops the node
        with DiskFull: retrying cannot free space, and every retry would fail the same way.
        """
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        try:
            with disk_full_as_error(self.options.data_dir):
                self._run(tick, on_start, on_resume, may_warm_up)
        finally:
            if self._registration is not None:
                self._registration.remove()
            if self.server.thread.ident is not None:  # started (a thread never started cannot be joined)
                self.server.stop()

    def _run(self, tick, on_start, on_resume, may_warm_up) -> None:
        # Transactions signed before a crash go out first: a claim's window may be closing while we start.
        try:
            self.sync_with_chain()
            self.outbox.reconcile()
            if on_resume:
                on_resume()  # decisions taken before a crash, acted on before the slow warm-up
        except ChainMismatch:
            raise
        except (ChainError, OSError) as exc:
            if is_disk_full(exc):
                raise
            self.state.log("chain-error", error=str(exc))  # retried by the loop's settle calls
        self.preload()
        if may_warm_up is None or may_warm_up():
            self.warm_up()
        self.server.start()
        self._registration = Registration(self.options.home, {
            "role": self.options.role, "address": self.address, "job": self.job_id, "url": self.server.url,
            "public_url": self.public_url, "data_dir": str(self.options.data_dir)})
        self.thread_share.refresh(force=True)
        self._await_job()
        if self.stopping.is_set():
            return
        if on_start:
            on_start()  # e.g. a worker without consent raises: the server stops, the caller says why
        self.cpu.mark_ready()
        backoff = self.options.poll_interval_s
        while not self.stopping.is_set():
            try:
                self.thread_share.refresh()
                self.follower.poll()
                if self.outbox.mark_lost_by_block_hash():
                    self.outbox.recover()
                tick()
                backoff = self.options.poll_interval_s
            except ChainReplaced as exc:  # not a hiccup to retry: this database belongs to another chain
                raise self._mismatch(exc) from None
            except Exception as exc:
                if is_disk_full(exc):
                    raise
                self._survive(exc)
                backoff = min(backoff * 2, 5.0)
            self.stopping.wait(backoff)

    def _survive(self, exc: Exception) -> None:
        """Log an error one tick hit; the daemon outlives it and the next tick retries."""
        if isinstance(exc, ChainError):
            # The chain may be restarting: keep the state, wait, reconnect on the next request.
            self.state.log("chain-error", error=str(exc))
        elif isinstance(exc, OSError):
            self.state.log("io-error", error=str(exc))
        else:  # a bug or an unexpected input: the trace goes to the log
            traceback.print_exception(exc)
            self.state.log("tick-error", error=f"{exc.__class__.__name__}: {exc}")
