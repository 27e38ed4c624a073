"""What a wallet transaction will do, shown before anything is signed, and the one yes that lets it be signed.

Every wallet command that signs builds a Plan: one or more transactions, each estimated with eth_estimateGas on
the latest state (a revert there is decoded to the contract's error and nothing is signed). The plan is printed,
then confirmed: on a terminal by asking, otherwise only with --yes. The transactions are then signed with exactly
the gas limit and fees that were shown, so the preview's max fee bounds what the sender can pay.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable

import typer
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted

from node.chain.client import DEFAULT_RECEIPT_TIMEOUT_S, GAS_HEADROOM, Ledger, SignedTx, _revert_data
from node.chain.errors import ChainError, decode_revert

from .amounts import format_eth, format_eth_rounded, format_gwei
from .keystore import WalletError

PLAIN_TRANSFER_GAS = 21_000  # a value transfer to an address without code costs exactly this


class NotConfirmed(WalletError):
    exit_code = 1


class NoTerminal(WalletError):
    exit_code = 2  # a usage error, as click's own: the command needs --yes to run unattended


class InsufficientFunds(WalletError):
    pass


@dataclass(frozen=True)
class PlannedTx:
    what: str  # the call in words: "stake(worker) on the ledger 0x..: bond 1 ETH as worker stake"
    to: str
    value_wei: int
    data: bytes
    estimated_gas: int
    gas_limit: int
    function: str | None = None  # the ledger function; None for a plain ETH transfer
    receives_wei: int = 0  # what the ledger pays back to the sender (withdraw, withdrawStake)


@dataclass(frozen=True)
class GasPrice:
    base_fee_wei: int
    tip_wei: int

    @property
    def now_wei(self) -> int:
        """What one gas costs if the transaction is mined in the next block."""
        return self.base_fee_wei + self.tip_wei

    @property
    def max_wei(self) -> int:
        """The max fee per gas signed: web3's default, which survives the base fee doubling before inclusion."""
        return 2 * self.base_fee_wei + self.tip_wei


@dataclass(frozen=True)
class Plan:
    sender: str
    balance_wei: int
    price: GasPrice
    txs: tuple[PlannedTx, ...]

    @property
    def max_fee_wei(self) -> int:
        return sum(t.gas_limit for t in self.txs) * self.price.max_wei

    @property
    def estimated_fee_wei(self) -> int:
        return sum(t.estimated_gas for t in self.txs) * self.price.now_wei

    @property
    def net_value_wei(self) -> int:
        """ETH into the sender's wallet (ledger payouts) minus ETH out of it (values), gas aside."""
        return sum(t.receives_wei - t.value_wei for t in self.txs)

    @property
    def balance_after_wei(self) -> int:
        return self.balance_wei + self.net_value_wei - self.estimated_fee_wei

    @property
    def balance_after_worst_wei(self) -> int:
        return self.balance_wei + self.net_value_wei - self.max_fee_wei


Gate = Callable[[Plan], None]  # shows a plan and returns only if it may be signed


def sign_unasked(plan: Plan) -> None:
    """The gate of Python callers (the node, scripts): they asked for the transaction in code."""
    check_funds(plan)


def gas_price(w3: Web3) -> GasPrice:
    base = w3.eth.get_block("latest").get("baseFeePerGas") or 0
    return GasPrice(base_fee_wei=int(base), tip_wei=int(w3.eth.max_priority_fee))


def plan_call(ledger: Ledger, sender: str, function: str, *args, value: int = 0, receives_wei: int = 0,
              what: str) -> PlannedTx:
    """One ledger call, estimated; a revert at estimation is the contract's named error, and nothing is signed."""
    data = HexBytes(ledger.contract.encode_abi(function, args=list(args)))
    try:
        gas = ledger.w3.eth.estimate_gas({"from": sender, "to": ledger.address, "data": data, "value": value})
    except ContractLogicError as exc:
        raise decode_revert(ledger.artifact.abi, _revert_data(exc), function) from None
    # The same headroom Ledger.prepare leaves: the state can move between the estimate and the block.
    return PlannedTx(what=f"the ledger {ledger.address}: {what}", to=ledger.address, value_wei=value,
                     data=bytes(data), estimated_gas=gas, gas_limit=int(gas * GAS_HEADROOM) + 20_000,
                     function=function, receives_wei=receives_wei)


def plan_transfer(w3: Web3, sender: str, to: str, value: int, abi: list | None = None) -> PlannedTx:
    """A plain ETH transfer, estimated; a contract that refuses ETH reverts here (decoded with `abi` if given)."""
    try:
        gas = w3.eth.estimate_gas({"from": sender, "to": to, "value": value})
    except ContractLogicError as exc:
        revert = decode_revert(abi or [], _revert_data(exc), f"sending {format_eth(value)} to {to}")
        if revert.name == "UnknownRevert" and not revert.args_by_name["data"]:
            raise ChainError(f"sending {format_eth(value)} to {to} would revert: the contract there does not accept "
                             "plain ETH transfers; nothing was signed") from None
        raise revert from None
    has_code = bool(w3.eth.get_code(to))
    # To an address without code the cost is fixed; code that receives it may cost more once mined.
    limit = gas if not has_code and gas == PLAIN_TRANSFER_GAS else int(gas * GAS_HEADROOM) + 20_000
    return PlannedTx(what=f"plain ETH transfer to {to}" + (" (a contract)" if has_code else ""), to=to,
                     value_wei=value, data=b"", estimated_gas=gas, gas_limit=limit)


