// A chunk's span of its file: where it lies, what it is and its text, the part that every
// chunk type shares (the chunker's Chunk, the store's ChunkRecord and ChunkView,
// ChunkListing, SearchResult). Each derives from it, so `c.kind` reads the same on all of
// them and one assignment of span() carries the shared part from one to another.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

namespace trawl {

struct ChunkSpan {
  int start_line = 0;  // 1-based, inclusive
  int end_line = 0;
  uint32_t start_byte = 0;  // byte range in the (normalised, UTF-8) file text
  uint32_t end_byte = 0;
  std::string kind;      // "function", "method", "class", "struct", "interface", "enum",
                         // "trait", "impl", "record", "namespace", "module", "type",
                         // "imports", "block" (other code), "section" (markdown), "window"
  // Qualified: "Class.method", "ns::Type::fn"; may be empty. A piece of a definition
  // split for size carries the definition's symbol. When small definitions were
  // merged into one chunk, the largest of them names it.
  std::string symbol;
  std::string content;   // the chunk's source text
  // What a reader needs to understand it out of place: "path/to/file.py > class Foo"
  // (file path and enclosing definitions). Indexed with the chunk, not part of content.
  std::string context;

  // The shared part of a derived chunk, to copy or move it whole into another:
  // `ChunkRecord r{std::move(chunk.span())}`.
  ChunkSpan& span() { return *this; }
  const ChunkSpan& span() const { return *this; }
};

}  // namespace trawl
