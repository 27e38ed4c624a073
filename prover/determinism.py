"""The one place that sets PyTorch's numeric settings for proving and replaying.

What reproduces bit for bit (see prover/README.md for the measurements):
- same torch version, CPU, any thread count: yes (tests/prover/test_determinism.py checks 1 vs 2 threads);
- same GPU model, same torch/CUDA versions, these settings: yes;
- CUDA vs CPU, or different GPU generations: no -> the job must use verification_mode "tolerance".
"""

from __future__ import annotations

import os

import torch

# cuBLAS is deterministic only with a fixed workspace; it reads this when it first initializes, so it is set
# at import time, before any CUDA matmul can run. An explicit setting by the operator wins.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def configure_determinism() -> None:
    """Deterministic algorithms on (an op without one raises), TF32 off, no cuDNN autotuning.

    Idempotent and cheap; prove_claim and run_segment call it before every use, so a caller cannot forget.
    Thread count is deliberately not touched: CPU results do not depend on it for the ops our models use.
    """
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
