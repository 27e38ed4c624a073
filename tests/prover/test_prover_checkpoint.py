"""Checkpoints: the id survives safetensors round trips; a file with the wrong hash is refused; no pickle."""

import re
from pathlib import Path

import pytest
import torch

from prover import (CheckpointMismatch, checkpoint_from_bytes, checkpoint_id, checkpoint_to_bytes,
                    load_checkpoint, save_checkpoint)
from prover.checkpoint import CheckpointError


def test_id_is_content_only_and_stable(dgenesis):
    cid = checkpoint_id(dgenesis)
    assert len(cid) == 32
    assert checkpoint_id(dict(reversed(list(dgenesis.items())))) == cid  # insertion order is irrelevant
    changed = dict(dgenesis)
    name = "param/layers.0.bias"
    changed[name] = dgenesis[name].clone()
    changed[name][0] = torch.nextafter(changed[name][0], torch.tensor(1.0))  # one ulp in one value
    assert checkpoint_id(changed) != cid
    renamed = {("x" + k if k == name else k): v for k, v in dgenesis.items()}
    assert checkpoint_id(renamed) != cid
    reshaped = dict(dgenesis, **{name: dgenesis[name].reshape(8, 8)})
    assert checkpoint_id(reshaped) != cid  # same bytes, different shape


def test_safetensors_round_trip_keeps_the_id(dgenesis, tmp_path):
    cid = checkpoint_id(dgenesis)
    assert save_checkpoint(dgenesis, tmp_path / "c.safetensors") == cid
    loaded = load_checkpoint(tmp_path / "c.safetensors", cid)
    assert checkpoint_id(loaded) == cid
    assert all(torch.equal(loaded[k], dgenesis[k]) for k in dgenesis)
    assert checkpoint_id(checkpoint_from_bytes(checkpoint_to_bytes(dgenesis), "0x" + cid.hex())) == cid


def test_file_with_wrong_hash_is_refused(dgenesis, tmp_path):
    cid = checkpoint_id(dgenesis)
    path = tmp_path / "c.safetensors"
    save_checkpoint(dgenesis, path)
    # flip one byte of tensor data (the data follows the header): metadata still claims the old id
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointMismatch) as err:
        load_checkpoint(path, cid)
    assert cid.hex() in str(err.value) and err.value.actual.hex() in str(err.value) and str(path) in str(err.value)
    # a good file under the wrong expected id is refused too
    with pytest.raises(CheckpointMismatch):
        load_checkpoint(checkpoint_to_bytes(dgenesis), bytes(32))


def test_garbage_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        checkpoint_from_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")


def test_no_pickle_anywhere_in_the_prover():
    root = Path(__file__).resolve().parents[2] / "prover"
    source = "\n".join(p.read_text() for p in root.rglob("*.py"))
    assert not re.search(r"import pickle|from pickle|torch\.save\(|torch\.load\(|weights_only", source)
