// The chunker's options from trawl's configuration: one mapping for `trawl index` and
// `trawl chunk`, so both cut a file the same way.
#pragma once

#include "chunk/chunker.h"
#include "trawl/options.h"

namespace trawl {

inline ChunkOptions ChunkOptionsFor(const Options& options) {
  ChunkOptions c;
  c.max_chunk_chars = options.chunking.max_chunk_chars;
  c.min_chunk_chars = options.chunking.min_chunk_chars;
  c.window_lines = options.chunking.window_lines;
  c.window_overlap_lines = options.chunking.window_overlap_lines;
  c.parse_timeout_ms = options.indexing.parse_timeout_ms;
  return c;
}

}  // namespace trawl
