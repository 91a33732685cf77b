#!/usr/bin/env bash
# deploy.sh: builds the app and rolls it out to the hosts given on the command line.
set -euo pipefail

APP=myapp
BUILD_DIR=${BUILD_DIR:-/tmp/${APP}-build}
HOSTS=("$@")

log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# Builds a release tarball into $BUILD_DIR.
build() {
  rm -rf "$BUILD_DIR"
  mkdir -p "$BUILD_DIR"
  log "building $APP"
  make -C src release DESTDIR="$BUILD_DIR" >/dev/null || die "build failed"
  tar -C "$BUILD_DIR" -czf "$BUILD_DIR/$APP.tar.gz" .
}

deploy_host() {
  local host=$1
  log "deploying to $host"
  scp -q "$BUILD_DIR/$APP.tar.gz" "$host:/tmp/" || return 1
  ssh "$host" "sudo tar -C /opt/$APP -xzf /tmp/$APP.tar.gz && sudo systemctl restart $APP" || return 1
  for i in 1 2 3 4 5; do
    if ssh "$host" "curl -fs http://localhost:8080/healthz" >/dev/null; then
      log "$host healthy"
      return 0
    fi
    sleep "$i"
  done
  return 1
}

if [[ ${#HOSTS[@]} -eq 0 ]]; then
  die "usage: $0 HOST..."
fi

build
failed=()
for host in "${HOSTS[@]}"; do
  deploy_host "$host" || failed+=("$host")
done

if [[ ${#failed[@]} -gt 0 ]]; then
  die "failed hosts: ${failed[*]}"
fi
log "done"
