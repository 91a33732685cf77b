// Helpers for the whole-program tests written in JavaScript (tests/mcp, tests/web): the
// JavaScript counterpart of e2e_util.h. Node's built-in modules only.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export function write(root, rel, text) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

export async function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  try { return await Promise.race([promise, t]); } finally { clearTimeout(timer); }
}

// Starts `trawl serve --port 0 ARGS` and resolves to { url, child } once it listens
// (its first stdout line names the port).
export function startServe(trawl, args, env) {
  const child = spawn(trawl, ["serve", "--port", "0", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  return withTimeout(new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ url: m[1], child });
    });
    child.on("exit", (code) => reject(new Error(`trawl serve exited ${code}`)));
  }), 20000, "trawl serve to listen");
}
