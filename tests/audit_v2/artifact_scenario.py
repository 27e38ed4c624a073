"""A second LedgerV2 history whose artifacts are real: the audit's artifact checks (head_average, --reverify) run
over it. Driven in-process with dev accounts, on the session's anvil, beside scenario.py's ledger.

Job 1 runs a tiny real spec (digits, 4 steps in 2 segments). Round 0: two workers each prove a real claim from the
genesis head with prover.claim.prove_claim, under the job's key; their checkpoints and transcripts sit in each
worker's node artifact store, served by a real node artifact server (node/api create_app on BackgroundServer).
Both claims are approved by their committees and accepted; the head proposed is the float32 mean of their results
(claim-id order), unchallenged and accepted: `honest_block` is the block it advanced in. Round 1: one real claim
from that head is accepted, and a cheating aggregator proposes a head that is not its mean; nobody challenges it,
so the chain accepts it. The chain checks none of that: only the audit's recomputation can tell.
"""
from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import keccak

from node.api.app import create_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.artifact_store import SUFFIX, ArtifactStore
from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import LedgerV2, Role
from node.config import Deployment
from node.jobs import create_job
from node.state import NodeState
from prover.aggregate import mean_checkpoints
from prover.checkpoint import checkpoint_id
from prover.claim import prove_claim
from prover.jobkey import job_key
from prover.presets import digits_spec
from prover.state import genesis
from prover.store import DirStore

from scenario import _event, mine, mine_past

ETH = 10**18
SPEC = digits_spec(steps_per_claim=4, checkpoint_every=2)  # S = 2 segments of k = 2 steps
TERMS = JobTermsV2()  # the defaults: committees of 3, quorum 2
OWNER, WORKERS, VERIFIERS, RELAYER = 0, (1, 2), tuple(range(3, 10)), 10


class WorkerNode:
    """A worker's artifact store on disk and the real node server in front of it (restartable on its port)."""

    def __init__(self, root: Path, account, chain_id: int, ledger: str):
        self.root, self.account = root, account
        self.store = ArtifactStore(root / "artifacts")
        self.context = NodeContext(role="worker", address=account.address, chain_id=chain_id, ledger_address=ledger,
                                   store=self.store, state=NodeState(root / "node.db"))
        self.server: BackgroundServer | None = BackgroundServer(create_app(self.context)).start()
        self.port = self.server.port
        self.url = self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def start(self) -> None:
        if self.server is None:
            self.server = BackgroundServer(create_app(self.context), port=self.port).start()

    def file_of(self, artifact_id: bytes) -> Path:
        return self.store.root / f"{artifact_id.hex()}{SUFFIX['checkpoint']}"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # the port the node server just left


