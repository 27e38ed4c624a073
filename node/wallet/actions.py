"""The wallet's transactions: stake, start unbonding, take unbonded stake out, withdraw credit.

Each checks what it can before signing (so a doomed call costs no gas and says why), sends from a local
key, waits for the receipt and reports what moved, including the gas paid.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from node.chain.client import Ledger
from node.chain.errors import ChainError, ContractRevert

from .amounts import format_eth
from .balance import read_balance
from .session import ROLE_NAMES


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
        "StakeLocked": lambda: f"the stake backs {args.get('openLocks')} open claim(s) or vote(s); "
                               "it can start unbonding once they are finalized",
        "StakeStillBonded": lambda: f"the unbonding stake unlocks at block {args.get('unlockBlock')} "
                                    f"(now {args.get('current', args.get('currentBlock'))}); try again then",
        # v2 (LedgerV2): bonds lock part of the active stake
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


def _result(ledger: Ledger, action: str, account: LocalAccount, receipt: dict, event: str,
            detail_fields: tuple[str, ...] = ()) -> TxResult:
    logs = getattr(ledger.contract.events, event)().process_receipt(receipt)
    mine = [log for log in logs if log["args"].get("account") == account.address]
    if not mine:
        raise ChainError(f"{action} mined in block {receipt['blockNumber']} without a {event} event")
    args = mine[-1]["args"]
    return TxResult(
        action=action,
        address=account.address,
        tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
        block=receipt["blockNumber"],
        amount_wei=int(args["amount"]),
        gas_used=int(receipt["gasUsed"]),
        gas_price_wei=int(receipt["effectiveGasPrice"]),
        detail={name: (ROLE_NAMES.get(int(args[name])) if name == "role" else int(args[name]))
                for name in detail_fields},
    )


def stake(ledger: Ledger, account: LocalAccount, role: int, amount_wei: int) -> TxResult:
    """Bond `amount_wei` more as `role` stake."""
    _check_funds(ledger, account.address, amount_wei)
    receipt = ledger.send(account, "stake", role, value=amount_wei)
    return _result(ledger, "stake", account, receipt, "Staked", ("role", "newActive"))


def request_unstake(ledger: Ledger, account: LocalAccount, role: int, amount_wei: int) -> TxResult:
    """Move `amount_wei` of active stake into unbonding (refused while it backs open claims or votes)."""
    receipt = ledger.send(account, "requestUnstake", role, amount_wei)
    return _result(ledger, "unstake", account, receipt, "UnstakeRequested",
                   ("role", "newActive", "newUnbonding", "unlockBlock"))


def withdraw_stake(ledger: Ledger, account: LocalAccount, role: int) -> TxResult:
    """Pay out the unbonded stake once its unlock block is reached."""
    receipt = ledger.send(account, "withdrawStake", role)
    return _result(ledger, "withdraw-stake", account, receipt, "StakeWithdrawn", ("role",))


def withdraw_credit(ledger: Ledger, account: LocalAccount, from_block: int) -> TxResult:
    """Pull all credited rewards, fees and slash shares; with nothing to pull, say why and send nothing."""
    if int(ledger.call("creditOf", account.address)) == 0:
        reason = read_balance(ledger, account.address, from_block).zero_reason or "nothing accepted yet"
        raise NothingToWithdraw(f"nothing to withdraw for {account.address}: {reason}; no transaction was sent")
    receipt = ledger.send(account, "withdraw")
    return _result(ledger, "withdraw", account, receipt, "Withdrawn")


def _check_funds(ledger: Ledger, address: str, amount_wei: int) -> None:
    balance = ledger.w3.eth.get_balance(address)
    if balance < amount_wei:
        raise ChainError(f"{address} holds {balance} wei, less than the {amount_wei} wei to stake (plus gas)")
