// Internal to src/chunk: the brace skeleton of a C, C++, Java, Go, Rust, JavaScript or
// TypeScript file. Most of such a file's bytes are the insides of { } pairs (function
// bodies, initialisers, struct members), and most of those belong to definitions small
// enough to be one chunk whole: the chunker needs their extent, not their inside. The
// syntax chunker parses the file with the outermost interiors that fit in a chunk left
// out (tree-sitter's included ranges) and parses an item in full only when it has to
// split it (skeleton_parse.h).
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "chunk/text_index.h"

namespace trawl::chunk_internal {

enum class BraceDialect { kC, kCpp, kJava, kGo, kRust, kJavaScript, kTypeScript, kPhp };

// Appends to `out` the interiors [after '{', at the matching '}') of the brace pairs of
// the source `text` (nested ones too) whose interiors are at least `min_bytes` long, in
// order of their '{'. Comments, string and character literals (C++ raw strings, Java
// text blocks, Go raw strings, Rust raw strings and nested comments, JavaScript
// template literals and regular expressions; PHP's strings over lines with their {$...}
// interpolations, heredocs and nowdocs, # comments) and C/C++ preprocessor lines are
// skipped.
// The braces of C++'s `namespace N {`, `extern "C" {`, of Java's and JavaScript's
// classes (and interfaces, TypeScript namespaces), of PHP's namespaces, classes,
// interfaces, traits and enums, and of Rust's impl, trait and mod blocks are
// transparent: not a pair; what they hold is top level. A pair whose inside
// does not hold whole preprocessor conditionals (`#if` without its `#endif`, or an
// `#else` of a conditional around it) is not listed.
// Returns false (and leaves `out` in an unspecified state) when the braces cannot be
// told for sure: unbalanced, a top-level pair opened in one branch of a preprocessor
// conditional and closed in another or outside it, an unterminated literal or comment,
// a PHP file that does not open with `<?php` or holds `?>` (a template). The file is
// then parsed whole.
bool BraceInteriors(std::string_view text, BraceDialect dialect, uint32_t min_bytes,
                            std::vector<ByteRange>* out);

}  // namespace trawl::chunk_internal
