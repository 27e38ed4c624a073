"""The job spec: every setting that decides what a training step computes, pinned by one hash.

Decided here:
- the fields of a job (PROTOCOL.md §3) and their types;
- the canonical JSON encoding (sorted keys, no spaces, UTF-8, every field present, floats as floats);
- `specHash` = keccak256(canonical JSON), so the contract's `specHash` is this value byte for byte.

Untrusted input goes through `JobSpec.from_json`, which names every unknown, missing or ill-typed field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from eth_utils import keccak

from prover.numerics import PORTABLE, Numerics, NumericsError

SPEC_VERSION = 2  # 2: dtype and tf32 moved into `numerics` (prover/numerics.py)
MODELS = ("mlp-digits", "tiny-gpt")
DATASETS = ("digits", "text")
OPTIMIZERS = ("sgd", "adamw")
VERIFICATION_MODES = ("exact", "tolerance")
ENGINES = ("wasm",)  # a step function other than torch's; torch is the absence of `engine`
MAX_SEED = 2**63 - 1  # torch.manual_seed accepts up to this


class SpecError(ValueError):
    """A job spec that is malformed: the message names the field and what was expected."""


@dataclass(frozen=True)
class DatasetSpec:
    """Which data the job trains on, pinned by content hash, and how it is split."""

    name: str  # "digits" (scikit-learn load_digits) or "text" (a UTF-8 file, byte-level tokens)
    content_hash: str  # 0x + 64 hex: BLAKE3 of the canonical encoding (prover/datasets.py)
    heldout_fraction: float  # share of the data never trained on, used to score every head
    # Where this machine keeps a text file. Local, so never hashed and never compared: two machines with
    # the file in different places hold the same spec. None: look in prover/data/ by content hash.
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _coerce_fields(self, "dataset")
        _check_choice("dataset.name", self.name, DATASETS)
        _check_hex32("dataset.content_hash", self.content_hash)
        if not 0.0 < self.heldout_fraction < 1.0:
            raise SpecError(f"dataset.heldout_fraction must be in (0, 1), got {self.heldout_fraction!r}")
        if self.path is not None and not isinstance(self.path, str):
            raise SpecError(f"dataset.path must be a string or null, got {type(self.path).__name__}")

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "content_hash": self.content_hash.lower(),
                "heldout_fraction": self.heldout_fraction}


@dataclass(frozen=True)
class OptimizerSpec:
    """The optimizer and every hyperparameter; all fields are pinned even where one optimizer ignores them."""

    name: str  # "sgd" or "adamw"
    lr: float  # constant learning rate (no schedule: a step must not depend on anything but the state)
    momentum: float = 0.0  # sgd only
    weight_decay: float = 0.0  # sgd: L2 added to the gradient; adamw: decoupled decay
    betas: tuple[float, float] = (0.9, 0.999)  # adamw only
    eps: float = 1e-8  # adamw only
    grad_clip: float = 0.0  # max global gradient norm; 0 = no clipping

    def __post_init__(self) -> None:
        _coerce_fields(self, "optimizer")
        _check_choice("optimizer.name", self.name, OPTIMIZERS)
        if not self.lr > 0.0:
            raise SpecError(f"optimizer.lr must be > 0, got {self.lr!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise SpecError(f"optimizer.momentum must be in [0, 1), got {self.momentum!r}")
        if self.weight_decay < 0.0 or self.eps <= 0.0 or self.grad_clip < 0.0:
            raise SpecError("optimizer.weight_decay and grad_clip must be >= 0 and eps > 0")
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise SpecError(f"optimizer.betas must be two numbers in [0, 1), got {self.betas!r}")

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "lr": self.lr, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "betas": list(self.betas), "eps": self.eps,
                "grad_clip": self.grad_clip}


@dataclass(frozen=True)
class EngineSpec:
    """The step function, when it is not torch's (issue 17): `wasm` runs the WebAssembly module whose keccak256 is
    module_hash (prover/wasm_engine.py), the same bytes in the prover, the verifier and a browser."""

    name: str  # "wasm"
    module_hash: str  # 0x + 64 hex: keccak256 of the module's bytes

    def __post_init__(self) -> None:
        _coerce_fields(self, "engine")
        _check_choice("engine.name", self.name, ENGINES)
        _check_hex32("engine.module_hash", self.module_hash)

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "module_hash": self.module_hash.lower()}


@dataclass(frozen=True)
class JobSpec:
    """A training job as PROTOCOL.md §3 pins it. Build it with `presets` or `from_json`; never mutate it."""

    model: str  # registry name: "mlp-digits" or "tiny-gpt"
    model_config: dict  # the model's hyperparameters, normalized by the registry (all fields present)
    dataset: DatasetSpec
    optimizer: OptimizerSpec
    batch_size: int  # examples per step
    steps_per_claim: int  # H: steps a worker trains from the head in one claim
    checkpoint_every: int  # k: steps per transcript segment; H % k == 0
    verification_mode: str  # "exact" (bit-identical replay) or "tolerance" (relative distance <= delta)
    delta: float  # tolerance threshold; must be > 0 in tolerance mode, ignored in exact mode
    samples_per_verifier: int  # s: segments each verifier replays
    seed: int  # initial-weights seed: genesis(spec) is reproducible by anyone
    # The arithmetic (code path, dtype, TF32 off) worker and verifier must both run (PROTOCOL.md §5.4).
    numerics: Numerics = field(default_factory=lambda: Numerics.named(PORTABLE))
    version: int = SPEC_VERSION  # spec format version
    # None: torch's step function (prover/step.py). Absent from the canonical JSON when None, so the hash of a
    # torch job is what it was before engines existed.
    engine: EngineSpec | None = None

    def __post_init__(self) -> None:
        from prover.models.registry import normalize_model_config  # late: registry imports torch

        _coerce_fields(self, "spec")
        _check_choice("model", self.model, MODELS)
        _check_choice("verification_mode", self.verification_mode, VERIFICATION_MODES)
        if self.version != SPEC_VERSION:
            raise SpecError(f"version must be {SPEC_VERSION}, got {self.version!r}")
        if self.verification_mode == "exact" and self.numerics.device != "cpu":
            raise SpecError(f"numerics.profile {self.numerics.profile!r} cannot carry an exact-mode job: exact "
                            f"replays are only bit-identical on one pinned CPU code path (use "
                            f"{PORTABLE!r} or 'cpu-avx512-strict'), or use verification_mode 'tolerance'")
        for name in ("batch_size", "steps_per_claim", "checkpoint_every", "samples_per_verifier"):
            if getattr(self, name) < 1:
                raise SpecError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.steps_per_claim % self.checkpoint_every != 0:
            raise SpecError(f"steps_per_claim ({self.steps_per_claim}) must be a multiple of "
                            f"checkpoint_every ({self.checkpoint_every})")
        if self.samples_per_verifier > self.segments_per_claim:
            raise SpecError(f"samples_per_verifier ({self.samples_per_verifier}) exceeds the "
                            f"{self.segments_per_claim} segments of a claim")
        if not 0 <= self.seed <= MAX_SEED:
            raise SpecError(f"seed must be in [0, 2**63), got {self.seed!r}")
        if self.delta < 0.0 or (self.verification_mode == "tolerance" and self.delta == 0.0):
            raise SpecError(f"delta must be >= 0, and > 0 in tolerance mode; got {self.delta!r}")
        # Normalized, so {} and the explicit defaults hash the same; frozen by copy.
        object.__setattr__(self, "model_config", normalize_model_config(self.model, self.model_config))
        if self.engine is not None:
            self._check_engine()

    def _check_engine(self) -> None:
        """What the wasm module computes: the digits MLP with one hidden layer, SGD (momentum, L2), exact mode."""
        hidden = self.model_config.get("hidden_sizes")
        if self.model != "mlp-digits" or len(hidden or ()) != 1:
            raise SpecError(f"engine 'wasm' runs the mlp-digits model with one hidden layer, not {self.model!r} "
                            f"{self.model_config}")
        if self.optimizer.name != "sgd" or self.optimizer.grad_clip != 0.0:
            raise SpecError("engine 'wasm' runs SGD without gradient clipping (optimizer.name 'sgd', grad_clip 0), "
                            f"not {self.optimizer.name!r} with grad_clip {self.optimizer.grad_clip}")
        if self.verification_mode != "exact":
            raise SpecError("engine 'wasm' is deterministic by construction: its jobs use verification_mode "
                            f"'exact', not {self.verification_mode!r}")

    @property
    def dtype(self) -> str:
        """Parameter and optimizer-state dtype (pinned by the numerics profile)."""
        return self.numerics.dtype

    @property
    def segments_per_claim(self) -> int:
        """S = H / k."""
        return self.steps_per_claim // self.checkpoint_every

    def canonical_dict(self) -> dict[str, Any]:
        """Every hashed field, as plain JSON values."""
        return {
            "version": self.version, "model": self.model, "model_config": self.model_config,
            "dataset": self.dataset.canonical(), "optimizer": self.optimizer.canonical(),
            "batch_size": self.batch_size, "steps_per_claim": self.steps_per_claim,
            "checkpoint_every": self.checkpoint_every, "verification_mode": self.verification_mode,
            "delta": self.delta, "samples_per_verifier": self.samples_per_verifier,
            "seed": self.seed, "numerics": self.numerics.canonical(),
            **({"engine": self.engine.canonical()} if self.engine is not None else {}),
        }

    def canonical_json(self) -> bytes:
        """Sorted keys, no spaces, UTF-8, no NaN: the bytes whose keccak256 is specHash."""
        return json.dumps(self.canonical_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False).encode("utf-8")

    def spec_hash(self) -> bytes:
        """specHash = keccak256(canonical_json()), 32 bytes, as the contract stores it."""
        return keccak(self.canonical_json())

    def with_data_path(self, path: str | None) -> "JobSpec":
        """The same spec (same hash) with this machine's location of the text file."""
        ds = DatasetSpec(self.dataset.name, self.dataset.content_hash, self.dataset.heldout_fraction, path)
        return _replace(self, dataset=ds)

    def replace(self, **changes: Any) -> "JobSpec":
        """A copy with some top-level fields changed (validated again)."""
        return _replace(self, **changes)

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> "JobSpec":
        """Parse and validate untrusted JSON; every problem is a SpecError naming the field."""
        if isinstance(data, (bytes, bytearray)):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SpecError(f"spec is not UTF-8: {e}") from None
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as e:
                raise SpecError(f"spec is not valid JSON: {e}") from None
        top = _strict_fields("spec", data, cls, optional={"engine"})
        if top.get("engine") is not None:
            top["engine"] = EngineSpec(**_strict_fields("engine", top["engine"], EngineSpec, optional=set()))
        top["dataset"] = DatasetSpec(**_strict_fields("dataset", top["dataset"], DatasetSpec,
                                                      optional={"path"}))
        top["optimizer"] = OptimizerSpec(**_strict_fields("optimizer", top["optimizer"], OptimizerSpec,
                                                          optional=set()))
        try:
            top["numerics"] = Numerics.from_json(top["numerics"])
        except NumericsError as e:
            raise SpecError(str(e)) from None
        return cls(**top)


