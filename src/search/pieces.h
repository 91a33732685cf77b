// Pieces of a definition split for size: the chunker gives each piece the definition's
// symbol, and every piece after the first has the definition itself at the end of its
// context. A search shows a definition once in its head: its further pieces come after
// every other result (its first piece found already answers for it).
// Thread-safety: pure functions.
#pragma once

#include "trawl/chunk.h"

namespace trawl {

// Whether `c` is a piece of a definition other than its first: its context holds the
// definitions around it and then the definition itself ("path > class A > def f(x):"
// for the symbol "A.f"), where a whole definition's context holds only those around it
// (so a constructor, named as its class, or an overload is never one).
bool IsFurtherPiece(const ChunkSpan& c);

}  // namespace trawl
