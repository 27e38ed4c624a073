"""Where a worker keeps the checkpoints it must be able to serve: a tiny content-addressed store.

The prover needs only put / get / contains by checkpoint id; `get` always re-checks the id, so a corrupted
or swapped file is refused rather than served.

A store whose `put` has serialized the tensors before it returns says so with `serializes_on_put = True`: the
prover then hands it the live training tensors (no copy per stored checkpoint); any other store gets a copy,
since it may keep the references while training changes them in place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from prover.checkpoint import Tensors, checkpoint_from_bytes, checkpoint_to_bytes, load_checkpoint, save_checkpoint


class CheckpointStore(Protocol):
    def put(self, checkpoint_id: bytes, tensors: Tensors) -> None: ...
    def get(self, checkpoint_id: bytes) -> Tensors | None: ...
    def __contains__(self, checkpoint_id: bytes) -> bool: ...


class DirStore:
    """One safetensors file per checkpoint, named <id hex>.safetensors, in one directory."""

    serializes_on_put = True  # put() has written the file before it returns

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def file_for(self, checkpoint_id: bytes) -> Path:
        return self.path / f"{checkpoint_id.hex()}.safetensors"

    def put(self, checkpoint_id: bytes, tensors: Tensors) -> None:
        if checkpoint_id not in self:  # content-addressed: an existing file already holds these tensors
            save_checkpoint(tensors, self.file_for(checkpoint_id), checkpoint_id)

    def get(self, checkpoint_id: bytes) -> Tensors | None:
        file = self.file_for(checkpoint_id)
        return load_checkpoint(file, checkpoint_id) if file.exists() else None

    def __contains__(self, checkpoint_id: bytes) -> bool:
        return self.file_for(checkpoint_id).exists()

    def bytes_stored(self) -> int:
        return sum(f.stat().st_size for f in self.path.glob("*.safetensors"))


class MemoryStore:
    """The same contract in memory (serialized bytes, so sizes and id checks match DirStore)."""

    serializes_on_put = True  # put() keeps bytes, never the tensors it was given

    def __init__(self) -> None:
        self._blobs: dict[bytes, bytes] = {}

    def put(self, checkpoint_id: bytes, tensors: Tensors) -> None:
        if checkpoint_id not in self._blobs:
            self._blobs[checkpoint_id] = checkpoint_to_bytes(tensors, checkpoint_id)

    def get(self, checkpoint_id: bytes) -> Tensors | None:
        blob = self._blobs.get(checkpoint_id)
        return None if blob is None else checkpoint_from_bytes(blob, checkpoint_id)

    def __contains__(self, checkpoint_id: bytes) -> bool:
        return checkpoint_id in self._blobs

    def bytes_stored(self) -> int:
        return sum(len(b) for b in self._blobs.values())
