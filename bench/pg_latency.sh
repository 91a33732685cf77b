#!/usr/bin/env bash
# Lexical search latency of the PostgreSQL store beside the embedded store's, on one
# tree, against a throwaway postgresql-15 cluster (scripts/pg_test_cluster.sh): the tree
# indexed into both, N queries drawn from the indexed code (bench/draw_queries.py, seed
# 7), `trawl search --queries` (batch mode, k 10; MODES, default lexical: semantic and
# hybrid need a server with pgvector) two rounds each after a warm-up pass; prints
# p50/p90/p99/max and whether every result list equals the embedded store's.
#   bench/pg_latency.sh TREE [N=200]
# TRAWL (default build/release) is measured; REF=another trawl binary is measured beside
# it on the same database (two builds, one run). SHARED_BUFFERS (default 2GB) sizes the
# server's cache; the test cluster's own default is PostgreSQL's 128MB. PG_BIN chooses
# the server's binaries (scripts/pg_test_cluster.sh): one with pgvector for MODES
# "semantic hybrid".
set -euo pipefail
tree=$(realpath "${1:?usage: bench/pg_latency.sh TREE [N]}")
n=${2:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
trawl=${TRAWL:-$here/build/release/tools/trawl/trawl}
. "$here/bench/pg_cluster.sh"
SHARED_BUFFERS=${SHARED_BUFFERS:-2GB} pg_bench_start trawl_pglat
psql "$base dbname=postgres" -qc "CREATE DATABASE lat" >/dev/null
url="$base dbname=lat"
echo "server: $(psql "$url" -Atc 'SHOW server_version'), shared_buffers $(psql "$url" -Atc 'SHOW shared_buffers')"

"$trawl" index --progress none --index "$work/index" "$tree" >/dev/null 2>&1
"$trawl" index --progress none --store "$url" --repo tree "$tree" >/dev/null 2>&1
"$trawl" export --no-vectors --index "$work/index" >"$work/export.jsonl"
python3 "$here/bench/draw_queries.py" "$work/export.jsonl" "$n" >"$work/queries.jsonl"
chunks=$("$trawl" status --json --store "$url" --repo tree | python3 -c 'import json,sys; print(json.load(sys.stdin)["chunks"])')
echo "tree: $tree ($chunks chunks), $(wc -l <"$work/queries.jsonl") queries"

report() {  # NAME OUT [WANT]
  python3 - "$@" <<'PY'
import json, sys
name, got = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])]
t = sorted(q["took_ms"] for q in got)
p = lambda f: t[min(len(t) - 1, int(f * len(t)))]
line = f"{name:<24} p50 {p(0.5):7.1f}  p90 {p(0.9):7.1f}  p99 {p(0.99):7.1f}  max {t[-1]:7.1f} ms"
if len(sys.argv) > 3:
    key = lambda q: [(r["path"], r["start_line"], round(r["score"], 6)) for r in q["results"]]
    want = [json.loads(l) for l in open(sys.argv[3])]
    differ = sum(key(a) != key(b) for a, b in zip(got, want))
    line += f"  result lists differing from embedded: {differ} of {len(got)}"
print(line)
PY
}
for mode in ${MODES:-lexical}; do
  # A first pass, not reported, brings the tables into the server's cache.
  "$trawl" search --store "$url" --repo tree --queries "$work/queries.jsonl" --mode "$mode" -k 10 >/dev/null
  for round in 1 2; do
    "$trawl" search --index "$work/index" --queries "$work/queries.jsonl" --mode "$mode" -k 10 >"$work/embedded.out"
    report "embedded $mode" "$work/embedded.out"
    "$trawl" search --store "$url" --repo tree --queries "$work/queries.jsonl" --mode "$mode" -k 10 >"$work/pg.out"
    report "postgresql $mode" "$work/pg.out" "$work/embedded.out"
    if [[ -n "${REF:-}" ]]; then
      "$REF" search --store "$url" --repo tree --queries "$work/queries.jsonl" --mode "$mode" -k 10 >"$work/ref.out"
      report "postgresql $mode, REF" "$work/ref.out" "$work/embedded.out"
    fi
  done
done
