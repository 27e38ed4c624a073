"""The files a profile subprocess replay exchanges (node/replay_subprocess.py <-> node/replay_child.py).

JSON and safetensors only, never pickle. Dataclass fields are encoded generically (bytes as hex), so a field
added to Claim or Segment travels without a change here.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

REQUEST = "request.json"  # spec, data path, claim, segment
START = "start.safetensors"  # the segment's start checkpoint
END = "end.safetensors"  # the replayed end checkpoint (written by the child)
RESULT = "result.json"  # the replayed losses, or why the child could not replay
EXIT_PROFILE_UNAVAILABLE = 3  # the child does not run the spec's profile (it checked)


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"hex"}:
        return bytes.fromhex(value["hex"])
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    return value


def decode_fields(cls: type, data: dict) -> Any:
    return cls(**{k: decode(v) for k, v in data.items()})


def write_json(path: Path, obj: Any) -> None:
    # Python's float repr round-trips every double, so losses come back bit for bit.
    path.write_text(json.dumps(obj, allow_nan=False, sort_keys=True))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def read_json_bytes(data: bytes) -> Any:
    return json.loads(data)
