"""Positional binary Merkle tree with keccak256 interior nodes, as the contract will check it.

Decided here:
- the leaves are padded with bytes32(0) up to the next power of two (a zero leaf has no keccak preimage, so
  padding can never be proven as a segment);
- node = keccak256(left || right), left/right by position (no sorting): bit i of the leaf index says whether
  the level-i sibling is on the left (1) or the right (0); Solidity: keccak256(abi.encodePacked(l, r));
- a single leaf is its own root; a proof lists siblings from the leaf level up.
"""

from __future__ import annotations

from eth_utils import keccak

ZERO = bytes(32)


def _padded(leaves: list[bytes]) -> list[bytes]:
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    if any(len(leaf) != 32 for leaf in leaves):
        raise ValueError("every Merkle leaf must be 32 bytes")
    size = 1
    while size < len(leaves):
        size *= 2
    return list(leaves) + [ZERO] * (size - len(leaves))


def tree_depth(n_leaves: int) -> int:
    """Number of levels above the leaves (= proof length) for n_leaves leaves."""
    return max(0, (n_leaves - 1).bit_length())


def merkle_root(leaves: list[bytes]) -> bytes:
    """The 32-byte root of the leaves."""
    level = _padded(leaves)
    while len(level) > 1:
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """The siblings of leaf `index`, bottom-up."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} out of range for {len(leaves)} leaves")
    level, proof, i = _padded(leaves), [], index
    while len(level) > 1:
        proof.append(level[i ^ 1])
        level = [keccak(level[j] + level[j + 1]) for j in range(0, len(level), 2)]
        i //= 2
    return proof


def verify_proof(leaf: bytes, proof: list[bytes], index: int, root: bytes, n_leaves: int | None = None) -> bool:
    """Whether `leaf` sits at `index` under `root`.

    Pass n_leaves whenever it is known (it is: S = steps / k): it pins the proof length, so an interior node
    cannot be passed off as a leaf with a shorter proof.
    """
    if len(leaf) != 32 or len(root) != 32 or any(len(s) != 32 for s in proof):
        return False
    if index < 0 or index >= 2 ** len(proof):
        return False
    if n_leaves is not None and (index >= n_leaves or len(proof) != tree_depth(n_leaves)):
        return False
    node = leaf
    for level, sibling in enumerate(proof):
        node = keccak(sibling + node) if (index >> level) & 1 else keccak(node + sibling)
    return node == root
