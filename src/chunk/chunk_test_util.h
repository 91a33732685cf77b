// Internal to src/chunk's tests: reading sample files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace trawl::chunk_testing {

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
