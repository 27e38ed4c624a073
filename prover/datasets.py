"""Data sets, identified by a content hash of a canonical encoding, split into train and held-out by the spec.

Decided here:
- digits: canonical bytes = "gradchain/dataset/digits/v1\\0" || n (u64 BE) || the n x 64 pixel values as
  uint8 (row-major) || the n labels as uint8; content hash = BLAKE3 of those bytes. Inputs are pixels / 16.
  Held-out = the floor(n * heldout_fraction) examples that come first when ordered by
  BLAKE3(content hash || index u64 BE): a fixed, unbiased split that anyone recomputes.
- text: canonical bytes = the file's bytes exactly (must be UTF-8); content hash = BLAKE3 of the file, so
  `b3sum FILE` gives it. Tokens are bytes (0..255). Held-out = the last floor(n * heldout_fraction) bytes.
  Training example i is the window tokens[i : i + block_size + 1] (inputs and next-byte targets).
A data set whose hash differs from the spec's is refused with DatasetMismatch.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import blake3
import numpy as np
import torch

if TYPE_CHECKING:
    from prover.spec import JobSpec

DATA_DIR = Path(__file__).parent / "data"  # text files shipped with the prover, found by content hash
DIGITS_DOMAIN = b"gradchain/dataset/digits/v1\0"
EVAL_WINDOWS = 256  # held-out windows scored for a language model (deterministic: the first ones)


class DatasetMismatch(ValueError):
    """The data found on this machine is not the data the spec pins."""


@dataclass(frozen=True)
class ClassificationData:
    """Digits: float inputs and integer labels, already split."""

    content_hash: str
    train_x: torch.Tensor  # (n_train, 64) float32 in [0, 1]
    train_y: torch.Tensor  # (n_train,) int64
    heldout_x: torch.Tensor  # (n_heldout, 64)
    heldout_y: torch.Tensor  # (n_heldout,)

    @property
    def n_train(self) -> int:
        return self.train_x.shape[0]

    def train_batch(self, indices: list[int], device: torch.device | str = "cpu"):
        idx = torch.tensor(indices, dtype=torch.int64)
        return self.train_x[idx].to(device), self.train_y[idx].to(device)

    def heldout_batches(self, device: torch.device | str = "cpu") -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        yield self.heldout_x.to(device), self.heldout_y.to(device)


@dataclass(frozen=True)
class TextData:
    """Byte-level text: contiguous train and held-out token streams and the window length."""

    content_hash: str
    train_tokens: torch.Tensor  # (n_train_bytes,) int64
    heldout_tokens: torch.Tensor  # (n_heldout_bytes,) int64
    block_size: int

    @property
    def n_train(self) -> int:
        return self.train_tokens.shape[0] - self.block_size  # window starts 0 .. n - T - 1

    def train_batch(self, indices: list[int], device: torch.device | str = "cpu"):
        starts = torch.tensor(indices, dtype=torch.int64)[:, None]  # (B, 1)
        windows = self.train_tokens[starts + torch.arange(self.block_size + 1)]  # (B, T + 1)
        return windows[:, :-1].to(device), windows[:, 1:].to(device)

    def heldout_batches(self, device: torch.device | str = "cpu", per_batch: int = 64):
        T = self.block_size
        n = min(EVAL_WINDOWS, (self.heldout_tokens.shape[0] - 1) // T)
        starts = torch.arange(n, dtype=torch.int64)[:, None] * T  # non-overlapping windows
        windows = self.heldout_tokens[starts + torch.arange(T + 1)]  # (n, T + 1)
        for i in range(0, n, per_batch):
            w = windows[i:i + per_batch]
            yield w[:, :-1].to(device), w[:, 1:].to(device)


Dataset = ClassificationData | TextData


def load_dataset(spec: "JobSpec") -> Dataset:
    """The spec's data set, hash-checked and split; cached per (hash, split, location, window)."""
    ds = spec.dataset
    block = spec.model_config.get("block_size", 0)
    return _load(ds.name, ds.content_hash.lower(), ds.heldout_fraction, ds.path, block)


@functools.lru_cache(maxsize=8)
def _load(name: str, content_hash: str, heldout_fraction: float, path: str | None, block_size: int) -> Dataset:
    if name == "digits":
        return _load_digits(content_hash, heldout_fraction)
    return _load_text(content_hash, heldout_fraction, path, block_size)


