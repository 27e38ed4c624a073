"""Merkle tree and transcript leaves: proofs verify; a tampered leaf, sibling or index fails."""

import pytest
from eth_utils import keccak

from prover import Segment, leaf_hash, merkle_proof, merkle_root, verify_proof
from prover.merkle import tree_depth


def leaves(n):
    return [keccak(i.to_bytes(32, "big")) for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9])
def test_every_proof_verifies(n):
    ls = leaves(n)
    root = merkle_root(ls)
    for i in range(n):
        proof = merkle_proof(ls, i)
        assert len(proof) == tree_depth(n)
        assert verify_proof(ls[i], proof, i, root, n_leaves=n)
        assert verify_proof(ls[i], proof, i, root)


def test_tampering_fails():
    ls = leaves(6)
    root = merkle_root(ls)
    proof = merkle_proof(ls, 2)
    assert verify_proof(ls[2], proof, 2, root, n_leaves=6)
    assert not verify_proof(keccak(b"forged"), proof, 2, root)  # tampered leaf
    bad = list(proof)
    bad[1] = keccak(b"forged")
    assert not verify_proof(ls[2], bad, 2, root)  # tampered sibling
    assert not verify_proof(ls[2], proof, 3, root)  # wrong index
    assert not verify_proof(ls[2], proof, 2 + 8, root)  # index beyond the tree
    assert not verify_proof(ls[2], proof[:-1], 2, root)  # truncated proof
    assert not verify_proof(ls[2], proof, 2, keccak(b"other root"))


def test_interior_node_cannot_pose_as_leaf_when_size_is_known():
    ls = leaves(4)
    root = merkle_root(ls)
    interior = keccak(ls[0] + ls[1])
    short = [keccak(ls[2] + ls[3])]
    assert verify_proof(interior, short, 0, root)  # what an unbounded verifier would accept...
    assert not verify_proof(interior, short, 0, root, n_leaves=4)  # ...and what pinning S refuses


def test_reference_vectors_for_solidity():
    """Fixed inputs and outputs the contract side can replay (abi.encode layout, keccak256, padding)."""
    seg = Segment(1, b"\x11" * 32, b"\x22" * 32, (2.5, 1.25))
    encoded = (1).to_bytes(32, "big") + b"\x11" * 32 + b"\x22" * 32 + keccak(
        bytes.fromhex("00002040") + bytes.fromhex("0000a03f"))  # 2.5f, 1.25f little-endian
    assert leaf_hash(seg) == keccak(encoded)
    ls = leaves(3)
    assert merkle_root(ls) == keccak(keccak(ls[0] + ls[1]) + keccak(ls[2] + bytes(32)))
    assert merkle_root(ls[:1]) == ls[0]
    assert merkle_root(ls).hex() == REFERENCE_ROOT_3


REFERENCE_ROOT_3 = "9916b82f0d1215e1cf93fdcf4c628eef02a88b920e9f8adf6abbd1a42cf9414c"
