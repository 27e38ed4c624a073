// The contributor page's training, in a Web Worker (never on the page's main thread): one claim of a wasm job,
// step by step through the job's module (prover/wasm/mlp_sgd.wasm, the bytes the Python prover and verifiers run),
// committing to every segment as prover/claim.py does. Messages in: start, pause, resume, cap. Out: progress,
// segment, done, error.
import { batchIndices, checkpointId, safetensorsEncode } from "./core.js";

const PARAMS = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"];
let paused = false;
let capPercent = 100;
let waiters = [];
const YIELD_MS = 50;  // pause and cap messages are read within this (and a pause within one second)
const REPORT_MS = 100;

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

async function untilResumed() {
  while (paused) await new Promise((resolve) => waiters.push(resolve));
}

onmessage = (e) => {
  const m = e.data;
  if (m.type === "pause") paused = true;
  if (m.type === "resume") { paused = false; waiters.splice(0).forEach((w) => w()); }
  if (m.type === "cap") capPercent = Math.min(100, Math.max(5, m.percent));
  if (m.type === "start") train(m).catch((err) => postMessage({ type: "error", error: String(err && err.stack || err) }));
};

function snapshot(ex, shapes, momentum) {
  const view = (r, n) => new Float32Array(ex.memory.buffer, ex.offset(r), n).slice();
  const tensors = {};
  PARAMS.forEach((name, i) => {
    const n = shapes[name].reduce((a, b) => a * b, 1);
    tensors[`param/${name}`] = { shape: shapes[name], data: view(i, n) };
    if (momentum) tensors[`optim/${name}/momentum_buffer`] = { shape: shapes[name], data: view(4 + i, n) };
  });
  return tensors;
}

async function train(m) {
  const { job, head, dataset } = m;
  const { instance } = await WebAssembly.instantiate(m.module);
  const ex = instance.exports;
  const [nIn, nHid, nOut] = [job.n_in, job.n_hidden, job.n_out];
  const status = ex.configure(nIn, nHid, nOut, job.batch_size);
  if (status !== 0) throw new Error(`the module refused sizes ${nIn}-${nHid}-${nOut} (configure returned ${status})`);
  const shapes = { "layers.0.weight": [nHid, nIn], "layers.0.bias": [nHid], "layers.1.weight": [nOut, nHid],
                   "layers.1.bias": [nOut] };
  const momentum = job.momentum !== 0;
  PARAMS.forEach((name, i) => {
    const p = head[`param/${name}`].data;
    new Float32Array(ex.memory.buffer, ex.offset(i), p.length).set(p);
    const buf = head[`optim/${name}/momentum_buffer`];
    new Float32Array(ex.memory.buffer, ex.offset(4 + i), p.length).set(buf ? buf.data : new Float32Array(p.length));
  });
  // DEMO/TESTS ONLY: a tampered page (?tamper=1) alters the update, as a modified module would.
  const lr = m.tamper ? job.lr * 1.01 : job.lr;
  const X = new Float32Array(ex.memory.buffer, ex.offset(8), job.batch_size * nIn);
  const Y = new Int32Array(ex.memory.buffer, ex.offset(9), job.batch_size);
  const k = job.checkpoint_every, H = job.steps_per_claim;
  const boundaries = [checkpointId(head)];
  const segments = [];
  const started = performance.now();
  // Yield to the message loop (pause, cap) at least every YIELD_MS, never per step: a browser clamps short
  // timeouts to milliseconds, which would cost more than the step. Under a cap, rest in proportion to the work.
  let worked = 0, lastYield = performance.now(), lastReport = 0;
  for (let j = 0; j < H / k; j++) {
    const losses = [];
    for (let i = 0; i < k; i++) {
      const t0 = performance.now();
      const step = j * k + i;
      const idx = batchIndices(job.spec_hash, m.round, m.worker, step, dataset.n_train, job.batch_size, job.job_key);
      idx.forEach((row, b) => {
        X.set(dataset.x.subarray(row * nIn, (row + 1) * nIn), b * nIn);
        Y[b] = dataset.y[row];
      });
      losses.push(ex.train_step(job.batch_size, lr, job.momentum, job.weight_decay));
      const now = performance.now();
      worked += now - t0;
      if (now - lastReport >= REPORT_MS || step + 1 === H) {
        postMessage({ type: "progress", step: step + 1, steps: H, loss: losses[losses.length - 1],
                      elapsed_ms: now - started });
        lastReport = now;
      }
      if (now - lastYield >= YIELD_MS) {
        await sleep(capPercent >= 100 ? 0 : worked * (100 / capPercent - 1));
        worked = 0;
        lastYield = performance.now();
        await untilResumed();
      }
    }
    const tensors = snapshot(ex, shapes, momentum);
    const end = checkpointId(tensors);
    segments.push({ index: j, start: boundaries[j], end, losses });
    boundaries.push(end);
    postMessage({ type: "segment", index: j, id: end, file: safetensorsEncode(tensors) });
  }
  postMessage({ type: "done", segments, result: boundaries[boundaries.length - 1] });
}
