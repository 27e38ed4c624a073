"""`gradchain wallet ...`: keystores, balances, staking and reward withdrawals.

Every failure a user can cause (wrong password, missing wallet, a revert) ends as one line on stderr and
exit code 1, never a traceback. Chain commands take --rpc, --deployment and --home. Commands that sign show a
preview (preview.py) and ask before signing; without a terminal they need --yes, or refuse with exit code 2.
"""
from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from node.commands.common import (  # shared by every command group
    DeploymentOpt, DevAccountOpt, HomeOpt, JsonOpt, PasswordFileOpt, RpcOpt, WalletOpt, pick_wallet as _pick_wallet,
    print_json as _print_json, resolve_home as _home, signing_account, unlock as _unlock, user_errors)
from node.config import wallet_dir

from .amounts import format_eth, parse_eth
from .keystore import (
    WalletError,
    create_wallet,
    import_keystore,
    kdf_text,
    list_wallets,
    open_keystore,
    wallet_address,
)
from .password import resolve_password

wallet_app = typer.Typer(
    help="Keystores, balances, staking and reward withdrawals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

RoleOpt = Annotated[str, typer.Option("--role", help="worker or verifier")]
AmountOpt = Annotated[Optional[str], typer.Option("--amount", help="amount in ETH, e.g. 0.5")]
AmountArg = Annotated[Optional[str], typer.Argument(metavar="[AMOUNT]", help="amount in ETH (or --amount)")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="sign without asking after the preview (needed when stdin "
                                                          "is not a terminal)")]


def _one_amount(positional: str | None, option: str | None, what: str) -> str | None:
    """AMOUNT may be given as the argument or as --amount, not both."""
    if positional is not None and option is not None:
        raise WalletError(f"give the amount to {what} once: as AMOUNT or as --amount, not both")
    return positional if positional is not None else option


# -- keystores ---------------------------------------------------------------------------------------------

