// A small syntax highlighter: comments, strings, numbers and keywords, by language
// family, enough to read a snippet at a glance. It builds DOM nodes (text nodes inside
// <span>s): code from the repository is never parsed as markup.

const kw = (s) => new Set(s.split(" "));
const C_LIKE = kw("auto bool break case catch char class const constexpr continue default delete do double else enum explicit extern false final float for friend goto if inline int long namespace new noexcept nullptr operator override private protected public return short signed sizeof static struct switch template this throw true try typedef typename union unsigned using virtual void volatile while");
const FAMILIES = {
  c: { line: "//", block: ["/*", "*/"], quotes: "\"'", words: C_LIKE },
  js: { line: "//", block: ["/*", "*/"], quotes: "\"'`", words: kw("async await break case catch class const continue debugger default delete do else export extends false finally for from function if import in instanceof interface let new null of return static super switch this throw true try type typeof undefined var void while yield") },
  java: { line: "//", block: ["/*", "*/"], quotes: "\"'", words: kw("abstract boolean break byte case catch char class const continue default do double else enum extends final finally float for if implements import instanceof int interface long new null package private protected public return short static super switch synchronized this throw throws true false try void volatile while fun val var when object data sealed") },
  go: { line: "//", block: ["/*", "*/"], quotes: "\"'`", words: kw("break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false") },
  rust: { line: "//", block: ["/*", "*/"], quotes: "\"", words: kw("as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while") },
  py: { line: "#", block: null, quotes: "\"'", triple: true, words: kw("and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield self") },
  sh: { line: "#", block: null, quotes: "\"'", words: kw("if then else elif fi for in do done while until case esac function return local export set") },
  ruby: { line: "#", block: null, quotes: "\"'", words: kw("begin class def do else elsif end ensure false if module nil not rescue return self then true unless until when while yield require") },
  sql: { line: "--", block: ["/*", "*/"], quotes: "'\"", words: kw("select from where and or not insert into values update set delete create table index join left right inner outer on group by order having limit as null is in") },
  plain: { line: null, block: null, quotes: "", words: new Set() },
};
const LANGUAGE_FAMILY = {
  c: "c", cpp: "c", "c++": "c", csharp: "c", c_sharp: "c", objc: "c", cuda: "c",
  javascript: "js", typescript: "js", tsx: "js", jsx: "js",
  java: "java", kotlin: "java", scala: "java", swift: "java", php: "java", dart: "java",
  go: "go", rust: "rust", python: "py", bash: "sh", shell: "sh", yaml: "sh", toml: "sh", ruby: "ruby", sql: "sql", lua: "sql", haskell: "sql", css: "js", json: "js",
};

export function familyOf(language) {
  return FAMILIES[LANGUAGE_FAMILY[(language || "").toLowerCase()] || "plain"];
}

// Splits code into [class, text] tokens; class is "" for plain text.
export function tokenize(code, language) {
  const f = familyOf(language);
  const out = [];
  let i = 0;
  let plain = "";
  const push = (cls, text) => {
    if (plain) out.push(["", plain]);
    plain = "";
    out.push([cls, text]);
  };
  while (i < code.length) {
    const ch = code[i];
    if (f.line && code.startsWith(f.line, i)) {
      let end = code.indexOf("\n", i);
      if (end < 0) end = code.length;
      push("tok-comment", code.slice(i, end));
      i = end;
    } else if (f.block && code.startsWith(f.block[0], i)) {
      let end = code.indexOf(f.block[1], i + f.block[0].length);
      end = end < 0 ? code.length : end + f.block[1].length;
      push("tok-comment", code.slice(i, end));
      i = end;
    } else if (f.triple && (code.startsWith('"""', i) || code.startsWith("'''", i))) {
      let end = code.indexOf(code.slice(i, i + 3), i + 3);
      end = end < 0 ? code.length : end + 3;
      push("tok-string", code.slice(i, end));
      i = end;
    } else if (f.quotes.includes(ch)) {
      let j = i + 1;
      while (j < code.length && code[j] !== ch && (ch === "`" || code[j] !== "\n")) j += code[j] === "\\" ? 2 : 1;
      j = Math.min(j + 1, code.length);
      push("tok-string", code.slice(i, j));
      i = j;
    } else if (/[0-9]/.test(ch) && !/[\w$]/.test(code[i - 1] || "")) {
      const m = /^(0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]+)?([eE][+-]?[0-9]+)?)/.exec(code.slice(i, i + 64));
      push("tok-number", m[0]);
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(ch)) {
      let j = i + 1;
      while (j < code.length && /[\w$]/.test(code[j])) j++;
      const word = code.slice(i, j);
      if (f.words.has(word)) push("tok-keyword", word);
      else plain += word;
      i = j;
    } else {
      plain += ch;
      i++;
    }
  }
  if (plain) out.push(["", plain]);
  return out;
}

// A regular expression matching any of the query's words (case-insensitive), or null.
export function termPattern(query) {
  const terms = [...new Set((query || "").toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) || [])];
  if (!terms.length) return null;
  terms.sort((a, b) => b.length - a.length);
  return new RegExp(terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "giu");
}

// Appends `text` to `parent`, wrapping the query's terms in <mark>.
export function appendMarked(parent, text, pattern) {
  if (!pattern) {
    parent.append(text);
    return;
  }
  let last = 0;
  pattern.lastIndex = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    const mark = document.createElement("mark");
    mark.textContent = m[0];
    parent.append(mark);
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

// Highlighted lines: an array of DocumentFragments, one per line of `code`.
export function highlightLines(code, language, pattern) {
  const lines = [document.createDocumentFragment()];
  for (const [cls, text] of tokenize(code, language)) {
    const parts = text.split("\n");
    parts.forEach((part, n) => {
      if (n > 0) lines.push(document.createDocumentFragment());
      if (!part) return;
      const target = lines[lines.length - 1];
      if (cls) {
        const span = document.createElement("span");
        span.className = cls;
        appendMarked(span, part, pattern);
        target.append(span);
      } else {
        appendMarked(target, part, pattern);
      }
    });
  }
  if (code.endsWith("\n")) lines.pop();
  return lines;
}
