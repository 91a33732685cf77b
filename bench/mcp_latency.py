#!/usr/bin/env python3
"""search_code round trips through `trawl mcp` on stdio, against the search itself.

Starts `trawl mcp` on an indexed tree, initializes, and sends the queries one at a time
as tools/call search_code (k=10), timing each from the request's write to its response's
read. The search's own time is the result's took_ms (measured inside the Searcher), so
round trip - took_ms is what MCP adds: JSON-RPC parsing, the call's thread, snippets,
both JSON encodings and the pipe. Prints p50/p90/p99 of each.

  bench/mcp_latency.py TRAWL ROOT QUERIES.jsonl [N=300] [--index DIR]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trawl")
    ap.add_argument("root")
    ap.add_argument("queries")
    ap.add_argument("n", nargs="?", type=int, default=300)
    ap.add_argument("--index")
    a = ap.parse_args()
    queries = [json.loads(line)["query"] for line in open(a.queries)][: a.n]
    cmd = [a.trawl, "mcp", a.root] + (["--index", a.index] if a.index else [])
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         bufsize=1)

    def call(msg):
        p.stdin.write(json.dumps(msg) + "\n")
        p.stdin.flush()
        return json.loads(p.stdout.readline())

    call({"jsonrpc": "2.0", "id": 0, "method": "initialize",
          "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    # One warm-up call opens the Searcher (and maps the index) before the timing starts.
    call({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
          "params": {"name": "search_code", "arguments": {"query": "warm up", "k": 10}}})
    rtt, took = [], []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        r = call({"jsonrpc": "2.0", "id": i + 2, "method": "tools/call",
                  "params": {"name": "search_code", "arguments": {"query": q, "k": 10}}})
        t1 = time.perf_counter()
        if r.get("result", {}).get("isError"):
            sys.exit("search_code failed: " + r["result"]["content"][0]["text"])
        rtt.append((t1 - t0) * 1000)
        took.append(r["result"]["structuredContent"]["took_ms"])
    p.stdin.close()
    p.wait(timeout=30)
    over = [r - t for r, t in zip(rtt, took)]
    print(f"{len(rtt)} search_code calls through trawl mcp (stdio), k=10")
    print(f"{'':22} {'p50_ms':>8} {'p90_ms':>8} {'p99_ms':>8} {'mean_ms':>8}")
    for name, v in (("round trip", rtt), ("search (took_ms)", took), ("MCP overhead", over)):
        print(f"{name:22} {percentile(v, .5):8.2f} {percentile(v, .9):8.2f} {percentile(v, .99):8.2f} "
              f"{statistics.mean(v):8.2f}")


if __name__ == "__main__":
    main()
