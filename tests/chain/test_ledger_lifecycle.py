"""One full claim lifecycle on a real anvil through web3 and eth-account-signed transactions.

Deploys from the forge artifact; three verifiers vote (two by an EIP-712 batch signed here in Python and
relayed by a stranger, one directly); the claim is finalized, paid, withdrawn; the round's head advances.
"""
from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from node.chain.client import Ledger, deploy_ledger
from node.chain.devaccounts import dev_account
from node.chain.errors import ContractRevert
from verifier.attestation import sign_attestation

ETH = 10**18
WORKER_ROLE, VERIFIER_ROLE = 1, 2
ACCEPTED = 2
GENESIS = keccak(b"genesis checkpoint")
RESULT = keccak(b"result checkpoint")
ROOT = keccak(b"transcript root")
NEW_HEAD = keccak(b"averaged head")


def job_params(**overrides) -> tuple:
    params = dict(specHash=keccak(b"spec"), genesisHead=GENESIS, rewardPerClaim=ETH // 10,
                  verifierFee=ETH // 100, quorum=2, maxVotes=3, submitWindow=10, verifyWindow=20,
                  minWorkerStake=ETH, minVerifierStake=ETH // 2, workerSlash=ETH // 2,
                  verifierSlash=ETH // 4)
    params.update(overrides)
    return tuple(params.values())


@pytest.fixture(scope="module")
def accounts():
    return {"owner": dev_account(0), "worker": dev_account(1),
            "verifiers": [dev_account(2), dev_account(3), dev_account(4)], "relayer": dev_account(5)}


@pytest.fixture(scope="module")
def ledger(w3, accounts) -> Ledger:
    deployed, receipt = deploy_ledger(w3, accounts["owner"], unbonding_delay_blocks=5)
    assert receipt["status"] == 1
    return deployed


def mine(w3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def held_equals_books(w3, ledger: Ledger) -> bool:
    """Invariant 1 of PROTOCOL.md §4: ETH held == escrow (totalEscrow counts reservations too) + credits + stakes."""
    books = ledger.call("totalEscrow") + ledger.call("totalCredits") + ledger.call("totalStakes")
    return w3.eth.get_balance(ledger.address) == books


def test_full_claim_lifecycle_with_three_verifiers(w3, ledger, accounts):
    owner, worker, verifiers, relayer = (accounts[k] for k in ("owner", "worker", "verifiers", "relayer"))
    params = job_params()
    ledger.send(owner, "createJob", params, value=5 * ETH)
    job_id = ledger.call("counters")[0]
    ledger.send(worker, "stake", WORKER_ROLE, value=ETH)
    for v in verifiers:
        ledger.send(v, "stake", VERIFIER_ROLE, value=ETH // 2)
    assert held_equals_books(w3, ledger)

    # A claim for a round that has not started is refused with the contract's named error.
    with pytest.raises(ContractRevert) as refused:
        ledger.send(worker, "submitClaim", job_id, 1, GENESIS, RESULT, ROOT, 40, "http://127.0.0.1:9")
    assert refused.value.name == "WrongRound"
    assert "WrongRound(expected=0, given=1)" in str(refused.value)

    receipt = ledger.send(worker, "submitClaim", job_id, 0, GENESIS, RESULT, ROOT, 40, "http://127.0.0.1:9")
    assert ledger.call("getJob", job_id)[3] == params[2] + params[3] * params[5]  # reward + fee * maxVotes reserved
    assert held_equals_books(w3, ledger)
    (submitted,) = [e for e in ledger.events(receipt["blockNumber"], receipt["blockNumber"])
                    if e["event"] == "ClaimSubmitted"]
    claim_id = submitted["args"]["claimId"]
    assert submitted["args"]["artifactURI"] == "http://127.0.0.1:9"

    with pytest.raises(ContractRevert) as early:
        ledger.call("claimSeed", claim_id)
    assert early.value.name == "SeedNotYetAvailable"
    mine(w3, 3)
    seed = ledger.call("claimSeed", claim_id)
    assert seed == w3.eth.get_block(receipt["blockNumber"] + 2)["hash"]

    # Two approvals signed off-chain (EIP-712 in Python), relayed by an account that is not a verifier.
    abi, chain_id = ledger.artifact.abi, w3.eth.chain_id
    signed = [sign_attestation(abi, chain_id, ledger.address,
                               {"claimId": claim_id, "approve": True, "transcriptRoot": ROOT, "seed": seed}, v.key)
              for v in verifiers[:2]]
    for s in signed:
        assert ledger.call("attestationDigest", s.struct) == s.digest  # both sides hash the same typed data
    ledger.send(relayer, "attestBatch", [s.struct for s in signed], [s.signature for s in signed])
    # The third verifier rejects, directly; it ends on the losing side.
    ledger.send(verifiers[2], "attest", claim_id, False, seed)
    voters, approves = ledger.call("votesOf", claim_id)
    assert voters == [v.address for v in verifiers] and approves == [True, True, False]

    with pytest.raises(ContractRevert) as twice:
        ledger.send(verifiers[0], "attest", claim_id, True, seed)
    assert twice.value.name in ("AlreadyVoted", "VoteLimitReached")

    ledger.send(relayer, "finalizeClaim", claim_id)  # all maxVotes cast: finalizable before the deadline
    claim = ledger.call("getClaim", claim_id)
    assert claim[9] == ACCEPTED and (claim[10], claim[11]) == (2, 1)
    reward, fee, verifier_slash = params[2], params[3], params[11]
    assert ledger.call("creditOf", worker.address) == reward
    share = verifier_slash // 2  # the loser's slash is split between the two approvers
    for v in verifiers[:2]:
        assert ledger.call("creditOf", v.address) == fee + share
    assert ledger.call("stakeOf", verifiers[2].address, VERIFIER_ROLE)[0] == ETH // 2 - verifier_slash
    assert held_equals_books(w3, ledger)
    with pytest.raises(ContractRevert) as again:
        ledger.send(relayer, "finalizeClaim", claim_id)
    assert again.value.name == "ClaimNotPending"

    # Pull payment: the wallet gains exactly the credit, less the gas it paid.
    before = w3.eth.get_balance(worker.address)
    paid = ledger.send(worker, "withdraw")
    gas_cost = paid["gasUsed"] * paid["effectiveGasPrice"]
    assert w3.eth.get_balance(worker.address) == before + reward - gas_cost
    assert ledger.call("creditOf", worker.address) == 0
    with pytest.raises(ContractRevert) as nothing:
        ledger.send(worker, "withdraw")
    assert nothing.value.name == "NothingToWithdraw"

    # Close the round: the head proposal must commit to exactly the accepted results.
    mine(w3, params[6])
    accepted_root = keccak(encode(["bytes32", "uint256", "bytes32"], [b"\0" * 32, claim_id, RESULT]))
    ledger.send(relayer, "proposeHead", job_id, 0, NEW_HEAD, accepted_root)
    proposal_id = ledger.call("counters")[2]
    with pytest.raises(ContractRevert) as underbonded:  # the slashed verifier fell below the minimum stake
        ledger.send(verifiers[2], "attestHead", proposal_id, True)
    assert underbonded.value.name == "InsufficientStake"
    for v in verifiers[:2]:
        ledger.send(v, "attestHead", proposal_id, True)
    with pytest.raises(ContractRevert) as too_soon:
        ledger.send(relayer, "finalizeHead", proposal_id)
    assert too_soon.value.name == "VotingStillOpen"
    mine(w3, params[7] + 1)
    receipt = ledger.send(relayer, "finalizeHead", proposal_id)
    advanced = [e for e in ledger.events(receipt["blockNumber"], receipt["blockNumber"]) if e["event"] == "HeadAdvanced"]
    assert len(advanced) == 1
    assert advanced[0]["args"]["parent"] == GENESIS and advanced[0]["args"]["head"] == NEW_HEAD
    job = ledger.call("getJob", job_id)
    assert job[4] == 1 and job[6] == NEW_HEAD
    assert held_equals_books(w3, ledger)


def test_unreachable_rpc_is_a_clear_error():
    from node.chain.client import connect
    from node.chain.errors import ChainError

    with pytest.raises(ChainError, match="cannot reach the JSON-RPC node at http://127.0.0.1:9"):
        connect("http://127.0.0.1:9", timeout_s=2)