def make_plan(w3: Web3, sender: str, txs: list[PlannedTx]) -> Plan:
    return Plan(sender=sender, balance_wei=w3.eth.get_balance(sender), price=gas_price(w3), txs=tuple(txs))


def check_funds(plan: Plan) -> None:
    """Each transaction's value plus its max gas cost must be in the wallet when it is sent."""
    balance = plan.balance_wei
    for tx in plan.txs:
        needed = tx.value_wei + tx.gas_limit * plan.price.max_wei
        if balance < needed:
            raise InsufficientFunds(
                f"{plan.sender} holds {format_eth_rounded(balance)}, less than the {format_eth(tx.value_wei)} to "
                f"send plus up to {format_eth_rounded(needed - tx.value_wei, up=True)} of gas ({tx.gas_limit:,} gas "
                f"at most {format_gwei(plan.price.max_wei)}); nothing was signed")
        balance += tx.receives_wei - needed


def render(plan: Plan, sender_label: str = "") -> list[str]:
    """The preview, in words and ETH: what each transaction calls, its value and gas, the fees, the balance."""
    p = plan.price
    lines = ["Transaction preview (nothing is signed yet)",
             f"  from          {plan.sender}{f' ({sender_label})' if sender_label else ''}"]
    for n, tx in enumerate(plan.txs, 1):
        prefix = f"{n}. " if len(plan.txs) > 1 else ""
        lines += [f"  {prefix}to{' ' * (12 - len(prefix))}{tx.what}",
                  f"     value      {format_eth(tx.value_wei)}",
                  f"     gas        {tx.estimated_gas:,} estimated (limit {tx.gas_limit:,})"]
    # Fees and balances to 6 significant digits, rounded so that a maximum is never understated nor a minimum
    # overstated; the exact wei are in the report that follows the receipt.
    lines += [
        f"  gas price     {format_gwei(p.now_wei)} (base fee {format_gwei(p.base_fee_wei)} + tip "
        f"{format_gwei(p.tip_wei)}); at most {format_gwei(p.max_wei)}",
        f"  max fee       {format_eth_rounded(plan.max_fee_wei, up=True)} (gas limit x max gas price); about "
        f"{format_eth_rounded(plan.estimated_fee_wei, up=True)} at the estimate and today's price",
        f"  balance after about {format_eth_rounded(plan.balance_after_wei)}, at least "
        f"{format_eth_rounded(plan.balance_after_worst_wei)} (now {format_eth_rounded(plan.balance_wei)})",
    ]
    return lines


def confirm(plan: Plan, assume_yes: bool, *, sender_label: str = "", to_stderr: bool = False) -> None:
    """Print the plan, then return only if it may be signed: --yes, or `y` typed at the terminal."""
    check_funds(plan)  # before the preview: one that ends in a negative balance would only confuse
    for line in render(plan, sender_label):
        typer.echo(line, err=to_stderr)
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise NoTerminal("not a terminal: pass --yes to sign without confirmation; nothing was signed")
    sys.stderr.write("Sign and send? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise NotConfirmed("not confirmed: nothing was signed")


def send_planned(w3: Web3, account: LocalAccount, plan: Plan, tx: PlannedTx, nonce: int,
                 ledger: Ledger | None = None) -> dict:
    """Sign `tx` with the plan's gas limit and fees, send it and wait; a revert is decoded (ledger calls)."""
    fields = {"to": tx.to, "value": tx.value_wei, "data": tx.data, "nonce": nonce, "chainId": w3.eth.chain_id,
              "gas": tx.gas_limit, "maxFeePerGas": plan.price.max_wei, "maxPriorityFeePerGas": plan.price.tip_wei,
              "type": 2}
    signed_raw = account.sign_transaction(fields)
    signed = SignedTx(tx_hash=HexBytes(signed_raw.hash).to_0x_hex(), raw=bytes(signed_raw.raw_transaction),
                      nonce=nonce, sender=account.address, function=tx.function or "transfer")
    if ledger is not None and tx.function is not None:
        ledger.broadcast(signed)
        return ledger.wait(signed)
    w3.eth.send_raw_transaction(signed.raw)
    try:
        receipt = w3.eth.wait_for_transaction_receipt(signed.tx_hash, timeout=DEFAULT_RECEIPT_TIMEOUT_S,
                                                      poll_latency=0.1)
    except TimeExhausted as exc:
        raise ChainError(f"transfer {signed.tx_hash} not mined within {DEFAULT_RECEIPT_TIMEOUT_S}s") from exc
    if receipt["status"] != 1:
        raise ChainError(f"the transfer of {format_eth(tx.value_wei)} to {tx.to} reverted in block "
                         f"{receipt['blockNumber']} (tx {signed.tx_hash}); only its gas was spent")
    return receipt


def send_plan(w3: Web3, account: LocalAccount, plan: Plan, ledger: Ledger | None = None) -> list[dict]:
    """Send every transaction of a confirmed plan in order, each after the previous one's receipt."""
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    return [send_planned(w3, account, plan, tx, nonce + i, ledger) for i, tx in enumerate(plan.txs)]
