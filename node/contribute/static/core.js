// gradchain's protocol encodings in the browser (issue 17): the same bytes as the Python prover, so that a page's
// claim is any worker's claim. Each function names the Python it mirrors; tests/contribute/test_page_core.py
// runs both on the same inputs in a real Chromium and compares the bytes.
import { blake3 } from "./lib/noble/blake3.js";
import { keccak_256 } from "./lib/noble/sha3.js";

const utf8 = new TextEncoder();

export function hexToBytes(hex) {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function u64be(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

// prover/assignment.py batch_indices: BLAKE3-XOF over the domain, job key, spec hash, round, worker and step,
// read as batchSize big-endian u64 words, each modulo nTrain.
export function batchIndices(specHash, round, worker, step, nTrain, batchSize, jobKey) {
  const message = concat(utf8.encode("gradchain/batch/v2"), hexToBytes(jobKey), hexToBytes(specHash), u64be(round),
                         hexToBytes(worker.toLowerCase()), u64be(step));
  const words = blake3(message, { dkLen: 8 * batchSize });
  const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
  const n = BigInt(nTrain);
  return Array.from({ length: batchSize }, (_, i) => Number(view.getBigUint64(8 * i) % n));
}

// prover/checkpoint.py checkpoint_id. tensors: {name: {shape: [...], data: Float32Array}} (float32 only: the
// layout of the wasm jobs). Names in UTF-8 byte order (ASCII here: code-unit order is the same).
const CHECKPOINT_DOMAIN = utf8.encode("gradchain/checkpoint/v1\0");

export function checkpointId(tensors) {
  const names = Object.keys(tensors).sort();
  const h = blake3.create();
  h.update(concat(CHECKPOINT_DOMAIN, u64be(names.length)));
  for (const name of names) {
    const t = tensors[name];
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const nameBytes = utf8.encode(name), dtype = utf8.encode("float32");
    h.update(concat(u64be(nameBytes.length), nameBytes, u64be(dtype.length), dtype, u64be(t.shape.length),
                    ...t.shape.map(u64be), u64be(raw.length)));
    h.update(raw);
  }
  return bytesToHex(h.digest());
}

// A safetensors file (8-byte little-endian header length, JSON header, data): what the node's artifact store
// takes (prover/checkpoint.py read_header checks the spans). The id is recomputed by every reader.
export function safetensorsEncode(tensors) {
  const names = Object.keys(tensors).sort();
  const header = {};
  let offset = 0;
  for (const name of names) {
    const bytes = tensors[name].data.byteLength;
    header[name] = { dtype: "F32", shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  header.__metadata__ = { "gradchain.checkpoint_id": checkpointId(tensors) };
  const json = utf8.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function safetensorsDecode(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const tensors = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (e.dtype !== "F32") throw new Error(`tensor ${name} is ${e.dtype}, expected F32`);
    const [a, b] = e.data_offsets;
    const copy = bytes.slice(8 + n + a, 8 + n + b);  // aligned for the Float32Array view
    tensors[name] = { shape: e.shape, data: new Float32Array(copy.buffer) };
  }
  return tensors;
}

// Python's repr of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16): the transcript
// is canonical JSON as Python's json.dumps writes it (prover/transcript.py), and the node refuses any other bytes.
export function pyFloat(x) {
  if (!Number.isFinite(x)) throw new Error(`a transcript holds finite losses only, got ${x}`);
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expPart] = x.toExponential().split("e");
  const exp = parseInt(expPart, 10);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let body;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (exp < 0) {
    body = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    body = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return (negative ? "-" : "") + body;
}

export function f32(x) {
  return Math.fround(x);
}

// prover/transcript.py to_bytes: sorted keys, no spaces, losses as float32 values in Python's repr.
export function transcriptBytes(t) {
  const segments = t.segments.map((s) =>
    `{"end":"${s.end}","index":${s.index},"losses":[${s.losses.map((l) => pyFloat(f32(l))).join(",")}],` +
    `"start":"${s.start}"}`);
  return utf8.encode(`{"checkpoint_every":${t.checkpointEvery},"job_key":"${t.jobKey}","round":${t.round},` +
                     `"segments":[${segments.join(",")}],"spec_hash":"${t.specHash}","version":${t.version},` +
                     `"worker":"${t.worker.toLowerCase()}"}`);
}

// prover/transcript.py leaf_hash and prover/merkle.py merkle_root.
export function leafHash(s) {
  const losses = new Float32Array(s.losses);
  const lossesHash = keccak_256(new Uint8Array(losses.buffer));
  const index = new Uint8Array(32);
  new DataView(index.buffer).setBigUint64(24, BigInt(s.index));
  return keccak_256(concat(index, hexToBytes(s.start), hexToBytes(s.end), lossesHash));
}

export function merkleRoot(leaves) {
  let size = 1;
  while (size < leaves.length) size *= 2;
  let level = leaves.concat(Array.from({ length: size - leaves.length }, () => new Uint8Array(32)));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak_256(concat(level[i], level[i + 1])));
    level = next;
  }
  return bytesToHex(level[0]);
}

export function transcriptRoot(t) {
  return merkleRoot(t.segments.map(leafHash));
}

// node/api/upload_auth.py upload_message: the text an uploader signs (EIP-191) for one artifact at one node.
export function uploadMessage(chainId, nodeAddress, artifactId, kind, timestamp, nonce) {
  return `gradchain artifact upload\nchain id: ${chainId}\nnode: ${nodeAddress}\nartifact: ${artifactId}\n` +
         `kind: ${kind}\ntimestamp: ${timestamp}\nnonce: ${nonce}`;
}
