#!/usr/bin/env python3
"""The docstring -> function benchmark of ../shared/eval, for languages whose functions
are documented by a comment *before* them: Java (Javadoc), C (the Linux kernel's
kernel-doc), Go and Rust (doc comments), Ruby (RDoc comments), JavaScript (JSDoc) and PHP
(PHPDoc). Same method and output format as ../shared/eval/make_docstring_eval.py, so
../shared/eval/score.py scores it: the first sentence of the comment is the query, the
function (declaration to closing brace) is the answer, and the comment is blanked out of
the corpus (its lines kept empty, so line numbers stay true).

  make_doc_eval.py --lang java|c|go|ruby|javascript|php|rust --src DIR --out OUT [--max 1000] [--seed 7]

bench/eval.sh java|c|go|ruby makes the corpora (OpenJDK 17 java.base, part of linux-source-6.1,
Go 1.19's standard library, Ruby 3.1's standard library).
"""
import argparse, json, os, random, re, sys

EXT = {"java": (".java",), "c": (".c",), "go": (".go",), "ruby": (".rb",), "javascript": (".js",), "php": (".php",), "rust": (".rs",)}
SKIP_DIRS = {"test", "tests", "testing", "selftests", "Documentation", "samples", "testdata", "vendor"}


def first_sentence(text):
    text = " ".join(text.split())
    m = re.search(r"\.(\s|$)", text)
    if m:
        text = text[:m.start()]
    return text.strip()


def javadoc_query(body):
    text = []
    for ln in body:
        if re.match(r"\s*@\w+", ln):  # block tags end the description
            break
        text.append(ln)
    s = " ".join(text)
    s = re.sub(r"\{@(?:code|literal)\s+([^}]*)\}", r"\1", s)
    s = re.sub(r"\{@(?:link|linkplain)\s+([^}\s]*)(?:\s+([^}]*))?\}",
               lambda m: m.group(2) or m.group(1).split("#")[-1].split("(")[0], s)
    s = re.sub(r"\{@\w+[^}]*\}", "", s)
    s = re.sub(r"<[^>]+>", " ", s)
    s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return first_sentence(s)


def kerneldoc_query(body):
    if not body:
        return ""
    m = re.match(r"\s*[\w.]+(?:\(\))?\s+-\s+(.*)", body[0])
    if not m:
        return ""
    text = [m.group(1)]
    for ln in body[1:]:
        if not ln.strip() or re.match(r"\s*@\w+\s*:", ln) or re.match(r"\s*\w[\w ]*:\s*$", ln):
            break
        text.append(ln)
    return first_sentence(" ".join(text))


