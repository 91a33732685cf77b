#!/usr/bin/env python3
"""Runs a command; prints its wall time (s) and peak RSS (MiB) as JSON on stderr's last line.
usage: measure.py CMD...   (stdout of CMD passes through)"""
import json, resource, subprocess, sys, time

t = time.monotonic()
rc = subprocess.run(sys.argv[1:]).returncode
wall = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall_s": round(wall, 3), "peak_rss_mb": round(rss, 1), "rc": rc}), file=sys.stderr)
sys.exit(rc)
