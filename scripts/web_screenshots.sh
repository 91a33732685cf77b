#!/usr/bin/env bash
# Takes the README's screenshots of the web page (docs/web_search.png, docs/web_index.png)
# by running the browser test with TRAWL_WEB_SCREENSHOTS, and prints its measurements.
#   scripts/web_screenshots.sh [path/to/trawl]
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
TRAWL_BINARY="${1:-$top/build/release/tools/trawl/trawl}" TRAWL_WEB_SCREENSHOTS="$top/docs" \
  node --test "$top/tests/web/web_test.mjs"
