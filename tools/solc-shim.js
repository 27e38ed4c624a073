#!/usr/bin/env node
// forge cannot download a native solc here, so it calls this shim instead: solcjs (WebAssembly, from npm)
// speaking just enough of solc's command line for forge: `--version`, and standard JSON on stdin.
"use strict";
const path = require("path");
const solc = require(path.join(__dirname, "..", "node_modules", "solc"));

const args = process.argv.slice(2);
if (args.includes("--version")) {
  const version = solc.version(); // e.g. "0.8.30+commit.73712a01.Emscripten.clang"
  process.stdout.write("solc, the solidity compiler commandline interface\n");
  process.stdout.write(`Version: ${version.replace(".Emscripten.clang", ".Linux.g++")}\n`);
  process.exit(0);
}
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(solc.compile(input));
});
