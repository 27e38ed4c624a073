"""A deployed contract seen from Python: connect, call, sign-and-send, read events, decode reverts.

LedgerV2 (node/chain/v2/views.py) builds its typed views on this client; node/chain/v2/deploy.py deploys it.
Transactions are always signed locally with an eth-account key (from a keystore, or a dev key on anvil)
and sent raw: the node never asks a JSON-RPC server to hold or use a key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import RPCEndpoint

from .artifacts import Artifact
from .errors import ChainError, ContractRevert, abi_type, decode_revert
from .transport import ChainUnreachable, LeanHTTPProvider

DEFAULT_RECEIPT_TIMEOUT_S = 60
GAS_HEADROOM = 1.3


def connect(rpc_url: str, timeout_s: float = 10.0) -> Web3:
    """A Web3 on `rpc_url`, checked to answer: an unreachable node is a clear error, not a hang."""
    # web3 asks for the chain id before every call and transaction it validates: 2 of every 5 requests a node
    # sent (bench/network_share.py). It is the one answer cached: blocks and logs must stay fresh for reorgs.
    w3 = Web3(LeanHTTPProvider(rpc_url, timeout_s, cache_allowed_requests=True,
                               cacheable_requests={RPCEndpoint("eth_chainId")}))
    # Every transaction is signed here with its chain id and sent raw, and no name is an ENS name: web3's
    # validation (a chain-id read per eth_call) and ENS resolution only cost CPU on every call.
    for unused in ("validation", "ens_name_to_address"):
        w3.middleware_onion.remove(unused)
    try:
        w3.eth.chain_id
    except ChainUnreachable as exc:  # refused, no route, unknown host: nothing listens there
        raise ChainError(unreachable_chain(rpc_url)) from exc
    except Exception as exc:  # timeouts, bad JSON...
        raise ChainError(f"cannot reach the JSON-RPC node at {rpc_url}: {exc.__class__.__name__}: {exc}") from exc
    return w3


def unreachable_chain(rpc_url: str) -> str:
    """What every command says when nothing answers at the RPC URL, and the two ways out."""
    return f"cannot reach the chain at {rpc_url}: start one with `gradchain devnet up`, or pass --rpc URL"


@dataclass(frozen=True)
class SignedTx:
    """A transaction signed but not necessarily sent: the outbox stores these before sending."""

    tx_hash: str
    raw: bytes
    nonce: int
    sender: str
    function: str


class Ledger:
    """Calls, transactions and events of one deployed contract, by its forge artifact's ABI."""

    def __init__(self, w3: Web3, address: str, artifact: Artifact):
        self.w3 = w3
        self.artifact = artifact
        self.address = Web3.to_checksum_address(address)
        self.contract = w3.eth.contract(address=self.address, abi=self.artifact.abi)

    # -- reads -------------------------------------------------------------------------------------------
    def call(self, function: str, *args: Any, block: int | str = "latest") -> Any:
        try:
            return getattr(self.contract.functions, function)(*args).call(block_identifier=block)
        except ContractLogicError as exc:
            raise decode_revert(self.artifact.abi, _revert_data(exc), function) from None

    # -- writes ------------------------------------------------------------------------------------------
    def prepare(
        self,
        account: LocalAccount,
        function: str,
        *args: Any,
        value: int = 0,
        nonce: int | None = None,
        gas: int | None = None,
    ) -> SignedTx:
        """Build and sign a call; gas estimation runs it first, so a revert surfaces here, decoded."""
        if nonce is None:
            nonce = self.w3.eth.get_transaction_count(account.address, "pending")
        tx_fields: dict[str, Any] = {"from": account.address, "value": value, "nonce": nonce,
                                     "chainId": self.w3.eth.chain_id}
        call = getattr(self.contract.functions, function)(*args)
        try:
            if gas is None:
                # Estimated against the latest state, but mined after whatever else lands in the same block
                # (a second vote on a claim costs more than the first): leave headroom.
                gas = int(call.estimate_gas({"from": account.address, "value": value}) * GAS_HEADROOM) + 20_000
            tx_fields["gas"] = gas
            tx = call.build_transaction(tx_fields)
        except ContractLogicError as exc:
            raise decode_revert(self.artifact.abi, _revert_data(exc), function) from None
        signed = account.sign_transaction(tx)
        return SignedTx(
            tx_hash=HexBytes(signed.hash).to_0x_hex(),
            raw=bytes(signed.raw_transaction),
            nonce=nonce,
            sender=account.address,
            function=function,
        )

    def broadcast(self, signed: SignedTx) -> None:
        """Send a signed transaction; sending one the node already knows is not an error (idempotent)."""
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
        except (ValueError, Web3RPCError) as exc:  # web3 7 raises Web3RPCError, which is no ValueError
            message = str(exc).lower()
            if "already known" in message or "already imported" in message:
                return
            if "nonce too low" in message and self.receipt(signed.tx_hash) is not None:
                return  # it was mined before we (re)sent it
            raise ChainError(f"{signed.function} from {signed.sender} not accepted by the node: {exc}") from exc

    def pending(self, tx_hash: str) -> bool:
        """The transaction is in the node's pool, not yet mined."""
        try:
            tx = self.w3.eth.get_transaction(tx_hash)
        except Exception:  # TransactionNotFound
            return False
        return tx.get("blockNumber") is None

    def simulate(self, signed: SignedTx) -> None:
        """Run a signed transaction's call on the latest state; raises its decoded ContractRevert."""
        tx = decode_signed(signed.raw)
        call = {"from": signed.sender, "to": tx["to"], "data": tx["data"], "value": tx["value"]}
        try:
            self.w3.eth.call(call, block_identifier="latest")
        except ContractLogicError as exc:
            raise decode_revert(self.artifact.abi, _revert_data(exc), signed.function) from None

    def resign(self, account: LocalAccount, signed: SignedTx, nonce: int) -> SignedTx:
        """The same call (calldata, value, gas and fees) signed again with another nonce."""
        fields = decode_signed(signed.raw)
        fields["nonce"] = nonce
        again = account.sign_transaction(fields)
        return SignedTx(tx_hash=HexBytes(again.hash).to_0x_hex(), raw=bytes(again.raw_transaction), nonce=nonce,
                        sender=account.address, function=signed.function)

    def receipt(self, tx_hash: str) -> dict | None:
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except Exception:  # web3 raises TransactionNotFound while it is pending
            return None

    def wait(self, signed: SignedTx, timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S) -> dict:
        """Wait for the receipt; a mined revert is replayed to recover and decode its custom error."""
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(signed.tx_hash, timeout=timeout_s, poll_latency=0.1)
        except TimeExhausted as exc:
            raise ChainError(f"{signed.function} {signed.tx_hash} not mined within {timeout_s}s") from exc
        if receipt["status"] != 1:
            raise self._replay_revert(signed, receipt)
        return receipt

    def send(self, account: LocalAccount, function: str, *args: Any, value: int = 0, gas: int | None = None) -> dict:
        """Sign, send and wait: the one-liner for scripts and tests."""
        signed = self.prepare(account, function, *args, value=value, gas=gas)
        self.broadcast(signed)
        return self.wait(signed)

    def _replay_revert(self, signed: SignedTx, receipt: dict) -> ChainError:
        tx = self.w3.eth.get_transaction(signed.tx_hash)
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"]}
        try:
            self.w3.eth.call(call, block_identifier=receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return decode_revert(self.artifact.abi, _revert_data(exc), signed.function)
        # The call succeeds on the previous block's state: it failed for reasons of its own block.
        reason = "OutOfGas" if receipt["gasUsed"] >= tx["gas"] else "RevertedInBlock"
        return ContractRevert(reason, {"tx": signed.tx_hash, "block": receipt["blockNumber"],
                                       "gas_used": receipt["gasUsed"], "gas_limit": tx["gas"]}, signed.function)

    # -- events ------------------------------------------------------------------------------------------
    def events(self, from_block: int, to_block: int | str = "latest", names: Iterable[str] | None = None) -> list:
        """Every ledger event in [from_block, to_block], decoded, in chain order."""
        wanted = set(names) if names else None
        logs = self.w3.eth.get_logs({"address": self.address, "fromBlock": from_block, "toBlock": to_block})
        decoded = []
        for log in logs:
            event = self._decode_log(log)
            if event is not None and (wanted is None or event["event"] in wanted):
                decoded.append(event)
        return decoded

    def decode_raw_logs(self, raw_logs: list[dict]) -> list:
        """Raw eth_getLogs entries (node/chain/raw_reads.py) decoded as `events` decodes web3's, in chain order."""
        from .raw_reads import web3_log

        return [e for e in (self._decode_log(web3_log(r)) for r in raw_logs) if e is not None]

    def _decode_log(self, log: dict) -> dict | None:
        event = self._event_types().get(HexBytes(log["topics"][0]))
        return event.process_log(log) if event is not None else None

    def _event_types(self) -> dict:
        """topic0 -> web3 event object, built once from the ABI."""
        if not hasattr(self, "_events_by_topic"):
            self._events_by_topic = {
                HexBytes(Web3.keccak(text=_event_signature(entry))): getattr(self.contract.events, entry["name"])()
                for entry in self.artifact.abi if entry.get("type") == "event"}
        return self._events_by_topic


def decode_signed(raw: bytes) -> dict:
    """A signed typed transaction's fields, without its signature: what `sign_transaction` takes back."""
    from eth_account.typed_transactions import TypedTransaction

    fields = dict(TypedTransaction.from_bytes(HexBytes(raw)).as_dict())
    for signature_field in ("v", "r", "s", "y_parity", "yParity"):
        fields.pop(signature_field, None)
    return fields


def _event_signature(entry: dict) -> str:
    return f"{entry['name']}({','.join(abi_type(i) for i in entry['inputs'])})"


def _revert_data(exc: ContractLogicError) -> str | None:
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    return data
