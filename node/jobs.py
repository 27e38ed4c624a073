"""Jobs as a job owner sees them: a spec (pinned by hash) plus the on-chain terms, created and funded."""
from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount

from .chain.v2.terms import JobTermsV2
from .chain.v2.views import LedgerV2

WEI_PER_ETH = 10**18


CALIBRATION = Path(__file__).resolve().parent.parent / "prover" / "calibration.json"  # bench/calibrate_delta.py
FAR_ABOVE = 10.0  # delta this many times the calibrated safe delta leaves a drift budget nobody needs


def tolerance_delta_warning(spec, table: Path = CALIBRATION) -> str | None:
    """A warning for a tolerance job whose delta is far above (or below) the calibrated value for its model.

    A warning, not a refusal: the table covers the device pairs measured on one machine, and an owner may know
    of noisier hardware. Every unit of delta beyond honest noise is a per-segment budget a worker can steer.
    """
    import json

    if spec.verification_mode != "tolerance" or not table.is_file():
        return None
    entry = json.loads(table.read_text()).get("models", {}).get(spec.model)
    if entry is None:
        return None
    safe, honest = entry["safe_delta"], entry["honest_max"]
    where = f"calibrated for {spec.model} at k={entry['checkpoint_every']} by bench/calibrate_delta.py"
    if spec.delta > FAR_ABOVE * safe:
        return (f"warning: delta {spec.delta:g} is {spec.delta / safe:.0f}x the safe delta {safe:.3g} {where}: "
                f"each segment may then hide a steered perturbation that large")
    if spec.delta < honest:
        return (f"warning: delta {spec.delta:g} is below the honest maximum {honest:.3g} {where}: "
                f"honest workers on other hardware may be rejected")
    return None


def spec_path(home: Path, job_id: int) -> Path:
    return home / "jobs" / str(job_id) / "spec.json"


def save_spec(path: Path, spec) -> None:
    """Write the spec atomically: nodes may be reading it while a job is being created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(spec.canonical_json())
    tmp.replace(path)


def genesis_head(spec) -> bytes:
    from prover.checkpoint import checkpoint_id
    from prover.state import genesis

    return checkpoint_id(genesis(spec))


def create_job(ledger: LedgerV2, owner: LocalAccount, spec, terms: JobTermsV2, escrow_wei: int,
               home: Path | None = None) -> dict:
    """Create and fund a job; the spec file is saved under HOME/jobs/<id>/ for nodes to use.

    LedgerV2 checks the terms itself: terms it refuses revert with a named error (InvalidJobParam) at gas
    estimation, before anything is sent.
    """
    from .chain.v2.views import params_out_of_range

    head = genesis_head(spec)
    params = terms.params(spec.spec_hash(), head, spec.checkpoint_every)
    bad = params_out_of_range(ledger.artifact.abi, params)
    if bad:  # checked before anything is signed: nothing is sent
        raise ValueError("job terms the ledger cannot hold, nothing was sent: " + "; ".join(
            f"{name} = {value} is out of range (0 to {largest})" for name, value, largest in bad))
    receipt = ledger.send(owner, "createJob", params.as_tuple(), value=escrow_wei)
    (created,) = [e for e in ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["JobCreated"])
                  if e["transactionHash"] == receipt["transactionHash"]]
    job_id = created["args"]["jobId"]
    if home is not None:
        save_spec(spec_path(home, job_id), spec)
    return {"job_id": job_id, "spec_hash": "0x" + spec.spec_hash().hex(), "genesis_head": "0x" + head.hex(),
            "escrow_wei": escrow_wei, "tx": receipt["transactionHash"].to_0x_hex(), "block": receipt["blockNumber"]}


def load_spec_for_job(ledger: LedgerV2, job_id: int, spec_file: Path):
    """Read a spec file and check it is the one the job pinned on chain (hash and genesis head)."""
    from prover.spec import JobSpec

    spec = JobSpec.from_json(spec_file.read_bytes())
    on_chain_hash = ledger.job_params(job_id).spec_hash
    if spec.spec_hash() != on_chain_hash:
        raise ValueError(f"spec file {spec_file} hashes to 0x{spec.spec_hash().hex()}, but job {job_id} pinned "
                         f"0x{on_chain_hash.hex()}: wrong --spec for this job")
    return spec
