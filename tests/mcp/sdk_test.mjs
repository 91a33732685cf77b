// `trawl mcp` (stdio) and `trawl serve`'s /mcp (Streamable HTTP), driven by the official
// MCP TypeScript SDK: initialize, tools/list (schemas compiled as JSON Schema 2020-12),
// every tool, progress, cancellation, errors, concurrent calls, shutdown.
//   TRAWL_BINARY=build/release/tools/trawl/trawl node --test tests/mcp/sdk_test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import Ajv2020 from "ajv/dist/2020.js";
import { startServe as startServeAt, withTimeout, write } from "../e2e/e2e_util.mjs";

const trawl = process.env.TRAWL_BINARY;
assert.ok(trawl && fs.existsSync(trawl), "TRAWL_BINARY must name the trawl binary");

let base;
const env = () => ({ ...process.env, TRAWL_CONFIG_DIR: path.join(base, "config") });

// A small tree: two Python files, one ignored log, a secret beside the root.
function makeTree(name) {
  const root = path.join(base, name);
  write(root, "src/retry.py",
    'def backoff_delay(attempt):\n    """Seconds to wait before retrying a failed request."""\n    return min(60, 2 ** attempt)\n');
  write(root, "src/parse.py", "def parse_config(text):\n    return dict(line.split('=') for line in text.splitlines())\n");
  write(root, ".trawlignore", "*.log\n");
  write(root, "build.log", "ignored\n");
  // Enough files for a run to last past a few progress notifications.
  for (let i = 0; i < 5000; i++) write(root, `lib/util${i}.py`, `def helper_${i}(value):\n    return value + ${i}\n`);
  return root;
}

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "trawl-mcp-sdk-"));
  fs.mkdirSync(path.join(base, "config"));
  fs.writeFileSync(path.join(base, "secret.txt"), "TOP SECRET outside the root\n");
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

// Starts `trawl serve --port 0` and resolves to { url, child } once it listens.
const startServe = (root) => startServeAt(trawl, [root], env());

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });
}

const text = (r) => r.content.map((c) => c.text).join("");

// Everything a client does with the tools, over either transport.
async function exercise(client, root, transportName) {
  assert.equal(client.getServerVersion().name, "trawl");
  assert.ok(client.getServerCapabilities().tools, "tools capability");

  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["index_status", "read_code", "reindex", "search_code"]);
  const ajv = new Ajv2020({ strict: false });
  for (const t of tools) {
    assert.ok(t.description.length > 100, `${t.name} has a description for a model`);
    assert.doesNotThrow(() => ajv.compile(t.inputSchema), `${t.name} inputSchema`);
    assert.doesNotThrow(() => ajv.compile(t.outputSchema), `${t.name} outputSchema`);
  }

  // No index yet: a tool error that says what to do.
  let r = await client.callTool({ name: "search_code", arguments: { query: "retry" } });
  assert.equal(r.isError, true);
  assert.match(text(r), /reindex/);
  r = await client.callTool({ name: "index_status", arguments: {} });
  assert.equal(r.structuredContent.exists, false);

  // reindex: progress against our token, rising; the SDK checks the structured result
  // against the tool's outputSchema.
  const progress = [];
  r = await client.callTool({ name: "reindex", arguments: {} }, undefined,
    { onprogress: (p) => progress.push(p), timeout: 120000 });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.state, "finished");
  assert.ok(r.structuredContent.files_indexed >= 5002);
  assert.ok(progress.length >= 1, "progress notifications");
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress);

  r = await client.callTool({ name: "search_code", arguments: { query: "how long to wait before retrying", k: 3 } });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.results[0].path, "src/retry.py");
  // explain: the reading and each result's reasons, checked by the SDK against the outputSchema.
  r = await client.callTool({ name: "search_code", arguments: { query: "backoff_delay is wrong\n>>> backoff_delay(3)", k: 2, explain: true } });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.reading.has_code, true);
  assert.ok(r.structuredContent.results[0].explain.reranked);
  assert.match(r.structuredContent.results[0].snippet, /backoff_delay/);
  assert.match(text(r), /src\/retry\.py:1-3/);
  r = await client.callTool({ name: "search_code", arguments: { query: "config", paths: ["src/parse*"], languages: ["python"] } });
  assert.ok(r.structuredContent.results.every((x) => x.path === "src/parse.py"));

  r = await client.callTool({ name: "read_code", arguments: { path: "src/retry.py", start_line: 2, end_line: 3 } });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.text,
    '    """Seconds to wait before retrying a failed request."""\n    return min(60, 2 ** attempt)\n');
  assert.match(text(r), /^src\/retry\.py lines 2-3 of 3/);

  r = await client.callTool({ name: "index_status", arguments: {} });
  assert.equal(r.structuredContent.exists, true);
  const filesBefore = r.structuredContent.files;
  assert.ok(filesBefore >= 5002);
  assert.equal(r.structuredContent.root, root);

  // Errors the model can act on are tool results; the secret is never read.
  for (const args of [{ path: "../secret.txt" }, { path: path.join(base, "secret.txt") }, { path: "build.log" },
    { path: "src/retry.py", start_line: 10 }, { path: "src/retry.py", start_line: "two" }]) {
    r = await client.callTool({ name: "read_code", arguments: args });
    assert.equal(r.isError, true, JSON.stringify(args));
    assert.doesNotMatch(text(r), /TOP SECRET/);
  }
  r = await client.callTool({ name: "search_code", arguments: { query: "x", languages: ["klingon"] } });
  assert.equal(r.isError, true);
  r = await client.callTool({ name: "reindex", arguments: { paths: ["../../etc/passwd"] } });
  assert.equal(r.isError, true);
  // Protocol errors stay JSON-RPC errors.
  await assert.rejects(client.callTool({ name: "no_such_tool", arguments: {} }),
    (e) => e instanceof McpError && e.code === -32602);

  // Many calls at once: every answer is its own request's.
  const calls = [];
  for (let i = 0; i < 24; i++) {
    calls.push(i % 2 === 0
      ? client.callTool({ name: "read_code", arguments: { path: i % 4 === 0 ? "src/retry.py" : "src/parse.py" } })
          .then((x) => assert.equal(x.structuredContent.path, i % 4 === 0 ? "src/retry.py" : "src/parse.py"))
      : client.callTool({ name: "search_code", arguments: { query: i % 3 === 0 ? "parse_config" : "backoff_delay", k: 1 } })
          .then((x) => assert.equal(x.structuredContent.results[0].path, i % 3 === 0 ? "src/parse.py" : "src/retry.py")));
  }
  await withTimeout(Promise.all(calls), 60000, `${transportName}: concurrent calls`);

  // Cancellation: a long reindex is aborted after its first progress notification; the
  // run stops (state cancelled) and the server goes on answering.
  for (let i = 0; i < 10000; i++) write(root, `gen/m${i}.py`, `def generated_${i}():\n    return ${i}\n`);
  const controller = new AbortController();
  let first = true;
  const cancelled = client.callTool({ name: "reindex", arguments: {} }, undefined, {
    signal: controller.signal, timeout: 120000,
    onprogress: () => { if (first) { first = false; controller.abort("enough"); } },
  });
  await assert.rejects(cancelled);
  assert.equal(first, false, "a progress notification came before the run ended");
  let status;
  for (let i = 0; i < 200; i++) {
    status = (await client.callTool({ name: "index_status", arguments: {} })).structuredContent;
    if (!status.running) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(status.running, false);
  // (A cancel that arrives as the run ends still stops it: the state says which won.)
  assert.equal(status.last_run.state, "cancelled", `${status.files} files`);
}