def strip_code(line):
    """The line without string/char literals and // comments (for brace counting)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])*'", "''", line)
    return line.split("//")[0]


def function_after(lines, i, lang):
    """(start, end, name) of a function whose declaration starts at or after line i (0-based),
    or None: annotations are skipped; a declaration ending in ';' or a type is not one."""
    while i < len(lines) and (not lines[i].strip() or (lang != "c" and lines[i].strip().startswith(("@", "#[")))):
        if not lines[i].strip() and lang != "c":
            return None
        i += 1
    start = i
    decl = ""
    j = i
    while j < len(lines) and j < start + 12:
        code = strip_code(lines[j])
        code = re.sub(r"/\*.*?\*/", "", code)
        decl += " " + code
        if "{" in code or ";" in code:
            break
        j += 1
    else:
        return None
    head = decl.split("{")[0]
    if ";" in head or "(" not in head or "#" in head.split("(")[0]:
        return None
    if re.search(r"\b(class|interface|enum|record|struct|union)\b[^(]*$", head.split("(")[0]):
        return None
    if re.search(r"=\s*$", head.split("(")[0].strip()) or "=" in head.split("(")[0]:
        return None
    name = re.findall(r"([A-Za-z_]\w*)\s*(?:<[^()]*>)?\s*\($", head.split("(")[0].rstrip() + "(")
    if not name:
        return None
    end = closing_brace(lines, j)
    return None if end is None else (start, end, name[0])


def closing_brace(lines, j):
    """The line of the brace that closes the first "{" on or after line j (strings, chars
    and comments skipped), or None."""
    depth = 0
    seen = False
    k = j
    block = False
    while k < len(lines):
        code = strip_code(lines[k])
        if block:
            if "*/" not in code:
                k += 1
                continue
            code = code.split("*/", 1)[1]
            block = False
        code = re.sub(r"/\*.*?\*/", "", code)
        if "/*" in code:
            code = code.split("/*")[0]
            block = True
        if k == j:
            code = code[code.index("{"):] if "{" in code else code
        for ch in code:
            if ch == "{":
                depth += 1
                seen = True
            elif ch == "}":
                depth -= 1
                if seen and depth == 0:
                    return k
        k += 1
    return None


def line_comment_query(body, name):
    """Go / Ruby: the comment's first paragraph; Go's convention of starting with the
    function's own name ("Reader reads ...") is dropped, or the query would hold the answer."""
    text = []
    for ln in body:
        ln = ln.strip().lstrip("#").strip()
        if not ln or ln.startswith("@"):  # a blank line or a YARD tag ends it
            break
        text.append(ln)
    q = first_sentence(" ".join(text))
    words = q.split()
    if words and words[0] in (name, name + "()"):
        q = " ".join(words[1:])
        q = q[:1].upper() + q[1:]
    return q


def go_function(lines, i):
    """(start, end, name) of `func ...` at line i, ended by the brace that closes it."""
    m = re.match(r"func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)\s*[\[(]", lines[i])
    if not m:
        return None
    end = closing_brace(lines, i)
    return None if end is None else (i, end, m.group(1))


def rust_function(lines, i):
    """(start, end, name) of `[pub[(..)]] [const] [async] [unsafe] [extern ".."] fn name` at
    line i, ended by the brace that closes it (a declaration ending in ';' is not one)."""
    m = re.match(r'\s*(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|default)\s+)*(?:extern\s+"[^"]*"\s+)?fn\s+([A-Za-z_]\w*)', lines[i])
    if not m:
        return None
    for k in range(i, min(len(lines), i + 12)):
        code = strip_code(lines[k])
        if "{" in code:
            break
        if code.rstrip().endswith(";"):
            return None
    end = closing_brace(lines, i)
    return None if end is None else (i, end, m.group(1))


def ruby_function(lines, i):
    """(start, end, name) of `def name` at line i, ended by the `end` at its indentation."""
    m = re.match(r"(\s*)def\s+(?:self\.)?([A-Za-z_]\w*[?!=]?)", lines[i])
    if not m or re.search(r"\bend\s*$", lines[i]) or re.search(r"\)\s*=", lines[i]):
        return None
    indent = m.group(1)
    for k in range(i + 1, min(len(lines), i + 400)):
        if re.match(re.escape(indent) + r"end\b", lines[k]):
            return i, k, m.group(2)
        if lines[k].strip() and not lines[k].startswith(indent):
            return None
    return None


