# Sourced by the PostgreSQL benchmarks: pg_bench_start PREFIX makes a work folder
# ($work, removed at exit with the cluster in it), starts a throwaway postgresql-15
# cluster there (scripts/pg_test_cluster.sh; SHARED_BUFFERS, when set, sizes its cache)
# and sets $base, its connection string without a database. Needs $here (the checkout).
pg_bench_start() {
  work=$(mktemp -d "/tmp/$1_XXXXXX")
  chmod 755 "$work"  # the server runs as nobody when this runs as root
  trap '"$here/scripts/pg_test_cluster.sh" stop "$work/pg" || true; rm -rf "$work"' EXIT
  export TRAWL_CONFIG_DIR=$work/config
  base=$("$here/scripts/pg_test_cluster.sh" start "$work/pg")
  if [[ -n "${SHARED_BUFFERS:-}" ]]; then
    psql "$base" -qc "ALTER SYSTEM SET shared_buffers = '$SHARED_BUFFERS'" >/dev/null
    "$here/scripts/pg_test_cluster.sh" stop "$work/pg"
    base=$("$here/scripts/pg_test_cluster.sh" start "$work/pg")
  fi
  base=${base% dbname=postgres}
}
