#!/usr/bin/env bash
# Crash safety of sharded runs: kill -9 at random moments of fresh, incremental (with
# renames that move files between shards) and --rebuild runs; after each, a normal run
# must bring the index to exactly what a clean run makes (`trawl export`, cmp).
#   bench/crash_shards.sh [TRIALS] [TREE]    default 24 trials over the Python eval corpus
# Prints one line per trial and a summary: trials, passed.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${TRAWL:-$PWD/build/release/tools/trawl/trawl}"
source bench/tree.sh
src=$(bench_tree "${2:-python}")
trials="${1:-24}"
work=/tmp/trawl-crash; rm -rf "$work"; mkdir -p "$work"
tree="$work/tree"; cp -r "$src" "$tree"
exp() { "$TRAWL" export --index "$1" > "$2"; }
clean_export() { rm -rf "$work/clean"; "$TRAWL" index --progress none --shards 1 --index "$work/clean" "$tree" >/dev/null 2>&1 || true; exp "$work/clean" "$work/want.jsonl"; }
# How long a full run takes, to draw kill moments inside it.
t0=$(date +%s%N); "$TRAWL" index --progress none --shards 3 --index "$work/probe" "$tree" >/dev/null 2>&1 || true; t1=$(date +%s%N)
full_ms=$(( (t1 - t0) / 1000000 )); rm -rf "$work/probe"
echo "tree: $src ($full_ms ms per fresh run), $trials trials"
passed=0
RANDOM=7
for i in $(seq "$trials"); do
  kind=$(( i % 3 ))  # 0 fresh, 1 incremental with renames, 2 --rebuild
  idx="$work/idx"
  args="--shards 3"
  if [ "$kind" = 0 ]; then
    rm -rf "$idx"
  else
    [ -d "$idx" ] || "$TRAWL" index --progress none --shards 3 --index "$idx" "$tree" >/dev/null 2>&1 || true
    if [ "$kind" = 1 ]; then
      # Rename a few files (their paths hash to other shards) and edit one.
      for f in $(cd "$tree" && find . -name '*.py' | sort | sed -n "$((RANDOM % 50 + 1)),+4p"); do
        mv "$tree/$f" "$tree/${f%.py}_r$i.py"
      done
      echo "# edit $i" >> "$(find "$tree" -name '*.py' | sort | head -1)"
      args=""
    else
      args="--rebuild"
    fi
  fi
  delay_ms=$(( RANDOM % (full_ms + 1) ))
  "$TRAWL" index --progress none $args --index "$idx" "$tree" >/dev/null 2>&1 & pid=$!
  sleep "$(awk "BEGIN{print $delay_ms/1000}")"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  "$TRAWL" index --progress none --index "$idx" "$tree" >/dev/null 2>&1 || true
  clean_export
  exp "$idx" "$work/got.jsonl"
  names=(fresh incremental rebuild)
  if cmp -s "$work/want.jsonl" "$work/got.jsonl"; then
    passed=$((passed + 1)); echo "trial $i ${names[$kind]} kill at ${delay_ms} ms: equal"
  else
    echo "trial $i ${names[$kind]} kill at ${delay_ms} ms: DIFFERENT"
  fi
done
echo "kill -9 trials: $trials, passed: $passed"
