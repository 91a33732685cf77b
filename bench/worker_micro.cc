// Google Benchmark micro-benchmarks of what a CPU worker does to each chunk after
// parsing: code-aware terms (for FTS and for the embedder), declared names, the hash
// embedder, the stored (quantised) vector. The chunks come from chunking real source:
//   build/release/bench/worker_micro [--dir DIR] [Google Benchmark flags]
// DIR defaults to trawl's own src/ (C++); /usr/include or a Python tree change the mix.
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/tokenize.h"
#include "chunk/chunker.h"
#include "discover/discover.h"
#include "embed/hash_embedder.h"
#include "store/vector_index.h"

namespace {

std::string g_dir = TRAWL_SOURCE_DIR "/src";

struct Corpus {
  std::vector<std::string> chunks;
  int64_t bytes = 0;
};

const Corpus& Chunks() {
  static const Corpus corpus = [] {
    Corpus c;
    trawl::Chunker chunker;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(g_dir, ec);
         it != std::filesystem::recursive_directory_iterator() && c.bytes < (64 << 20); it.increment(ec)) {
      if (ec || !it->is_regular_file()) continue;
      std::string path = it->path().string();
      auto text = trawl::ReadFile(path);
      if (!text.ok()) continue;
      std::string language = trawl::DetectLanguage(path, std::string_view(*text).substr(0, 256));
      if (language.empty()) continue;
      auto chunked = chunker.ChunkFile(path, *text, language);
      if (!chunked.ok()) continue;
      for (auto& chunk : chunked->chunks) {
        c.bytes += static_cast<int64_t>(chunk.content.size());
        c.chunks.push_back(std::move(chunk.content));
      }
    }
    return c;
  }();
  return corpus;
}

void Finish(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * Chunks().bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Chunks().chunks.size()));
}

void BM_ForEachCodeTerm(benchmark::State& state) {
  for (auto _ : state) {
    size_t terms = 0;
    for (const auto& c : Chunks().chunks) trawl::ForEachCodeTerm(c, [&](std::string_view, bool) { ++terms; });
    benchmark::DoNotOptimize(terms);
  }
  Finish(state);
}
BENCHMARK(BM_ForEachCodeTerm);

void BM_CodeTermsText(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& c : Chunks().chunks) benchmark::DoNotOptimize(trawl::CodeTermsText(c));
  }
  Finish(state);
}
BENCHMARK(BM_CodeTermsText);

void BM_Declarations(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& c : Chunks().chunks) benchmark::DoNotOptimize(trawl::Declarations(c));
  }
  Finish(state);
}
BENCHMARK(BM_Declarations);

void BM_HashEmbed(benchmark::State& state) {
  trawl::HashEmbedder embedder(trawl::HashEmbedder::kDefaultDimensions);
  for (auto _ : state) {
    for (const auto& c : Chunks().chunks) benchmark::DoNotOptimize(embedder.EmbedOne(c));
  }
  Finish(state);
}
BENCHMARK(BM_HashEmbed);

void BM_EncodeVector(benchmark::State& state) {
  trawl::HashEmbedder embedder(trawl::HashEmbedder::kDefaultDimensions);
  std::vector<trawl::Vector> vectors;
  for (const auto& c : Chunks().chunks) vectors.push_back(embedder.EmbedOne(c));
  for (auto _ : state) {
    for (const auto& v : vectors) benchmark::DoNotOptimize(trawl::store_internal::EncodeVector(v));
  }
  Finish(state);
}
BENCHMARK(BM_EncodeVector);

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0) {
      g_dir = argv[i + 1];
      for (int k = i; k + 2 < argc + 1; ++k) argv[k] = argv[k + 2];
      argc -= 2;
      break;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::fprintf(stderr, "corpus: %s, %zu chunks, %.1f MB\n", g_dir.c_str(), Chunks().chunks.size(),
               static_cast<double>(Chunks().bytes) / 1e6);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
