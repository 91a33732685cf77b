#!/usr/bin/env bash
# End-to-end indexing benchmark: trawl beside `universal-ctags -R` on the same tree, in
# the same run. Prints wall time, files/s, MB/s, chunks/s, peak RSS, time per stage,
# workers=1 vs workers=2, and a no-op re-run. Writes bench/out/index_bench.json.
#   bench/index_bench.sh python      the Python standard library (../shared/eval corpus)
#   bench/index_bench.sh linux       Debian's linux-source-6.1 (installed and unpacked once)
#   bench/index_bench.sh DIR         any tree
# WORKERS="2" runs only the 2-worker run (default "1 2"); the speedup line needs both.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${TRAWL:-build/release/tools/trawl/trawl}"
target="${1:-python}"
source bench/tree.sh
tree=$(bench_tree "$target")
out=bench/out; mkdir -p "$out"
files=$(find "$tree" -type f | wc -l); mb=$(du -sm "$tree" | cut -f1)
echo "tree: $tree ($files files, $mb MB)"

measure() { python3 bench/measure.py "$@" 2> >(tail -n 1 > "$out/.m") ; sleep 0.2; cat "$out/.m"; }

ctags_m=$(cd "$tree" && python3 "$OLDPWD/bench/measure.py" ctags -R -f /tmp/trawl-bench.tags . 2>&1 >/dev/null | tail -n 1)
echo "ctags -R:            $ctags_m"
results="{\"tree\": \"$tree\", \"files\": $files, \"mb\": $mb, \"ctags\": $ctags_m"
for w in ${WORKERS:-1 2}; do
  rm -rf /tmp/trawl-bench-index
  m=$(python3 bench/measure.py "$TRAWL" index --progress none --stats --workers "$w" --index /tmp/trawl-bench-index "$tree" 2>"$out/.err" >"$out/stats-w$w.json"; tail -n 1 "$out/.err")
  echo "trawl workers=$w:     $m"
  python3 - "$out/stats-w$w.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
e = s["elapsed_s"] or 1e-9
print(f"  files {s['files_processed']}  chunks {s['chunks']}  {s['files_processed']/e:.0f} files/s  {s['bytes']/e/1e6:.2f} MB/s  {s['chunks']/e:.0f} chunks/s  peak in flight {s['memory']['peak_inflight_bytes']/1e6:.1f} MB")
print("  stages (busy/CPU s): " + "  ".join(f"{x['stage']} {x['busy_s']:.2f}/{x.get('cpu_s', 0):.2f}" for x in s["stages"]) + f"  | bottleneck: {s['bottleneck']}  | workers done at {s.get('workers_done_s', 0):.1f} s, writer alone after: {s.get('writer_tail_s', 0):.1f} s")
print("  workers (busy/CPU s): " + "  ".join(f"#{w['worker']} {w['busy_s']:.2f}/{w.get('cpu_s', 0):.2f}" for w in s["per_worker"]))
PY
  results="$results, \"trawl_w$w\": $m"
done
m=$(python3 bench/measure.py "$TRAWL" index --progress none --stats --workers 2 --index /tmp/trawl-bench-index "$tree" 2>"$out/.err" >"$out/stats-noop.json"; tail -n 1 "$out/.err")
echo "trawl no-op re-run:  $m"
results="$results, \"trawl_noop\": $m}"
echo "$results" > "$out/index_bench.json"
python3 - "$out/index_bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, w2, n = r["ctags"]["wall_s"], r["trawl_w2"]["wall_s"], r["trawl_noop"]["wall_s"]
speedup = f"{r['trawl_w1']['wall_s'] / w2:.2f}x" if "trawl_w1" in r else "n/a"
print(f"speedup 1->2 workers: {speedup}   trawl(2)/ctags: {w2/c:.2f}x   no-op re-run: {n:.2f}s   peak RSS trawl(2): {r['trawl_w2']['peak_rss_mb']} MB, ctags: {r['ctags']['peak_rss_mb']} MB")
PY
# What two cores allow: with one worker, the writer (and any other thread) runs beside it
# on the second core, so the 1-worker run takes at least the worker's CPU time W; with two,
# the workers and the writer share both cores: at least (W + R) / 2, R the CPU of
# everything else. Their ratio bounds the 1 -> 2 speedup, whatever the scheduling.
if [ -f "$out/stats-w1.json" ]; then
  python3 - "$out/stats-w1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
w = sum(x["cpu_s"] for x in s["per_worker"])
r = sum(x.get("cpu_s", 0) for x in s["stages"]) - w
if w > 0:
    print(f"CPU of the 1-worker run: worker {w:.2f} s, other threads {max(r, 0):.2f} s -> 1->2 speedup bound on 2 cores: {2 * w / (w + max(r, 0)):.2f}x")
PY
fi
