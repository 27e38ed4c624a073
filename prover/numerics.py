"""Numerics profiles (PROTOCOL.md §5.4): the arithmetic a job's steps run in, named and pinned by the spec.

Exact mode compares bits, so worker and verifier must run the same code path: the ATen CPU capability level
(its vectorized kernels) and MKL's conditional numerical reproducibility branch (its gemm), both fixed before
the first matmul. Threads stay free: under a STRICT branch both are thread-count invariant (measured).

One table, one source of truth:
- `PROFILES`: name -> the spec's `numerics` object (what is hashed) and the environment a process needs;
- `profile_env(name)`: that environment (set it before torch is imported);
- `running_numerics()` / `profile_mismatch(name)`: which arithmetic this process actually runs, read from
  torch and from MKL itself, and why it is not a given profile's.

This module does not import torch at import time: the CLI reads a spec's profile before torch loads.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

PORTABLE = "cpu-avx2-strict"  # the presets' default: every x86-64 CPU of the last decade runs it
FREE = "any"  # tolerance mode only: no code path pinned, delta absorbs the differences

NUMERICS_FIELDS = ("profile", "device", "aten_cpu_capability", "mkl_cbwr", "dtype", "tf32")
# Every profile needs cuBLAS's fixed workspace for deterministic GEMMs; harmless on CPU.
CUBLAS_WORKSPACE = ":4096:8"


class NumericsError(ValueError):
    """A numerics object that is not one of the table's profiles: the message names the field."""