test("stdio: the SDK client drives trawl mcp", async () => {
  const root = makeTree("stdio-tree");
  const transport = new StdioClientTransport({ command: trawl, args: ["mcp", root], env: env(), stderr: "pipe" });
  const client = new Client({ name: "trawl-sdk-test", version: "1.0.0" });
  await withTimeout(client.connect(transport), 20000, "initialize");
  const child = transport._process;
  await exercise(client, root, "stdio");
  // Closing stdin ends the server cleanly.
  await client.close();
  assert.equal(await withTimeout(exited(child), 20000, "exit after stdin closed"), 0);
});

test("stdio: SIGTERM ends trawl mcp cleanly, and stdout holds only JSON-RPC", async () => {
  const root = makeTree("sigterm-tree");
  const child = spawn(trawl, ["mcp", root], { env: env(), stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }) + "\n");
  await withTimeout(new Promise((res) => { const t = setInterval(() => { if (out.includes("\n")) { clearInterval(t); res(); } }, 10); }),
    20000, "initialize answer");
  child.kill("SIGTERM");
  assert.equal(await withTimeout(exited(child), 20000, "exit on SIGTERM"), 0);
  for (const line of out.split("\n").filter(Boolean)) assert.equal(JSON.parse(line).jsonrpc, "2.0");
  assert.equal(JSON.parse(out.split("\n")[0]).result.protocolVersion, "2025-06-18");
});

test("http: the SDK client drives /mcp of trawl serve", async () => {
  const root = makeTree("http-tree");
  const { url, child } = await startServe(root);
  try {
    const transport = new StreamableHTTPClientTransport(new URL(url + "/mcp"));
    const client = new Client({ name: "trawl-sdk-test", version: "1.0.0" });
    await withTimeout(client.connect(transport), 20000, "initialize");
    assert.ok(transport.sessionId, "a session id");
    await exercise(client, root, "http");
    await transport.terminateSession();
    // The session is gone: a request naming it is refused.
    const res = await fetch(url + "/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": transport.sessionId ?? "x" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    assert.ok(res.status === 404 || res.status === 400);
    await client.close();
  } finally {
    child.kill("SIGTERM");
    await withTimeout(exited(child), 20000, "serve exit");
  }
});

test("http: /mcp is behind the API's Host and Origin checks", async () => {
  const root = makeTree("guard-tree");
  const { url, child } = await startServe(root);
  try {
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    let res = await fetch(url + "/mcp", { method: "POST", headers: { ...headers, origin: "http://evil.example" }, body: init });
    assert.equal(res.status, 403);
    res = await fetch(url + "/mcp", { method: "POST", headers: { ...headers, "mcp-protocol-version": "1999-01-01" }, body: init });
    assert.equal(res.status, 400);
    res = await fetch(url + "/mcp", { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
    assert.equal(res.status, 400);  // no session
    res = await fetch(url + "/mcp", { method: "GET", headers });
    assert.equal(res.status, 405);
    res = await fetch(url + "/mcp", { method: "POST", headers, body: init });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get("mcp-session-id"));
    assert.equal((await res.json()).result.serverInfo.name, "trawl");
  } finally {
    child.kill("SIGTERM");
    await withTimeout(exited(child), 20000, "serve exit");
  }
});
