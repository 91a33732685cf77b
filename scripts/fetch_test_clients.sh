#!/usr/bin/env bash
# Fetches the test-only npm packages pinned in lock files (npm ci, no install scripts):
#   tests/mcp  the MCP clients (the TypeScript SDK, the MCP Inspector)
#   tests/web  puppeteer-core, which drives Debian's chromium (no browser download)
# Skips a folder whose packages already match its package-lock.json. trawl itself never
# runs them.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
for dir in tests/mcp tests/web; do
  cd "$top/$dir"
  stamp=node_modules/.trawl-lock-hash
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "fetch_test_clients: $dir already matches its package-lock.json"
    continue
  fi
  echo "fetch_test_clients: npm ci in $dir (pinned in $dir/package-lock.json)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
done
