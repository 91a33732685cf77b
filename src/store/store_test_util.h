// Helpers shared by the store's tests: temporary index folders and synthetic files.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/hash.h"
#include "store/embedded_store.h"

namespace trawl::store_test {

// An index's content as text, from its scan: a line per file, a line per chunk (with
// its vector's values), after a header line. What two indexes of the same content
// share; nothing of how they were made.
inline std::string ScanText(Store* store) {
  std::string out = "index\n";
  auto scan = store->Scan();
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  if (!scan.ok()) return out;
  ScannedFile sf;
  for (;;) {
    auto more = (*scan)->Next(&sf);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    const FileRecord& f = sf.file;
    out += "\"path\":\"" + f.path + "\" " + f.language + " " + std::to_string(f.size) + " " + f.content_hash +
           " " + std::string(FileStatusName(f.status)) + " " + f.error + " " + f.git_commit + "\n";
    for (const auto& c : sf.chunks) {
      out += std::to_string(c.start_line) + "-" + std::to_string(c.end_line) + " " + c.kind + " " + c.symbol + " " +
             c.content_hash + " [" + c.content + "|" + c.context + "] \"vector\":[";
      for (float x : c.vector) out += std::to_string(x) + ",";
      out += "]\n";
    }
  }
  return out;
}


class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trawl_store_XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string index() const { return path_ + "/.trawl"; }

 private:
  std::string path_;
};

inline std::vector<float> RandomVector(std::mt19937* rng, int dim) {
  std::normal_distribution<float> d(0, 1);
  std::vector<float> v(static_cast<size_t>(dim));
  double n = 0;
  for (float& x : v) {
    x = d(*rng);
    n += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

inline ChunkRecord MakeChunk(const std::string& content, std::vector<float> vec, int line = 1,
                             const std::string& symbol = "") {
  ChunkRecord c;
  c.start_line = line;
  c.end_line = line + 1;
  c.start_byte = static_cast<uint32_t>(line * 10);
  c.end_byte = static_cast<uint32_t>(line * 10 + content.size());
  c.kind = symbol.empty() ? "block" : "function";
  c.symbol = symbol;
  c.content = content;
  c.context = "";
  c.content_hash = HashHex(content);
  c.vector = std::move(vec);
  return c;
}

inline FileWrite MakeFile(const std::string& path, const std::string& language,
                          std::vector<ChunkRecord> chunks) {
  FileWrite w;
  w.file.path = path;
  w.file.language = language;
  w.file.size = 100;
  w.file.mtime_ns = 12345;
  w.file.inode = 7;
  w.file.content_hash = HashHex(path);
  w.file.status = FileStatus::kIndexed;
  w.file.git_commit = "abc123";
  w.file.git_author = "Ada";
  w.file.git_time = 1700000000;
  w.file.git_commits = 3;
  w.chunks = std::move(chunks);
  return w;
}

}  // namespace trawl::store_test
