#!/usr/bin/env bash
# Installs the npm packages pinned in DIR/package-lock.json (npm ci, no install scripts),
# unless DIR/node_modules already matches the lock. Then runs CHECK (if given) in DIR
# before recording the match.
#   scripts/npm_ci.sh DIR WHAT [CHECK]
set -euo pipefail
dir="$1" what="$2" check="${3:-}"
cd "$dir"
stamp=node_modules/.trawl-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "npm_ci: $what already match $dir/package-lock.json"
  exit 0
fi
echo "npm_ci: npm ci ($what pinned in $dir/package-lock.json)"
npm ci --ignore-scripts --no-audit --no-fund --legacy-peer-deps --loglevel=error
if [ -n "$check" ]; then bash -c "$check"; fi
echo "$want" > "$stamp"
