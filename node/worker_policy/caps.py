"""The device training runs on (torch's thread count is the host's share: node/host_share.py)."""
from __future__ import annotations


def check_device(device: str) -> str:
    """The torch device to train on: CUDA only when asked for and present."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device on this machine "
                         "(drop the flag, or use --device cpu)")
    return device


def check_device_for_spec(device: str, verification_mode: str) -> None:
    """Refuse CUDA on an exact-mode job: verifiers replay on CPU, and CUDA bits differ from CPU bits."""
    if device == "cuda" and verification_mode == "exact":
        raise ValueError("--device cuda needs a job in verification mode 'tolerance': this job is 'exact', and "
                         "CPU replays of CUDA training differ in the last bits, so every claim would be rejected "
                         "and your stake slashed (prover/determinism.py); use --device cpu")


def device_text(device: str) -> str:
    import torch

    if device == "cuda":
        return f"GPU ({torch.cuda.get_device_name(0)})"
    return "CPU"
