"""What `gradchain wallet balance|stake|unstake|withdraw-stake|withdraw` print on LedgerV2.

cli.py parses the options and sends; this file only talks and prints.
"""
from __future__ import annotations

import typer

from .amounts import format_eth
from .balance_v2 import BalanceV2


def echo_balance_v2(label: str, b: BalanceV2) -> None:
    typer.echo(f"{label + '  ' if label != b.address else ''}{b.address}  (block {b.block}, ledger v2)")
    typer.echo(f"  wallet ETH      {format_eth(b.eth_wei)}")
    for st in b.stakes:
        typer.echo(f"  {st.role:<8} active {format_eth(st.active_wei)}, locked {format_eth(st.locked_wei)}, "
                   f"unlocked {format_eth(st.unlocked_wei)}")
        if st.unbonding_wei:
            when = ("unlocked: withdraw it with `wallet withdraw-stake --role " + st.role + "`"
                    if b.block >= st.unlock_block
                    else f"unlocks at block {st.unlock_block}, {st.unlock_block - b.block} blocks from now")
            typer.echo(f"    unbonding      {format_eth(st.unbonding_wei)}  ({when})")
        if st.role == "verifier":
            typer.echo(f"    seat           {_seat_text(st, b.seat_stake_wei)}")
    typer.echo(f"  claimable       {format_eth(b.claimable_wei)}"
               + (f"  ({b.zero_reason})" if b.zero_reason else "  (run `gradchain wallet withdraw`)"))
    typer.echo(f"  pending         {format_eth(b.pending_wei)}"
               + (f"  ({len(b.pending)} claim(s) not yet final)" if b.pending else ""))
    for p in b.pending:
        what = "reward" if p.role == "worker" else "approval fee if accepted"
        typer.echo(f"    claim {p.claim_id} (job {p.job_id}): {format_eth(p.reward_wei)} {what}, "
                   f"final after block {p.deadline}")


def _seat_text(st, seat_stake_wei: int) -> str:
    need = f"seatStake {format_eth(seat_stake_wei)}"
    if st.seat is not None and st.seat.live:
        return f"live: seat {st.seat.index} since block {st.seat.registered_at} ({need})"
    if st.seat is not None:
        last = f"seat {st.seat.index} retired at block {st.seat.retired_at}"
    else:
        last = "never seated"
    return f"none ({last}); staking to at least {need} registers a new one"


def stake_text(result, role: str) -> str:
    text = f"staked {format_eth(result.amount_wei)} as {role}; active {role} stake now " \
           f"{format_eth(result.detail['newActive'])}"
    if "seatRegistered" in result.detail:
        text += f"; verifier seat {result.detail['seatRegistered']} registered"
    return text


def unstake_text(result, role: str) -> str:
    text = (f"unbonding {format_eth(result.detail['newUnbonding'])} of {role} stake until block "
            f"{result.detail['unlockBlock']}; then run `gradchain wallet withdraw-stake --role {role}`")
    if "seatRetired" in result.detail:
        text += f"; verifier seat {result.detail['seatRetired']} retired"
    return text