# ---- strict parsing helpers -------------------------------------------------------------------------

# What JSON type each field must have. Ints are accepted for floats (1 means 1.0); bools never count as ints.
_FIELD_TYPES: dict[str, dict[str, str]] = {
    "spec": {"model": "str", "model_config": "object", "dataset": "DatasetSpec",
             "optimizer": "OptimizerSpec",
             "batch_size": "int", "steps_per_claim": "int", "checkpoint_every": "int",
             "verification_mode": "str", "delta": "float", "samples_per_verifier": "int", "seed": "int",
             "numerics": "Numerics", "version": "int", "engine": "EngineSpec?"},
    "engine": {"name": "str", "module_hash": "str"},
    "dataset": {"name": "str", "content_hash": "str", "heldout_fraction": "float", "path": "str?"},
    "optimizer": {"name": "str", "lr": "float", "momentum": "float", "weight_decay": "float",
                  "betas": "float2", "eps": "float", "grad_clip": "float"},
}


def _strict_fields(where: str, data: Any, cls: type, optional: set[str]) -> dict[str, Any]:
    """Check that one JSON object has exactly the dataclass's field names (types are checked on construction)."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{where} must be a JSON object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    missing = sorted(names - set(data) - optional)
    if unknown or missing:
        parts = ([f"unknown field(s) {unknown}"] if unknown else []) + \
                ([f"missing field(s) {missing}"] if missing else [])
        raise SpecError(f"{where}: {'; '.join(parts)}; expected exactly {sorted(names - optional)}"
                        + (f" (optional: {sorted(optional)})" if optional else ""))
    return dict(data)


def _coerce_fields(obj: Any, where: str) -> None:
    """Type-check every field of a (frozen) spec dataclass in place; ints become floats where floats are due,
    so that lr=1 and lr=1.0 give the same canonical JSON."""
    for key, kind in _FIELD_TYPES[where].items():
        name = key if where == "spec" else f"{where}.{key}"
        object.__setattr__(obj, key, _coerce(name, getattr(obj, key), kind))


def _coerce(name: str, value: Any, kind: str) -> Any:
    def bad(expected: str) -> SpecError:
        return SpecError(f"field {name!r} must be {expected}, got {type(value).__name__} {value!r}")

    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if kind == "str?":
        if value is not None and not isinstance(value, str):
            raise bad("a string or null")
        return value
    if kind == "int":
        if not is_int:
            raise bad("an integer")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "float":
        if not (is_int or isinstance(value, float)) or not math.isfinite(value):
            raise bad("a finite number")
        return float(value)
    if kind == "float2":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise bad("a list of two numbers")
        return tuple(_coerce(name, v, "float") for v in value)
    if kind == "object":
        if not isinstance(value, Mapping):
            raise bad("an object")
        return dict(value)
    if kind == "EngineSpec?":
        if value is not None and type(value).__name__ != "EngineSpec":
            raise bad("an EngineSpec or null")
        return value
    if kind in ("DatasetSpec", "OptimizerSpec", "Numerics"):
        if type(value).__name__ != kind:
            raise bad(f"a {kind}")
        return value
    raise AssertionError(kind)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SpecError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_hex32(name: str, value: Any) -> None:
    ok = isinstance(value, str) and len(value) == 66 and value[:2] == "0x"
    if ok:
        try:
            bytes.fromhex(value[2:])
        except ValueError:
            ok = False
    if not ok:
        raise SpecError(f"{name} must be 0x followed by 64 hex digits, got {value!r}")


def _replace(spec: JobSpec, **changes: Any) -> JobSpec:
    values = {f.name: getattr(spec, f.name) for f in fields(spec)}
    values.update(changes)
    return JobSpec(**values)
