#include "base/tokenize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>

namespace trawl {
namespace {

// ASCII only and inline (the locale-aware <cctype> calls were a hot spot): bytes
// >= 0x80 belong to identifiers and are left as they are.
constexpr bool IsUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLower(unsigned char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool IsIdentByte(unsigned char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c >= 0x80; }
char ToLower(char c) { return IsUpper(static_cast<unsigned char>(c)) ? static_cast<char>(c + ('a' - 'A')) : c; }

// Byte classes for the tokeniser's scanning loops: one table load per byte.
constexpr unsigned kIdent = 1, kNotLower = 2;  // kNotLower: an identifier byte but not a-z
constexpr auto kByteClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    auto b = static_cast<unsigned char>(c);
    if (IsIdentByte(b)) t[b] = static_cast<unsigned char>(kIdent | (IsLower(b) ? 0 : kNotLower));
  }
  return t;
}();

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

}  // namespace

namespace {

// The [begin, end) byte ranges of an identifier's parts (see SplitIdentifier).
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

}  // namespace

std::vector<std::string> SplitIdentifier(std::string_view ident) {
  std::vector<std::pair<size_t, size_t>> ranges;
  SplitRanges(ident, &ranges);
  std::vector<std::string> parts;
  parts.reserve(ranges.size());
  for (const auto& [b, e] : ranges) parts.push_back(Lower(ident.substr(b, e - b)));
  return parts;
}

void ForEachCodeTerm(std::string_view text,
                     const std::function<void(std::string_view, bool)>& emit) {
  // Hot path (every chunk is tokenised for FTS and for the embedder): no allocation
  // per identifier; the buffers are reused.
  size_t i = 0, n = text.size();
  std::string lower, joined;
  std::vector<std::pair<size_t, size_t>> ranges;
  while (i < n) {
    while (i < n && !(kByteClass[static_cast<unsigned char>(text[i])] & kIdent)) ++i;
    size_t s = i;
    unsigned seen = 0;  // the classes of the identifier's bytes (of its first 64)
    for (; i < n; ++i) {
      unsigned c = kByteClass[static_cast<unsigned char>(text[i])];
      if (!(c & kIdent)) break;
      if (i - s < 64) seen |= c;
    }
    if (i == s) break;
    std::string_view ident = text.substr(s, i - s);
    if (ident.size() > 64) ident = ident.substr(0, 64);  // base64 blobs, hashes
    // Most identifiers are lower-case words ("int", "return", "data"): one part, the
    // identifier itself.
    if (!(seen & kNotLower)) {
      emit(ident, false);
      continue;
    }
    lower.assign(ident);
    for (char& c : lower) c = ToLower(c);
    if (IsDigit(static_cast<unsigned char>(ident[0]))) {
      // A numeric literal (0x1f, 1e9, 100ul) is one term: its "parts" (0, x, 1f) would
      // match everywhere and mean nothing, and register tables are full of them.
      emit(lower, false);
      continue;
    }
    SplitRanges(ident, &ranges);
    if (ranges.empty()) continue;
    std::string_view lv(lower);
    if (ranges.size() == 1) {
      emit(lv.substr(ranges[0].first, ranges[0].second - ranges[0].first), false);
      continue;
    }
    // Strip the separators so "parse_file" and "parseFile" share the whole term.
    joined.clear();
    for (const auto& [b, e] : ranges) joined.append(lv.substr(b, e - b));
    emit(joined, false);
    for (const auto& [b, e] : ranges) emit(lv.substr(b, e - b), true);
  }
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

namespace {

bool IsWordByte(unsigned char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c == '$' || c >= 0x80; }

// Words that start a statement, not a declaration, in the common languages.
bool IsControlWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kControl = {
      "if",    "for",    "while", "elif",  "switch", "return", "with", "catch", "except", "print",
      "assert", "and",   "or",    "not",   "await",  "yield",  "else", "case",  "do",     "in",
      "throw", "raise",  "new",   "delete", "sizeof", "typeof", "go",  "defer", "echo",   "when"};
  return kControl.count(w) != 0;
}

}  // namespace

std::vector<std::string> DeclaredNames(std::string_view content) {
  std::vector<std::string> out;
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    while (!line.empty() && (blank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
    // Words separated by blanks (and "*", "&" of C types), then a word and "(".
    size_t i = 0;
    int words = 0;
    while (i < line.size()) {
      while (i < line.size() && (blank(line[i]) || line[i] == '*' || line[i] == '&')) ++i;
      size_t s = i;
      while (i < line.size() && IsWordByte(static_cast<unsigned char>(line[i]))) {
        ++i;
        // A qualified name ("Store::Commit") is one word; its last part is the name.
        if (i + 2 < line.size() && line[i] == ':' && line[i + 1] == ':' &&
            IsWordByte(static_cast<unsigned char>(line[i + 2]))) {
          i += 2;
          s = i;
        }
      }
      if (i == s) break;  // not a word: the line is not a declaration
      std::string_view word = line.substr(s, i - s);
      if (words == 0 && IsControlWord(word)) break;
      size_t j = i;
      while (j < line.size() && blank(line[j])) ++j;
      if (j < line.size() && line[j] == '(') {
        if (IsDigit(static_cast<unsigned char>(word[0]))) break;
        if (words > 0) {
          out.emplace_back(word);
          break;
        }
        // First word then "(": a Go receiver or Rust visibility ("func (s *S) Name(",
        // "pub(crate) fn name(") when words follow the group; a method without a
        // keyword ("  removeFilter(f) {") when the line opens a block; else a call.
        size_t k = j;
        int depth = 0;
        for (; k < line.size(); ++k) {
          if (line[k] == '(') ++depth;
          if (line[k] == ')' && --depth == 0) break;
        }
        if (k >= line.size()) break;
        size_t after = k + 1;
        while (after < line.size() && blank(line[after])) ++after;
        if (after > k + 1 && after < line.size() && IsWordByte(static_cast<unsigned char>(line[after]))) {
          i = after;
          words = 1;
          continue;
        }
        if (line.back() == '{' && line.find('=') == std::string_view::npos && word != "function" &&
            word != "func" && word != "fn") {
          out.emplace_back(word);
        }
        break;
      }
      if (i < line.size() && !(blank(line[i]) || line[i] == '*' || line[i] == '&')) break;
      ++words;
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