# ---- digits ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (1797 x 64 pixels 0..16, labels 0..9), read from the file the package ships
    (sklearn/datasets/data/digits.csv.gz: 64 pixels then the label per row) without importing scikit-learn, which
    costs a node about a second of start-up (scipy and all); the content hash pins the result either way."""
    found = _sklearn_digits_file()
    if found is None:  # another scikit-learn layout: its loader knows where the file went
        from sklearn.datasets import load_digits

        d = load_digits()
        data, target = d.data, d.target
    else:
        with gzip.open(found) as f:
            table = np.loadtxt(f, delimiter=",")
        data, target = table[:, :-1], table[:, -1]
    pixels = data.astype(np.uint8)  # values 0..16, exactly integral in the source
    if not np.array_equal(pixels, data):
        raise DatasetMismatch("scikit-learn digits are not integral pixel values: different scikit-learn data")
    return pixels, target.astype(np.uint8)


def _sklearn_digits_file() -> Path | None:
    spec = importlib.util.find_spec("sklearn")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise DatasetMismatch("the digits data set ships with scikit-learn, which is not installed here "
                              "(bash scripts/setup.sh installs it)")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def digits_canonical_bytes(pixels: np.ndarray, labels: np.ndarray) -> bytes:
    """The canonical encoding whose BLAKE3 is the digits content hash."""
    n = pixels.shape[0]
    return DIGITS_DOMAIN + n.to_bytes(8, "big") + np.ascontiguousarray(pixels, np.uint8).tobytes() \
        + np.ascontiguousarray(labels, np.uint8).tobytes()


def digits_content_hash() -> str:
    """0x-hex content hash of scikit-learn's digits as installed here."""
    return "0x" + blake3.blake3(digits_canonical_bytes(*_digits_arrays())).hexdigest()


def _load_digits(content_hash: str, heldout_fraction: float) -> ClassificationData:
    actual = digits_content_hash()
    if actual != content_hash:
        raise DatasetMismatch(f"digits data on this machine hash to {actual}, the spec pins {content_hash}; "
                              "install the scikit-learn version the job was created with")
    pixels, labels = _digits_arrays()
    n = pixels.shape[0]
    key = bytes.fromhex(content_hash[2:])
    order = sorted(range(n), key=lambda i: blake3.blake3(key + i.to_bytes(8, "big")).digest())
    n_heldout = math.floor(n * heldout_fraction)
    heldout = sorted(order[:n_heldout])
    train = sorted(order[n_heldout:])
    x = torch.from_numpy(pixels.astype(np.float32) / 16.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return ClassificationData(content_hash, x[train], y[train], x[heldout], y[heldout])


# ---- text --------------------------------------------------------------------------------------------

def text_content_hash(data: bytes) -> str:
    """0x-hex content hash of a text file's bytes (equal to `b3sum`)."""
    return "0x" + blake3.blake3(data).hexdigest()


def find_shipped_text(content_hash: str) -> Path | None:
    """A text file under prover/data/ with this content hash, if the prover ships one."""
    for candidate in sorted(DATA_DIR.glob("*.txt")):
        if text_content_hash(candidate.read_bytes()) == content_hash.lower():
            return candidate
    return None


def _load_text(content_hash: str, heldout_fraction: float, path: str | None, block_size: int) -> TextData:
    if path is None:
        found = find_shipped_text(content_hash)
        if found is None:
            raise DatasetMismatch(f"no text file with content hash {content_hash} under {DATA_DIR}; "
                                  "give its location with spec.with_data_path(path)")
        path = str(found)
    data = Path(path).read_bytes()
    actual = text_content_hash(data)
    if actual != content_hash:
        raise DatasetMismatch(f"text file {path} hashes to {actual}, the spec pins {content_hash}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DatasetMismatch(f"text file {path} is not UTF-8: {e}") from None
    tokens = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(torch.int64)
    n_heldout = math.floor(len(data) * heldout_fraction)
    train, heldout = tokens[:len(data) - n_heldout], tokens[len(data) - n_heldout:]
    if train.shape[0] < block_size + 2 or heldout.shape[0] < block_size + 1:
        raise DatasetMismatch(f"text file {path} ({len(data)} bytes) is too short for block_size "
                              f"{block_size} with heldout_fraction {heldout_fraction}")
    return TextData(content_hash, train, heldout, block_size)
