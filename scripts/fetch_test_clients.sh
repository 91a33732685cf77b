#!/usr/bin/env bash
# Fetches the test-only npm packages pinned in lock files (npm ci, no install scripts;
# a folder whose packages already match its lock is skipped):
#   tests/mcp  the MCP clients (the TypeScript SDK, the MCP Inspector)
#   tests/web  puppeteer-core, which drives Debian's chromium (no browser download)
#   tests/pg   PGlite with pgvector, the test server of the shared store's vector paths
# trawl itself never runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/npm_ci.sh tests/mcp "MCP test clients"
scripts/npm_ci.sh tests/web "browser test driver"
scripts/npm_ci.sh tests/pg "PGlite test server"
