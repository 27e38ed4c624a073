"""A chain that went back: find the newest block the node processed that the chain still holds, roll back to it.

A real chain reorganises a few blocks now and then; a devnet restarted from a state file that is behind goes
back by many. Either way the node's tables hold events the chain no longer has. Block hashes chain: if the
chain still holds block n with the hash the node recorded, it holds every block the node processed below n.
So the common ancestor is found by a binary search over the recorded hashes, and the node's derived tables
are rebuilt from the events it still trusts (one source of truth: the events, replayed by the same handlers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class ChainReplaced(RuntimeError):
    """Not even the deployment block is on this chain: the node's database belongs to another chain."""


@dataclass(frozen=True)
class Rollback:
    """What a reorg cost this node: its cursor before, the ancestor it went back to, and the events it dropped."""

    old_cursor: int
    ancestor: int
    chain_head: int
    events_dropped: int

    @property
    def depth(self) -> int:
        return self.old_cursor - self.ancestor


def common_ancestor(recorded: list[tuple[int, str]], chain_hash: Callable[[int], str | None]) -> int | None:
    """The highest recorded block number whose hash the chain still has, or None if it has none of them.

    recorded: (number, hash) in ascending order. chain_hash(n) is the chain's hash of block n (None past its
    head). Matching is a prefix property (a block's hash commits to its parent), hence the binary search:
    O(log n) RPC calls for a reorg of any depth.
    """
    lo, hi, found = 0, len(recorded) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        number, recorded_hash = recorded[mid]
        if chain_hash(number) == recorded_hash:
            found, lo = number, mid + 1
        else:
            hi = mid - 1
    return found
