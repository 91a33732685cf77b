// Code-aware tokenisation shared by the lexical index, the query parser and the
// built-in embedder, so both sides of every comparison see the same terms.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ascii.h"

namespace trawl {

// Splits an identifier at '_', '-', camelCase humps, acronym ends and letter/digit
// boundaries, lower-cased: "parseHTTPResponse2" -> {"parse", "http", "response", "2"}.
std::vector<std::string> SplitIdentifier(std::string_view ident);

// Calls `emit(term, is_part)` for each term of `text`: every identifier (lower-cased,
// is_part=false) and, when it has more than one part, each of its parts (is_part=true).
// Identifiers are runs of [A-Za-z0-9_] (and non-ASCII bytes); other bytes separate. A run
// that starts with a digit is a numeric literal: one term, never split.
// A template so that the callback inlines: every chunk is tokenised twice (lexical
// index, embedder), and a std::function call per term was ~1% of an indexing run.
template <typename Emit>
void ForEachCodeTerm(std::string_view text, Emit&& emit);

// The terms of ForEachCodeTerm joined by spaces: the text of the FTS5 symbol column.
std::string CodeTermsText(std::string_view text);

// The same without the whole identifiers that have parts ("parse_file", "parseFile" ->
// "parse file"): the text of the FTS5 body and path columns. There a whole identifier is
// matched as the phrase of its parts (IndexedQueryTerms); its postings were a quarter of
// the lexical index's and of the single writer's time.
std::string PartTermsText(std::string_view text);

// The terms of a query, in ForEachCodeTerm's order, each with the form the lexical index
// matches: the term itself, or for a whole identifier with several parts, its parts
// joined by spaces ("parse file" for "parse_file"), which FTS5 reads as a phrase.
struct IndexedTerm {
  std::string term;     // as ForEachCodeTerm gives it ("parsefile")
  std::string indexed;  // as the lexical index matches it ("parse file")
};
std::vector<IndexedTerm> IndexedQueryTerms(std::string_view query);

// Words that carry no meaning in code or in a question about code ("the", "of",
// "return", "self"), as terms of ForEachCodeTerm (lower case).
bool IsStopTerm(std::string_view term);

// A light English stemmer for terms of ForEachCodeTerm: plural and verb endings, so
// "returns", "returned" and "returning" meet. Deliberately conservative: identifiers
// are not English.
std::string StemTerm(std::string_view term);
// StemTerm into `out` (its buffer reused: no allocation once it is large enough).
void StemTermInto(std::string_view term, std::string* out);

// The functions a chunk of code declares, found without a parser so that it works on any
// language: on each line, an identifier followed by "(" that only words (keywords,
// modifiers, types with their type arguments) precede: "def get_dict(self):", "static int
// parse(...)", "pub fn new<T>(", "public Class<?> resolve(", "Status Store::Commit(" (the
// last part of a qualified name), "func (s *Server) Handle(" (a receiver group after the
// first word); a name and "(" starting the line after a line of only a type (GNU style);
// a line that is only a name, its parameters and "{" (a method without a keyword:
// "  render(props) {"); "const f = (x) => {"; "def to_s". Lines starting with a control
// word ("if (", "return f(") are not declarations. Heuristic: a few calls slip in.
// Each has its name and its signature: the text from the start of the declaring line to
// the end of the line where its parameter list closes ("  public final void
// setTime(Date date) {"; parameters may continue over a few lines). Views into `content`.
struct Declaration {
  std::string_view name;
  std::string_view signature;
};
// How a line reads as a declaration. kStrict also wants a blank between a type and the
// name it declares, so that "x**f(" and "a*b(" (expressions) declare nothing.
// kHashEmbedderV4 is the reading the hash embedder's vectors are made with: the vectors
// of an index stay comparable with its queries only while it does not change.
enum class DeclarationReading { kStrict, kHashEmbedderV4 };
std::vector<Declaration> Declarations(std::string_view content,
                                      DeclarationReading reading = DeclarationReading::kStrict);

namespace tokenize_internal {

using ascii::IsDigit;
using ascii::IsIdentByte;
using ascii::IsLower;
using ascii::IsUpper;
using ascii::ToLower;

// Byte classes for the tokeniser's scanning loops: one table load per byte.
inline constexpr unsigned kIdent = 1, kNotLower = 2;  // kNotLower: an identifier byte but not a-z
inline constexpr std::array<unsigned char, 256> kByteClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    auto b = static_cast<unsigned char>(c);
    if (IsIdentByte(b)) t[b] = static_cast<unsigned char>(kIdent | (IsLower(b) ? 0 : kNotLower));
  }
  return t;
}();

// The [begin, end) byte ranges of an identifier's parts (see SplitIdentifier).
void SplitRanges(std::string_view ident, std::vector<std::pair<size_t, size_t>>* out);

}  // namespace tokenize_internal

template <typename Emit>
void ForEachCodeTerm(std::string_view text, Emit&& emit) {
  using namespace tokenize_internal;
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
      emit(std::string_view(lower), false);
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
    emit(std::string_view(joined), false);
    for (const auto& [b, e] : ranges) emit(lv.substr(b, e - b), true);
  }
}

}  // namespace trawl
