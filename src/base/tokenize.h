// Code-aware tokenisation shared by the lexical index, the query parser and the
// built-in embedder, so both sides of every comparison see the same terms.
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trawl {

// Splits an identifier at '_', '-', camelCase humps, acronym ends and letter/digit
// boundaries, lower-cased: "parseHTTPResponse2" -> {"parse", "http", "response", "2"}.
std::vector<std::string> SplitIdentifier(std::string_view ident);

// Calls `emit(term, is_part)` for each term of `text`: every identifier (lower-cased,
// is_part=false) and, when it has more than one part, each of its parts (is_part=true).
// Identifiers are runs of [A-Za-z0-9_] (and non-ASCII bytes); other bytes separate. A run
// that starts with a digit is a numeric literal: one term, never split.
void ForEachCodeTerm(std::string_view text,
                     const std::function<void(std::string_view term, bool is_part)>& emit);

// The terms of ForEachCodeTerm joined by spaces: the text fed to FTS5.
std::string CodeTermsText(std::string_view text);

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
std::vector<Declaration> Declarations(std::string_view content);

}  // namespace trawl
