"""Turn raw revert data into the contract's named custom errors, so a user reads `WrongRound(3, 2)`."""
from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


class ChainError(Exception):
    """Any failure talking to the chain that a user should read as one sentence."""


class ContractRevert(ChainError):
    """A call or transaction reverted; `name` and `args` come from the contract's custom error."""

    def __init__(self, name: str, args: dict[str, Any], function: str | None = None):
        self.name = name
        self.args_by_name = args
        self.function = function
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in args.items())
        where = f"{function} reverted: " if function else "reverted: "
        super().__init__(f"{where}{name}({rendered})")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def abi_type(entry: dict) -> str:
    """Canonical ABI type string of an input, expanding tuples (`(uint256,bool)[]`)."""
    kind = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in entry["components"])
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def error_table(abi: list[dict]) -> dict[bytes, dict]:
    """Map each custom error's 4-byte selector to its ABI entry."""
    table = {}
    for entry in abi:
        if entry.get("type") != "error":
            continue
        signature = f"{entry['name']}({','.join(abi_type(i) for i in entry['inputs'])})"
        table[keccak(text=signature)[:4]] = entry
    return table


def to_bytes(data: str | bytes | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    return bytes.fromhex(data[2:] if data.startswith("0x") else data)


def decode_revert(abi: list[dict], data: str | bytes | None, function: str | None = None) -> ContractRevert:
    """Decode revert data against the ABI's errors; unknown data still gives a readable message."""
    raw = to_bytes(data)
    selector, payload = raw[:4], raw[4:]
    if selector == ERROR_STRING_SELECTOR:
        (message,) = abi_decode(["string"], payload)
        return ContractRevert("Error", {"message": message}, function)
    if selector == PANIC_SELECTOR:
        (code,) = abi_decode(["uint256"], payload)
        return ContractRevert("Panic", {"code": hex(code)}, function)
    entry = error_table(abi).get(selector)
    if entry is None:
        return ContractRevert("UnknownRevert", {"data": raw}, function)
    values = abi_decode([abi_type(i) for i in entry["inputs"]], payload)
    names = [i["name"] or f"arg{n}" for n, i in enumerate(entry["inputs"])]
    return ContractRevert(entry["name"], dict(zip(names, values)), function)
