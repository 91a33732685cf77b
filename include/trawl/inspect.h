// What trawl would index and how it cuts a file: `trawl files` and `trawl chunk`.
// Thread-safety: reentrant functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trawl/chunk.h"
#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

struct FileListing {
  std::string path;      // relative to the root, '/' separators; a skipped directory ends in '/'
  std::string path_hex;  // the path's bytes in hex when they are not UTF-8 (JSON shows `path` with U+FFFD)
  std::string status;    // "index" or "skip"
  std::string reason;    // for skips: "ignored: ...", "binary", "too_large: ...", ...
  std::string language;
  uint64_t size = 0;
};

// The files under options.root and, when `include_skipped`, those skipped and why.
Result<std::vector<FileListing>> ListFiles(const Options& options, bool include_skipped);

// A chunk of `trawl chunk`: what the indexer would store for it.
struct ChunkListing : ChunkSpan {
  std::string language;
};

struct ChunkFileResult {
  std::string language;
  std::vector<ChunkListing> chunks;
  std::vector<std::string> notes;  // encoding or parse notes ("CRLF line ends", "parse timeout: ...")
};

// Chunks one file as the indexer would. `language` "" = detect from the name and head.
Result<ChunkFileResult> ChunkFile(const Options& options, const std::string& path,
                                  const std::string& language = "");

}  // namespace trawl
