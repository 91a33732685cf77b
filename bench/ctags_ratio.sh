#!/usr/bin/env bash
# trawl's full index time over `ctags -R`'s on the same tree, in alternating pairs: this
# host's speed drifts by 20-50% over minutes, so each trawl run is compared with the ctags
# run just before it, and the median of the pairs is the figure to quote.
#   bench/ctags_ratio.sh [python|linux|DIR] [ROUNDS]   (WORKERS, default 2; TRAWL as index_bench.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${TRAWL:-build/release/tools/trawl/trawl}"
target="${1:-python}"
rounds="${2:-3}"
source bench/tree.sh
tree=$(bench_tree "$target")
[ -d "$tree" ] || { echo "no directory $tree" >&2; exit 1; }
[ -x "$TRAWL" ] || { echo "build trawl first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
# -I: the Python corpus holds a json package of its own, and ctags runs inside the tree.
measure="$PWD/bench/measure.py"
wall() { python3 -I "$measure" "$@" 2>&1 >/dev/null | tail -n 1 | python3 -I -c "import json,sys; print(json.load(sys.stdin)['wall_s'])"; }
ratios=()
for r in $(seq "$rounds"); do
  c=$(cd "$tree" && wall ctags -R -f /tmp/trawl-bench.tags .)
  rm -rf /tmp/trawl-ratio-index
  t=$(wall "$TRAWL" index --progress none --workers "${WORKERS:-2}" --index /tmp/trawl-ratio-index "$tree")
  ratio=$(python3 -I -c "print(f'{$t / $c:.2f}')")
  ratios+=("$ratio")
  echo "round $r: ctags -R ${c} s, trawl index (workers ${WORKERS:-2}) ${t} s: ${ratio}x"
done
python3 -I -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median trawl/ctags: {statistics.median(r):.2f}x (min {min(r):.2f}x, max {max(r):.2f}x, {len(r)} pairs)')" "${ratios[@]}"
