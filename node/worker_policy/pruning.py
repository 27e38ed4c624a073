"""The disk cap: which stored artifacts a worker may delete, and in what order.

Never deleted (a verifier, the aggregator or a worker rebuilding a head may still ask for them):
- the current round's head;
- everything a transcript of round >= current - 1 names (the claim in play, and the results the current head
  was averaged from);
- everything a transcript of a claim still Pending on chain names (it is inside its verification window),
  and the transcript itself.
Deleted first: artifacts of finalized claims (Accepted, Rejected, Expired), oldest round first. Then files no
kept transcript names (abandoned claims, old heads, other workers' results fetched to rebuild a head), oldest
first. Pruning runs in the training thread between claims, so no claim is being written meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FINAL = ("Accepted", "Rejected", "Expired")
TRANSCRIPT_SUFFIX = ".transcript.json"


@dataclass(frozen=True)
class StoredFile:
    hex_id: str
    path: Path
    size: int
    mtime: float


@dataclass
class PrunePlan:
    used_bytes: int
    delete: list[StoredFile] = field(default_factory=list)
    protected: set[str] = field(default_factory=set)

    @property
    def freed_bytes(self) -> int:
        return sum(f.size for f in self.delete)


def stored_files(root: Path) -> dict[str, StoredFile]:
    """Every artifact in the store by hex id (temporary .incoming- files are not artifacts)."""
    found = {}
    for path in root.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        found[path.name.split(".", 1)[0]] = StoredFile(path.name.split(".", 1)[0], path, stat.st_size, stat.st_mtime)
    return found


def disk_used(root: Path) -> int:
    return sum(f.size for f in stored_files(root).values())


def plan_pruning(root: Path, our_claims: dict[str, dict], current_round: int, current_head: str,
                 need_bytes: int, max_bytes: int) -> PrunePlan:
    """What to delete so that `need_bytes` more fit under `max_bytes`.

    our_claims: this worker's claims seen on chain, by transcript root (0x-hex) -> {"status", "round"}.
    current_head: 0x-hex or bare hex id of the current round's head.
    """
    from prover.transcript import Transcript

    files = stored_files(root)
    plan = PrunePlan(used_bytes=sum(f.size for f in files.values()))
    plan.protected.add(_bare(current_head))
    finalized: list[tuple[int, list[str]]] = []
    for hex_id, stored in files.items():
        if not stored.path.name.endswith(TRANSCRIPT_SUFFIX):
            continue
        try:
            transcript = Transcript.from_bytes(stored.path.read_bytes())
        except Exception:  # an unreadable transcript names nothing: it is garbage, pruned with the unnamed files
            continue
        named = [hex_id] + [b.hex() for b in transcript.boundary_ids()]
        claim = our_claims.get("0x" + hex_id)
        if transcript.round >= current_round - 1 or (claim is not None and claim["status"] not in FINAL):
            plan.protected.update(named)
        elif claim is not None:
            finalized.append((transcript.round, named))
    order: list[str] = []
    for _, named in sorted(finalized, key=lambda item: item[0]):
        order += [i for i in named[1:] + named[:1] if i in files]  # checkpoints, then the transcript
    order += [f.hex_id for f in sorted(files.values(), key=lambda f: f.mtime)]
    seen: set[str] = set()
    budget = plan.used_bytes + need_bytes - max_bytes  # bytes still to free
    for hex_id in order:
        if budget <= 0:
            break
        if hex_id in seen or hex_id in plan.protected:
            continue
        seen.add(hex_id)
        plan.delete.append(files[hex_id])
        budget -= files[hex_id].size
    return plan


def prune(root: Path, our_claims: dict[str, dict], current_round: int, current_head: str, need_bytes: int,
          max_bytes: int) -> PrunePlan:
    """Carry out plan_pruning; returns the plan (used_bytes is before deletion)."""
    plan = plan_pruning(root, our_claims, current_round, current_head, need_bytes, max_bytes)
    for stored in plan.delete:
        stored.path.unlink(missing_ok=True)
    return plan


def _bare(hex_id: str) -> str:
    return hex_id[2:].lower() if hex_id.startswith("0x") else hex_id.lower()
