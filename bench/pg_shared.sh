#!/usr/bin/env bash
# Figures of the shared PostgreSQL store on a tree, against a throwaway postgresql-15
# cluster (scripts/pg_test_cluster.sh): export identity with the embedded index, one
# against two and three indexing processes (each its own git checkout, each pinned to
# its own core when there are enough, as separate machines would be), rows stored twice,
# kill -9 of one of two indexers at random moments, and the server killed mid-run.
#   bench/pg_shared.sh TREE [KILL_TRIALS]
set -euo pipefail
tree=$(realpath "${1:?usage: bench/pg_shared.sh TREE [KILL_TRIALS]}")
trials=${2:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
trawl=${TRAWL:-$here/build/release/tools/trawl/trawl}
. "$here/bench/pg_cluster.sh"
pg_bench_start trawl_pgbench
db() { psql "$base dbname=postgres" -qc "CREATE DATABASE $1" >/dev/null; echo "$base dbname=$1"; }
sql() { psql "$1" -Atc "$2"; }
now() { date +%s.%N; }

# Checkouts: the tree committed once, cloned per process.
mkdir -p "$work/src"
cp -r "$tree"/. "$work/src/"
rm -rf "$work/src/.git" "$work/src/.trawl"
(cd "$work/src" && git init -q && git add -A && git -c user.email=b@b -c user.name=b commit -qm tree)
for c in a b c; do git clone -q "$work/src" "$work/$c"; done
cores=$(nproc)

(cd "$work/a" && "$trawl" index . >/dev/null 2>&1 && "$trawl" export --json >"$work/want.jsonl")

echo "tree: $tree ($(find "$work/src" -type f -not -path '*/.git/*' | wc -l) files)"

run_procs() {  # N: N processes at once into a fresh database; prints wall time
  local n=$1 url
  url=$(db "p$n")
  local t0; t0=$(now)
  local pids=()
  local dirs=(a b c)
  for ((i = 0; i < n; i++)); do
    local pin=""
    if ((cores >= n)); then pin="taskset -c $i"; fi
    (cd "$work/${dirs[$i]}" && $pin "$trawl" index --workers 1 --store "$url" --repo tree . >"$work/run$n.$i.log" 2>&1) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  local t1; t1=$(now)
  local same="identical"
  "$trawl" export --json --store "$url" --repo tree | cmp -s - "$work/want.jsonl" || same="DIFFERENT"
  local dup; dup=$(sql "$url" "SELECT count(*) - count(DISTINCT (path, start_byte, end_byte, content_hash)) FROM trawl_chunks")
  local shares; shares=$(grep -ho '[0-9]* files indexed' "$work"/run$n.*.log | tr '\n' ' ')
  printf '%d process(es): %.2f s wall, export %s, chunks stored twice %s, per process: %s\n' \
    "$n" "$(echo "$t1 - $t0" | bc)" "$same" "$dup" "$shares"
}

echo "== one core per process, --workers 1 (machines of one core each)"
for n in 1 2 3; do run_procs "$n"; done

echo "== kill -9 of one of two indexers at a random moment, lease 2 s ($trials trials)"
export TRAWL_STORE__LEASE_SECONDS=2
ok=0
for ((t = 0; t < trials; t++)); do
  url=$(db "k$t")
  (cd "$work/a" && exec "$trawl" index --workers 1 --store "$url" --repo tree . >/dev/null 2>&1) &
  victim=$!
  sleep "0.$((RANDOM % 9 + 1))"
  (cd "$work/b" && "$trawl" index --workers 1 --store "$url" --repo tree . >"$work/survivor.log" 2>&1) &
  other=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
  rc=0
  wait "$other" || rc=$?
  if [[ $rc -eq 0 ]] && "$trawl" export --json --store "$url" --repo tree | cmp -s - "$work/want.jsonl"; then
    ok=$((ok + 1))
  else
    echo "trial $t: survivor exit $rc, export differs"
  fi
done
echo "kill trials equal to a clean run: $ok/$trials"
unset TRAWL_STORE__LEASE_SECONDS

echo "== the server killed mid-run, then started again; the next run completes"
url=$(db restart)
(cd "$work/a" && "$trawl" index --workers 1 --store "$url" --repo tree . >"$work/restart1.log" 2>&1) &
pid=$!
sleep 0.5
"$here/scripts/pg_test_cluster.sh" kill "$work/pg"
rc=0
wait "$pid" || rc=$?
"$here/scripts/pg_test_cluster.sh" start "$work/pg" >/dev/null
half=$(sql "$url" "SELECT count(*) FROM trawl_files f WHERE status = 'indexed' AND chunk_count <> (SELECT count(*) FROM trawl_chunks c WHERE c.repo_id = f.repo_id AND c.path = f.path)")
echo "run during the crash: exit $rc ($(grep -o 'trawl: .*' "$work/restart1.log" | head -1 | cut -c1-120)); files with chunks half-written: $half"
(cd "$work/a" && "$trawl" index --workers 1 --store "$url" --repo tree . >/dev/null 2>&1) && echo "next run: exit 0"
"$trawl" export --json --store "$url" --repo tree | cmp -s - "$work/want.jsonl" && echo "export after the next run: identical"
