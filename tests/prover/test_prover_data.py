"""Data sets are pinned by content hash and split the same way everywhere; batches are a pure function."""

import pytest

from prover import DatasetMismatch, batch_indices, digits_spec, load_dataset, tiny_gpt_spec
from prover.datasets import text_content_hash
from prover.spec import DatasetSpec

from job_keys import JOB_KEY, OTHER_JOB_KEY

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20

SPEC_HASH = bytes(range(32))


def test_digits_split_is_fixed_and_disjoint(dspec):
    data = load_dataset(dspec)
    assert data.n_train + data.heldout_x.shape[0] == 1797
    assert data.heldout_x.shape[0] == int(1797 * 0.2)
    # the split is a function of the content hash only: loading again gives the same tensors
    again = load_dataset(digits_spec(heldout_fraction=0.2))
    assert (again.train_y == data.train_y).all()


def test_digits_hash_mismatch_is_refused(dspec):
    wrong = dspec.replace(dataset=DatasetSpec("digits", "0x" + "ab" * 32, 0.2))
    with pytest.raises(DatasetMismatch, match="the spec pins 0x" + "ab" * 32):
        load_dataset(wrong)


def test_text_hash_mismatch_is_refused(tmp_path):
    f = tmp_path / "corpus.txt"
    f.write_text("hello world, " * 200, encoding="utf-8")
    spec = tiny_gpt_spec(f, block_size=16)
    assert spec.dataset.content_hash == text_content_hash(f.read_bytes())
    # 2,600 bytes, 260 held out; a window needs block_size + 1 bytes: starts 0 .. 2340 - 17
    assert load_dataset(spec).n_train == 2600 - 260 - 16
    g = tmp_path / "edited.txt"
    g.write_text("HELLO world, " * 200, encoding="utf-8")  # one letter changed, same length
    with pytest.raises(DatasetMismatch, match=f"text file {g} hashes to 0x[0-9a-f]{{64}}, the spec pins"):
        load_dataset(spec.with_data_path(str(g)))


def test_text_missing_from_shipped_data_is_explained():
    spec = tiny_gpt_spec()
    other = spec.replace(dataset=DatasetSpec("text", "0x" + "cd" * 32, 0.1))
    with pytest.raises(DatasetMismatch, match="with_data_path"):
        load_dataset(other)


def test_batch_indices_are_pure_and_depend_on_every_input():
    base = batch_indices(SPEC_HASH, 3, ALICE, 7, 1000, 32, job_key=JOB_KEY)
    assert len(base) == 32 and all(0 <= i < 1000 for i in base)
    assert base == batch_indices(SPEC_HASH, 3, ALICE.upper().replace("0X", "0x"), 7, 1000, 32, job_key=JOB_KEY)
    # pinned reference vector: identical on every machine and version
    assert batch_indices(SPEC_HASH, 0, ALICE, 0, 1000, 4, job_key=JOB_KEY) == [158, 271, 684, 880]
    assert base != batch_indices(SPEC_HASH, 4, ALICE, 7, 1000, 32, job_key=JOB_KEY)
    assert base != batch_indices(SPEC_HASH, 3, BOB, 7, 1000, 32, job_key=JOB_KEY)
    assert base != batch_indices(SPEC_HASH, 3, ALICE, 8, 1000, 32, job_key=JOB_KEY)
    assert base != batch_indices(bytes(32), 3, ALICE, 7, 1000, 32, job_key=JOB_KEY)
    # Another job with the same spec, round, worker and step gets other data: work is bound to its job.
    assert base != batch_indices(SPEC_HASH, 3, ALICE, 7, 1000, 32, job_key=OTHER_JOB_KEY)
    with pytest.raises(ValueError, match="20-byte hex address"):
        batch_indices(SPEC_HASH, 0, "0x1234", 0, 1000, 4, job_key=JOB_KEY)


def test_digits_are_read_from_scikit_learns_file_exactly_as_its_loader_gives_them_without_importing_it():
    import subprocess
    import sys

    import numpy as np
    from sklearn.datasets import load_digits

    from prover.datasets import _digits_arrays

    pixels, labels = _digits_arrays()
    d = load_digits()
    assert np.array_equal(pixels, d.data) and np.array_equal(labels, d.target)
    # A node's start-up loads the data without scikit-learn (and scipy) in the process: about a second saved.
    probe = ("import sys; from prover.presets import digits_spec; from prover.datasets import load_dataset; "
             "load_dataset(digits_spec()); assert 'sklearn' not in sys.modules, 'sklearn imported'")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