@dataclass(frozen=True)
class Numerics:
    """The spec's `numerics` field: a profile name plus its settings, spelled out so the hashed spec says what
    arithmetic it pins. The settings must be exactly the table's for the name (`Numerics.named`)."""

    profile: str
    device: str | None  # "cpu", "cuda", or None (free)
    aten_cpu_capability: str | None  # ATEN_CPU_CAPABILITY: "avx2", "avx512", "default"; None: not pinned
    mkl_cbwr: str | None  # MKL_CBWR: "AVX2,STRICT", "AUTO,STRICT"; None: not pinned
    dtype: str = "float32"  # parameter and optimizer-state dtype (the only one whose replays were measured)
    tf32: bool = False  # TF32 matmuls: pinned off (it alone moves replays by 2-7 %)

    @classmethod
    def named(cls, profile: str) -> "Numerics":
        if profile not in PROFILES:
            raise NumericsError(f"numerics.profile must be one of {sorted(PROFILES)}, got {profile!r}")
        return PROFILES[profile]

    @classmethod
    def from_json(cls, data: Any) -> "Numerics":
        """Strict: an object with exactly NUMERICS_FIELDS, whose values are the named profile's."""
        if not isinstance(data, Mapping):
            raise NumericsError(f"numerics must be a JSON object, got {type(data).__name__}")
        unknown, missing = sorted(set(data) - set(NUMERICS_FIELDS)), sorted(set(NUMERICS_FIELDS) - set(data))
        if unknown or missing:
            raise NumericsError(f"numerics: unknown field(s) {unknown}, missing field(s) {missing}; expected "
                                f"exactly {sorted(NUMERICS_FIELDS)}")
        for name in NUMERICS_FIELDS:
            value = data[name]
            if name == "tf32":
                if not isinstance(value, bool):
                    raise NumericsError(f"numerics.tf32 must be true or false, got {type(value).__name__} {value!r}")
            elif not (isinstance(value, str) or (value is None and name not in ("profile", "dtype"))):
                raise NumericsError(f"numerics.{name} must be a string{'' if name in ('profile', 'dtype') else ' or null'}"
                                    f", got {type(value).__name__} {value!r}")
        want = cls.named(data["profile"])
        for name in NUMERICS_FIELDS[1:]:
            if data[name] != getattr(want, name):
                raise NumericsError(f"numerics.{name} of profile {want.profile!r} must be {getattr(want, name)!r}, "
                                    f"got {data[name]!r}")
        return want

    def canonical(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def pins_code_path(self) -> bool:
        return self.profile != FREE


PROFILES: dict[str, Numerics] = {p.profile: p for p in (
    # Portable: AVX2 kernels and MKL's AVX2 strict branch, on any CPU with AVX2 (AVX-512 ones included).
    Numerics("cpu-avx2-strict", "cpu", "avx2", "AVX2,STRICT"),
    # Fastest on an AVX-512 CPU; sound only between CPUs of that capability (a verifier on an AVX2-only
    # machine cannot run it and abstains). MKL picks its AVX-512 branch itself (AUTO); STRICT keeps it
    # thread-count invariant. This is what `native_profile()` names on such a machine.
    Numerics("cpu-avx512-strict", "cpu", "avx512", "AUTO,STRICT"),
    # CUDA: deterministic algorithms, fixed cuBLAS workspace, TF32 off. The GPU model is not pinned, so
    # only tolerance-mode jobs may name it (prover/spec.py refuses it in exact mode).
    Numerics("cuda-strict", "cuda", None, None),
    # Tolerance mode may leave the code path free: worker and verifier run whatever they run.
    Numerics(FREE, None, None, None),
)}
EXACT_PROFILES = ("cpu-avx2-strict", "cpu-avx512-strict")

# get_cpu_capability() spelling of each ATEN_CPU_CAPABILITY value.
_CAPABILITY_NAMES = {"avx2": "AVX2", "avx512": "AVX512", "default": "DEFAULT"}


def profile_env(profile: str | Numerics) -> dict[str, str]:
    """The environment variables a process must have before torch is imported to run this profile."""
    n = profile if isinstance(profile, Numerics) else Numerics.named(profile)
    env = {"CUBLAS_WORKSPACE_CONFIG": CUBLAS_WORKSPACE} if n.device in ("cuda", "cpu") else {}
    if n.aten_cpu_capability is not None:
        env["ATEN_CPU_CAPABILITY"] = n.aten_cpu_capability
    if n.mkl_cbwr is not None:
        env["MKL_CBWR"] = n.mkl_cbwr
    return env


def read_spec_numerics(spec_file: str | Path) -> Numerics:
    """The `numerics` of a spec file, parsed without building the JobSpec (which imports torch)."""
    try:
        data = json.loads(Path(spec_file).read_bytes())
    except (OSError, ValueError) as e:
        raise NumericsError(f"spec file {spec_file}: cannot read its JSON ({e})") from None
    if not isinstance(data, Mapping) or "numerics" not in data:
        raise NumericsError(f"spec file {spec_file} has no 'numerics' field (a spec of format version 2 has one)")
    return Numerics.from_json(data["numerics"])


# ---- what this process runs ---------------------------------------------------------------------------

# MKL's own branch codes (mkl_cbwr.h) and the STRICT bit.
_MKL_BRANCHES = {1: "OFF", 2: "AUTO", 3: "COMPATIBLE", 4: "SSE2", 6: "SSSE3", 7: "SSE4_1", 8: "SSE4_2", 9: "AVX",
                 10: "AVX2", 11: "AVX512_MIC", 12: "AVX512", 13: "AVX512_MIC_E1", 14: "AVX512_E1"}
_MKL_STRICT = 0x10000


def mkl_cbwr_in_effect() -> tuple[str | None, str]:
    """(MKL_CBWR as MKL holds it, where that came from). Asks MKL itself when torch's bundled MKL exports its
    query (it reads the variable once, at first use: a later change of os.environ does not count; note that
    asking fixes it too); otherwise falls back to os.environ."""
    import torch

    try:
        lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
        get = lib.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return os.environ.get("MKL_CBWR"), "environment"
    get.restype, get.argtypes = ctypes.c_int, [ctypes.c_int]
    code = get(-1)  # MKL_CBWR_ALL: branch | STRICT
    branch = _MKL_BRANCHES.get(code & 0xFFFF)
    if branch is None:
        return f"unknown({code:#x})", "mkl"
    return (branch + (",STRICT" if code & _MKL_STRICT else "")) if branch != "OFF" else None, "mkl"


def running_numerics() -> dict[str, Any]:
    """The arithmetic this process runs: ATen capability, MKL branch, TF32 flags, determinism, CUDA."""
    import torch

    mkl, source = mkl_cbwr_in_effect()
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "mkl_cbwr": mkl, "mkl_cbwr_source": source,
            "tf32": bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32),
            "cuda": torch.cuda.is_available(),
            "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG")}


