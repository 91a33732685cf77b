#!/usr/bin/env bash
# Search latency at scale: indexes a tree of >= 100k chunks (default: drivers/net and net
# of Debian's linux-source-6.1, ~125k chunks), draws queries from the indexed code itself
# (comment sentences and identifiers, fixed seed), and runs them through
# `trawl search --queries` (batch mode, k=10) in each mode. Prints p50/p90/p99 per mode.
#   bench/search_latency.sh [TREE] [QUERIES=1000]
# INDEX (default /tmp/trawl-latency-index) and INDEX_ARGS ("--shards 4") choose the
# index; the queries depend only on the indexed content, so two builds or two layouts
# are measured on the same queries.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${TRAWL:-build/release/tools/trawl/trawl}"
n="${2:-1000}"
if [ -n "${1:-}" ]; then
  tree="$1"
else
  # drivers/net and net of linux-source-6.1, copied into one tree: ~125k chunks with the
  # default chunk sizes (drivers/net alone fell under 100k when chunks grew to 3000).
  tree=/tmp/trawl-latency-tree
  if [ ! -d "$tree/net" ]; then
    . bench/tree.sh
    linux=$(bench_tree linux)
    mkdir -p "$tree" && (cd "$linux" && cp -r --parents drivers/net net "$tree/")
  fi
fi
index="${INDEX:-/tmp/trawl-latency-index}"
out=bench/out; mkdir -p "$out"
# Made once and kept (only what changed is redone); made again if this trawl reads
# another index format.
if ! "$TRAWL" status --index "$index" >/dev/null 2>&1; then
  "$TRAWL" index --rebuild --progress none ${INDEX_ARGS:-} --index "$index" "$tree" >&2
fi
"$TRAWL" status --index "$index" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(f\"index: {s['files']} files, {s['chunks']} chunks\")"
"$TRAWL" export --no-vectors --index "$index" > "$out/latency-export.jsonl"
python3 bench/draw_queries.py "$out/latency-export.jsonl" "$n" > "$out/latency-queries.jsonl"
echo "queries: $(wc -l < "$out/latency-queries.jsonl") drawn from the index (seed 7)"
printf "%-10s %8s %8s %8s %8s\n" mode p50_ms p90_ms p99_ms max_ms
for mode in hybrid lexical semantic; do
  "$TRAWL" search --index "$index" --queries "$out/latency-queries.jsonl" --mode "$mode" -k 10 > "$out/latency-$mode.jsonl"
  python3 - "$out/latency-$mode.jsonl" "$mode" <<'PY'
import json, sys
t = sorted(json.loads(l)["took_ms"] for l in open(sys.argv[1]))
p = lambda q: t[min(len(t) - 1, int(q * len(t)))]
print(f"{sys.argv[2]:<10} {p(0.5):8.2f} {p(0.9):8.2f} {p(0.99):8.2f} {t[-1]:8.2f}")
PY
done
