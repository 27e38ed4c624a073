"""The gateway (issue 17): a node that lets people contribute from a browser. It serves the contributor page
(node/contribute/), the job's wasm module and training data, keeps each round's head for the pages to start
from, and takes the pages' artifacts (a browser cannot serve HTTP): uploads signed by a worker key that holds a
worker stake of at least the job's claim bond, within a quota per address, served to verifiers like any worker's.

It signs nothing on chain and holds no key of the contributors: each page signs its own stake, claim, uploads
and withdrawal. Only wasm jobs: the page runs the job's module, and a torch job's step exists only in Python.
"""
from __future__ import annotations

import os
import struct
import time

from ..chain.v2.views import Role
from ..wallet.amounts import format_eth
from .runtime import Runtime

SUBMIT_MARGIN_BLOCKS = 4  # a page does not start a claim this close to the window's end
STAKE_CACHE_S = 15.0  # how long a worker's stake, read for an upload, is trusted
STAKE_CACHE_MAX = 10_000  # addresses remembered (keys cost nothing: the cache must not grow with them)
DEFAULT_KDF_N = 2**17  # scrypt cost of the keystores the page makes (ethers' default)


class Gateway:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._stakes: dict[str, tuple[float, int]] = {}
        self._head_ready: tuple[int, bytes] | None = None
        self._dataset: bytes | None = None
        if rt.context.uploads is not None:
            rt.context.uploads.auth.admit = self.admit_uploader

    def start(self) -> None:
        spec = self.rt.spec
        if spec.engine is None or spec.engine.name != "wasm":
            raise ValueError(f"job {self.rt.job_id} runs torch's step function: a gateway serves wasm jobs only "
                             "(create one with `gradchain job create --preset digits-wasm`)")
        from prover.wasm_engine import module_bytes, module_hash

        if module_hash(module_bytes()) != spec.engine.module_hash.lower():
            raise ValueError(f"this gradchain's wasm module {module_hash()} is not job {self.rt.job_id}'s "
                             f"{spec.engine.module_hash}")
        self.rt.context.contribute = self

    def tick(self) -> None:
        job = self.rt.job()
        ready = (job["round"], job["head"])
        if ready != self._head_ready:  # the round's head, stored here for the pages to fetch
            self.rt.head_tensors(job["head"], job["round"])
            self._head_ready = ready

    # -- uploads ---------------------------------------------------------------------------------------------
    def admit_uploader(self, address: str) -> str | None:
        """None if `address` may upload here (a worker stake of at least the claim bond), else why not. Asked only
        for a validly signed upload (node/api/upload_auth.py), so each chain read costs the asker a signature."""
        now = time.monotonic()
        seen = self._stakes.get(address)
        if seen is None or now - seen[0] > STAKE_CACHE_S:
            if len(self._stakes) >= STAKE_CACHE_MAX:
                self._stakes.clear()
            seen = (now, self.rt.ledger.stake(address, Role.WORKER).active)
            self._stakes[address] = seen
        bond = self.rt.job_params.claim_bond
        if seen[1] < bond:
            return (f"{address} holds {format_eth(seen[1])} of worker stake; this gateway keeps artifacts only for "
                    f"workers staking at least the claim bond, {format_eth(bond)} (stake first, then upload)")
        return None

    # -- what the page reads ---------------------------------------------------------------------------------
    def job_info(self) -> dict:
        from prover.transcript import TRANSCRIPT_VERSION

        rt, spec = self.rt, self.rt.spec
        p, o = rt.job_params, spec.optimizer
        (hidden,) = spec.model_config["hidden_sizes"]
        return {
            "chain_id": rt.deployment.chain_id, "ledger": rt.ledger.address, "abi": rt.ledger.contract.abi,
            "rpc_url": rt.options.extra.get("public_rpc") or rt.ledger.w3.provider.endpoint_uri,
            "job_id": rt.job_id, "spec_hash": "0x" + spec.spec_hash().hex(), "job_key": "0x" + rt.job_key.hex(),
            "module_hash": spec.engine.module_hash, "transcript_version": TRANSCRIPT_VERSION,
            "n_in": spec.model_config["n_inputs"], "n_hidden": hidden, "n_out": spec.model_config["n_classes"],
            "batch_size": spec.batch_size, "steps_per_claim": spec.steps_per_claim,
            "checkpoint_every": spec.checkpoint_every, "lr": o.lr, "momentum": o.momentum,
            "weight_decay": o.weight_decay, "role_worker": int(Role.WORKER),
            "min_worker_stake_wei": str(p.claim_bond), "claim_bond_wei": str(p.claim_bond),
            "reward_wei": str(p.reward_per_claim), "gateway_address": rt.address, "public_url": rt.public_url,
            "kdf_n": int(os.environ.get("GRADCHAIN_KDF_N") or DEFAULT_KDF_N),
            "terms": self.terms(), **self.live()}

    def live(self) -> dict:
        job = self.rt.job()
        return {"round": job["round"], "head": "0x" + job["head"].hex(), "round_start": job["round_start"],
                "submit_window": job["submit_window"], "block": self.rt.block(), "submit_margin": SUBMIT_MARGIN_BLOCKS}

    def terms(self) -> list[str]:
        """What the page shows before anyone agrees, as the CLI worker's consent does."""
        rt, spec, p = self.rt, self.rt.spec, self.rt.job_params
        return [
            f"job {rt.job_id} on chain {rt.deployment.chain_id}, ledger {rt.ledger.address}",
            f"model: a {spec.model_config['n_inputs']}-{'-'.join(map(str, spec.model_config['hidden_sizes']))}-"
            f"{spec.model_config['n_classes']} MLP on handwritten digits, trained with the job's WebAssembly module "
            f"{spec.engine.module_hash[:18]}… in a background thread of this page",
            f"work: {spec.steps_per_claim} training steps per claim, at most one claim per round, only while you "
            "allow it (idle, not paused), at the CPU share you choose",
            f"reward: {format_eth(p.reward_per_claim)} per accepted claim, paid into this page's key",
            f"risk: {format_eth(p.claim_bond)} of worker stake, slashed if a claim is proven wrong",
            f"data: about {self._claim_bytes() // 1024} kB uploaded to this gateway per claim (checkpoints and "
            "transcript), kept for the verifiers",
        ]

    def _claim_bytes(self) -> int:
        spec = self.rt.spec
        (hidden,) = spec.model_config["hidden_sizes"]
        n_in, n_out = spec.model_config["n_inputs"], spec.model_config["n_classes"]
        params = hidden * n_in + hidden + n_out * hidden + n_out
        per_checkpoint = 4 * params * (2 if spec.optimizer.momentum else 1)
        return per_checkpoint * spec.segments_per_claim

    def module(self) -> bytes:
        from prover.wasm_engine import module_bytes

        return module_bytes()

    def dataset(self) -> bytes:
        """The training split: n_train and n_in (u32 LE), then x (float32, row-major), then y (int32)."""
        if self._dataset is None:
            from prover.datasets import load_dataset

            data = load_dataset(self.rt.spec)
            x = data.train_x.contiguous().numpy().astype("<f4")
            y = data.train_y.numpy().astype("<i4")
            self._dataset = struct.pack("<II", *x.shape) + x.tobytes() + y.tobytes()
        return self._dataset

    def claims_of(self, worker: str) -> list[dict]:
        reward = format_eth(self.rt.job_params.reward_per_claim)
        rows = self.rt.state.rows("select claim_id, round, status from claims where job_id = ? and lower(worker) = "
                                  "lower(?) order by claim_id", (self.rt.job_id, worker))
        return [{**r, "reward": reward if r["status"] == "Accepted" else ""} for r in rows]
