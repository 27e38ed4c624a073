"""The wallet's LedgerV2 transactions: stake(role), requestUnstake(role, amount), withdrawStake(role), withdraw().

What can be checked before signing is checked first (amount against unlocked stake, the
unlock block, an empty credit), so a doomed call sends nothing and says why in the contract's own numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.logs import DISCARD

from node.chain.errors import ChainError, ContractRevert
from node.chain.v2.views import LedgerV2, Role

from .amounts import format_eth
from .balance_v2 import read_balance_v2, read_stake


class NothingToWithdraw(ChainError):
    pass


@dataclass(frozen=True)
class TxResult:
    action: str
    address: str
    tx_hash: str
    block: int
    amount_wei: int  # what moved, as the contract's event reports it
    gas_used: int
    gas_price_wei: int  # effective gas price paid
    detail: dict[str, Any]

    @property
    def fee_wei(self) -> int:
        return self.gas_used * self.gas_price_wei

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "address": self.address, "tx_hash": self.tx_hash, "block": self.block,
                "amount_wei": str(self.amount_wei), "gas_used": self.gas_used,
                "gas_price_wei": str(self.gas_price_wei), "fee_wei": str(self.fee_wei),
                **{k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in self.detail.items()}}


def explain(exc: ContractRevert) -> str:
    """The decoded revert plus what the user can do about it."""
    args = exc.args_by_name
    hints = {
        "StakeStillBonded": lambda: f"the unbonding stake unlocks at block {args.get('unlockBlock')} "
                                    f"(now {args.get('current', args.get('currentBlock'))}); try again then",
        # bonds lock part of the active stake
        "InsufficientUnlockedStake": lambda: f"{_wei(args.get('needed'))} needed but only {_wei(args.get('unlocked'))} "
                                             "of the stake is unlocked (the rest bonds open obligations)",
        "InvalidJobParam": lambda: f"job term number {args.get('param')} (ILedgerV2.Param, in its declaration order) "
                                   f"is {args.get('value')}, against the limit {args.get('limit')}: see the caps in "
                                   "contracts/v2.md and ILedgerV2's createJob",
        "NothingUnbonding": lambda: "nothing is unbonding for this role: run `wallet unstake --amount ETH` first",
        "InsufficientStake": lambda: "the active stake is smaller than that",
        "NothingToWithdraw": lambda: "this address has no credit to withdraw",
        "ZeroAmount": lambda: "the amount must be more than zero",
    }
    hint = hints.get(exc.name)
    return f"{exc}: {hint()}" if hint else str(exc)


def _wei(value) -> str:
    return format_eth(int(value)) if isinstance(value, int) else str(value)


class UnstakeRefused(ChainError):
    pass


class StillBonded(ChainError):
    pass


def _logs(ledger: LedgerV2, event: str, receipt: dict) -> list:
    """`event`'s logs in the receipt; the receipt's other events (SeatRegistered beside Staked) are skipped."""
    return getattr(ledger.contract.events, event)().process_receipt(receipt, errors=DISCARD)


def _result(ledger: LedgerV2, action: str, account: LocalAccount, receipt: dict, event: str,
            detail_fields: tuple[str, ...] = ()) -> TxResult:
    logs = _logs(ledger, event, receipt)
    mine = [log for log in logs if log["args"].get("account") == account.address]
    if not mine:
        raise ChainError(f"{action} mined in block {receipt['blockNumber']} without a {event} event")
    args = mine[-1]["args"]
    detail = {name: (Role(int(args[name])).name.lower() if name == "role" else int(args[name]))
              for name in detail_fields}
    return TxResult(action=action, address=account.address, tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
                    block=receipt["blockNumber"], amount_wei=int(args["amount"]), gas_used=int(receipt["gasUsed"]),
                    gas_price_wei=int(receipt["effectiveGasPrice"]), detail=detail)


def stake_v2(ledger: LedgerV2, account: LocalAccount, role: Role, amount_wei: int) -> TxResult:
    """Add `amount_wei` to `role`'s active stake; a verifier reaching seatStake without a live seat gets one."""
    _check_funds(ledger, account.address, amount_wei)
    receipt = ledger.send(account, "stake", int(role), value=amount_wei)
    result = _result(ledger, "stake", account, receipt, "Staked", ("role", "newActive"))
    seats = [log["args"]["seatIndex"] for log in _logs(ledger, "SeatRegistered", receipt)
             if log["args"]["account"] == account.address]
    if seats:
        result.detail["seatRegistered"] = int(seats[-1])
    return result


