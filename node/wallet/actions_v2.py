"""The wallet's LedgerV2 transactions: stake(role), requestUnstake(role, amount), withdrawStake(role), withdraw().

What can be checked before signing is checked first (amount against unlocked stake, the
unlock block, an empty credit), so a doomed call sends nothing and says why in the contract's own numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.logs import DISCARD

from node.chain.errors import ChainError, ContractRevert
from node.chain.v2.views import LedgerV2, Role

from .amounts import eth_decimal, format_eth
from .balance_v2 import read_balance_v2, read_stake
from .keystore import WalletError
from .preview import Gate, make_plan, plan_call, plan_transfer, send_plan, send_planned, sign_unasked


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


def _send_one(ledger: LedgerV2, account: LocalAccount, gate: Gate, function: str, *args, value: int = 0,
              receives_wei: int = 0, what: str) -> dict:
    """Estimate the call, let `gate` show and approve it, then sign and send it with the gas shown."""
    tx = plan_call(ledger, account.address, function, *args, value=value, receives_wei=receives_wei, what=what)
    plan = make_plan(ledger.w3, account.address, [tx])
    gate(plan)
    (receipt,) = send_plan(ledger.w3, account, plan, ledger)
    return receipt


def stake_v2(ledger: LedgerV2, account: LocalAccount, role: Role, amount_wei: int,
             gate: Gate = sign_unasked) -> TxResult:
    """Add `amount_wei` to `role`'s active stake; a verifier reaching seatStake without a live seat gets one."""
    _check_funds(ledger, account.address, amount_wei)
    name = role.name.lower()
    receipt = _send_one(ledger, account, gate, "stake", int(role), value=amount_wei,
                        what=f"stake(role={name}), bonding {format_eth(amount_wei)} as {name} stake")
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


def request_unstake_v2(ledger: LedgerV2, account: LocalAccount, role: Role, amount_wei: int,
                       gate: Gate = sign_unasked) -> TxResult:
    """Move `amount_wei` of unlocked stake into unbonding until block + unbondingDelay."""
    check_unstake(ledger, account.address, role, amount_wei)
    name = role.name.lower()
    receipt = _send_one(ledger, account, gate, "requestUnstake", int(role), amount_wei,
                        what=f"requestUnstake(role={name}, amount), starting to unbond "
                             f"{format_eth(amount_wei)} of {name} stake")
    result = _result(ledger, "unstake", account, receipt, "UnstakeRequested",
                     ("role", "newActive", "newUnbonding", "unlockBlock"))
    retired = [log["args"]["seatIndex"] for log in _logs(ledger, "SeatRetired", receipt)
               if log["args"]["account"] == account.address]
    if retired:
        result.detail["seatRetired"] = int(retired[-1])
    return result


def withdraw_stake_v2(ledger: LedgerV2, account: LocalAccount, role: Role, gate: Gate = sign_unasked) -> TxResult:
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
    receipt = _send_one(ledger, account, gate, "withdrawStake", int(role), receives_wei=st.unbonding_wei,
                        what=f"withdrawStake(role={name}), paying this wallet "
                             f"{format_eth(st.unbonding_wei)} of unbonded {name} stake")
    return _result(ledger, "withdraw-stake", account, receipt, "StakeWithdrawn", ("role",))


def withdraw_credit_v2(ledger: LedgerV2, account: LocalAccount, from_block: int,
                       gate: Gate = sign_unasked) -> TxResult:
    """Pull the pooled credit of both roles; with nothing to pull, say why and send nothing."""
    credit = _credit_or_refuse(ledger, account.address, from_block)
    receipt = _send_one(ledger, account, gate, "withdraw", receives_wei=credit, what=_withdraw_words(credit))
    return _result(ledger, "withdraw", account, receipt, "Withdrawn")


def _credit_or_refuse(ledger: LedgerV2, address: str, from_block: int) -> int:
    credit = ledger.credit(address)
    if credit == 0:
        reason = read_balance_v2(ledger, address, from_block).zero_reason
        raise NothingToWithdraw(f"nothing to withdraw for {address}: {reason}; no transaction was sent")
    return credit


def _withdraw_words(credit: int) -> str:
    return f"withdraw(), paying this wallet its claimable credit of {format_eth(credit)}"


def _check_funds(ledger: LedgerV2, address: str, amount_wei: int) -> None:
    balance = ledger.w3.eth.get_balance(address)
    if balance < amount_wei:
        raise ChainError(f"{address} holds {format_eth(balance)}, less than the {format_eth(amount_wei)} to stake "
                         "(plus gas); nothing was signed")


def transfer_result(account: LocalAccount, receipt: dict, to: str, value_wei: int) -> TxResult:
    """A mined plain ETH transfer as a TxResult: it has no event, so the amount is the value it carried."""
    return TxResult(action="send", address=account.address, tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
                    block=receipt["blockNumber"], amount_wei=value_wei, gas_used=int(receipt["gasUsed"]),
                    gas_price_wei=int(receipt["effectiveGasPrice"]), detail={"to": to})


class ForwardFailed(WalletError):
    """`withdraw --to`: the credit reached the wallet, but the transfer on to the other address did not happen."""


@dataclass(frozen=True)
class WithdrawnTo:
    withdrawn: TxResult
    sent: TxResult

    def to_json(self) -> dict[str, Any]:
        return {"withdraw": self.withdrawn.to_json(), "send": self.sent.to_json(), "to": self.sent.detail["to"],
                "arrived_wei": str(self.sent.amount_wei), "arrived_eth": eth_decimal(self.sent.amount_wei)}


def withdraw_credit_to_v2(ledger: LedgerV2, account: LocalAccount, to: str, from_block: int,
                          gate: Gate = sign_unasked, signer_hint: str = "") -> WithdrawnTo:
    """withdraw() pays msg.sender only: withdraw the credit, then send exactly what was withdrawn on to `to`.

    Both transactions are estimated and shown in one plan and confirmed once; the second is signed only after
    the first is mined, with the amount its Withdrawn event reports.
    """
    if to == account.address:
        raise WalletError(f"--to {to} is this wallet's own address: run `gradchain wallet withdraw` without --to")
    credit = _credit_or_refuse(ledger, account.address, from_block)
    w3 = ledger.w3
    first = plan_call(ledger, account.address, "withdraw", receives_wei=credit, what=_withdraw_words(credit))
    second = plan_transfer(w3, account.address, to, credit, ledger.artifact.abi)
    plan = make_plan(w3, account.address, [first, second])
    gate(plan)
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    withdrawn = _result(ledger, "withdraw", account, send_planned(w3, account, plan, first, nonce, ledger),
                        "Withdrawn", ())
    forward = replace(second, value_wei=withdrawn.amount_wei)
    try:
        receipt = send_planned(w3, account, plan, forward, nonce + 1)
    except Exception as exc:  # whatever stopped it, the user must learn where the ETH is now
        raise ForwardFailed(
            f"withdrew {format_eth(withdrawn.amount_wei)} to {account.address} (tx {withdrawn.tx_hash}), but "
            f"sending it on to {to} failed: {exc}. The ETH is in the wallet: send it with `gradchain wallet send "
            f"--to {to} --amount {eth_decimal(withdrawn.amount_wei)}{signer_hint}`") from None
    return WithdrawnTo(withdrawn=withdrawn, sent=transfer_result(account, receipt, to, forward.value_wei))
