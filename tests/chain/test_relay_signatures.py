"""The relay's signature rules (node/chain/v2/approvals.recover_approver) are the ledger's _recover rules: a
signature the ledger would refuse must never reach an approveBatch, where it would sink every other entry."""
from __future__ import annotations

import pytest
from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.v2.approvals import SECP256K1_N, Domain, recover_approver, sign_approval

DOMAIN = Domain("gradchain", "2", 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
ROOT, SEED = keccak(b"root"), keccak(b"seed")


def test_a_members_signature_recovers_to_the_member():
    member = dev_account(3)
    signature = sign_approval(member, DOMAIN, 7, ROOT, SEED)
    assert recover_approver(DOMAIN, 7, ROOT, SEED, signature) == member.address


def test_a_signature_over_another_claim_or_root_recovers_to_someone_else():
    member = dev_account(3)
    signature = sign_approval(member, DOMAIN, 7, ROOT, SEED)
    assert recover_approver(DOMAIN, 8, ROOT, SEED, signature) != member.address
    assert recover_approver(DOMAIN, 7, keccak(b"other root"), SEED, signature) != member.address


@pytest.mark.parametrize("mangle, message", [
    (lambda sig: sig[:64], "65 bytes"),
    (lambda sig: sig[:64] + bytes([29]), "v is 27 or 28"),
    (lambda sig: sig[:32] + (SECP256K1_N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big")
     + bytes([55 - sig[64]]), "malleated"),
    (lambda sig: b"\xff" * 32 + b"\x01" * 32 + sig[64:], "does not recover"),
], ids=["short", "bad-v", "high-s", "not-on-curve"])
def test_signatures_the_ledger_refuses_are_refused_by_name(mangle, message):
    signature = sign_approval(dev_account(3), DOMAIN, 7, ROOT, SEED)
    with pytest.raises(ValueError, match=message):
        recover_approver(DOMAIN, 7, ROOT, SEED, mangle(signature))
