#!/usr/bin/env bash
# watch_latency.sh: how fast `trawl serve --watch` makes a saved edit searchable, what
# it costs when nothing changes, and how many events/s its SSE stream carries during
# a large run. Not a test: prints figures and writes JSON (to compare two runs).
#
#   bench/watch_latency.sh [--bin PATH] [--files N] [--edits N] [--large N] [--json OUT]
#
#   --bin    the trawl binary (default: $TRAWL_BINARY, else build/release/tools/trawl/trawl)
#   --files  files in the generated repo (default 200)
#   --edits  edits to time (default 50); each appends a unique token to one file and
#            polls GET /v1/search every 10 ms until the token is found
#   --large  files added at once for the SSE measurement (default 5000)
#   --json   where to write the figures (default: stdout only)
#
# Figures: edit->searchable p50/p95/max (ms), the server's CPU over 10 s with no
# changes (utime+stime from /proc/PID/stat), SSE events/s and events dropped during
# the large run, and that run's files/s.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${TRAWL_BINARY:-$here/build/release/tools/trawl/trawl}
files=200 edits=50 large=5000 json_out=""
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --edits) edits=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --json) json_out=$2; shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "no trawl binary at $bin (build it, or pass --bin)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

work=$(mktemp -d /tmp/trawl_watch_bench.XXXXXX)
repo=$work/repo
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$repo" "$files" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "src", f"pkg{i // 50}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"mod{i}.py"), "w") as f:
        f.write(f'"""Module {i}."""\n\n')
        for k in range(6):
            f.write(f"def function_{i}_{k}(value, scale={k}):\n    result = value * scale + {i}\n"
                    f"    for step in range({k + 2}):\n        result = (result * 7 + step) % 1000003\n"
                    f"    return result\n\n\n")
EOF
(cd "$repo" && git init -q . && git add -A && git -c user.email=b@example.com -c user.name=bench commit -qm init)

"$bin" serve --watch --port 0 "$repo" >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$work/stdout" 2>/dev/null && break
  sleep 0.05
done
port=$(head -1 "$work/stdout" | sed -n 's#^listening on http://127.0.0.1:\([0-9]*\)$#\1#p')
[ -n "$port" ] || { echo "the server did not start:"; cat "$work/stderr"; exit 1; }

python3 - "$repo" "$port" "$server_pid" "$edits" "$large" "$files" "$json_out" <<'EOF'
import http.client, json, os, random, sys, threading, time

repo, port, pid, edits, large, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
json_out = sys.argv[7]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

def get(path, raw=False):
    # The server closes a keep-alive connection after 100 requests or 2 s idle.
    global conn
    for attempt in range(2):
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            return r.status, (body.decode() if raw else json.loads(body or b"null"))
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    raise SystemExit("the server does not answer")

def wait_idle(deadline_s=120):
    end = time.time() + deadline_s
    while time.time() < end:
        st, s = get("/v1/status")
        srv = s["server"]
        if st == 200 and not srv["running"] and not srv["run_queued"] and s.get("files", 0) > 0:
            return s
        time.sleep(0.05)
    raise SystemExit("the index did not settle")

wait_idle()

# 1. Edit -> searchable.
lat = []
for i in range(edits):
    token = f"benchtoken{i}x{random.randrange(1 << 30)}"
    n = random.randrange(nfiles)
    path = os.path.join(repo, "src", f"pkg{n // 50}", f"mod{n}.py")
    t0 = time.perf_counter()
    with open(path, "a") as f:
        f.write(f"\n\ndef {token}():\n    return {i}\n")
    while True:
        st, r = get(f"/v1/search?mode=lexical&k=3&content=1&q={token}")
        if st == 200 and any(token in x.get("content", "") for x in r["results"]):
            break
        if time.perf_counter() - t0 > 10:
            raise SystemExit(f"edit {i} not searchable after 10 s")
        time.sleep(0.01)
    lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.05)
wait_idle()
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]

# 2. Idle CPU over 10 s.
def cpu_ticks():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime
hz = os.sysconf("SC_CLK_TCK")
c0, t0 = cpu_ticks(), time.time()
time.sleep(10)
c1, t1 = cpu_ticks(), time.time()
idle_cpu_pct = (c1 - c0) / hz / (t1 - t0) * 100

# 3. SSE during a large run: a subscriber counts events while `large` files appear.
events, times, done = [], [], threading.Event()
def subscribe():
    s = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    s.request("GET", "/v1/events")
    r = s.getresponse()
    etype = None
    while not done.is_set():
        line = r.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            etype = line[7:]
        elif line.startswith("data: ") and etype:
            events.append((etype, line[6:]))
            times.append(time.perf_counter())
            if etype == "run_finished" and json.loads(line[6:]).get("summary", {}).get("files_indexed", 0) >= large // 2:
                done.set()
threading.Thread(target=subscribe, daemon=True).start()
time.sleep(0.3)
t_write = time.perf_counter()
for i in range(large):
    d = os.path.join(repo, "large", f"d{i // 100}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"l{i}.py"), "w") as f:
        f.write(f"def large_function_{i}(x):\n    return x * {i} + 1\n\n\nclass Large{i}:\n    value = {i}\n")
t_written = time.perf_counter()
done.wait(300)
big = [json.loads(d) for t, d in events if t == "run_finished"]
big = [b for b in big if b.get("summary", {}).get("files_indexed", 0) >= large // 2]
span = (times[-1] - times[0]) if len(times) > 1 else 0
progress = sum(1 for t, _ in events if t == "progress")
_, metrics_text = get("/metrics", raw=True)
dropped = next((float(l.split()[1]) for l in metrics_text.splitlines() if l.startswith("trawl_events_dropped_total ")), 0)
summary = big[0]["summary"] if big else {}

out = {
    "files": nfiles, "edits": edits,
    "edit_to_searchable_ms": {"p50": round(pct(50), 1), "p95": round(pct(95), 1), "max": round(lat[-1], 1),
                              "min": round(lat[0], 1)},
    "idle_cpu_percent_10s": round(idle_cpu_pct, 3),
    "sse": {"events": len(events), "progress_events": progress, "seconds": round(span, 2),
            "events_per_s": round(len(events) / span, 1) if span > 0 else None, "dropped": dropped},
    "large_run": {"files": large, "write_s": round(t_written - t_write, 2),
                  "files_indexed": summary.get("files_indexed"), "elapsed_s": summary.get("elapsed_s"),
                  "files_per_s": summary.get("files_per_s")},
}
print(f"edit -> searchable over {edits} edits ({nfiles}-file repo): "
      f"p50 {out['edit_to_searchable_ms']['p50']} ms, p95 {out['edit_to_searchable_ms']['p95']} ms, "
      f"max {out['edit_to_searchable_ms']['max']} ms")
print(f"idle CPU (10 s, no changes): {out['idle_cpu_percent_10s']} %")
print(f"SSE during a {large}-file run: {len(events)} events in {span:.2f} s "
      f"({out['sse']['events_per_s']} events/s, {progress} progress), dropped {dropped:.0f}; "
      f"run: {summary.get('files_indexed')} files in {summary.get('elapsed_s')} s")
js = json.dumps(out)
print(js)
if json_out:
    with open(json_out, "w") as f:
        f.write(js + "\n")
EOF
