"""Heads: the average of a round's accepted results, built or checked the same way by every role.

PROTOCOL.md §6: C_{r+1} = mean of the accepted results of round r, in claim-id order, float32. The
aggregator builds it to propose; verifiers rebuild it to check (and challenge) a proposal; workers rebuild it to train the next round.
"""
from __future__ import annotations

import json

from eth_abi import encode
from eth_utils import keccak

from .cpu_account import measured
from .state import NodeState

ZERO32 = b"\0" * 32


def accepted_claims(state: NodeState, job_id: int, round_: int) -> list[dict]:
    """The round's accepted claims, in claim-id order (the order of the mean)."""
    return state.rows("select * from claims where job_id = ? and round = ? and status = 'Accepted' "
                      "order by claim_id", (job_id, round_))


def accepted_claims_root(state: NodeState, job_id: int, round_: int) -> bytes:
    """The contract's accumulator over accepted claims, folded in the order they were finalized on chain."""
    acc = ZERO32
    finalized = state.rows("select args from events where name = 'ClaimFinalized' order by block, log_index")
    for row in finalized:
        args = json.loads(row["args"])
        if args["jobId"] != job_id or args["round"] != round_ or args["status"] != 2:
            continue
        claim = state.one("select result from claims where claim_id = ?", (args["claimId"],))
        acc = keccak(encode(["bytes32", "uint256", "bytes32"], [acc, args["claimId"], bytes.fromhex(claim["result"][2:])]))
    return acc


def round_mean(runtime, job_id: int, round_: int):
    """(head id, tensors) that round `round_` should advance to: mean of accepted results, or the same head."""
    from prover.aggregate import mean_checkpoints
    from prover.checkpoint import checkpoint_id

    claims = accepted_claims(runtime.state, job_id, round_)
    if not claims:
        head_row = runtime.state.one("select head from rounds where job_id = ? and round = ?", (job_id, round_))
        head = bytes.fromhex(head_row["head"][2:])
        return head, runtime.head_tensors(head, round_)
    results = [runtime.checkpoint(bytes.fromhex(c["result"][2:]), c["artifact_uri"]) for c in claims]
    with measured(runtime, "aggregation"):
        mean = mean_checkpoints(results)
        head = checkpoint_id(mean)
    runtime.keep_checkpoint(head, mean)
    return head, mean


def accepted_claims_synced(runtime, round_: int) -> bool:
    """The local claim table agrees with the chain on the round's accepted count (the follower may lag)."""
    # JobState.acceptedCount counts the current round: the only one a head is proposed for.
    job = runtime.job()
    if job["round"] != round_:
        return False
    on_chain = job["accepted_count"]
    local = runtime.state.one("select count(*) as n from claims where job_id = ? and round = ? "
                              "and status = 'Accepted'", (runtime.job_id, round_))["n"]
    return local == on_chain
