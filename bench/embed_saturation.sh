#!/usr/bin/env bash
# Remote-embedder saturation: index a tree against a local OpenAI-compatible server that
# answers each batch after a fixed delay, and compare the run's time with the ideal
#   batches x delay / max_parallel_batches.
# Then re-run (no changes), rename a file and edit a file, printing the requests each sends.
#   bench/embed_saturation.sh [TREE] [DELAY_MS] [PARALLEL] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release
TRAWL="$B/tools/trawl/trawl"; SERVER="$B/testing/fake_embed_server"
SRC="${1:-/tmp/trawl-eval/corpus}"; DELAY="${2:-50}"; PAR="${3:-4}"; BATCH="${4:-64}"
[ -d "$SRC" ] || python3 ../shared/eval/make_docstring_eval.py --out /tmp/trawl-eval >&2
work=$(mktemp -d /tmp/trawl-sat.XXXX); trap 'kill $spid 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$SRC" "$work/tree"
"$SERVER" --port 0 --delay-ms "$DELAY" --dims 256 > "$work/port" 2>"$work/server.err" & spid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -n1 "$work/port" | grep -oE '[0-9]+$')
cat > "$work/cfg.yaml" <<YAML
embeddings:
  provider: openai
  url: http://127.0.0.1:$port
  model: fake
  batch_size: $BATCH
  max_parallel_batches: $PAR
YAML
run() { "$TRAWL" index --config "$work/cfg.yaml" --progress none --stats --index "$work/index" "$work/tree"; }
run > "$work/s1.json"
python3 - "$work/s1.json" "$DELAY" "$PAR" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); delay = float(sys.argv[2]) / 1000; par = int(sys.argv[3])
req = s["embedding"]["requests"]; ideal = req * delay / par
print(f"delay {delay*1000:.0f} ms, parallel {par}: {s['chunks']} chunks, {req} requests, "
      f"total {s['elapsed_s']:.2f} s, ideal {ideal:.2f} s, ratio {s['elapsed_s']/ideal:.2f}, "
      f"embedder busy {s['embedding']['busy_fraction']*100:.0f}%")
PY
run > "$work/s2.json"
mv "$work/tree/$(cd "$work/tree" && ls *.py | head -n1)" "$work/tree/renamed_copy.py"
run > "$work/s3.json"
f=$(cd "$work/tree" && ls *.py | sed -n 2p); printf '\n\ndef trawl_bench_added(x):\n    return x * 2\n' >> "$work/tree/$f"
run > "$work/s4.json"
python3 - "$work"/s2.json "$work"/s3.json "$work"/s4.json <<'PY'
import json, sys
for name, p in zip(["no-op re-run", "after a rename", "after editing one file"], sys.argv[1:]):
    s = json.load(open(p)); e = s["embedding"]
    print(f"{name:24} files processed {s['files_processed']:4}  requests {e['requests']:4}  "
          f"vectors embedded {e['vectors_embedded']:5}  cached {e['vectors_cached']:5}")
PY
