"""The one place that sets PyTorch's numeric settings for proving and replaying.

What reproduces bit for bit (see prover/README.md for the measurements):
- CPU, same torch version, same CPU code path, any thread count: yes, with MKL's strict conditional numerical
  reproducibility (set below) and the thread-invariant LayerNorm in tiny_gpt.py;
- same GPU model, same torch/CUDA versions, these settings: yes;
- CUDA vs CPU, or different GPU generations: no -> the job must use verification_mode "tolerance".
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

# Both variables are read when the library first needs them, so they are set at import time, before any
# matmul can run. An operator's explicit setting wins.
# - cuBLAS is deterministic only with a fixed workspace.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
# - MKL's sgemm splits long reductions (e.g. a weight gradient summed over batch x time) across threads, so
#   its bits depend on the thread count; "STRICT" makes gemm thread-count invariant, "AUTO" keeps this CPU's
#   fastest code path. For bit-identity across CPU generations set MKL_CBWR=AVX2,STRICT and
#   ATEN_CPU_CAPABILITY=avx2 on every machine instead.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

import torch  # noqa: E402  (after the environment it must see)


def configure_determinism() -> None:
    """Deterministic algorithms on (an op without one raises), TF32 off, no cuDNN autotuning.

    Idempotent and cheap; prove_claim and run_segment call it before every use, so a caller cannot forget.
    The thread count is deliberately not touched; instead, once per process, CPU matmuls are checked to give
    the same bits on one thread as on all of them, with a warning if not (MKL was initialized before prover
    was imported, so MKL_CBWR came too late).
    """
    _deterministic_algorithms_on()
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    if not cpu_matmul_is_thread_invariant():
        warnings.warn("CPU matmul results depend on the thread count in this process: import prover before "
                      "anything runs a matmul, or set MKL_CBWR=AUTO,STRICT in the environment. Exact-mode "
                      "replays on other machines may disagree.", RuntimeWarning, stacklevel=2)


def _deterministic_algorithms_on() -> None:
    """torch.use_deterministic_algorithms(True), without loading the compiler stack when nothing compiles.

    The public call also sets torch._inductor.config.deterministic, and importing that config imports all of
    torch._inductor: 1.5 s of CPU in every node and replay process (bench/node_startup.py), for a flag only
    torch.compile reads. gradchain never compiles, so while inductor is not loaded the eager flag is set alone
    (the same C call the public function makes); once something has loaded inductor, the public call is used and
    costs nothing more. torch.are_deterministic_algorithms_enabled() is True either way (tests/prover checks it).
    """
    if "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True)
    else:
        torch._C._set_deterministic_algorithms(True, warn_only=False)


@functools.lru_cache(maxsize=1)
def cpu_matmul_is_thread_invariant() -> bool:
    """A long-reduction gemm (the shape of a weight gradient) gives the same bits on 1 thread and on all."""
    threads = torch.get_num_threads()
    if threads == 1:
        return True
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2048, 256, generator=g), torch.randn(2048, 64, generator=g)
    many = a.t() @ b
    try:
        torch.set_num_threads(1)
        one = a.t() @ b
    finally:
        torch.set_num_threads(threads)
    return torch.equal(one, many)
