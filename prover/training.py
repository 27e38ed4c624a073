"""A live training state behind one interface, whichever engine the job's spec names: torch's model and optimizer
(prover/step.py train_step), or the wasm module (prover/wasm_engine.py). prove_claim and run_segment train through
this, so the prover and the verifier run one step function per job whatever it is.

Both take and give checkpoints in one layout (prover/state.py): "param/<name>" and "optim/<name>/<key>".
"""
from __future__ import annotations

from typing import Sequence

import torch

from prover.checkpoint import Tensors
from prover.spec import JobSpec
from prover.state import _model_template, build_training_state, check_layout, live_tensors, state_tensors

Batch = tuple[torch.Tensor, torch.Tensor]


class TorchTraining:
    def __init__(self, spec: JobSpec, tensors: Tensors, device: torch.device | str = "cpu"):
        from prover.step import train_step

        self._train_step = train_step
        self.model, self.optimizer = build_training_state(spec, tensors, device)
        self.clip = spec.optimizer.grad_clip

    def steps(self, batches: Sequence[Batch]) -> list[float]:
        return [self._train_step(self.model, self.optimizer, batch, self.clip) for batch in batches]

    def snapshot(self) -> Tensors:
        """A detached CPU copy, safe to keep while training goes on."""
        return state_tensors(self.model, self.optimizer)

    def live(self) -> Tensors:
        """Views of the live state: valid until the next step."""
        return live_tensors(self.model, self.optimizer)


class WasmTraining:
    def __init__(self, spec: JobSpec, tensors: Tensors, device: torch.device | str = "cpu",
                 module: bytes | None = None):
        from prover.wasm_engine import WasmEngineError, WasmMLP, module_bytes, module_hash

        if torch.device(device).type != "cpu":
            raise WasmEngineError(f"a wasm job runs on the CPU, not on {device}")
        data = module_bytes() if module is None else module
        if module is None and module_hash(data) != spec.engine.module_hash.lower():
            raise WasmEngineError(f"this machine's wasm module {module_hash(data)} is not the job's "
                                  f"{spec.engine.module_hash}: update gradchain to the version the job was made with")
        check_layout(spec, _model_template(spec), tensors)
        cfg = spec.model_config
        (hidden,) = cfg["hidden_sizes"]
        self.mlp = WasmMLP(data, cfg["n_inputs"], hidden, cfg["n_classes"], spec.batch_size)
        o = spec.optimizer
        self.lr, self.momentum, self.weight_decay = o.lr, o.momentum, o.weight_decay
        self.mlp.load({n.removeprefix("param/"): t for n, t in tensors.items() if n.startswith("param/")},
                      {n.split("/")[1]: t for n, t in tensors.items() if n.endswith("/momentum_buffer")} or None)

    def steps(self, batches: Sequence[Batch]) -> list[float]:
        return [self.mlp.step(x, y, self.lr, self.momentum, self.weight_decay) for x, y in batches]

    def snapshot(self) -> Tensors:
        tensors = {f"param/{n}": t for n, t in self.mlp.params().items()}
        if self.momentum != 0.0:
            tensors.update({f"optim/{n}/momentum_buffer": t for n, t in self.mlp.momentum().items()})
        return dict(sorted(tensors.items()))

    live = snapshot  # the state lives in wasm memory: every read is already a copy


def open_training(spec: JobSpec, tensors: Tensors, device: torch.device | str = "cpu"):
    """The training state of `tensors` for the spec's engine."""
    if spec.engine is None:
        return TorchTraining(spec, tensors, device)
    return WasmTraining(spec, tensors, device)
