#!/usr/bin/env bash
# Fetches the tree-sitter grammar packages pinned in third_party/grammars/package-lock.json
# (npm ci, no install scripts; skipped when they are already there) and checks that each
# grammar's ABI is one Debian's tree-sitter 0.20.7 reads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/npm_ci.sh third_party/grammars "tree-sitter grammars" '
bad=$(grep -L "define LANGUAGE_VERSION 1[34]$" $(find node_modules -path "*/src/parser.c") || true)
if [ -n "$bad" ]; then
  echo "fetch_grammars: grammar ABI not supported by Debian'"'"'s tree-sitter 0.20.7: $bad" >&2
  exit 1
fi'
