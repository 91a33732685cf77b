#!/usr/bin/env bash
# Parallel scaling of indexing: one core against two, and the serial share.
#   bench/scaling.sh [python|linux|DIR] [ROUNDS] [BASELINE_TRAWL]
# Runs, alternating, ROUNDS times each (default 3): `taskset -c 0 trawl index --workers 1`
# and `trawl index --workers 2` (fresh index each time), prints the best wall time of
# each and their ratio, and the serial share of the 2-worker run (the busiest thread's
# CPU over all threads' CPU, from --stats). With BASELINE_TRAWL (another build), the same
# pairs for it, interleaved, so that both ratios come from one stretch of machine time.
# SHARDS / WORKERS_MANY: the shard count (default: trawl's), and an extra run with that
# many workers and shards whose serial share shows what more cores would buy.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${TRAWL:-build/release/tools/trawl/trawl}"
source bench/tree.sh
tree=$(bench_tree "${1:-python}")
rounds="${2:-3}"
base="${3:-}"
out=bench/out; mkdir -p "$out"
idx=/tmp/trawl-scaling-index
shards_flag=""; [ -n "${SHARDS:-}" ] && shards_flag="--shards $SHARDS"
run() {  # run BINARY PREFIX WORKERS FLAGS -> wall seconds; stats in $out/scaling-last.json
  local bin="$1" prefix="$2" w="$3" flags="$4"
  rm -rf "$idx"
  local t0 t1
  t0=$(date +%s.%N)
  $prefix "$bin" index --progress none --stats --workers "$w" $flags --index "$idx" "$tree" > "$out/scaling-last.json" 2>/dev/null
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}
declare -A best
keep() { local k="$1" v="$2"; if [ -z "${best[$k]:-}" ] || python3 -c "import sys; sys.exit(0 if $v < ${best[$k]} else 1)"; then best[$k]=$v; fi; }
share=""
for r in $(seq "$rounds"); do
  keep new1 "$(run "$TRAWL" "taskset -c 0" 1 "$shards_flag")"
  keep new2 "$(run "$TRAWL" "" 2 "$shards_flag")"
  share=$(python3 -c "import json; s=json.load(open('$out/scaling-last.json')); print(s.get('serial_share', 'n/a'))")
  if [ -n "$base" ]; then
    keep base1 "$(run "$base" "taskset -c 0" 1 "")"
    keep base2 "$(run "$base" "" 2 "")"
  fi
done
echo "tree: $tree  (best of $rounds, fresh index each run)"
printf "%-10s %10s %10s %8s\n" build "1 core s" "2 cores s" ratio
printf "%-10s %10s %10s %8s\n" trawl "${best[new1]}" "${best[new2]}" "$(python3 -c "print(f'{${best[new1]}/${best[new2]}:.2f}x')")"
if [ -n "$base" ]; then
  printf "%-10s %10s %10s %8s\n" baseline "${best[base1]}" "${best[base2]}" "$(python3 -c "print(f'{${best[base1]}/${best[base2]}:.2f}x')")"
fi
echo "serial share of the 2-worker run: $share"
if [ -n "${WORKERS_MANY:-}" ]; then
  run "$TRAWL" "" "$WORKERS_MANY" "--shards $WORKERS_MANY" > /dev/null
  python3 - "$out/scaling-last.json" "$WORKERS_MANY" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = sorted(s["threads"], key=lambda x: -x["cpu_s"])
total = sum(x["cpu_s"] for x in t)
print(f"{sys.argv[2]} workers and shards: serial share {s['serial_share']} (busiest {t[0]['name']} {t[0]['cpu_s']:.2f} s of {total:.2f} s); top threads: " +
      ", ".join(f"{x['name']} {x['cpu_s']:.2f}" for x in t[:6]))
PY
fi