def line_comment_candidates(lines, lang):
    marker = {"go": "//", "rust": "///"}.get(lang, "#")
    out = []
    i = 0
    while i < len(lines):
        if lang == "go":
            fn = go_function(lines, i)
        elif lang == "rust":
            fn = rust_function(lines, i)
        else:
            fn = ruby_function(lines, i) if re.match(r"\s*def\s", lines[i]) else None
        if fn is None:
            i += 1
            continue
        d1 = i - 1
        d0 = i
        while d0 - 1 >= 0 and (lines[d0 - 1].strip().startswith(marker) or
                               (lang == "rust" and lines[d0 - 1].strip().startswith("#["))):
            if lines[d0 - 1].strip().startswith(marker + "!") or (lang == "rust" and lines[d0 - 1].strip().startswith("////")):
                break
            d0 -= 1
        i += 1
        if lang == "rust":
            # Attributes between the comment and the function stay in the corpus.
            while d0 <= d1 and lines[d1].strip().startswith("#["):
                d1 -= 1
            if any(lines[k].strip().startswith("#[") for k in range(d0, d1 + 1)):
                continue
        if d0 > d1:
            continue
        body = [re.sub(r"^\s*" + re.escape(marker) + r" ?", "", ln) for ln in lines[d0:d1 + 1]]
        if any(re.match(r".*(go:|\+build|frozen_string_literal|:nodoc:|-\*-)", b) for b in body):
            continue
        out.append((fn, d0, d1, line_comment_query(body, fn[2])))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lang", choices=sorted(EXT), required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    candidates, files = [], {}
    for root, dirs, names in os.walk(a.src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for n in sorted(names):
            if not n.endswith(EXT[a.lang]):
                continue
            full = os.path.join(root, n)
            rel = os.path.relpath(full, a.src)
            try:
                text = open(full, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            lines = text.split("\n")
            files[rel] = lines
            if a.lang in ("go", "ruby", "rust"):
                if a.lang == "go" and n.endswith("_test.go"):
                    continue
                for (s, e, name), d0, d1, q in line_comment_candidates(lines, a.lang):
                    span = e - s + 1
                    if not 4 <= len(q.split()) <= 40 or span < 4 or span > 200:
                        continue
                    candidates.append({"query": q, "path": rel, "start_line": s + 1, "end_line": e + 1,
                                       "symbol": name, "_doc": (d0 + 1, d1 + 1)})
                continue
            i = 0
            while i < len(lines):
                if not lines[i].lstrip().startswith("/**") or "*/" in lines[i].split("/**", 1)[1]:
                    i += 1
                    continue
                d0 = i
                while i < len(lines) and "*/" not in lines[i]:
                    i += 1
                if i >= len(lines):
                    break
                d1 = i
                i += 1
                if lines[d1].split("*/", 1)[1].strip():
                    continue
                body = [re.sub(r"^\s*(/\*\*|\*/|\*)?", "", ln) for ln in lines[d0:d1 + 1]]
                body = [ln.replace("*/", "") for ln in body]
                while body and not body[0].strip():
                    body.pop(0)
                q = kerneldoc_query(body) if a.lang == "c" else javadoc_query(body)
                if not 4 <= len(q.split()) <= 40:
                    continue
                fn = function_after(lines, d1 + 1, a.lang)
                if fn is None:
                    continue
                s, e, name = fn
                span = e - s + 1
                if span < 4 or span > 200:  # at least 3 lines of code with the closing brace
                    continue
                candidates.append({"query": q, "path": rel, "start_line": s + 1, "end_line": e + 1,
                                   "symbol": name, "_doc": (d0 + 1, d1 + 1)})

    counts = {}
    for c in candidates:
        counts[c["query"].lower()] = counts.get(c["query"].lower(), 0) + 1
    unique = [c for c in candidates if counts[c["query"].lower()] == 1]
    random.Random(a.seed).shuffle(unique)
    chosen = sorted(unique[: a.max], key=lambda c: (c["path"], c["start_line"]))

    blank = {}
    for c in chosen:
        blank.setdefault(c["path"], []).append(c.pop("_doc"))
    corpus = os.path.join(a.out, "corpus")
    for rel, lines in files.items():
        out_lines = list(lines)
        for d0, d1 in blank.get(rel, []):
            for i in range(d0 - 1, d1):
                out_lines[i] = ""
        dst = os.path.join(corpus, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8") as f:
            f.write("\n".join(out_lines))
    with open(os.path.join(a.out, "queries.jsonl"), "w", encoding="utf-8") as f:
        for i, c in enumerate(chosen):
            f.write(json.dumps({"id": i, **c}) + "\n")
    print(f"{len(files)} files, {len(candidates)} candidates, {len(chosen)} queries -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
