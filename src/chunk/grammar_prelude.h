/* Force-included before a grammar's parser.c (see CMakeLists.txt), for grammars whose
 * generated lexer tests characters with set_contains(): a binary search over a sorted
 * range table. Identifier tables hold ~800 ranges (all of Unicode's XID classes), so
 * every byte of every identifier cost ~10 unpredictable branches: 9% of parsing C.
 * Source code is mostly ASCII, and the ASCII part of a table is its first few ranges:
 * a short scan answers those, the generated binary search the rest. Same answers.
 *
 * How: the grammar's own header is included here with set_contains renamed, which sets
 * its include guard (parser.c's #include then does nothing); then set_contains is
 * defined again, calling the renamed original. */
#ifndef TRAWL_GRAMMAR_PRELUDE_H_
#define TRAWL_GRAMMAR_PRELUDE_H_

#define set_contains trawl_generated_set_contains
#include "tree_sitter/parser.h"
#undef set_contains

static inline bool set_contains(const TSCharacterRange *ranges, uint32_t len, int32_t lookahead) {
  if (lookahead < 128) {
    for (uint32_t i = 0; i < len && ranges[i].start <= lookahead; i++) {
      if (lookahead <= ranges[i].end) return true;
    }
    return false;
  }
  return trawl_generated_set_contains(ranges, len, lookahead);
}

#endif  // TRAWL_GRAMMAR_PRELUDE_H_
