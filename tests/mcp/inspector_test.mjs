// A second client: the MCP Inspector's CLI lists and calls every tool of `trawl mcp`.
//   TRAWL_BINARY=build/release/tools/trawl/trawl node --test tests/mcp/inspector_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const trawl = process.env.TRAWL_BINARY;
assert.ok(trawl && fs.existsSync(trawl), "TRAWL_BINARY must name the trawl binary");
const here = path.dirname(fileURLToPath(import.meta.url));
const inspector = path.join(here, "node_modules/@modelcontextprotocol/inspector/cli/build/cli.js");

function inspect(root, env, ...args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [inspector, "--cli", trawl, "mcp", root, ...args], { env, timeout: 60000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`inspector ${args.join(" ")}: ${err.message}\n${stderr}`));
        // The answer is the JSON document the CLI prints (after any banner lines).
        const start = stdout.indexOf("{");
        try {
          resolve(JSON.parse(stdout.slice(start)));
        } catch (e) {
          reject(new Error(`inspector printed no JSON: ${stdout}\n${stderr}`));
        }
      });
  });
}

test("the MCP Inspector CLI lists and calls trawl's tools", async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "trawl-mcp-inspector-"));
  try {
    const root = path.join(base, "tree");
    fs.mkdirSync(path.join(root, "pkg"), { recursive: true });
    fs.writeFileSync(path.join(root, "pkg/checksum.py"),
      "def crc32_update(crc, data):\n    \"\"\"Fold data into a running CRC-32 checksum.\"\"\"\n    return zlib.crc32(data, crc)\n");
    fs.mkdirSync(path.join(base, "config"));
    const env = { ...process.env, TRAWL_CONFIG_DIR: path.join(base, "config") };

    const list = await inspect(root, env, "--method", "tools/list");
    assert.deepEqual(list.tools.map((t) => t.name), ["search_code", "read_code", "index_status", "reindex"]);
    for (const t of list.tools) assert.equal(t.inputSchema.type, "object");

    let r = await inspect(root, env, "--method", "tools/call", "--tool-name", "reindex");
    assert.equal(r.isError, false);
    assert.equal(r.structuredContent.files_indexed, 1);

    r = await inspect(root, env, "--method", "tools/call", "--tool-name", "search_code", "--tool-arg", "query=running checksum");
    assert.equal(r.structuredContent.results[0].path, "pkg/checksum.py");
    assert.equal(r.structuredContent.results[0].symbol, "crc32_update");

    r = await inspect(root, env, "--method", "tools/call", "--tool-name", "read_code", "--tool-arg", "path=pkg/checksum.py",
      "--tool-arg", "start_line=3");
    assert.equal(r.structuredContent.text, "    return zlib.crc32(data, crc)\n");

    r = await inspect(root, env, "--method", "tools/call", "--tool-name", "index_status");
    assert.equal(r.structuredContent.exists, true);
    assert.equal(r.structuredContent.files, 1);

    r = await inspect(root, env, "--method", "tools/call", "--tool-name", "read_code", "--tool-arg", "path=/etc/passwd");
    assert.equal(r.isError, true);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
