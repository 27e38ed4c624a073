"""What a committee member challenges when its own sample fails (PROTOCOL.md v2 §4.2, contracts/v2.md "Claim").

    challenge(claimId, segments[], approvers[], drawIndices[])    parallel arrays, 1..16 entries

Entry k names segment segments[k]. Held against an approver (approvers[k] != 0x0) it is valid only if that
account approved and sample_index(seed, claimId, approver, drawIndices[k], S) == segments[k] with
drawIndices[k] < s (else NotInSample); with approvers[k] == 0x0 it names any segment < S.

A member challenges only on its own evidence: its own draws, judged as a juror would (verifier/jury.py), so
that what it names is what an honest jury will find. When one of them is faulty, it also names every draw of
every approver whose segment is faulty: those are the approvers the verdict slashes, and an approver's sample
is public (pure in seed, claim and address), so the member can judge those segments before it pays a bond.
Unavailable data counts as faulty here too: a member challenges what it cannot fetch.

Order (deterministic, capped at `max_entries` entries and MAX_DISPUTE_SEGMENTS distinct segments): entries held
against approvers first (approvers in the order given, draws ascending, one per approver and segment), then
the member's own faulty segments (first-draw order, then the segment of a located structure fault) that no
entry names yet: a segment already in the dispute gains nothing from being named twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import is_address

from prover.spec import JobSpec
from verifier.claim import Claim
from verifier.jury import SegmentFinding, judge_segments
from verifier.replay_source import Replay
from verifier.sampling import sample_index, sample_segments, segments_to_replay, with_distinct_segments
from verifier.verify import Fetch

NO_APPROVER = "0x" + "00" * 20  # an entry held against nobody
MAX_DISPUTE_SEGMENTS = 16  # the contract's _MAX_DISPUTE_SEGMENTS: per challenge and per dispute


@dataclass(frozen=True)
class ChallengePlan:
    """The arguments of `challenge(claimId, segments, approvers, drawIndices)`, with a reason per entry."""

    segments: tuple[int, ...]
    approvers: tuple[str, ...]
    draw_indices: tuple[int, ...]
    reasons: tuple[dict[str, Any], ...]  # JSON-able: why entry k's segment is faulty (jury.py's reason)


def own_draws(spec: JobSpec, seed: bytes, claim_id: int, member: str, n_segments: int, s: int) -> list[int]:
    """The segments the member replays, as verify_claim draws them (tolerance mode: two distinct when s >= 2)."""
    draws = sample_segments(seed, claim_id, member, n_segments, s)
    if spec.verification_mode == "tolerance" and s >= 2:
        draws = with_distinct_segments(seed, claim_id, member, n_segments, draws, 2)
    return segments_to_replay(draws)


def _check_inputs(member: str, approvers: list[str], samples_per_member: int, n_segments: int,
                  max_entries: int) -> None:
    if not is_address(member):
        raise ValueError(f"member is not an address: {member!r}"[:200])
    _check_approvers(approvers)
    for name, value, top in (("samples_per_member", samples_per_member, n_segments),
                             ("n_segments", n_segments, 65535), ("max_entries", max_entries, MAX_DISPUTE_SEGMENTS)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            raise ValueError(f"{name} must be an integer in [1, {top}], got {value!r}")


def _check_approvers(approvers: list[str]) -> None:
    if not isinstance(approvers, (list, tuple)):
        raise ValueError(f"approvers must be a list of addresses, got {type(approvers).__name__}")
    for a in approvers:
        if not is_address(a) or int(a, 16) == 0:
            raise ValueError(f"approvers: {a!r} is not a non-zero address"[:200])


def plan_challenge(spec: JobSpec, claim: Claim, head_id: bytes, seed: bytes, member: str, fetch: Fetch,
                   approvers: list[str], samples_per_member: int, n_segments: int, replay: Replay | None = None,
                   max_entries: int = MAX_DISPUTE_SEGMENTS) -> ChallengePlan | None:
    """The challenge `member` should send for `claim`, or None when none of its own draws is faulty.

    `approvers` are the committee members that approved so far (from the chain), `samples_per_member` and
    `n_segments` the claim's s and S as the contract has them. Raises ValueError on a malformed argument."""
    _check_inputs(member, approvers, samples_per_member, n_segments, max_entries)
    s = samples_per_member
    own = own_draws(spec, seed, claim.claim_id, member, n_segments, s)
    first = judge_segments(spec, claim, head_id, seed, member, fetch, own, replay)
    found: dict[int, SegmentFinding] = {f.segment: f for f in first.findings}
    located = first.structure_fault  # faulty whether or not the member drew it: a juror judges it so
    if located is not None and located["segment"] < n_segments:
        found.setdefault(located["segment"], SegmentFinding(located["segment"], True, located))
    own_faulty = [j for j in found if found[j].faulty]
    if not own_faulty:
        return None

    held = list(dict.fromkeys((a, sample_index(seed, claim.claim_id, a, i, n_segments), i)
                              for a in approvers for i in range(s)))
    todo = list(dict.fromkeys(seg for _, seg, _ in held if seg not in found))
    if todo:  # judged once per distinct segment, all in one juror pass
        found.update({f.segment: f for f in judge_segments(spec, claim, head_id, seed, member, fetch, todo,
                                                           replay).findings})
    entries, seen = [], set()
    for a, seg, i in held:
        if found[seg].faulty and (a, seg) not in seen:
            seen.add((a, seg))
            entries.append((seg, a, i))
    named = {seg for seg, _, _ in entries}
    entries += [(seg, NO_APPROVER, 0) for seg in own_faulty if seg not in named]
    return _capped(entries, found, max_entries)


