"""Deploy LedgerV2 in four transactions (contracts/v2.md, Deploying): the three modules, then the ledger, all from
the forge artifacts (never a retyped ABI or bytecode)."""
from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ..artifacts import load_artifact
from ..client import DEFAULT_RECEIPT_TIMEOUT_S
from ..errors import ChainError
from .views import LEDGER_V2, LedgerV2

MODULES = ("LedgerV2Jobs", "LedgerV2Disputes", "LedgerV2Views")


def _create(w3: Web3, deployer: LocalAccount, name: str, *args) -> dict:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor(*args).build_transaction(
        {"from": deployer.address, "nonce": w3.eth.get_transaction_count(deployer.address, "pending"),
         "chainId": w3.eth.chain_id})
    tx_hash = w3.eth.send_raw_transaction(deployer.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=DEFAULT_RECEIPT_TIMEOUT_S, poll_latency=0.1)
    if receipt["status"] != 1:
        raise ChainError(f"{name} deployment {tx_hash.hex()} reverted")
    return receipt


def deploy_ledger_v2(w3: Web3, deployer: LocalAccount, unbonding_delay_blocks: int,
                     seat_stake_wei: int) -> tuple[LedgerV2, dict]:
    """Deploy the modules then LedgerV2; returns the client and the ledger's deployment receipt."""
    modules = [_create(w3, deployer, name)["contractAddress"] for name in MODULES]
    receipt = _create(w3, deployer, LEDGER_V2, unbonding_delay_blocks, seat_stake_wei, *modules)
    return LedgerV2(w3, receipt["contractAddress"]), receipt
