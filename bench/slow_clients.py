#!/usr/bin/env python3
"""Searches of `trawl serve` while slow clients (slowloris) hold connections.

Starts `trawl serve --port 0` on an indexed tree, opens N connections from 127.0.0.1 that
send a request head one byte every INTERVAL seconds, and meanwhile sends one lexical
search at a time (each with a 5 s timeout) for SECONDS. Prints how many searches were
answered, their p50 and max latency, and what the slow connections were answered.
Everything ends within SECONDS + 10 s.

  bench/slow_clients.py TRAWL ROOT [--slow 17] [--interval 3] [--seconds 20] [--index DIR]
"""
import argparse
import socket
import statistics
import subprocess
import threading
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trawl")
    ap.add_argument("root")
    ap.add_argument("--slow", type=int, default=17)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--query", default="open file")
    ap.add_argument("--index")
    a = ap.parse_args()
    cmd = [a.trawl, "serve", "--port", "0", a.root] + (["--index", a.index] if a.index else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = p.stdout.readline()
        port = int(line.strip().rsplit(":", 1)[1])
        url = f"http://127.0.0.1:{port}/v1/search?mode=lexical&k=10&q=" + urllib.parse.quote(a.query)
        urllib.request.urlopen(url, timeout=30).read()  # opens the index

        answers = {}
        stop = threading.Event()

        def slow_client(i):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            s.settimeout(a.interval)
            got = b""
            while not stop.is_set():
                try:
                    chunk = s.recv(512)
                    if not chunk:
                        break
                    got += chunk
                except socket.timeout:
                    try:
                        s.send(b"x")
                    except OSError:
                        break
                except OSError:
                    break
            s.close()
            answers[i] = got.split(b"\r\n", 1)[0].decode(errors="replace") or "(held until the end)"

        threads = [threading.Thread(target=slow_client, args=(i,)) for i in range(a.slow)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        took, failed = [], 0
        end = time.time() + a.seconds
        while time.time() < end:
            t0 = time.time()
            try:
                urllib.request.urlopen(url, timeout=5).read()
                took.append((time.time() - t0) * 1000)
            except Exception:
                failed += 1
        stop.set()
        for t in threads:
            t.join(timeout=a.interval + 5)
        print(f"slow connections: {a.slow}, a byte every {a.interval} s")
        print(f"searches answered: {len(took)}, failed or timed out (5 s): {failed}")
        if took:
            print(f"search latency ms: p50 {statistics.median(took):.1f}, max {max(took):.1f}")
        summary = {}
        for v in answers.values():
            summary[v] = summary.get(v, 0) + 1
        for k, n in sorted(summary.items()):
            print(f"slow connections answered {k!r}: {n}")
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    import urllib.parse
    main()