def plan_blame(seed: bytes, claim_id: int, approvers: list[str], n_segments: int,
               own_segment: int | None = None, why: str = "planted") -> ChallengePlan | None:
    """A challenge that names, without replaying anything, the first draw of every approver (held against it)
    and `own_segment` (held against nobody) if no entry names it yet; None when that is nothing.

    For a claim whose every segment is known to be faulty: the sentinel's own planted fault (PROTOCOL.md §2),
    where each approver's first draw is proven faulty and costs it its bond. A griefer (DEMO/TESTS ONLY) sends
    the same on an honest claim, and its bond pays for the jury's work."""
    _check_approvers(approvers)
    if not isinstance(n_segments, int) or isinstance(n_segments, bool) or not 1 <= n_segments <= 65535:
        raise ValueError(f"n_segments must be an integer in [1, 65535], got {n_segments!r}")
    entries = list(dict.fromkeys((sample_index(seed, claim_id, a, 0, n_segments), a, 0) for a in approvers))
    if own_segment is not None and own_segment not in {seg for seg, _, _ in entries}:
        entries.append((own_segment, NO_APPROVER, 0))
    if not entries:
        return None
    reasons = {seg: {"check": why} for seg, _, _ in entries}
    return _capped(entries, {seg: SegmentFinding(seg, True, r) for seg, r in reasons.items()}, MAX_DISPUTE_SEGMENTS)


def _capped(entries: list[tuple[int, str, int]], found: dict[int, SegmentFinding], max_entries: int) -> ChallengePlan:
    """The first entries that fit in max_entries entries and MAX_DISPUTE_SEGMENTS distinct segments."""
    kept, distinct = [], set()
    for seg, a, i in entries:
        if len(kept) == max_entries:
            break
        if seg in distinct or len(distinct) < MAX_DISPUTE_SEGMENTS:
            distinct.add(seg)
            kept.append((seg, a, i))
    return ChallengePlan(segments=tuple(e[0] for e in kept), approvers=tuple(e[1] for e in kept),
                         draw_indices=tuple(e[2] for e in kept), reasons=tuple(found[e[0]].reason for e in kept))
