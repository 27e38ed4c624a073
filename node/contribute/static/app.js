// The contributor page (issue 17): terms and consent, a key kept encrypted in this browser, training when the
// computer is idle (in a Web Worker: trainer.js), artifacts pushed to the gateway, the claim submitted and its
// reward withdrawn, all signed here. The gateway serves the page, the job, the module and the data, and keeps the
// artifacts for verifiers; it never holds the key.
import { ethers } from "./lib/ethers.js";
import { bytesToHex, checkpointId, hexToBytes, safetensorsDecode, transcriptBytes, transcriptRoot,
         uploadMessage } from "./core.js";

const KEYSTORE = "gradchain.keystore";
const CONSENT = "gradchain.consent";
const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const TAMPER = query.get("tamper") === "1";  // DEMO/TESTS ONLY: trainer.js alters the update

const state = { job: null, wallet: null, provider: null, ledger: null, consented: false, paused: false,
                idle: { mode: "inactivity", detectorIdle: false, lastActive: Date.now() }, trainer: null,
                training: null, claims: new Map(), cache: {} };

function log(line) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 19)} ${line}`;
  $("log").prepend(li);
}

function eth(wei) {
  const text = ethers.formatEther(wei);
  const [whole, frac = ""] = text.split(".");
  const trimmed = frac.slice(0, 6).replace(/0+$/, "");
  return `${whole}${trimmed ? "." + trimmed : ""} ETH`;
}

async function getJSON(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

async function getBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// -- the job and its terms ------------------------------------------------------------------------------------
async function loadJob() {
  state.job = await getJSON("/contribute/job");
  const j = state.job;
  $("terms").replaceChildren(...j.terms.map((t) => { const li = document.createElement("li"); li.textContent = t;
                                                       return li; }));
  state.provider = new ethers.JsonRpcProvider(j.rpc_url, j.chain_id, { staticNetwork: true, pollingInterval: 500 });
}

// -- the key ------------------------------------------------------------------------------------------------------
async function createWallet() {
  const password = $("password").value;
  if (password.length < 8) { $("wallet-error").textContent = "choose a password of at least 8 characters"; return; }
  const fresh = ethers.Wallet.createRandom();
  const json = await ethers.encryptKeystoreJson({ address: fresh.address, privateKey: fresh.privateKey }, password,
                                                { scrypt: { N: state.job.kdf_n } });
  // ethers writes "Crypto"; geth, eth-account and cast write (and cast only reads) "crypto": kept as geth has it.
  const keystore = JSON.parse(json);
  if (keystore.Crypto) { keystore.crypto = keystore.Crypto; delete keystore.Crypto; }
  localStorage.setItem(KEYSTORE, JSON.stringify(keystore));
  useWallet(new ethers.Wallet(fresh.privateKey));
  log(`new key ${fresh.address}, kept encrypted in this browser (export it to keep a copy)`);
}

async function unlockWallet() {
  try {
    const w = await ethers.Wallet.fromEncryptedJson(localStorage.getItem(KEYSTORE), $("unlock-password").value);
    useWallet(w);
    $("wallet-error").textContent = "";
  } catch (err) {
    $("wallet-error").textContent = "wrong password for the key kept in this browser (gradchain.keystore)";
  }
}

function useWallet(w) {
  state.wallet = w.connect(state.provider);
  state.ledger = new ethers.Contract(state.job.ledger, state.job.abi, state.wallet);
  $("address").textContent = w.address;
  $("keys").hidden = true;
  $("account").hidden = false;
}

function exportKeystore() {
  const blob = new Blob([localStorage.getItem(KEYSTORE)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `gradchain-${state.wallet.address}.json`;
  a.click();
}

async function send(what, promise) {
  $("tx-error").textContent = "";
  try {
    const tx = await promise;
    log(`${what}: sent ${tx.hash}`);
    const receipt = await tx.wait();
    log(`${what}: mined in block ${receipt.blockNumber} (gas ${receipt.gasUsed})`);
    return receipt;
  } catch (err) {
    const reason = err.revert ? `${err.revert.name}(${err.revert.args.join(", ")})` : (err.shortMessage || err.message);
    $("tx-error").textContent = `${what} failed: ${reason}`;
    log(`${what} failed: ${reason}`);
    throw err;
  }
}

async function stake() {
  await send("stake", state.ledger.stake(state.job.role_worker, { value: BigInt(state.job.min_worker_stake_wei) }));
}

async function withdraw() {
  await send("withdraw", state.ledger.withdraw());
}

// -- consent and idleness --------------------------------------------------------------------------------------
async function allow() {
  state.consented = true;
  localStorage.setItem(CONSENT, JSON.stringify({ job: state.job.job_id, spec_hash: state.job.spec_hash,
                                                 at: new Date().toISOString() }));
  const seconds = Math.max(1, Number($("idle-seconds").value) || 60);
  if ("IdleDetector" in window && seconds >= 60) {
    try {
      if (await IdleDetector.requestPermission() === "granted") {
        const detector = new IdleDetector();
        detector.addEventListener("change", () => {
          state.idle.detectorIdle = detector.userState === "idle";  // a locked screen is idle too
          if (!state.idle.detectorIdle) state.trainer?.postMessage({ type: "pause" });
        });
        await detector.start({ threshold: seconds * 1000 });
        state.idle.mode = "detector";
      }
    } catch (err) {
      log(`idle detection refused (${err.message}): training only while this tab is open and you are inactive`);
    }
  }
  $("idle-mode").textContent = state.idle.mode === "detector"
    ? `trains while the computer is idle for ${seconds} s (Idle Detection)`
    : `trains while this tab is open and you have been inactive for ${seconds} s`;
  $("allow").disabled = true;
  log("consent given for job " + state.job.job_id);
}

function idleNow() {
  if (state.idle.mode === "detector") return state.idle.detectorIdle;
  const seconds = Math.max(1, Number($("idle-seconds").value) || 60);
  return document.visibilityState === "visible" && Date.now() - state.idle.lastActive >= seconds * 1000;
}

// Activity pauses an idle-only contributor at once (the loop resumes it once idle again).
for (const ev of ["mousemove", "mousedown", "keydown", "wheel", "touchstart"]) {
  window.addEventListener(ev, () => {
    state.idle.lastActive = Date.now();
    if (state.idle.mode === "inactivity") state.trainer?.postMessage({ type: "pause" });
  }, { passive: true });
}

// -- a claim ---------------------------------------------------------------------------------------------------
async function upload(id, kind, bytes) {
  const j = state.job;
  const hex = id.toLowerCase().replace(/^0x/, "");
  const timestamp = Math.floor(Date.now() / 1000);
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2);
  const signature = await state.wallet.signMessage(uploadMessage(j.chain_id, j.gateway_address, hex, kind,
                                                                 timestamp, nonce));
  const r = await fetch(`/artifacts/${hex}?kind=${kind}`, { method: "PUT", body: bytes, headers: {
    "X-Gradchain-Uploader": state.wallet.address, "X-Gradchain-Timestamp": String(timestamp),
    "X-Gradchain-Nonce": nonce, "X-Gradchain-Signature": signature } });
  if (r.status !== 201) throw new Error(`upload of ${kind} ${hex}: HTTP ${r.status} ${await r.text()}`);
}

async function inputs() {
  if (!state.cache.module) state.cache.module = await getBytes("/contribute/module.wasm");
  if (!state.cache.dataset) {
    const raw = await getBytes("/contribute/dataset");
    const view = new DataView(raw.buffer);
    const nTrain = view.getUint32(0, true), nIn = view.getUint32(4, true);
    const x = new Float32Array(raw.buffer.slice(8, 8 + 4 * nTrain * nIn));
    const y = new Int32Array(raw.buffer.slice(8 + 4 * nTrain * nIn, 8 + 4 * nTrain * (nIn + 1)));
    state.cache.dataset = { n_train: nTrain, x, y };
  }
  return state.cache;
}

async function startClaim(round, head) {
  const j = state.job;
  const { module, dataset } = await inputs();
  const tensors = safetensorsDecode(await getBytes(`/artifacts/${head.replace(/^0x/, "")}`));
  if (checkpointId(tensors) !== head) throw new Error(`the gateway's head for round ${round} is not ${head}`);
  state.training = { round, head, step: 0, steps: j.steps_per_claim, started: Date.now(), uploads: [] };
  const trainer = new Worker("/contribute/static/trainer.js", { type: "module" });
  state.trainer = trainer;
  trainer.postMessage({ type: "cap", percent: Number($("cap").value) });
  trainer.onmessage = async (e) => {
    const m = e.data;
    if (m.type === "progress") {
      Object.assign(state.training, { step: m.step, loss: m.loss, elapsed: m.elapsed_ms });
      $("progress").dataset.step = m.step;  // every step, not only when the loop redraws (tests read it)
    }
    if (m.type === "segment") state.training.uploads.push(upload(m.id, "checkpoint", m.file));
    if (m.type === "error") { log(`training failed: ${m.error}`); finish(); }
    if (m.type === "done") {
      try {
        await submit(round, head, m);
      } catch (err) {
        log(`claim of round ${round} not submitted: ${err.message}`);
      } finally {
        finish();
      }
    }
  };
  trainer.postMessage({ type: "start", module, job: j, head: tensors, dataset, round,
                        worker: state.wallet.address.toLowerCase(), tamper: TAMPER });
  log(`training the claim of round ${round}: ${j.steps_per_claim} steps`);
}

