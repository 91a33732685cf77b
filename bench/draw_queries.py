#!/usr/bin/env python3
"""Queries drawn from an index's own content, as a person would ask: a comment sentence
(7 in 10 chunks that have one) or a definition's name as words; fixed seed, so every
layout and build of the same content gets the same queries.
   draw_queries.py EXPORT.jsonl N > queries.jsonl   (EXPORT: `trawl export --no-vectors`)"""
import json
import random
import re
import sys

rows = []
for line in open(sys.argv[1]):
    j = json.loads(line)
    if "start_line" in j:
        rows.append((j["content"], j["symbol"]))
rows.sort()  # the content's order, whatever the layout
rng = random.Random(7)
rng.shuffle(rows)
queries = []
for content, symbol in rows:
    if len(queries) >= int(sys.argv[2]):
        break
    comments = re.findall(r"(?:/\*+|//|#)\s*([A-Za-z][A-Za-z ,']{24,120})", content)
    if comments and rng.random() < 0.7:
        queries.append(comments[0].strip())
    elif symbol:
        queries.append(symbol.replace("_", " "))
for i, q in enumerate(queries):
    print(json.dumps({"id": i, "query": q}))
