#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: Debian's postgresql-15 binaries, a data
# folder and Unix socket under DIR, no TCP port, trust authentication for the local user
# "trawl". As root (CI), the server runs as the unprivileged user nobody.
#   pg_test_cluster.sh start DIR   prints the connection string (libpq key=value)
#   pg_test_cluster.sh stop DIR    stops it (immediately) and leaves DIR for the caller
#   pg_test_cluster.sh kill DIR    kill -9 of the server (a crash)
set -euo pipefail
cmd=${1:?usage: pg_test_cluster.sh start|stop|kill DIR}
dir=${2:?usage: pg_test_cluster.sh start|stop|kill DIR}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "pg_test_cluster.sh: PostgreSQL server binaries not found (apt install postgresql-15)" >&2
  exit 1
fi
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir"; chmod 755 "$dir"; fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$dir/data" -U trawl --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=60" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir user=trawl dbname=postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    ;;
  kill)
    pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if [[ -n "$pid" ]]; then
      kill -9 "$pid" 2>/dev/null || true
      # Its children notice and exit; wait for them and for the postmaster itself.
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || pgrep -P "$pid" >/dev/null 2>&1 || break
        sleep 0.1
      done
      for _ in $(seq 1 100); do
        pgrep -f -- "-D $dir/data" >/dev/null 2>&1 || break
        sleep 0.1
      done
    fi
    rm -f "$dir/data/postmaster.pid" "$dir/.s.PGSQL.5432.lock" "$dir/.s.PGSQL.5432"
    ;;
  *) echo "pg_test_cluster.sh: unknown command $cmd" >&2; exit 2 ;;
esac