def check_unstake(ledger: LedgerV2, address: str, role: Role, amount_wei: int) -> None:
    """Refuse, before signing, an unstake the contract would refuse with InsufficientUnlockedStake."""
    st = read_stake(ledger, address, role)
    if amount_wei > st.unlocked_wei:
        raise UnstakeRefused(
            f"cannot unstake {format_eth(amount_wei)} of {st.role} stake: only {format_eth(st.unlocked_wei)} is "
            f"unlocked (active {format_eth(st.active_wei)} - locked {format_eth(st.locked_wei)} by the bonds of "
            "open claims, approvals, challenges, juror votes or head proposals); no transaction was sent")


def seat_retire_warning(ledger: LedgerV2, address: str, role: Role) -> str | None:
    """Any requestUnstake of a verifier retires its live seat: say so before it happens."""
    if role is not Role.VERIFIER:
        return None
    seat = read_stake(ledger, address, role).seat
    if seat is None or not seat.live:
        return None
    return (f"warning: unstaking any amount retires verifier seat {seat.index}: it leaves committees and juries "
            "drawn after this block; staking again registers a new seat")


def request_unstake_v2(ledger: LedgerV2, account: LocalAccount, role: Role, amount_wei: int) -> TxResult:
    """Move `amount_wei` of unlocked stake into unbonding until block + unbondingDelay."""
    check_unstake(ledger, account.address, role, amount_wei)
    receipt = ledger.send(account, "requestUnstake", int(role), amount_wei)
    result = _result(ledger, "unstake", account, receipt, "UnstakeRequested",
                     ("role", "newActive", "newUnbonding", "unlockBlock"))
    retired = [log["args"]["seatIndex"] for log in _logs(ledger, "SeatRetired", receipt)
               if log["args"]["account"] == account.address]
    if retired:
        result.detail["seatRetired"] = int(retired[-1])
    return result


def withdraw_stake_v2(ledger: LedgerV2, account: LocalAccount, role: Role) -> TxResult:
    """Pay out all unbonding stake of `role`; before its unlock block, refuse naming the block."""
    st = read_stake(ledger, account.address, role)
    name = role.name.lower()
    if st.unbonding_wei == 0:
        raise StillBonded(f"nothing is unbonding for {name}: run `gradchain wallet unstake --role {name} AMOUNT` "
                          "first; no transaction was sent")
    # anvil estimates at the head block's number, and the contract pays from unlockBlock on
    current = ledger.w3.eth.block_number
    if current < st.unlock_block:
        raise StillBonded(f"{format_eth(st.unbonding_wei)} of {name} stake unlocks at block {st.unlock_block} "
                          f"(now {current}, {st.unlock_block - current} blocks to go); no transaction was sent")
    receipt = ledger.send(account, "withdrawStake", int(role))
    return _result(ledger, "withdraw-stake", account, receipt, "StakeWithdrawn", ("role",))


def withdraw_credit_v2(ledger: LedgerV2, account: LocalAccount, from_block: int) -> TxResult:
    """Pull the pooled credit of both roles; with nothing to pull, say why and send nothing."""
    if ledger.credit(account.address) == 0:
        reason = read_balance_v2(ledger, account.address, from_block).zero_reason
        raise NothingToWithdraw(f"nothing to withdraw for {account.address}: {reason}; no transaction was sent")
    receipt = ledger.send(account, "withdraw")
    return _result(ledger, "withdraw", account, receipt, "Withdrawn")


def _check_funds(ledger: LedgerV2, address: str, amount_wei: int) -> None:
    balance = ledger.w3.eth.get_balance(address)
    if balance < amount_wei:
        raise ChainError(f"{address} holds {balance} wei, less than the {amount_wei} wei to stake (plus gas)")
