#!/usr/bin/env bash
# Installs everything trawl needs on a fresh Debian 12 machine. Idempotent: safe to run
# twice; prints what it installs. Apt packages from Debian; tree-sitter grammars from
# their npm packages, pinned in third_party/grammars/package-lock.json (no install
# scripts run: only their parser.c/scanner.c are compiled, by CMake).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates python3
  clang libclang-rt-14-dev            # ThreadSanitizer preset, -Wthread-safety, libFuzzer
  nodejs npm                          # fetches the pinned grammar packages
  libtree-sitter-dev libtbb-dev libsqlite3-dev libgit2-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev libxxhash-dev libmimalloc-dev libzstd-dev libpq-dev
  postgresql-15                       # the PostgreSQL store's tests start a throwaway server (no service)
  libgtest-dev libgmock-dev libbenchmark-dev
  universal-ctags                     # benchmark baseline only
  chromium                            # the web page's browser tests (tests/web)
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node/npm may come from elsewhere (nodesource, nvm): accept any working npm.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install_deps: all ${#APT_PACKAGES[@]} apt packages already installed"
fi

scripts/fetch_grammars.sh
scripts/fetch_test_clients.sh
