"""Who may PUT an artifact: a named peer whose signature binds this node, the artifact, its kind and a time.

The uploader signs (EIP-191, `encode_defunct`) the text of `upload_message` and sends four headers. The node
checks that the signature recovers the address the uploader names, that the address is one of its peers, that
the timestamp is within the window of its own clock, and that this exact message was not seen before (a
random nonce in it lets one peer send the same artifact twice in a second, e.g. a retry). The
artifact id is the hash of the body (the store checks it), so binding the id binds the body.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_address, keccak, to_checksum_address

from ..state import NodeState

UPLOADER_HEADER = "X-Gradchain-Uploader"
TIMESTAMP_HEADER = "X-Gradchain-Timestamp"
SIGNATURE_HEADER = "X-Gradchain-Signature"
NONCE_HEADER = "X-Gradchain-Nonce"
HEADERS = (UPLOADER_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
DEFAULT_WINDOW_S = 300
SEEN_TABLE = "upload_signatures"
NONCE = re.compile(r"[0-9A-Za-z]{8,64}")


class UploadRefused(Exception):
    """An upload this node will not take; `status` is the HTTP answer, the message says why and what to send."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def upload_message(chain_id: int, node_address: str, artifact_id: str, kind: str, timestamp: int,
                   nonce: str) -> str:
    """The text an uploader signs. Chain id and node address: a signature for one node is useless at another."""
    return (f"gradchain artifact upload\nchain id: {chain_id}\nnode: {to_checksum_address(node_address)}\n"
            f"artifact: {artifact_id}\nkind: {kind}\ntimestamp: {timestamp}\nnonce: {nonce}")


def sign_upload(account, chain_id: int, node_address: str, artifact_id: str, kind: str,
                timestamp: int | None = None) -> dict[str, str]:
    """The headers that authenticate one upload by `account` (a LocalAccount from a keystore or a dev key)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_hex(16)
    text = upload_message(chain_id, node_address, artifact_id, kind, timestamp, nonce)
    signed = account.sign_message(encode_defunct(text=text))
    return {UPLOADER_HEADER: account.address, TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce,
            SIGNATURE_HEADER: "0x" + signed.signature.hex().removeprefix("0x")}


def parse_peers(peers: Iterable[str]) -> frozenset[str]:
    """Checksummed peer addresses, or ValueError naming the one that is not an address."""
    parsed = set()
    for peer in peers:
        peer = peer.strip()
        if not is_address(peer):
            raise ValueError(f"upload peer {peer!r} is not an Ethereum address (0x followed by 40 hex digits)")
        parsed.add(to_checksum_address(peer))
    if not parsed:
        raise ValueError("uploads need at least one peer address to accept them from")
    return frozenset(parsed)


@dataclass
class UploadAuth:
    state: NodeState
    chain_id: int
    node_address: str
    peers: frozenset[str]
    window_s: int = DEFAULT_WINDOW_S
    # Instead of `peers`: who may upload is decided per address (a gateway admits staked workers); returns None to
    # admit, else the reason for the refusal.
    admit: Callable[[str], str | None] | None = None

    def __post_init__(self) -> None:
        # In SQLite, not memory: a replay must stay refused across a restart of the node within the window.
        if not self.state.db[SEEN_TABLE].exists():
            self.state.db[SEEN_TABLE].create({"digest": str, "uploader": str, "timestamp": int}, pk="digest")
            self.state.db[SEEN_TABLE].create_index(["timestamp"])

    def check(self, headers: Mapping[str, str], artifact_id: str, kind: str) -> str:
        """The checksummed address of the peer that signed this upload, or UploadRefused (403) saying why."""
        missing = [h for h in HEADERS if not headers.get(h)]
        if missing:
            raise UploadRefused(403, f"uploads to this node must be signed by one of its peers: missing header(s) "
                                     f"{', '.join(missing)} (node.upload_client.upload_artifact sends them)")
        claimed = headers[UPLOADER_HEADER].strip()
        if not is_address(claimed):
            raise UploadRefused(403, f"{UPLOADER_HEADER} {claimed[:60]!r} is not an Ethereum address")
        claimed = to_checksum_address(claimed)
        if self.admit is None and claimed not in self.peers:
            raise UploadRefused(403, f"{claimed} is not a peer this node accepts uploads from")
        try:
            timestamp = int(headers[TIMESTAMP_HEADER])
        except ValueError:
            raise UploadRefused(403, f"{TIMESTAMP_HEADER} {headers[TIMESTAMP_HEADER][:40]!r} is not an integer "
                                     "(unix seconds)") from None
        now = time.time()
        if abs(now - timestamp) > self.window_s:
            raise UploadRefused(403, f"{TIMESTAMP_HEADER} {timestamp} is {now - timestamp:+.0f} s from this node's "
                                     f"clock; it must be within {self.window_s} s: sign the upload again")
        nonce = headers[NONCE_HEADER].strip()
        if not NONCE.fullmatch(nonce):
            raise UploadRefused(403, f"{NONCE_HEADER} must be 8 to 64 letters or digits, got {nonce[:70]!r}")
        text = upload_message(self.chain_id, self.node_address, artifact_id, kind, timestamp, nonce)
        try:
            signer = Account.recover_message(encode_defunct(text=text),
                                             signature=headers[SIGNATURE_HEADER].strip())
        except Exception as exc:  # malformed hex, wrong length, invalid v/r/s: all just "not a signature"
            raise UploadRefused(403, f"{SIGNATURE_HEADER} is not a valid signature "
                                     f"({exc.__class__.__name__})") from None
        if signer != claimed:
            raise UploadRefused(403, f"the signature does not recover {claimed} for upload of {artifact_id} as "
                                     f"{kind} at {timestamp} to {self.node_address} on chain {self.chain_id}")
        if self.admit is not None:  # after the signature: an unsigned claim of an address costs no chain read
            refused = self.admit(claimed)
            if refused:
                raise UploadRefused(403, refused)
        self._remember(text, claimed, timestamp, now)
        return claimed

    def _remember(self, text: str, uploader: str, timestamp: int, now: float) -> None:
        # Keyed on the signed message, not the signature bytes: ECDSA signatures are malleable (s -> n - s),
        # so a second valid signature of the same upload must count as the same upload.
        digest = keccak(text=text).hex()
        table = self.state.db[SEEN_TABLE]
        with self.state.db.atomic():
            # Rows older than the window can never match an acceptable timestamp again.
            table.delete_where("timestamp < ?", [int(now) - 2 * self.window_s])
            if table.count_where("digest = ?", [digest]):
                raise UploadRefused(403, f"this signed upload by {uploader} at {timestamp} was already used; "
                                         "sign each upload afresh")
            table.insert({"digest": digest, "uploader": uploader, "timestamp": timestamp})
