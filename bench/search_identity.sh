#!/usr/bin/env bash
# Search results and latency of two binaries, each on its own index of one tree: queries
# drawn from the index as bench/search_latency.sh draws them (seed 7), every mode, two
# rounds; prints p50/p90/p99 per binary and whether the results (all but took_ms) match.
#   BASELINE=/path/to/other/trawl bench/search_identity.sh BASELINE_INDEX INDEX [QUERIES=300]
set -eu
cd "$(dirname "$0")/.."
M="${BASELINE:?set BASELINE to the other trawl binary}"; C="${TRAWL:-$PWD/build/release/tools/trawl/trawl}"
base_idx=$1; new_idx=$2; n=${3:-300}
out=bench/out; mkdir -p "$out"
"$C" export --no-vectors --index "$new_idx" > "$out/identity-export.jsonl"
python3 bench/draw_queries.py "$out/identity-export.jsonl" "$n" > "$out/identity-queries.jsonl"
for round in 1 2; do
  for mode in hybrid lexical semantic; do
    "$M" search --index "$base_idx" --queries "$out/identity-queries.jsonl" --mode $mode -k 10 > "$out/identity-base.jsonl"
    "$C" search --index "$new_idx" --queries "$out/identity-queries.jsonl" --mode $mode -k 10 > "$out/identity-new.jsonl"
    python3 - "$out/identity-base.jsonl" "$out/identity-new.jsonl" "$mode r$round" <<'PY'
import json, sys
def load(p):
    rows = [json.loads(l) for l in open(p)]
    t = sorted(r.pop("took_ms") for r in rows)
    q = lambda f: t[min(len(t) - 1, int(f * len(t)))]
    return [json.dumps(r, sort_keys=True) for r in rows], f"p50 {q(0.5):6.2f} p90 {q(0.9):6.2f} p99 {q(0.99):6.2f}"
a, ta = load(sys.argv[1])
b, tb = load(sys.argv[2])
same = "results identical" if a == b else f"RESULTS DIFFER in {sum(x != y for x, y in zip(a, b))} of {len(a)}"
print(f"{sys.argv[3]:<14} baseline {ta} | this {tb} | {same}")
PY
  done
done
