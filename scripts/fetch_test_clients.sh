#!/usr/bin/env bash
# Fetches the MCP test clients pinned in tests/mcp/package-lock.json (the TypeScript SDK,
# the MCP Inspector; npm ci, no install scripts). Skips the download when they are
# already there. Test-only: trawl itself never runs them.
set -euo pipefail
cd "$(dirname "$0")/../tests/mcp"
stamp=node_modules/.trawl-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "fetch_test_clients: MCP test clients already match package-lock.json"
  exit 0
fi
echo "fetch_test_clients: npm ci (MCP SDK and Inspector pinned in tests/mcp/package-lock.json)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