function finish() {
  if (state.trainer) state.trainer.terminate();
  state.trainer = null;
  state.training = null;
}

async function submit(round, head, done) {
  const j = state.job;
  const transcript = { version: j.transcript_version, jobKey: j.job_key, specHash: j.spec_hash, round,
                       worker: state.wallet.address, checkpointEvery: j.checkpoint_every, segments: done.segments };
  const root = transcriptRoot(transcript);
  await Promise.all(state.training.uploads);
  await upload(root, "transcript", transcriptBytes(transcript));
  log(`artifacts of round ${round} pushed to the gateway (transcript ${root.slice(0, 10)}…)`);
  const receipt = await send(`claim of round ${round}`, state.ledger.submitClaim(
    j.job_id, round, head, done.result, root, j.steps_per_claim, j.public_url));
  const event = receipt.logs.map((l) => { try { return state.ledger.interface.parseLog(l); } catch { return null; } })
    .find((p) => p && p.name === "ClaimSubmitted");
  state.claims.set(Number(event.args.claimId), { round, status: "Pending" });
  log(`claim ${event.args.claimId} submitted for round ${round}`);
}

// -- the loop --------------------------------------------------------------------------------------------------
function setState(text) { $("state").textContent = text; }

async function tick() {
  if (!state.job || !state.wallet) return;
  const j = state.job;
  const live = await getJSON("/contribute/job?live=1");
  Object.assign(j, live);
  const address = state.wallet.address;
  const [balance, credit, stakeInfo] = await Promise.all([state.provider.getBalance(address),
    state.ledger.creditOf(address), state.ledger.stakeOf(address, j.role_worker)]);
  $("balance").textContent = eth(balance);
  $("credit").textContent = eth(credit);
  $("stake").textContent = eth(stakeInfo.active ?? stakeInfo[0]);
  $("withdraw").disabled = credit === 0n;
  const staked = BigInt(stakeInfo.active ?? stakeInfo[0]) >= BigInt(j.claim_bond_wei);
  $("stake-btn").disabled = staked;
  const mine = await getJSON(`/contribute/claims?worker=${address}`);
  $("claims").replaceChildren(...mine.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.claim = c.claim_id;
    tr.dataset.status = c.status;
    for (const v of [c.claim_id, c.round, c.status, c.reward]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    return tr;
  }));
  const idle = idleNow();
  if (state.training) {
    const t = state.training;
    const eta = t.step ? ((t.elapsed / t.step) * (t.steps - t.step) / 1000).toFixed(0) : "?";
    $("progress").textContent = `round ${t.round}: step ${t.step} of ${t.steps}, loss ${t.loss?.toFixed(4) ?? "?"},` +
                                ` about ${eta} s left`;
    const hold = state.paused || !idle;
    state.trainer?.postMessage({ type: hold ? "pause" : "resume" });
    setState(state.paused ? "paused" : (idle ? "training" : "waiting for the computer to be idle"));
    return;
  }
  $("progress").textContent = "";
  delete $("progress").dataset.step;
  if (!state.consented) return setState("waiting for your consent");
  if (state.paused) return setState("paused");
  if (!staked) return setState(`stake at least ${eth(j.claim_bond_wei)} to claim`);
  if (!idle) return setState("waiting for the computer to be idle");
  const claimed = mine.some((c) => c.round === j.round);
  if (claimed) return setState(`claim of round ${j.round} submitted: waiting for the next round`);
  if (j.block >= j.round_start + j.submit_window - j.submit_margin) return setState("this round's window has closed");
  setState("training");
  startClaim(j.round, j.head).catch((err) => { log(`claim of round ${j.round}: ${err.message}`); finish(); });
}

// -- wiring ----------------------------------------------------------------------------------------------------
async function main() {
  await loadJob();
  $("has-key").hidden = !localStorage.getItem(KEYSTORE);
  $("create").onclick = () => createWallet().catch((e) => { $("wallet-error").textContent = e.message; });
  $("unlock-btn").onclick = () => unlockWallet();
  $("export").onclick = exportKeystore;
  $("stake-btn").onclick = () => stake().catch(() => {});
  $("withdraw").onclick = () => withdraw().catch(() => {});
  $("allow").onclick = () => allow();
  $("pause").onclick = () => { state.paused = true; state.trainer?.postMessage({ type: "pause" });
                               setState("paused"); log("paused"); };
  $("resume").onclick = () => { state.paused = false; log("resumed"); };
  $("cap").oninput = () => { $("cap-value").textContent = `${$("cap").value} %`;
                             state.trainer?.postMessage({ type: "cap", percent: Number($("cap").value) }); };
  $("ready").textContent = "ready";
  const loop = async () => {
    try { await tick(); } catch (err) { log(`error: ${err.message}`); }
    setTimeout(loop, 1000);
  };
  loop();
}

main().catch((err) => { $("ready").textContent = `failed: ${err.message}`; });
