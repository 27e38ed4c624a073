"""The portable step function (issue 17): prover/wasm/mlp_sgd.wasm, run by wasmtime.

A job whose spec says `engine: {"name": "wasm", "module_hash": H}` trains and replays with this module instead of
torch: the prover, the verifier and a browser (V8) run the same bytes, whose arithmetic is deterministic by
construction (see the module's source, mlp_sgd.wat), so `exact` mode holds across all three. Its checkpoints are
the torch job's layout (the same names, shapes and float32 dtype), so ids, transcripts and safetensors files are
those of every other job.

The module is built from its source by scripts/build_wasm.sh with wabt's wat2wasm (npm), and committed; H is the
keccak256 of its bytes. wasmtime runs it with SIMD, relaxed SIMD and threads disabled: a module that used them
would not load.
"""
from __future__ import annotations

import atexit
import gc
from functools import lru_cache
from pathlib import Path

import torch
from eth_utils import keccak

WASM_DIR = Path(__file__).parent / "wasm"
MODULE_PATH = WASM_DIR / "mlp_sgd.wasm"
SOURCE_PATH = WASM_DIR / "mlp_sgd.wat"
# The module's regions (mlp_sgd.wat): the parameters 0..3 and their momentum buffers 4..7, the batch 8 (X) and 9 (Y).
PARAMETERS = ("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")
MOMENTUM_REGION = 4
X_REGION, Y_REGION = 8, 9


class WasmEngineError(ValueError):
    """The wasm engine cannot run this job here: the module is not the job's, or the spec is not one it runs."""


def module_bytes() -> bytes:
    return MODULE_PATH.read_bytes()


def module_hash(data: bytes | None = None) -> str:
    """0x + keccak256 of the module: what a wasm job's spec pins."""
    return "0x" + keccak(module_bytes() if data is None else data).hex()


@lru_cache(maxsize=4)
def _compiled(data: bytes):
    import wasmtime

    config = wasmtime.Config()
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    config.wasm_threads = False
    engine = wasmtime.Engine(config)
    return engine, wasmtime.Module(engine, data)


@atexit.register
def _release() -> None:
    """wasmtime's finalizers call into its own module globals: run them before the interpreter clears those (else
    each prints 'Exception ignored ... NoneType' at exit)."""
    _compiled.cache_clear()
    gc.collect()


class WasmMLP:
    """One instance of the module holding one training state (parameters and momentum buffers) in its memory."""

    def __init__(self, data: bytes, n_in: int, n_hidden: int, n_out: int, max_batch: int):
        import wasmtime

        engine, module = _compiled(bytes(data))
        self.store = wasmtime.Store(engine)
        instance = wasmtime.Instance(self.store, module, [])
        exports = instance.exports(self.store)
        self.memory, self._step, self._offset = exports["memory"], exports["train_step"], exports["offset"]
        status = exports["configure"](self.store, n_in, n_hidden, n_out, max_batch)
        if status != 0:
            raise WasmEngineError(f"the wasm module refused sizes {n_in}-{n_hidden}-{n_out}, batch {max_batch} "
                                  f"(configure returned {status})")
        self.shapes = {"layers.0.weight": (n_hidden, n_in), "layers.0.bias": (n_hidden,),
                       "layers.1.weight": (n_out, n_hidden), "layers.1.bias": (n_out,)}
        self.n_in, self.max_batch = n_in, max_batch

    def _write(self, region: int, tensor: torch.Tensor) -> None:
        self.memory.write(self.store, tensor.detach().contiguous().cpu().numpy().tobytes(),
                          self._offset(self.store, region))

    def _read(self, region: int, shape: tuple[int, ...]) -> torch.Tensor:
        start = self._offset(self.store, region)
        n = 1
        for d in shape:
            n *= d
        raw = self.memory.read(self.store, start, start + 4 * n)
        return torch.frombuffer(raw, dtype=torch.float32).reshape(shape).clone()

    def load(self, params: dict[str, torch.Tensor], momentum: dict[str, torch.Tensor] | None) -> None:
        for i, name in enumerate(PARAMETERS):
            self._write(i, params[name].to(torch.float32))
            buf = momentum[name] if momentum is not None else torch.zeros(self.shapes[name])
            self._write(MOMENTUM_REGION + i, buf.to(torch.float32))

    def step(self, x: torch.Tensor, y: torch.Tensor, lr: float, momentum: float, weight_decay: float) -> float:
        """One step on batch (x float32 [B, n_in], y class indices [B]); the loss before the update."""
        batch = x.shape[0]
        if not 1 <= batch <= self.max_batch or tuple(x.shape[1:]) != (self.n_in,) or tuple(y.shape) != (batch,):
            raise WasmEngineError(f"a batch of shape {tuple(x.shape)} / {tuple(y.shape)} does not fit the module's "
                                  f"[<= {self.max_batch}, {self.n_in}]")
        self._write(X_REGION, x.to(torch.float32))
        self._write(Y_REGION, y.to(torch.int32))
        return float(self._step(self.store, batch, lr, momentum, weight_decay))

    def params(self) -> dict[str, torch.Tensor]:
        return {name: self._read(i, self.shapes[name]) for i, name in enumerate(PARAMETERS)}

    def momentum(self) -> dict[str, torch.Tensor]:
        return {name: self._read(MOMENTUM_REGION + i, self.shapes[name]) for i, name in enumerate(PARAMETERS)}
