// Internal to src/chunk: the indentation skeleton of a Python file, the counterpart of
// brace_skeleton.h. Most of a Python file's bytes are the bodies of functions and
// classes small enough to be one chunk whole; the chunker needs their extent, not their
// inside. A body cannot simply be left out of the parse (a block needs a statement, and
// its end is where the indentation falls back), so what is left out is the body but its
// last statement: `def f(x):` then the last statement, at the indentation of the body,
// parse as the function they are, and the function ends where it really ends. The same
// holds for the body of an `if`, `for`, `try`, `else:` ... clause.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "chunk/text_index.h"

namespace trawl::chunk_internal {

// A body that a first parse can do without.
struct IndentInterior {
  // Left out: from the line after the header (`def f(x):`) to the line where the body's
  // last statement begins (its decorators, if it has any). At least `min_bytes` long.
  ByteRange left_out;
  // The end of the last statement of the body: the definition's body is
  // [left_out.begin, body_end).
  uint32_t body_end = 0;
  bool type = false;  // a class's body
  uint32_t header = 0;  // Ruby: where the `def` begins
};

// Appends to `out` the bodies of the `def`, `async def` and `class` statements of the
// Python source `text`, and those of every compound statement (and clause) inside a
// function, nested ones too, in order of their headers. Strings (prefixes,
// triple quotes, f-string replacement fields holding strings), comments, brackets and
// backslash continuations are followed to find the logical lines. A body is listed only
// when what stays is sure to parse as it does in the whole file: its last statement at
// the indentation of the body's first line (the very same whitespace), not a clause
// (`else:`, `except:` ...) of a statement left out.
// Returns false (leaving `out` unspecified) when the lines cannot be told for sure: an
// unterminated string, unbalanced brackets, inconsistent indentation (tabs against
// spaces), a form feed or vertical tab in an indentation. The file is then parsed whole.
bool IndentInteriors(std::string_view text, uint32_t min_bytes, std::vector<IndentInterior>* out);

// Ruby: appends to `out` the bodies of the methods (`def` ... `end`) of `text`, from the
// line after the header (over lines while its parentheses are open) to the line of the
// `end` that closes it. Ruby's syntax does not rest on indentation, but its code is
// indented: the `end` is taken to be the first later line holding just `end` at the
// `def`'s very indentation, with every line between indented deeper (or a `rescue`,
// `ensure` or `else` at the `def`'s), outside heredocs and =begin comments. That is a
// guess the parse must confirm: the caller checks that the skeleton parses without
// error, each method whole from its `def` to that `end`, else parses the file whole.
// `def ... end` without a body, one-line and endless methods are not listed.
void RubyMethodBodies(std::string_view text, uint32_t min_bytes, std::vector<IndentInterior>* out);

}  // namespace trawl::chunk_internal
