"""The contributor page's protocol encodings (node/contribute/static/core.js) against the Python they mirror, in a
real headless Chromium: batch assignment, checkpoint ids and safetensors files, Python's float repr, transcript
bytes and roots, and the upload message. The page's claim is any worker's claim only if every byte agrees."""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from node.api.server import BackgroundServer
from node.api.upload_auth import upload_message
from node.contribute.routes import router
from prover.assignment import batch_indices
from prover.checkpoint import checkpoint_from_bytes, checkpoint_id
from prover.presets import digits_wasm_spec
from prover.state import genesis
from prover.transcript import Segment, Transcript

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit_v2"))
from browser_helpers import browser_page, require_chromium  # noqa: E402

sync_api = require_chromium()
SPEC = digits_wasm_spec()
JOB_KEY = bytes(range(32))
WORKER = "0x00000000000000000000000000000000000000aB"
FLOATS = [1e-05, 1.5e-07, 0.0001, 0.00012, 2.5, 123.0, 1e16, 1.2345e16, 2.3025851249694824, 0.1, 1e-300, 5e-324,
          -0.0, 0.0, -3.75, 9999999999999998.0, 0.30000001192092896]


@pytest.fixture(scope="module")
def core():
    app = FastAPI()
    app.include_router(router)
    server = BackgroundServer(app).start()
    with browser_page(sync_api) as page:
        page.goto(server.url + "/contribute/static/page.css")  # any page of the origin the modules load from
        yield lambda script, arg=None: page.evaluate(
            f"async (arg) => {{ const core = await import('/contribute/static/core.js'); {script} }}", arg)
    server.stop()


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_python_float_repr(core):
    assert core("return arg.map(core.pyFloat);", FLOATS) == [repr(x) for x in FLOATS]


def test_batch_assignment(core):
    args = {"spec": "0x" + SPEC.spec_hash().hex(), "key": "0x" + JOB_KEY.hex(), "worker": WORKER}
    got = core("return [0, 1, 2999].map((s) => core.batchIndices(arg.spec, 7, arg.worker, s, 1437, 32, arg.key));",
               args)
    assert got == [batch_indices(SPEC.spec_hash(), 7, WORKER, s, 1437, 32, job_key=JOB_KEY) for s in (0, 1, 2999)]


def test_checkpoint_ids_and_safetensors_files(core):
    head = genesis(SPEC)
    tensors = {n: {"shape": list(t.shape), "data": t.flatten().tolist()} for n, t in head.items()}
    got = core("""const t = {}; for (const [n, v] of Object.entries(arg)) t[n] = {shape: v.shape,
                   data: new Float32Array(v.data)};
                  return [core.checkpointId(t), Array.from(core.safetensorsEncode(t))];""", tensors)
    assert got[0] == "0x" + checkpoint_id(head).hex()
    decoded = checkpoint_from_bytes(bytes(got[1]), checkpoint_id(head))  # the node's own reader, id checked
    assert decoded.keys() == head.keys() and all((decoded[n] == head[n]).all() for n in head)


def test_transcript_bytes_and_root(core):
    losses = [[f32(x) for x in row] for row in ([2.3025851249694824, 1e-05, 0.5, 1.5e-07],
                                                 [123.0, 0.0001, 2.5, 0.30000001192092896])]
    ids = [bytes([i]) * 32 for i in range(3)]
    t = Transcript(job_key=JOB_KEY, spec_hash=SPEC.spec_hash(), round=3, worker=WORKER, checkpoint_every=4,
                   segments=tuple(Segment(j, ids[j], ids[j + 1], tuple(losses[j])) for j in range(2)))
    arg = {"version": t.version, "jobKey": "0x" + JOB_KEY.hex(), "specHash": "0x" + SPEC.spec_hash().hex(),
           "round": 3, "worker": WORKER, "checkpointEvery": 4,
           "segments": [{"index": j, "start": "0x" + ids[j].hex(), "end": "0x" + ids[j + 1].hex(), "losses": losses[j]}
                        for j in range(2)]}
    got = core("return [Array.from(core.transcriptBytes(arg)), core.transcriptRoot(arg)];", arg)
    assert bytes(got[0]) == t.to_bytes()
    assert got[1] == "0x" + t.root.hex()
    json.loads(bytes(got[0]))


def test_upload_message(core):
    node = "0x" + "12" * 20
    from eth_utils import to_checksum_address

    got = core("return core.uploadMessage(31337, arg.node, arg.id, 'checkpoint', 1700000000, 'abcdef0123');",
               {"node": to_checksum_address(node), "id": "ab" * 32})
    assert got == upload_message(31337, node, "ab" * 32, "checkpoint", 1700000000, "abcdef0123")