class DiskServer:
    """A worker's own artifact server that serves its disk as it is, checking nothing (real HTTP on a real port):
    what a worker that replaced its node's server, or altered its files, puts behind its artifactURI."""

    def __init__(self, folder: Path, port: int):
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1].removeprefix("0x")
                found = [folder / f"{name}{s}" for s in SUFFIX.values() if (folder / f"{name}{s}").is_file()]
                if not self.path.startswith("/artifacts/") or not found:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = found[0].read_bytes()
                self.send_response(200)
                self.send_header("content-type", "application/octet-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class ArtifactHistory:
    ledger: LedgerV2
    home: Path
    workers: list[WorkerNode]
    job_id: int = 0
    claims: list[int] = field(default_factory=list)  # round 0, claim-id order: workers[0]'s then workers[1]'s
    results: list[bytes] = field(default_factory=list)
    head_1: bytes = b""  # the mean of round 0's results
    proposal_0: int = 0
    honest_block: int = 0  # the block round 0's head was accepted in: an audit to here sees only honest work
    claim_1: int = 0  # round 1's accepted claim (workers[1]'s)
    round_1_mean: bytes = b""
    bogus_head: bytes = b""
    bogus_proposal: int = 0
    transcripts: dict = field(default_factory=dict)  # claim id -> the Transcript its worker committed to

    def close(self) -> None:
        for w in self.workers:
            w.stop()


def _approve_and_accept(ledger: LedgerV2, claim_ids: list[int], by_address: dict, relayer) -> None:
    """Each claim approved by two of its three members (the third pays its miss), then all finalized: Accepted."""
    w3 = ledger.w3
    mine_past(w3, max(ledger.claim(c).seed_block for c in claim_ids))
    for claim_id in claim_ids:
        for i in ledger.committee(claim_id)[:2]:
            ledger.send(by_address[ledger.seat(i).account], "approve", claim_id)
    mine_past(w3, max(ledger.claim(c).challenge_deadline for c in claim_ids))
    for claim_id in claim_ids:
        ledger.send(relayer, "finalizeClaim", claim_id)


def _prove(worker: WorkerNode, head_tensors, round_: int, key: bytes):
    proof = prove_claim(SPEC, head_tensors, round_, worker.account.address, DirStore(worker.store.root), job_key=key)
    worker.store.put("transcript", proof.transcript.to_bytes(), expected_id=proof.root)
    return proof


def _accept_head(ledger: LedgerV2, job_id: int, round_: int, head: bytes, proposer, relayer) -> tuple[int, int]:
    """(proposal id, block it was finalized in): proposed after the submit window, unchallenged, finalized."""
    w3 = ledger.w3
    job = ledger.job(job_id)
    mine_past(w3, job.round_start + TERMS.submit_window)
    r = ledger.send(proposer, "proposeHead", job_id, round_, head, job.accumulator)
    proposal = _event(ledger, r, "HeadProposed")["proposalId"]
    mine_past(w3, ledger.proposal(proposal).propose_block + TERMS.head_window)
    finalized = ledger.send(relayer, "finalizeHead", proposal)
    assert ledger.job(job_id).head == head, "the chain did not advance to the proposed head"
    return proposal, finalized["blockNumber"]


def served_history(chain, tmp_path_factory, name: str):
    """A module fixture's body: a fresh history on the session's anvil, its worker servers closed afterwards."""
    from node.chain.client import connect

    h = build(connect(chain.url), tmp_path_factory.mktemp(f"{name}-home"), chain.url, tmp_path_factory.mktemp(name))
    yield h
    h.close()


def build(w3, home: Path, rpc_url: str, workdir: Path) -> ArtifactHistory:
    owner, relayer = dev_account(OWNER), dev_account(RELAYER)
    ledger, receipt = deploy_ledger_v2(w3, owner, unbonding_delay_blocks=5, seat_stake_wei=ETH)
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"], rpc_url=rpc_url,
               ledger_version=2).save(home / "deployment.json")
    workers = [WorkerNode(workdir / f"worker-{i}", dev_account(i), w3.eth.chain_id, ledger.address) for i in WORKERS]
    h = ArtifactHistory(ledger, home, workers)
    h.job_id = create_job(ledger, owner, SPEC, TERMS, 20 * ETH, home=home)["job_id"]
    for w in workers:
        ledger.send(w.account, "stake", int(Role.WORKER), value=3 * ETH)
    for i in VERIFIERS:
        ledger.send(dev_account(i), "stake", int(Role.VERIFIER), value=3 * ETH)
    mine(w3, 1)
    by_address = {dev_account(i).address: dev_account(i) for i in VERIFIERS}
    key = job_key(w3.eth.chain_id, ledger.address, h.job_id)

    # Round 0: two real claims from genesis, both accepted; the head is their mean.
    start = genesis(SPEC)
    proofs = []
    for w in workers:
        proof = _prove(w, start, 0, key)
        r = ledger.send(w.account, "submitClaim", h.job_id, 0, checkpoint_id(start), proof.result_id, proof.root,
                        SPEC.steps_per_claim, w.url)
        h.claims.append(_event(ledger, r, "ClaimSubmitted")["claimId"])
        h.transcripts[h.claims[-1]] = proof.transcript
        h.results.append(proof.result_id)
        proofs.append(proof)
    assert h.claims == sorted(h.claims)
    _approve_and_accept(ledger, h.claims, by_address, relayer)
    mean = mean_checkpoints([p.result_tensors for p in proofs])
    h.head_1 = checkpoint_id(mean)
    aggregator = dev_account(VERIFIERS[0])
    h.proposal_0, h.honest_block = _accept_head(ledger, h.job_id, 0, h.head_1, aggregator, relayer)

    # Round 1: one real claim from that head, accepted; a head that is not its mean, unchallenged, accepted.
    proof = _prove(workers[1], mean, 1, key)
    r = ledger.send(workers[1].account, "submitClaim", h.job_id, 1, h.head_1, proof.result_id, proof.root,
                    SPEC.steps_per_claim, workers[1].url)
    h.claim_1 = _event(ledger, r, "ClaimSubmitted")["claimId"]
    h.transcripts[h.claim_1] = proof.transcript
    _approve_and_accept(ledger, [h.claim_1], by_address, relayer)
    h.round_1_mean = checkpoint_id(mean_checkpoints([proof.result_tensors]))
    h.bogus_head = keccak(b"not the mean of anything")
    h.bogus_proposal, _ = _accept_head(ledger, h.job_id, 1, h.bogus_head, aggregator, relayer)
    mine(w3, 2)  # the audit reads to one block behind the head
    return h
