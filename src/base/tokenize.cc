#include "base/tokenize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>

namespace trawl {
namespace {

using tokenize_internal::IsDigit;
using tokenize_internal::IsLower;
using tokenize_internal::IsUpper;
using tokenize_internal::ToLower;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

}  // namespace

namespace tokenize_internal {

void SplitRanges(std::string_view ident, std::vector<std::pair<size_t, size_t>>* out) {
  out->clear();
  size_t n = ident.size();
  size_t start = 0;
  auto flush = [&](size_t end) {
    if (end > start) out->emplace_back(start, end);
    start = end;
  };
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = ident[i];
    if (c == '_' || c == '-' || c == '$') {
      flush(i);
      start = i + 1;
      continue;
    }
    if (i == start) continue;
    unsigned char p = ident[i - 1];
    bool boundary = false;
    if (IsUpper(c) && IsLower(p)) boundary = true;                 // fooBar
    if (IsDigit(c) != IsDigit(p) && (IsDigit(c) || IsDigit(p))) {  // utf8 / v2
      boundary = !(c >= 0x80 || p >= 0x80);
    }
    if (IsUpper(c) && IsUpper(p) && i + 1 < n && IsLower(static_cast<unsigned char>(ident[i + 1])))
      boundary = true;  // HTTPResponse -> HTTP | Response
    if (boundary) flush(i);
  }
  flush(n);
}

}  // namespace tokenize_internal

std::vector<std::string> SplitIdentifier(std::string_view ident) {
  std::vector<std::pair<size_t, size_t>> ranges;
  tokenize_internal::SplitRanges(ident, &ranges);
  std::vector<std::string> parts;
  parts.reserve(ranges.size());
  for (const auto& [b, e] : ranges) parts.push_back(Lower(ident.substr(b, e - b)));
  return parts;
}

std::string CodeTermsText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  ForEachCodeTerm(text, [&](std::string_view t, bool) {
    if (!out.empty()) out += ' ';
    out.append(t);
  });
  return out;
}

std::string PartTermsText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // A whole identifier waits for what follows it: dropped if its parts come next.
  std::string pending;
  bool has_pending = false;
  auto put = [&](std::string_view t) {
    if (!out.empty()) out += ' ';
    out.append(t);
  };
  ForEachCodeTerm(text, [&](std::string_view t, bool is_part) {
    if (is_part) {
      has_pending = false;
      put(t);
      return;
    }
    if (has_pending) put(pending);
    pending.assign(t);
    has_pending = true;
  });
  if (has_pending) put(pending);
  return out;
}

std::vector<IndexedTerm> IndexedQueryTerms(std::string_view query) {
  std::vector<IndexedTerm> out;
  size_t whole = 0;      // the last whole identifier, whose parts may follow
  size_t parts = 0;      // how many of its parts came
  ForEachCodeTerm(query, [&](std::string_view t, bool is_part) {
    if (!is_part) {
      whole = out.size();
      parts = 0;
    } else {
      // The first part replaces the whole term's indexed form; the next extend it.
      std::string& phrase = out[whole].indexed;
      if (parts++ == 0) {
        phrase.assign(t);
      } else {
        phrase += ' ';
        phrase.append(t);
      }
    }
    out.push_back({std::string(t), std::string(t)});
  });
  return out;
}

