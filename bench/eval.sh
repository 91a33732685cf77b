#!/usr/bin/env bash
# Retrieval quality on ../shared/eval (docstring -> function, Python standard library):
# builds the benchmark, indexes it, runs the three search modes through
# `trawl search --queries` and prints MRR@10 / Recall@1 / Recall@10 per mode.
#   bench/eval.sh [TRAWL_BINARY]        (default build/release/tools/trawl/trawl)
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${1:-build/release/tools/trawl/trawl}"
EVAL="${EVAL_DIR:-../shared/eval}"
OUT="${EVAL_OUT:-/tmp/trawl-eval}"
[ -x "$TRAWL" ] || { echo "build trawl first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
if [ ! -f "$OUT/queries.jsonl" ]; then
  python3 "$EVAL/make_docstring_eval.py" --out "$OUT" >&2
fi
rm -rf "$OUT/index"
"$TRAWL" index --progress none --index "$OUT/index" "$OUT/corpus" >&2
printf "%-10s %8s %8s %8s %8s\n" mode "MRR@10" "R@1" "R@10" "p50_ms"
for mode in hybrid lexical semantic; do
  "$TRAWL" search --index "$OUT/index" --queries "$OUT/queries.jsonl" --mode "$mode" -k 10 > "$OUT/results-$mode.jsonl"
  python3 "$EVAL/score.py" "$OUT/queries.jsonl" "$OUT/results-$mode.jsonl" > "$OUT/score-$mode.txt"
  mrr=$(awk '/^MRR@10/ {print $2}' "$OUT/score-$mode.txt")
  r1=$(awk '$1=="recall@1" {print $2}' "$OUT/score-$mode.txt")
  r10=$(awk '$1=="recall@10" {print $2}' "$OUT/score-$mode.txt")
  p50=$(python3 -c "import json,statistics,sys; t=[json.loads(l)['took_ms'] for l in open(sys.argv[1])]; print(f'{statistics.median(t):.2f}')" "$OUT/results-$mode.jsonl")
  printf "%-10s %8s %8s %8s %8s\n" "$mode" "$mrr" "$r1" "$r10" "$p50"
done
