#!/usr/bin/env bash
# Sets up, builds and runs every test: the command README.md gives and .ci/run calls.
#   scripts/test.sh            install deps, build (release preset), ctest
#   FUZZ_SECONDS=20 scripts/test.sh   also build the libFuzzer targets and run each briefly
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
ctest --preset release
if [ "${FUZZ_SECONDS:-0}" != 0 ]; then
  scripts/fuzz.sh "${FUZZ_SECONDS}"
fi