namespace {

bool IsWordByte(unsigned char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c == '$' || c >= 0x80; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Keywords are short lower-case words: most identifiers are not, and need no look-up.
bool MayBeKeyword(std::string_view w) { return w.size() >= 2 && w.size() <= 8 && IsLower(static_cast<unsigned char>(w[0])); }

// Words that start a statement, not a declaration, in the common languages.
bool IsControlWord(std::string_view w) {
  if (!MayBeKeyword(w)) return false;
  static const std::unordered_set<std::string_view> kControl = {
      "if",    "for",    "while", "elif",  "switch", "return", "with", "catch", "except", "print",
      "assert", "and",   "or",    "not",   "await",  "yield",  "else", "case",  "do",     "in",
      "throw", "raise",  "new",   "delete", "sizeof", "typeof", "go",  "defer", "echo",   "when"};
  return kControl.count(w) != 0;
}

// Statements made of words only, which are not a declaration's type ("import os").
bool IsStatementWord(std::string_view w) {
  if (!MayBeKeyword(w)) return false;
  static const std::unordered_set<std::string_view> kStatement = {
      "import", "from", "package", "using", "del", "global", "nonlocal", "pass", "break",
      "continue", "goto", "end", "use", "require", "include", "module", "namespace"};
  return kStatement.count(w) != 0;
}

// Keywords after which the next word is the name being declared, with or without
// parentheses: "def to_s", "def self.build", "sub handler {", "fn main".
bool IsDefiner(std::string_view w) {
  return w == "def" || w == "sub" || w == "fn" || w == "func" || w == "fun" || w == "function";
}

// Keywords that start a variable declaration whose value may be a function
// ("const parse = (s) => {", "export const load = async function (").
bool IsBinder(std::string_view w) {
  return w == "const" || w == "let" || w == "var" || w == "export" || w == "public" || w == "private" ||
         w == "protected" || w == "static" || w == "readonly";
}

// Skips a balanced group opened by line[i] (one of "(<[") on this line; returns the
// index after its closing byte, or npos when it does not close here.
size_t SkipGroup(std::string_view line, size_t i) {
  char open = line[i];
  char close = open == '(' ? ')' : open == '<' ? '>' : ']';
  int depth = 0;
  for (size_t start = i; i < line.size(); ++i) {
    char c = line[i];
    // "->" inside type arguments is an arrow ("F: Fn(T) -> U"), not a closing bracket.
    if (open == '<' && c == '>' && i > start && line[i - 1] == '-') continue;
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    // A type argument list holds names, commas, nested types, bounds and bindings
    // ("Item = (K, V)", "FnMut(T)"), never statements.
    if (open == '<' && (c == ';' || c == '{' || c == '}' || c == '|' || (c == '&' && i + 1 < line.size() && line[i + 1] == '&'))) {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

// A value that is a function: "(a, b) => ...", "async (x) => {", "x => x + 1",
// "function (", "async function* (".
bool IsFunctionValue(std::string_view v) {
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < v.size() && IsBlank(v[i])) ++i;
  };
  skip_blanks();
  if (v.substr(i, 5) == "async" && i + 5 < v.size() && !IsWordByte(static_cast<unsigned char>(v[i + 5]))) {
    i += 5;
    skip_blanks();
  }
  if (v.substr(i, 8) == "function" && (i + 8 == v.size() || !IsWordByte(static_cast<unsigned char>(v[i + 8])))) {
    return true;
  }
  size_t after;
  if (i < v.size() && v[i] == '(') {
    after = SkipGroup(v, i);
    if (after == std::string_view::npos) return false;
  } else {
    after = i;
    while (after < v.size() && IsWordByte(static_cast<unsigned char>(v[after]))) ++after;
    if (after == i) return false;
  }
  // An arrow after the parameters (a TypeScript return type may come between).
  size_t arrow = v.find("=>", after);
  return arrow != std::string_view::npos && v.substr(after, arrow - after).find_first_of("=;{}") == std::string_view::npos;
}

// A name declared on a line and where its parameter list opens (npos: none).
struct LineDeclaration {
  std::string_view name;
  size_t paren;
};

// The names `line` declares (at most one), appended to `out`. `after_type_line`: the
// line before held only a type ("static int", "void __iomem *"), so a name and "(" at
// the start of this line is a definition in the GNU style. Returns whether this line is
// such a type line itself.
bool ScanDeclarationLine(std::string_view line, bool after_type_line, DeclarationReading reading,
                         std::vector<LineDeclaration>* out) {
  auto separator = [](char c) { return IsBlank(c) || c == '*' || c == '&'; };
  size_t i = 0;
  int words = 0;
  std::string_view first;
  while (true) {
    while (i < line.size() && separator(line[i])) ++i;
    if (i == line.size()) {
      // Only words, from the first column: the type of a definition whose name starts the
      // next line.
      return words > 0 && !IsBlank(line[0]) && !IsStatementWord(first) && !IsDefiner(first);
    }
    if (line[i] == '@' && i + 1 < line.size() && IsWordByte(static_cast<unsigned char>(line[i + 1]))) {
      ++i;  // an annotation or decorator word ("@Override public int size() {")
    } else if (line[i] == '<' && words > 0) {
      // Type parameters before a return type ("public static <T> T max(").
      i = SkipGroup(line, i);
      if (i == std::string_view::npos) return false;
      continue;
    }
    size_t s = i;
    const size_t word_start = i;
    while (i < line.size() && IsWordByte(static_cast<unsigned char>(line[i]))) {
      ++i;
      // A qualified name ("Store::Commit", "Map.Entry", Ruby's "self.build") is one
      // word; its last part is the name.
      size_t sep = (i + 2 < line.size() && line[i] == ':' && line[i + 1] == ':') ? 2
                   : (i + 1 < line.size() && line[i] == '.') ? 1
                                                               : 0;
      if (sep != 0 && IsWordByte(static_cast<unsigned char>(line[i + sep]))) {
        i += sep;
        s = i;
      }
    }
    if (i == s) return false;  // not a word: the line is not a declaration
    std::string_view word = line.substr(s, i - s);
    // A control word starts a statement; later in a line it is one too ("async with
    // a.get(u)"), unless it is the name being declared ("fn new(", "void yield()").
    if (words == 0 && (IsControlWord(word) || IsStatementWord(word))) return false;
    if (words > 0 && IsControlWord(word) && !(i < line.size() && (line[i] == '(' || line[i] == '<'))) return false;
    if (words == 0) first = word;
    // Type arguments, array brackets and nullability belong to the word: "List<String>",
    // "char[]", "string?"; generic parameters after a name: "fn parse<T>(",
    // "func Map[T any](".
    while (i < line.size() && (line[i] == '<' || line[i] == '[' || line[i] == '?')) {
      if (line[i] == '?') {
        ++i;
        continue;
      }
      i = SkipGroup(line, i);
      if (i == std::string_view::npos) return false;
    }
    size_t j = i;
    while (j < line.size() && IsBlank(line[j])) ++j;
    bool definer = words == 1 && IsDefiner(first);
    if (j < line.size() && line[j] == '(') {
      if (IsDigit(static_cast<unsigned char>(word[0]))) return false;
      if (words > 0) {
        if (reading == DeclarationReading::kStrict) {
          // A type and the name it declares have a blank between them ("char **name(",
          // "int* f("); "x**f(" and "a*b(" are expressions.
          size_t b = word_start;
          bool blank = false;
          while (b > 0 && separator(line[b - 1])) {
            if (IsBlank(line[b - 1])) blank = true;
            --b;
          }
          if (!blank) return false;
        }
        out->push_back({word, j});
        return false;
      }
      if (after_type_line && !IsBlank(line[0]) && !IsDefiner(word)) {
        out->push_back({word, j});  // "int\nmain(int argc, char **argv)"
        return false;
      }
      // First word then "(": a Go receiver or Rust visibility ("func (s *S) Name(",
      // "pub(crate) fn name(") when words follow the group; a method without a
      // keyword ("  removeFilter(f) {") when the line opens a block; else a call.
      size_t after = SkipGroup(line, j);
      if (after == std::string_view::npos) return false;
      size_t k = after - 1;
      while (after < line.size() && IsBlank(line[after])) ++after;
      if (after > k + 1 && after < line.size() && IsWordByte(static_cast<unsigned char>(line[after]))) {
        i = after;
        words = 1;
        continue;
      }
      // "=" before the parameters is an assignment ("x = wrap(a) {"); inside them, a
      // default value ("show(help = true) {").
      if (line.back() == '{' && line.substr(0, j).find('=') == std::string_view::npos && !IsDefiner(word)) {
        out->push_back({word, j});
      }
      return false;
    }
    if (definer && (j == line.size() || line[j] == '{' || line[j] == ';' || line[j] == '=')) {
      out->push_back({word, std::string_view::npos});  // "def to_s", "sub handler {"
      return false;
    }
    if (words > 0 && IsBinder(first) && j < line.size() && line[j] == '=' &&
        (j + 1 == line.size() || (line[j + 1] != '=' && line[j + 1] != '>'))) {
      if (IsFunctionValue(line.substr(j + 1))) out->push_back({word, std::string_view::npos});  // "const f = (x) => {"
      return false;
    }
    if (i < line.size() && !separator(line[i])) return false;
    ++words;
  }
}

}  // namespace

std::vector<Declaration> Declarations(std::string_view content, DeclarationReading reading) {
  std::vector<Declaration> out;
  std::vector<LineDeclaration> found;
  size_t pos = 0;
  bool type_line = false;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    size_t line_start = pos;
    pos = eol + 1;
    while (!line.empty() && (IsBlank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
    found.clear();
    type_line = !line.empty() && ScanDeclarationLine(line, type_line, reading, &found);
    for (const LineDeclaration& d : found) {
      // The signature runs to the end of the line where the parameter list closes
      // (parameters may continue over a few lines), else to the end of this line.
      size_t end = line_start + line.size();
      if (d.paren != std::string_view::npos) {
        int depth = 0;
        int lines = 0;
        for (size_t k = line_start + d.paren; k < content.size() && lines <= 8; ++k) {
          char c = content[k];
          if (c == '\n') ++lines;
          if (c == '(') ++depth;
          if (c == ')' && --depth == 0) {
            size_t e = content.find('\n', k);
            end = std::max(end, e == std::string_view::npos ? content.size() : e);
            break;
          }
        }
      }
      out.push_back({d.name, content.substr(line_start, end - line_start)});
    }
  }
  return out;
}

namespace {

// A term of at most 8 bytes as a number (bytes in order, zero-padded): compared in
// one instruction.
constexpr uint64_t Pack(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
  return v;
}

}  // namespace

bool IsStopTerm(std::string_view term) {
  // Every term of every chunk passes here in the embedder: by length, then packed
  // comparisons; no hashing, no string compares.
  static constexpr uint64_t k1[] = {Pack("a"), Pack("s")};
  static constexpr uint64_t k2[] = {Pack("an"), Pack("as"), Pack("at"), Pack("be"), Pack("by"), Pack("if"),
                                    Pack("in"), Pack("is"), Pack("it"), Pack("no"), Pack("of"), Pack("on"),
                                    Pack("or"), Pack("to")};
  static constexpr uint64_t k3[] = {Pack("and"), Pack("are"), Pack("def"), Pack("for"), Pack("int"),
                                    Pack("its"), Pack("let"), Pack("not"), Pack("the"), Pack("var")};
  static constexpr uint64_t k4[] = {Pack("from"), Pack("none"), Pack("self"), Pack("that"),
                                    Pack("this"), Pack("true"), Pack("void"), Pack("with")};
  static constexpr uint64_t k5[] = {Pack("const"), Pack("false"), Pack("which")};
  static constexpr uint64_t k6[] = {Pack("return")};
  static constexpr uint64_t k7[] = {Pack("returns")};
  auto any = [](uint64_t v, const auto& list) {
    bool hit = false;
    for (uint64_t k : list) hit |= v == k;
    return hit;
  };
  if (term.size() > 7) return false;
  uint64_t v = Pack(term);
  switch (term.size()) {
    case 1: return any(v, k1);
    case 2: return any(v, k2);
    case 3: return any(v, k3);
    case 4: return any(v, k4);
    case 5: return any(v, k5);
    case 6: return any(v, k6);
    case 7: return any(v, k7);
    default: return false;
  }
}

std::string StemTerm(std::string_view term) {
  std::string s;
  StemTermInto(term, &s);
  return s;
}

void StemTermInto(std::string_view term, std::string* out) {
  std::string& s = *out;
  s.assign(term);
  auto ends = [&](std::string_view suf) {
    return s.size() > suf.size() + 2 && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends("ies")) {
    s.resize(s.size() - 3);
    s += 'y';
  } else if (ends("sses")) {
    s.resize(s.size() - 2);
  } else if (ends("ing")) {
    s.resize(s.size() - 3);
  } else if (ends("ed")) {
    s.resize(s.size() - 2);
  } else if (ends("es") && (s[s.size() - 3] == 's' || s[s.size() - 3] == 'x' || s[s.size() - 3] == 'h')) {
    s.resize(s.size() - 2);
  } else if (ends("s") && s[s.size() - 2] != 's' && s[s.size() - 2] != 'u' && s[s.size() - 2] != 'i') {
    s.resize(s.size() - 1);
  }
}

}  // namespace trawl
