// Internal to src/chunk's tests: reading sample files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "chunk/chunker.h"

namespace trawl::chunk_testing {

// Small chunks (the goldens and the split/merge cases were written for them): small test
// files still split and merge. trawl's own defaults (trawl/options.h) are larger.
inline ChunkOptions SmallChunks() {
  ChunkOptions o;
  o.max_chunk_chars = 1500;
  o.min_chunk_chars = 200;
  return o;
}

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// src/chunk/testdata: <language>/<sample> and its golden chunks.
inline std::filesystem::path TestdataDir() {
  const char* src = std::getenv("TRAWL_SOURCE_DIR");
  return std::filesystem::path(src != nullptr ? src : ".") / "src" / "chunk" / "testdata";
}

}  // namespace trawl::chunk_testing
