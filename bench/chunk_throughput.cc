// Chunking throughput on a directory tree: reads every file with a known extension into
// memory first, then times Chunker::ChunkFile alone, on one thread and on N threads (one
// Chunker each, files dealt round-robin).
// Usage: chunk_throughput DIR [--ext .py] [--threads N] [--json OUT.json]
// Prints MB/s and writes the figures as JSON so two runs can be compared.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "chunk/chunker.h"

namespace {

std::string LanguageOf(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> kByExt = {
      {".py", "python"}, {".js", "javascript"}, {".ts", "typescript"}, {".tsx", "tsx"},
      {".c", "c"},       {".h", "c"},           {".cc", "cpp"},        {".cpp", "cpp"},
      {".hpp", "cpp"},   {".go", "go"},         {".rs", "rust"},       {".java", "java"},
      {".cs", "c_sharp"}, {".rb", "ruby"},      {".php", "php"},       {".sh", "bash"},
      {".json", "json"}, {".md", "markdown"},   {".txt", "text"}};
  auto it = kByExt.find(p.extension().string());
  return it == kByExt.end() ? "" : it->second;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--ext .py] [--threads N] [--json OUT.json]\n", argv[0]);
    return 2;
  }
  std::string json_out;
  std::string only_ext;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--json") json_out = argv[i + 1];
    if (flag == "--ext") only_ext = argv[i + 1];
    if (flag == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
  }
  struct File {
    std::string path, language, content;
  };
  std::vector<File> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(argv[1], ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec || !it->is_regular_file()) continue;
    if (!only_ext.empty() && it->path().extension() != only_ext) continue;
    std::string language = LanguageOf(it->path());
    if (language.empty()) continue;
    auto content = trawl::ReadFile(it->path().string());
    if (!content.ok()) continue;
    files.push_back({it->path().string(), language, std::move(content).value()});
  }
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.path < b.path; });
  // Runs every file through `n` threads; returns wall seconds.
  std::atomic<size_t> chunks{0}, failed{0};
  auto run = [&](int n) {
    chunks = 0;
    failed = 0;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < n; ++t) {
      pool.emplace_back([&, t] {
        trawl::Chunker chunker;
        for (size_t i = static_cast<size_t>(t); i < files.size(); i += static_cast<size_t>(n)) {
          auto r = chunker.ChunkFile(files[i].path, files[i].content, files[i].language);
          if (r.ok()) chunks += r->chunks.size();
          else ++failed;
        }
      });
    }
    for (auto& th : pool) th.join();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  size_t bytes = 0;
  for (const File& f : files) bytes += f.content.size();
  double secs = run(1);
  double mbps = bytes / 1e6 / secs;
  double secs_n = run(threads);
  double mbps_n = bytes / 1e6 / secs_n;
  std::printf("files %zu  bytes %zu  chunks %zu  failed %zu\n", files.size(), bytes, chunks.load(), failed.load());
  std::printf("1 thread:   %.3f s  %.2f MB/s\n%d threads:  %.3f s  %.2f MB/s  (%.2fx)\n", secs, mbps, threads,
              secs_n, mbps_n, secs / secs_n);
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << "{\"benchmark\":\"chunk_throughput\",\"dir\":\"" << argv[1] << "\",\"files\":"
        << files.size() << ",\"bytes\":" << bytes << ",\"chunks\":" << chunks
        << ",\"failed\":" << failed.load() << ",\"seconds\":" << secs << ",\"mb_per_s\":" << mbps
        << ",\"threads\":" << threads << ",\"seconds_n\":" << secs_n << ",\"mb_per_s_n\":" << mbps_n << "}\n";
  }
  return failed.load() == 0 ? 0 : 1;
}
