"""What a malformed artifact costs the verifier's parse path, before and after spec-derived bounds (PROTOCOL.md §3).

    .venv/bin/python bench/parse_cost.py                  # tiny-gpt preset, "before" = verifier/artifacts.py of v1 (074f603)
    .venv/bin/python bench/parse_cost.py --preset digits --before-ref 074f603

Each case is built here, written to a file, and parsed in a fresh subprocess, once per path, so that one case's allocations never hide another's:
- before: verifier/artifacts.py as on --before-ref (loaded from `git show`), doing what the verifier did with the
  bytes: the fetcher's content_matches, then parse_transcript, or decode_checkpoint + id + layout check;
- after: this checkout: the spec's size bound, then content_matches, parse_transcript with S and the bound, or
  inspect_checkpoint (header and id, no tensor built) and decode only if the layout fits;
- read: reading the same number of bytes from a file, the floor any parser pays.
Wall time is time.perf_counter around the call; memory is the peak resident set above the level before the
call (Linux: /proc/self/clear_refs resets VmHWM), which also sees torch's and safetensors' native buffers.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("ckpt_huge_shapes", "ckpt_extra_tensor", "ckpt_wrong_dtype", "transcript_million_segments",
         "transcript_segments_at_bound", "transcript_nested_100k", "transcript_nested_at_bound")


def _spec(preset: str):
    from prover.presets import digits_spec, tiny_gpt_spec
    return {"digits": digits_spec, "tiny-gpt": tiny_gpt_spec}[preset]()


def _safetensors(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def build_case(case: str, spec) -> tuple[bytes, bytes]:
    """(artifact id the transcript would name, bytes served), each at or near the spec's size limit."""
    import blake3
    import torch
    from prover.checkpoint import checkpoint_id, checkpoint_to_bytes
    from prover.state import genesis

    real = genesis(spec)
    if case == "ckpt_huge_shapes":  # served under its raw BLAKE3, so the fetcher's check passes it
        blob = checkpoint_to_bytes(real)
        n = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8:8 + n])
        del header["__metadata__"]
        biggest = max((k for k in header), key=lambda k: header[k]["data_offsets"][1] - header[k]["data_offsets"][0])
        header[biggest]["shape"] = [10**9, 10**9]
        data = _safetensors(header, blob[8 + n:])
        return blake3.blake3(data).digest(), data
    if case == "ckpt_extra_tensor":  # hash-consistent: an unexpected tensor in place of the largest one
        biggest = max(real, key=lambda k: real[k].numel())
        tensors = {n: t for n, t in real.items() if n != biggest}
        tensors["param/x"] = real[biggest].clone()
    elif case == "ckpt_wrong_dtype":  # hash-consistent: every weight's bits as int32 (same size)
        tensors = {n: t.view(torch.int32) if n.startswith("param/") else t for n, t in real.items()}
    elif case.startswith("transcript"):
        from prover.bounds import max_transcript_bytes
        half = max_transcript_bytes(spec) // 2
        n = {"transcript_million_segments": 1_000_000, "transcript_segments_at_bound": half // 3}.get(case)
        if n is not None:  # empty segment objects, as many as fit
            return b"\x00" * 32, b'{"segments":[' + b",".join([b"{}"] * n) + b"]}"
        depth = 100_000 if case == "transcript_nested_100k" else half
        return b"\x00" * 32, b"[" * depth + b"]" * depth
    else:
        raise SystemExit(f"unknown case {case!r}; expected one of {CASES}")
    return checkpoint_id(tensors), checkpoint_to_bytes(tensors)


def _load_before(ref: str):
    """verifier/artifacts.py as on `ref`, as a module of its own (it imports prover, which is unchanged)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:verifier/artifacts.py"], check=True,
                            capture_output=True).stdout
    path = Path(tempfile.mkdtemp()) / "artifacts_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("artifacts_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["artifacts_before"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _before(mod, spec, case: str, aid: bytes, data: bytes) -> str:
    from prover.checkpoint import CheckpointError, checkpoint_id
    from prover.models.registry import build_model
    from prover.state import check_layout

    # The verifier parses a transcript whatever the fetch check said (ArtifactMismatch carries the bytes, to
    # tell a garbled download from a transcript with another root); a checkpoint that fails it is dropped.
    if not mod.content_matches(aid, data) and not case.startswith("transcript"):
        return "fetch check refused"
    try:
        if case.startswith("transcript"):
            mod.parse_transcript(data)
            return "parsed"
        tensors = mod.decode_checkpoint(data)
        checkpoint_id(tensors)
        check_layout(spec, build_model(spec), tensors)
        return "layout fits"
    except (mod.MalformedArtifact, CheckpointError) as e:
        return f"refused: {str(e)[:70]}"


def _after(spec, case: str, aid: bytes, data: bytes) -> str:
    from prover.bounds import max_checkpoint_bytes, max_transcript_bytes
    from verifier import artifacts as mod

    transcript = case.startswith("transcript")
    bound = max_transcript_bytes(spec) if transcript else max_checkpoint_bytes(spec)
    if len(data) > bound:  # what the fetcher's per-call limit does before reading the body
        return f"refused: {len(data)} bytes over the bound {bound}"
    if not mod.content_matches(aid, data) and not transcript:
        return "fetch check refused"
    try:
        if transcript:
            mod.parse_transcript(data, max_bytes=bound, max_segments=spec.segments_per_claim)
            return "parsed"
        seen = mod.inspect_checkpoint(spec, data)
        if seen.layout_problem is not None:
            return f"rejected: {seen.layout_problem[:70]}"
        mod.decode_checkpoint(data)
        return "layout fits"
    except mod.MalformedArtifact as e:
        return f"refused: {str(e)[:70]}"


def _read(path: str) -> str:
    _measure_start()
    with open(path, "rb") as f:
        got = f.read()
    return f"read {len(got)} bytes"


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


_START: dict = {}


def _measure_start() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    _START.update(rss=_status_kb("VmRSS"), t=time.perf_counter())


def child(args) -> None:
    import torch
    torch.set_num_threads(1)
    spec = _spec(args.preset)
    aid, data = bytes.fromhex(args.id), Path(args.file).read_bytes()
    before = _load_before(args.before_ref) if args.path == "before" else None
    # Once per spec, outside the measurement: a verifier computes these when it loads the job.
    from prover.bounds import expected_layout, max_checkpoint_bytes, max_transcript_bytes
    from prover.models.registry import build_model
    import verifier.artifacts  # noqa: F401
    build_model(spec), expected_layout(spec), max_checkpoint_bytes(spec), max_transcript_bytes(spec)
    if args.path == "read":
        outcome = _read(args.file)
    else:
        _measure_start()
        outcome = _before(before, spec, args.case, aid, data) if before else _after(spec, args.case, aid, data)
    wall = time.perf_counter() - _START["t"]
    peak_kb = _status_kb("VmHWM") - _START["rss"]
    print(json.dumps({"bytes": len(data), "wall_s": wall, "peak_kb": peak_kb, "outcome": outcome}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=("digits", "tiny-gpt"), default="tiny-gpt")
    # The last commit before inputs were bounded: what "before" means in the issue notes.
    p.add_argument("--before-ref", default="074f603", help="git ref whose verifier/artifacts.py is 'before'")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    p.add_argument("--file", help=argparse.SUPPRESS)
    p.add_argument("--id", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)
    from prover.bounds import max_checkpoint_bytes, max_transcript_bytes
    spec = _spec(args.preset)
    print(f"preset {args.preset}: checkpoint bound {max_checkpoint_bytes(spec)} B, transcript bound "
          f"{max_transcript_bytes(spec)} B; before = verifier/artifacts.py at {args.before_ref}")
    print(f"{'case':30} {'bytes':>9} {'path':>6} {'wall ms':>9} {'peak KiB':>9} {'x read':>12}  outcome")
    workdir = Path(tempfile.mkdtemp(prefix="parse_cost."))
    for case in CASES:
        aid, data = build_case(case, spec)  # built here, so a child holds no freed construction memory
        (workdir / case).write_bytes(data)
        runs = {}
        for path in ("read", "before", "after"):
            out = subprocess.run([sys.executable, __file__, "--child", "--preset", args.preset, "--before-ref",
                                  args.before_ref, "--case", case, "--path", path, "--file", str(workdir / case),
                                  "--id", aid.hex()],
                                 check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            runs[path] = json.loads(out.stdout.strip().splitlines()[-1])
        base = runs["read"]
        for path in ("read", "before", "after"):
            r = runs[path]
            ratio = (f"{r['wall_s'] / base['wall_s']:5.1f}t {max(r['peak_kb'], 4) / max(base['peak_kb'], 4):4.1f}m"
                     if path != "read" else "")
            print(f"{case if path == 'read' else '':30} {r['bytes']:>9} {path:>6} {r['wall_s'] * 1e3:9.2f} "
                  f"{r['peak_kb']:>9} {ratio:>12}  {r['outcome']}")
        (workdir / case).unlink()
    workdir.rmdir()
    print("x read: wall time (t) and peak memory (m) as multiples of just reading the same bytes "
          "(memory floored at 4 KiB, the page size)")


if __name__ == "__main__":
    main()
