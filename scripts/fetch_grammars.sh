#!/usr/bin/env bash
# Fetches the tree-sitter grammar packages pinned in third_party/grammars/package-lock.json
# (npm ci, no install scripts). Skips the download when they are already there.
set -euo pipefail
cd "$(dirname "$0")/../third_party/grammars"
stamp=node_modules/.trawl-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "fetch_grammars: grammars already match package-lock.json"
  exit 0
fi
echo "fetch_grammars: npm ci (tree-sitter grammars pinned in package-lock.json)"
npm ci --ignore-scripts --no-audit --no-fund --legacy-peer-deps
bad=$(grep -L "define LANGUAGE_VERSION 1[34]$" $(find node_modules -path '*/src/parser.c') || true)
if [ -n "$bad" ]; then
  echo "fetch_grammars: grammar ABI not supported by Debian's tree-sitter 0.20.7: $bad" >&2
  exit 1
fi
echo "$want" > "$stamp"
