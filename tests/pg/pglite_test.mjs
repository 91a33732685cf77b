// The shared store's vector paths against real PostgreSQL with pgvector: PGlite (served
// by server.mjs on a Unix socket, one connection at a time, so trawl runs with
// store.pool_size 1). The export equals the embedded index's; semantic and hybrid
// search answer with the embedded index's results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { write, withTimeout } from "../e2e/e2e_util.mjs";

const trawl = process.env.TRAWL_BINARY;
const here = path.dirname(fileURLToPath(import.meta.url));

function startPglite(dir) {
  const child = spawn(process.execPath, [path.join(here, "server.mjs"), dir], { stdio: ["pipe", "pipe", "inherit"] });
  return withTimeout(new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(child); });
    child.on("exit", (code) => reject(new Error(`PGlite server exited ${code}`)));
  }), 60000, "PGlite to listen");
}

function run(args, cwd, env) {
  return execFileSync(trawl, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240000 });
}

function top(json) {
  return JSON.parse(json).map((r) => `${r.path}:${r.start_line}`);
}

test("PGlite with pgvector: same export, semantic and hybrid search answer alike", { timeout: 300000 }, async () => {
  assert.ok(trawl, "TRAWL_BINARY names the trawl binary");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "trawl_pglite_"));
  const sock = path.join(tmp, "sock");
  fs.mkdirSync(sock);
  const root = path.join(tmp, "proj");
  write(root, "pkg/parser.py", "class ConfigParser:\n    def parse_file(self, path):\n        return open(path).read()\n");
  write(root, "src/net.c", "int open_socket_with_timeout(const char *host, int port, int timeout_ms) {\n  return -1;\n}\n");
  write(root, "web/app.js", "export function renderWidget(el, model) {\n  el.textContent = model.title;\n}\n");
  for (let i = 0; i < 6; i++) {
    write(root, `gen/m${i}.py`, `def compute_${i}(value):\n    """Scales value ${i} times."""\n    return value * ${i}\n`);
  }
  const server = await startPglite(sock);
  try {
    const env = { ...process.env, TRAWL_STORE__POOL_SIZE: "1", TRAWL_CONFIG_DIR: path.join(tmp, "config") };
    const store = ["--store", `host=${sock} user=postgres dbname=postgres`, "--repo", "proj"];
    run(["index", "."], root, env);
    run(["index", ...store, "."], root, env);
    assert.equal(run(["export", "--json", ...store], root, env), run(["export", "--json"], root, env));
    for (const q of ["parse a config file", "socket timeout", "render widget title"]) {
      for (const mode of ["semantic", "hybrid"]) {
        const want = top(run(["search", "--json", "--mode", mode, "-k", "3", q], root, env));
        const got = top(run(["search", "--json", "--mode", mode, "-k", "3", ...store, q], root, env));
        assert.ok(want.length > 0);
        assert.deepEqual(got, want, `${mode} '${q}'`);
      }
    }
  } finally {
    server.stdin.end();
    server.kill("SIGTERM");
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