@wallet_app.command("new")
@user_errors
def new(
    name: Annotated[str, typer.Argument(help="wallet name (also its keystore file name)")],
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Create a wallet with a fresh random key, encrypted with a password you choose."""
    h = _home(home)
    password = resolve_password(name, password_file, confirm=True)
    info = create_wallet(h, name, password)
    typer.echo(f"created wallet {info.name}: {info.address}")
    typer.echo(f"keystore: {info.path} (encrypted; back it up and remember the password: it cannot be recovered)")


@wallet_app.command("import")
@user_errors
def import_(
    name: Annotated[str, typer.Argument(help="name for the imported wallet")],
    keystore: Annotated[
        Optional[Path], typer.Option("--keystore", help="import an existing V3 keystore file (cast, geth, MetaMask)")
    ] = None,
    anvil_index: Annotated[
        Optional[int], typer.Option("--anvil-index", help="import anvil dev account N (PUBLIC key: local testing only)")
    ] = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Import a private key (typed at a hidden prompt, or piped on stdin), a keystore file, or a dev account.

    The key is never a command-line argument: that would land in shell history and the process list.
    """
    h = _home(home)
    if keystore is not None and anvil_index is not None:
        raise WalletError("choose one of --keystore and --anvil-index")
    if keystore is not None:
        info = import_keystore(h, name, keystore, resolve_password(name, password_file))
        typer.echo(f"imported keystore {keystore} as wallet {info.name}: {info.address}")
        if info.reencrypted_from:
            typer.echo(f"re-encrypted with gradchain's {kdf_text()} (the keystore had {info.reencrypted_from}, "
                       f"weaker); {keystore} itself is unchanged")
        return
    if anvil_index is not None:
        from node.chain.devaccounts import dev_account

        key = bytes(dev_account(anvil_index).key)
        typer.echo(
            f"WARNING: anvil dev account {anvil_index} has a PUBLIC, well-known private key. "
            "Use it for local testing only; anything sent to it on a real chain will be stolen.",
            err=True,
        )
    else:
        key = _read_private_key()
    info = create_wallet(h, name, resolve_password(name, password_file, confirm=True), private_key=key)
    typer.echo(f"imported wallet {info.name}: {info.address}")


def _read_private_key() -> str:
    if sys.stdin.isatty():
        text = getpass.getpass("Private key (hex, hidden): ")
    else:
        text = sys.stdin.readline()
    text = text.strip()
    if not text:
        raise WalletError("no private key given: type it at the prompt or pipe it on stdin")
    body = text[2:] if text.lower().startswith("0x") else text
    if len(body) != 64 or any(c not in "0123456789abcdefABCDEF" for c in body):
        raise WalletError("a private key is 32 bytes written as 64 hex digits (optionally 0x-prefixed)")
    return "0x" + body


@wallet_app.command("list")
@user_errors
def list_(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List wallets and their addresses (no password needed)."""
    h = _home(home)
    wallets = list_wallets(h)
    if as_json:
        _print_json([{"name": w.name, "address": w.address, "path": str(w.path)} for w in wallets])
        return
    if not wallets:
        typer.echo(f"no wallets in {wallet_dir(h)}")
        return
    for w in wallets:
        typer.echo(f"{w.name}\t{w.address or '(address not stored: run `wallet address` to unlock)'}")


@wallet_app.command("address")
@user_errors
def address(
    name: Annotated[Optional[str], typer.Argument(help="wallet name (default: the only wallet)")] = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Print a wallet's address (unlocks it only when the keystore does not store the address)."""
    h = _home(home)
    name = _pick_wallet(h, name, "`wallet address NAME`")
    found = wallet_address(h, name)
    if found is None:
        found = _unlock(h, name, password_file).address
    typer.echo(found)


# -- chain -------------------------------------------------------------------------------------------------

def _session(home: Path, rpc: str | None, deployment: Path | None):
    from .session import open_ledger

    return open_ledger(home, rpc, deployment)


def _addresses(home: Path, names: list[str], address_opt: list[str]) -> list[tuple[str, str]]:
    """(label, address) for the named wallets and raw addresses; every wallet when neither is given."""
    from web3 import Web3

    pairs = []
    for raw in address_opt:
        if not Web3.is_address(raw):
            raise WalletError(f"{raw!r} is not an Ethereum address")
        pairs.append((raw, Web3.to_checksum_address(raw)))
    for name in names:
        found = wallet_address(home, name)
        if found is None:
            raise WalletError(f"wallet {name!r} does not store its address: run `gradchain wallet address {name}` "
                              "or pass --address 0x...")
        pairs.append((name, found))
    if not pairs:
        wallets = list_wallets(home)
        if not wallets:
            raise WalletError(f"no wallets in {wallet_dir(home)}: create one with `gradchain wallet new NAME` "
                              "or pass --address 0x...")
        pairs = [(w.name, w.address) for w in wallets if w.address]
    return pairs


@wallet_app.command("balance")
@user_errors
def balance(
    names: Annotated[Optional[list[str]], typer.Argument(help="wallet names (default: every wallet)")] = None,
    address_opt: Annotated[Optional[list[str]], typer.Option("--address", help="any address (repeatable)")] = None,
    home: HomeOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """ETH, stakes, unbonding, claimable credit and pending rewards, per address (no password needed)."""
    from .balance_v2 import read_balance_v2
    from .cli_v2 import echo_balance_v2

    h = _home(home)
    session = _session(h, rpc, deployment)
    rows = [(label, read_balance_v2(session.ledger, addr, session.deployment.block))
            for label, addr in _addresses(h, names or [], address_opt or [])]
    if as_json:
        _print_json([{"wallet": label, **b.to_json()} for label, b in rows])
        return
    for label, b in rows:
        echo_balance_v2(label, b)


def _existing_wallet(home: Path, wallet: str | None) -> str:
    """The wallet to sign with, checked to exist before anything touches the chain or asks for a password."""
    name = _pick_wallet(home, wallet)
    open_keystore(home, name)
    return name


def _signing_session(home: Path, wallet: str | None, password_file: Path | None, rpc: str | None,
                     deployment: Path | None):
    """(ledger session, unlocked account, wallet name): the wallet is checked to exist before the chain or a
    password."""
    name = _existing_wallet(home, wallet)
    session = _session(home, rpc, deployment)
    return session, _unlock(home, name, password_file), name


def _gate(yes: bool, as_json: bool, label: str):
    """The preview and confirmation every signing command passes its plan through (preview.py)."""
    from .preview import confirm

    # With --json, stdout is the result only: the preview goes to stderr.
    return lambda plan: confirm(plan, yes, sender_label=label, to_stderr=as_json)


def _report(result, as_json: bool, text: str) -> None:
    if as_json:
        _print_json(result.to_json())
        return
    typer.echo(text)
    typer.echo(f"  tx {result.tx_hash} in block {result.block}, gas {result.gas_used} "
               f"({format_eth(result.fee_wei)})")


@wallet_app.command("stake")
@user_errors
def stake(
    role: RoleOpt,
    amount_arg: AmountArg = None,
    amount: AmountOpt = None,
    wallet: WalletOpt = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Bond ETH as worker or verifier stake (adds to an existing stake; a verifier reaching seatStake gets a seat)."""
    from node.chain.v2.views import Role

    from .actions_v2 import stake_v2
    from .cli_v2 import stake_text
    from .session import role_id

    h = _home(home)
    amount = _one_amount(amount_arg, amount, "stake")
    if amount is None:
        raise WalletError("give the amount to stake: `wallet stake --role R AMOUNT` (ETH, e.g. 0.5)")
    rid, wei = role_id(role), parse_eth(amount)
    session, account, name = _signing_session(h, wallet, password_file, rpc, deployment)
    result = stake_v2(session.ledger, account, Role(rid), wei, _gate(yes, as_json, f"wallet {name}"))
    _report(result, as_json, stake_text(result, role))


@wallet_app.command("unstake")
@user_errors
def unstake(
    role: RoleOpt,
    amount_arg: AmountArg = None,
    amount: Annotated[Optional[str], typer.Option("--amount", help="ETH to start unbonding")] = None,
    finish: Annotated[bool, typer.Option("--finish", help="pay out stake whose unbonding delay has passed")] = False,
    wallet: WalletOpt = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Unstake in two steps: AMOUNT (or --amount) starts unbonding; after the delay, `withdraw-stake` pays it out.

    Only unlocked stake (active - locked by bonds) can unbond, and any unstake retires a verifier seat.
    """
    from .session import role_id

    amount = _one_amount(amount_arg, amount, "unstake")
    if (amount is None) == (not finish):
        raise WalletError("give either AMOUNT ETH (start unbonding) or --finish (pay out unbonded stake)")
    h = _home(home)
    rid = role_id(role)
    wei = parse_eth(amount) if amount is not None else 0
    session, account, name = _signing_session(h, wallet, password_file, rpc, deployment)
    _unstake_v2(session, account, rid, role, wei, finish, as_json, _gate(yes, as_json, f"wallet {name}"))


def _unstake_v2(session, account, rid: int, role: str, wei: int, finish: bool, as_json: bool, gate) -> None:
    from node.chain.v2.views import Role

    from .actions_v2 import check_unstake, request_unstake_v2, seat_retire_warning, withdraw_stake_v2
    from .cli_v2 import unstake_text

    if finish:
        result = withdraw_stake_v2(session.ledger, account, Role(rid), gate)
        _report(result, as_json, f"withdrew {format_eth(result.amount_wei)} of unbonded {role} stake")
        return
    check_unstake(session.ledger, account.address, Role(rid), wei)  # refused before any warning or signature
    warning = seat_retire_warning(session.ledger, account.address, Role(rid))
    if warning:
        typer.echo(warning, err=True)
    result = request_unstake_v2(session.ledger, account, Role(rid), wei, gate)
    _report(result, as_json, unstake_text(result, role))


@wallet_app.command("withdraw-stake")
@user_errors
def withdraw_stake_cmd(
    role: RoleOpt,
    wallet: WalletOpt = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Pay out unbonded stake once its unlock block is reached (same as `unstake --finish`)."""
    from .session import role_id

    h = _home(home)
    rid = role_id(role)
    session, account, name = _signing_session(h, wallet, password_file, rpc, deployment)
    _unstake_v2(session, account, rid, role, 0, True, as_json, _gate(yes, as_json, f"wallet {name}"))


@wallet_app.command("withdraw")
@user_errors
def withdraw(
    to: Annotated[Optional[str], typer.Option("--to", help="send the withdrawn credit on to this address (a "
                                                           "second transaction, shown and confirmed together)")] = None,
    wallet: WalletOpt = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Withdraw all claimable credit (rewards, fees, slash shares); waits for the receipt.

    The ledger pays the caller only: with --to, the credit is withdrawn to this wallet and then sent on.
    """
    from .actions_v2 import withdraw_credit_to_v2, withdraw_credit_v2
    from .transfer import parse_address

    h = _home(home)
    to_address = parse_address(to) if to is not None else None
    session, account, name = _signing_session(h, wallet, password_file, rpc, deployment)
    gate = _gate(yes, as_json, f"wallet {name}")
    if to_address is None:
        result = withdraw_credit_v2(session.ledger, account, session.deployment.block, gate)
        _report(result, as_json, f"withdrew {format_eth(result.amount_wei)} to {result.address}")
        return
    both = withdraw_credit_to_v2(session.ledger, account, to_address, session.deployment.block, gate,
                                 f" --wallet {name}")
    if as_json:
        _print_json(both.to_json())
        return
    w, sent = both.withdrawn, both.sent
    typer.echo(f"withdrew {format_eth(w.amount_wei)} to {w.address}; {format_eth(sent.amount_wei)} arrived at "
               f"{to_address}")
    for r in (w, sent):
        typer.echo(f"  {r.action:<8} tx {r.tx_hash} in block {r.block}, gas {r.gas_used} ({format_eth(r.fee_wei)})")


def _chain_for_transfer(home: Path, rpc: str | None, deployment: Path | None):
    """(web3, ledger ABI or None): a plain transfer needs no ledger, so --rpc alone will do, as for `cast send`;
    with a deployment, its chain is checked and the ledger's errors decode a revert."""
    from node.chain.client import connect
    from node.config import DeploymentMissing, DeploymentRetired

    try:
        session = _session(home, rpc, deployment)
    except DeploymentMissing as exc:
        if rpc is None or deployment is not None or isinstance(exc, DeploymentRetired):
            raise
        return connect(rpc), None
    return session.ledger.w3, session.ledger.artifact.abi


@wallet_app.command("send")
@user_errors
def send(
    to: Annotated[str, typer.Option("--to", help="recipient address (EIP-55 checksummed, or all lowercase)")],
    amount: Annotated[str, typer.Option("--amount", help="ETH to send, e.g. 0.5")],
    wallet: WalletOpt = None,
    dev_account_index: DevAccountOpt = None,
    home: HomeOpt = None,
    password_file: PasswordFileOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
    yes: YesOpt = False,
) -> None:
    """Send ETH to an address (a plain transfer), after a preview of the gas and the balance left."""
    from .transfer import parse_address, send_eth

    h = _home(home)
    to_address, wei = parse_address(to), parse_eth(amount)
    if dev_account_index is None:
        wallet = _existing_wallet(h, wallet)
    w3, abi = _chain_for_transfer(h, rpc, deployment)
    account = signing_account(h, wallet, dev_account_index, password_file)
    label = f"dev account {dev_account_index}" if dev_account_index is not None else f"wallet {wallet}"
    result = send_eth(w3, account, to_address, wei, _gate(yes, as_json, label), abi)
    _report(result, as_json, f"sent {format_eth(result.amount_wei)} from {result.address} to {to_address}")


@wallet_app.command("history")
@user_errors
def history(
    name: Annotated[Optional[str], typer.Argument(help="wallet name (default: the only wallet)")] = None,
    address_opt: Annotated[Optional[str], typer.Option("--address", help="any address instead of a wallet")] = None,
    home: HomeOpt = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stakes, claims, rewards, fees, slashes and withdrawals of an address, from chain events, dated (UTC), with
    the gas paid for each transaction the address sent."""
    from .history_dates import date_history
    from .history_v2 import address_history_v2

    h = _home(home)
    if address_opt:
        ((_, addr),) = _addresses(h, [], [address_opt])
    else:
        ((_, addr),) = _addresses(h, [_pick_wallet(h, name, "`wallet history NAME`")], [])
    session = _session(h, rpc, deployment)
    dated = date_history(session.ledger.w3, addr,
                         address_history_v2(session.ledger, addr, session.deployment.block))
    if as_json:
        _print_json(dated.to_json())
        return
    if not dated.entries:
        typer.echo(f"no ledger activity for {addr}")
        return
    typer.echo(f"history of {addr}")
    shown: set[str] = set()
    for d in dated.entries:
        e = d.entry
        where = " ".join(part for part in (
            f"role={e.role}" if e.role else "",
            f"claim={e.claim_id}" if e.claim_id is not None else "",
            f"job={e.job_id}" if e.job_id is not None else "",
            f"dispute={e.dispute_id}" if e.dispute_id is not None else "",
            f"proposal={e.proposal_id}" if e.proposal_id is not None else "",
            e.detail,
        ) if part)
        if d.gas_paid_wei is not None:
            gas = f"gas {format_eth(d.gas_paid_wei)}  "
        else:  # the same transaction as the entry above, or one another address sent (and paid for)
            gas = "" if e.tx_hash in shown else "sent by another address  "
        shown.add(e.tx_hash)
        typer.echo(f"  {d.time_text}  block {e.block:>6}  {e.kind:<17} {format_eth(e.amount_wei):>24}  {where}  "
                   f"{gas}tx {e.tx_hash}")
    typer.echo(f"  gas paid: {format_eth(dated.gas_paid_wei)} over {dated.transactions_sent} transaction(s) sent "
               f"by {addr}")
