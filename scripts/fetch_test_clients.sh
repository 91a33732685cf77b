#!/usr/bin/env bash
# Fetches the MCP test clients pinned in tests/mcp/package-lock.json (the TypeScript SDK,
# the MCP Inspector; npm ci, no install scripts; skipped when they are already there).
# Test-only: trawl itself never runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/npm_ci.sh tests/mcp "MCP test clients"