def running_profile() -> str | None:
    """The name of the exact-capable profile this process runs, or None if it runs none of them."""
    return next((name for name in EXACT_PROFILES if profile_mismatch(name) is None), None)


@functools.cache  # fixed for the process's life: /proc/cpuinfo is read once, not on every profile check
def cpu_vendor() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _mkl_branch_unavailable(wanted: str, running: dict[str, Any]) -> bool:
    """MKL honours an instruction-set branch (AVX2, AVX512, ...) only on Intel CPUs: elsewhere (AMD EPYC, seen
    on 2026-12-02) it runs and reports AUTO whatever MKL_CBWR asks, COMPATIBLE excepted. Such a host runs the
    profile as closely as its MKL allows (STRICT kept, ATen's capability still pinned): refusing would shut every
    non-Intel machine out. Bit-exactness between an Intel and a non-Intel host is not established by this; the
    cross-vendor check is an open item (see the issue notes of 2026-12-02)."""
    branch, _, strict = wanted.partition(",")
    if branch in ("AUTO", "COMPATIBLE") or running.get("mkl_cbwr_source") != "mkl":
        return False
    vendor = running["cpu_vendor"] if "cpu_vendor" in running else cpu_vendor()
    return vendor not in (None, "GenuineIntel") and running.get("mkl_cbwr") == ("AUTO," + strict if strict else "AUTO")


def profile_mismatch(profile: str | Numerics, running: dict[str, Any] | None = None) -> str | None:
    """None if this process runs `profile`, else what differs (wanted vs running), in words."""
    n = profile if isinstance(profile, Numerics) else Numerics.named(profile)
    r = running if running is not None else running_numerics()
    problems = []
    if n.aten_cpu_capability is not None and r["cpu_capability"] != _CAPABILITY_NAMES[n.aten_cpu_capability]:
        problems.append(f"ATen CPU capability {r['cpu_capability']} (profile wants "
                        f"{_CAPABILITY_NAMES[n.aten_cpu_capability]}: ATEN_CPU_CAPABILITY={n.aten_cpu_capability})")
    if n.mkl_cbwr is not None and r["mkl_cbwr"] != n.mkl_cbwr and not _mkl_branch_unavailable(n.mkl_cbwr, r):
        problems.append(f"MKL_CBWR {r['mkl_cbwr']} as {r['mkl_cbwr_source']} reports (profile wants {n.mkl_cbwr})")
    if n.device == "cuda" and not r["cuda"]:
        problems.append("no CUDA device (profile wants cuda)")
    if n.device == "cuda" and r["cublas_workspace_config"] != CUBLAS_WORKSPACE:
        problems.append(f"CUBLAS_WORKSPACE_CONFIG {r['cublas_workspace_config']} (profile wants {CUBLAS_WORKSPACE})")
    if n.device == "cuda" and not n.tf32 and r["tf32"]:  # CPU kernels have no TF32: only CUDA's flags count
        problems.append("TF32 matmuls on (profile wants them off; prover.determinism.configure_determinism)")
    if not problems:
        return None
    return f"this process does not run numerics profile {n.profile!r}: " + "; ".join(problems)


def native_profile() -> str:
    """The fastest exact-capable profile of this machine's CPU (what a job created here for speed names)."""
    import torch

    cap = torch.backends.cpu.get_cpu_capability()
    if cap.startswith("AVX512"):
        return "cpu-avx512-strict"
    if cap == "AVX2":
        return PORTABLE
    raise NumericsError(f"this CPU reports capability {cap}: no exact-capable profile runs on it")
