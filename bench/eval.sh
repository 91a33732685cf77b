#!/usr/bin/env bash
# Retrieval quality, docstring -> function (the CodeSearchNet method of ../shared/eval):
# builds the benchmark, indexes it, runs the three search modes through
# `trawl search --queries` and prints MRR@10 / Recall@1 / Recall@10 per mode.
#   bench/eval.sh [TRAWL_BINARY] [python|java|c|go|ruby|javascript|php|rust]
# python: ../shared/eval over the Python standard library (the issue's benchmark).
# java, c, go, ruby: the same method on code whose documentation comes before the
# function (bench/make_doc_eval.py): Javadoc of OpenJDK 17's java.base (apt
# openjdk-17-source), kernel-doc of part of linux-source-6.1 (kernel, lib, mm, fs/ext4,
# net/core, drivers/base), doc comments of part of Go 1.19's standard library (apt
# golang-1.19-src), RDoc comments of Ruby 3.1's standard library (apt ruby3.1), JSDoc
# of ten npm packages as Debian ships them (lodash, moment, express, ...; 378 queries),
# PHPDoc of Symfony components (apt php-symfony-*), Rust doc comments of the crates
# Debian ships for six librust-*-dev packages and their dependencies. They check that what is tuned on
# Python carries over.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAWL="${1:-build/release/tools/trawl/trawl}"
LANG_="${2:-python}"
EVAL="${EVAL_DIR:-../shared/eval}"
[ -x "$TRAWL" ] || { echo "build trawl first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
case "$LANG_" in
  python)
    OUT="${EVAL_OUT:-/tmp/trawl-eval}"
    [ -f "$OUT/queries.jsonl" ] || python3 "$EVAL/make_docstring_eval.py" --out "$OUT" >&2 ;;
  java)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-java}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      zip=/usr/lib/jvm/openjdk-17/src.zip
      [ -f "$zip" ] || apt-get install -y -q openjdk-17-source >&2
      rm -rf "$OUT/src" && mkdir -p "$OUT/src"
      (cd "$OUT/src" && unzip -q "$zip" 'java.base/java/util/*' 'java.base/java/io/*' 'java.base/java/lang/*' \
        'java.base/java/net/*' 'java.base/java/nio/*' 'java.base/java/time/*' 'java.base/java/text/*')
      python3 bench/make_doc_eval.py --lang java --src "$OUT/src/java.base" --out "$OUT" >&2
    fi ;;
  c)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-c}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      . bench/tree.sh
      linux=$(bench_tree linux)
      rm -rf "$OUT/src" && mkdir -p "$OUT/src"
      (cd "$linux" && cp -r --parents kernel lib mm fs/ext4 net/core drivers/base "$OUT/src/")
      python3 bench/make_doc_eval.py --lang c --src "$OUT/src" --out "$OUT" >&2
    fi ;;
  go)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-go}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      [ -d /usr/share/go-1.19/src ] || apt-get install -y -q golang-1.19-src >&2
      rm -rf "$OUT/src" && mkdir -p "$OUT/src"
      (cd /usr/share/go-1.19/src && cp -r --parents bufio bytes strings strconv io os path sort fmt time net \
        encoding regexp text compress archive container math "$OUT/src/")
      python3 bench/make_doc_eval.py --lang go --src "$OUT/src" --out "$OUT" >&2
    fi ;;
  ruby)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-ruby}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      [ -d /usr/lib/ruby/3.1.0 ] || apt-get install -y -q ruby3.1 >&2
      python3 bench/make_doc_eval.py --lang ruby --src /usr/lib/ruby/3.1.0 --out "$OUT" >&2
    fi ;;
  javascript)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-javascript}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      pkgs="lodash moment underscore express axios async semver yargs commander debug"
      [ -d /usr/share/nodejs/lodash ] || apt-get install -y -q --no-install-recommends \
        node-lodash node-moment node-underscore node-express node-axios node-async node-semver \
        node-yargs node-commander node-debug >&2
      rm -rf "$OUT/src" && mkdir -p "$OUT/src"
      for p in $pkgs; do cp -rL "/usr/share/nodejs/$p" "$OUT/src/"; done
      # One copy of each function: no minified or bundled files, no lodash.js (all of
      # lodash's modules again in one file).
      find "$OUT/src" -name dist -type d -prune -exec rm -rf {} +
      find "$OUT/src" -name '*.min.js' -delete
      rm -f "$OUT/src/lodash/lodash.js" "$OUT/src/lodash/core.js"
      python3 bench/make_doc_eval.py --lang javascript --src "$OUT/src" --out "$OUT" >&2
    fi ;;
  php)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-php}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      [ -d /usr/share/php/Symfony/Component/Console ] || apt-get install -y -q --no-install-recommends \
        php-symfony-console php-symfony-http-foundation php-symfony-http-kernel php-symfony-finder \
        php-symfony-filesystem php-symfony-yaml php-symfony-string php-symfony-validator \
        php-symfony-routing php-symfony-process php-guzzlehttp-psr7 php-composer-semver >&2
      python3 bench/make_doc_eval.py --lang php --src /usr/share/php --out "$OUT" >&2
    fi ;;
  rust)
    OUT="${EVAL_OUT:-/tmp/trawl-eval-rust}"
    if [ ! -f "$OUT/queries.jsonl" ]; then
      [ -d /usr/share/cargo/registry ] || apt-get install -y -q --no-install-recommends \
        librust-regex-dev librust-serde-dev librust-clap-dev librust-tokio-dev librust-rand-dev \
        librust-itertools-dev >&2
      python3 bench/make_doc_eval.py --lang rust --src /usr/share/cargo/registry --out "$OUT" >&2
    fi ;;
  *) echo "usage: bench/eval.sh [TRAWL_BINARY] [python|java|c|go|ruby|javascript|php|rust]" >&2; exit 2 ;;
esac
rm -rf "$OUT/index"
# INDEX_ARGS: extra flags for the index run (e.g. "--shards 1 --workers 1").
"$TRAWL" index --progress none ${INDEX_ARGS:-} --index "$OUT/index" "$OUT/corpus" >&2
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
