// store_perf: measures the embedded store at scale (insert rate, lexical and dense
// latency, vector file build time and recall vs float exact). Prints figures; asserts nothing.
//   store_perf [chunks=100000] [dim=256] [dir]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/hash.h"
#include "store/embedded_store.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Latency {
  std::vector<double> ms;
  void Print(const char* what) {
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
    std::printf("%-44s p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms  (n=%zu)\n", what, pct(0.5), pct(0.9), pct(0.99),
                ms.size());
  }
};

std::vector<float> RandomVector(std::mt19937* rng, int dim) {
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

// Embedding-like vectors: a 32-d latent through a fixed random map, plus noise
// (real embeddings have a low intrinsic dimension; uniform random vectors in 256-d
// are a worst case no ANN index handles well).
struct EmbeddingLike {
  EmbeddingLike(int dim, std::mt19937* rng) : dim(dim), map(static_cast<size_t>(dim) * kLatent) {
    std::normal_distribution<float> d(0, 1);
    for (float& x : map) x = d(*rng);
  }
  std::vector<float> operator()(std::mt19937* rng) const {
    std::normal_distribution<float> d(0, 1);
    float latent[kLatent];
    for (float& x : latent) x = d(*rng);
    std::vector<float> v(static_cast<size_t>(dim));
    double n = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      float x = 0.3f * d(*rng);
      for (int j = 0; j < kLatent; ++j) x += map[i * kLatent + static_cast<size_t>(j)] * latent[j];
      v[i] = x;
      n += static_cast<double>(x) * x;
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    return v;
  }
  static constexpr int kLatent = 32;
  int dim;
  std::vector<float> map;
};

int Run(int n_chunks, int dim, const std::string& dir, bool quick) {
  std::filesystem::remove_all(dir);
  std::mt19937 rng(42);
  EmbeddingLike embed(dim, &rng);
  // A Zipf-ish vocabulary of word parts; identifiers are camelCase/snake_case combos.
  std::vector<std::string> words;
  const char* syll[] = {"par", "se", "file", "read", "er", "con", "fig", "load", "stat", "us", "buf", "fer",
                        "hand", "le", "req", "uest", "res", "pon", "index", "chunk", "tok", "en", "vec", "tor",
                        "store", "path", "walk", "git", "hash", "map", "list", "node", "tree", "sit", "ter",
                        "query", "rank", "score", "lex", "dense", "emb", "ed", "run", "log", "err", "or"};
  for (int i = 0; i < 20000; ++i) {
    std::string w;
    int parts = 1 + static_cast<int>(rng() % 3);
    for (int p = 0; p < parts; ++p) w += syll[rng() % (sizeof(syll) / sizeof(syll[0]))];
    w += std::to_string(i % 97);
    words.push_back(w);
  }
  std::vector<double> weights(words.size());
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / (static_cast<double>(i) + 1);
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  auto ident = [&]() {
    std::string a = words[zipf(rng)], b = words[zipf(rng)];
    if (rng() % 2) {
      b[0] = static_cast<char>(std::toupper(b[0]));
      return a + b;
    }
    return a + "_" + b;
  };
  auto content = [&]() {
    std::string s;
    while (s.size() < 600) {
      s += ident();
      s += (rng() % 5 == 0) ? "(\n    " : " = ";
    }
    return s;
  };

  EmbeddedStoreOptions opts;
  auto opened = OpenEmbeddedStore(dir, OpenMode::kWrite, false, opts);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto& store = *opened;
  if (Status st = store->BindEmbedder("perf", dim, false); !st.ok()) return 1;

  // Build the data first so only the store is timed.
  const int kChunksPerFile = 4;
  int n_files = n_chunks / kChunksPerFile;
  const char* langs[] = {"python", "cpp", "go", "javascript", "rust"};
  std::vector<FileWrite> all;
  all.reserve(static_cast<size_t>(n_files));
  std::vector<std::vector<float>> vectors;
  for (int f = 0; f < n_files; ++f) {
    FileWrite w;
    w.file.path = "src/dir" + std::to_string(f % 50) + "/" + words[static_cast<size_t>(f) % words.size()] + "_" +
                  std::to_string(f) + ".x";
    w.file.language = langs[f % 5];
    w.file.status = FileStatus::kIndexed;
    w.file.content_hash = HashHex(w.file.path);
    for (int c = 0; c < kChunksPerFile; ++c) {
      ChunkRecord ch;
      ch.start_line = c * 20 + 1;
      ch.end_line = c * 20 + 20;
      ch.kind = "function";
      ch.symbol = ident();
      ch.content = content();
      ch.context = w.file.path + " > " + ch.symbol;
      ch.content_hash = HashHex(ch.content);
      ch.vector = embed(&rng);
      vectors.push_back(ch.vector);
      w.chunks.push_back(std::move(ch));
    }
    all.push_back(std::move(w));
  }

  auto t0 = Clock::now();
  const size_t kBatch = 250;  // files per commit
  for (size_t i = 0; i < all.size(); i += kBatch) {
    std::vector<FileWrite> batch(all.begin() + static_cast<long>(i),
                                 all.begin() + static_cast<long>(std::min(all.size(), i + kBatch)));
    if (Status st = store->Commit(batch, {}); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  double commit_ms = Ms(Clock::now() - t0);
  std::printf("commit: %d chunks (dim %d) in %.0f ms = %.0f chunks/s\n", n_chunks, dim, commit_ms,
              n_chunks / (commit_ms / 1000));

  auto reader = std::move(OpenEmbeddedStore(dir, OpenMode::kRead, false, opts)).value();
  // Lexical.
  // Query words: Zipf-drawn like the text (pathological: mostly in >5% of chunks), or
  // uniform over the vocabulary (a typical identifier).
  auto lexical = [&](const char* what, int n_terms, const SearchFilter& filter, bool common = false) {
    Latency lat;
    std::mt19937 qrng(7);
    size_t hits = 0;
    for (int q = 0; q < 200; ++q) {
      std::string query;
      for (int t = 0; t < n_terms; ++t) {
        query += (common ? words[zipf(qrng)] : words[qrng() % words.size()]) + " ";
      }
      auto s = Clock::now();
      auto r = reader->SearchLexical(LexicalQuery::FromText(query), 20, filter);
      lat.ms.push_back(Ms(Clock::now() - s));
      if (r.ok()) hits += r->size();
    }
    lat.Print(what);
    std::printf("%44s mean hits %.1f\n", "", hits / 200.0);
  };
  lexical("lexical 1 word", 1, {});
  lexical("lexical 2 words", 2, {});
  lexical("lexical 15 words (OR)", 15, {});
  lexical("lexical 1 common word", 1, {}, true);
  lexical("lexical 2 common words", 2, {}, true);
  lexical("lexical 15 common words (OR)", 15, {}, true);
  lexical("lexical 2 terms, language filter", 2, {{"go"}, {}});
  lexical("lexical 2 terms, glob filter", 2, {{}, {"src/dir7/**"}});

  auto dense = [&](const char* what, Store* s, const SearchFilter& filter, int queries) {
    Latency lat;
    std::mt19937 qrng(9);
    for (int q = 0; q < queries; ++q) {
      auto v = RandomVector(&qrng, dim);
      auto st = Clock::now();
      auto r = s->SearchDense(v, 10, filter);
      lat.ms.push_back(Ms(Clock::now() - st));
    }
    lat.Print(what);
  };
  if (quick) return 0;
  dense("dense exact (before checkpoint), first incl. load", reader.get(), {}, 1);
  dense("dense exact (before checkpoint)", reader.get(), {}, 50);

  t0 = Clock::now();
  if (Status st = store->Checkpoint(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("checkpoint (vector file of %d): %.0f ms\n", n_chunks, Ms(Clock::now() - t0));

  // Exact oracle over the same vectors for recall.
  std::mt19937 qrng(9);
  std::vector<std::vector<float>> queries;
  for (int q = 0; q < 100; ++q) queries.push_back(embed(&qrng));
  std::vector<std::set<int64_t>> truth;
  {
    for (const auto& q : queries) {
      std::vector<std::pair<float, int64_t>> sc;
      for (size_t i = 0; i < vectors.size(); ++i) {
        float d = 0;
        for (int j = 0; j < dim; ++j) d += vectors[i][static_cast<size_t>(j)] * q[static_cast<size_t>(j)];
        sc.push_back({-d, static_cast<int64_t>(i) + 1});  // chunk ids are 1..n in insert order
      }
      std::partial_sort(sc.begin(), sc.begin() + 10, sc.end());
      std::set<int64_t> t;
      for (int i = 0; i < 10; ++i) t.insert(sc[static_cast<size_t>(i)].second);
      truth.push_back(t);
    }
  }
  {
    auto r = std::move(OpenEmbeddedStore(dir, OpenMode::kRead, false, opts)).value();
    Latency lat, sparse_lat;
    double found = 0;
    auto first = Clock::now();
    (void)r->SearchDense(queries[0], 10, {});
    double load_ms = Ms(Clock::now() - first);
    for (size_t q = 0; q < queries.size(); ++q) {
      auto s = Clock::now();
      auto hits = r->SearchDense(queries[q], 10, {});
      lat.ms.push_back(Ms(Clock::now() - s));
      for (const auto& h : *hits) found += truth[q].count(h.chunk_id);
      // A query with 40 non-zero dimensions, as the hash embedder's are.
      std::vector<float> sparse(static_cast<size_t>(dim), 0.0f);
      for (int j = 0; j < 40; ++j) sparse[(static_cast<size_t>(j) * 7919 + q) % sparse.size()] = 1.0f;
      s = Clock::now();
      (void)r->SearchDense(sparse, 10, {});
      sparse_lat.ms.push_back(Ms(Clock::now() - s));
    }
    char what[96];
    std::snprintf(what, sizeof(what), "dense file, dense query, recall@10 %.3f (load %.0f ms)",
                  found / (10.0 * queries.size()), load_ms);
    lat.Print(what);
    sparse_lat.Print("dense file, 40-dimension query");
  }
  dense("dense file, language filter (1/5)", reader.get(), {{"go"}, {}}, 50);
  dense("dense file, glob filter (1/50)", reader.get(), {{}, {"src/dir7/**"}}, 50);
  std::printf("index size: %.1f MB db, folder %s\n",
              static_cast<double>(std::filesystem::file_size(dir + "/index.db")) / 1e6, dir.c_str());
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  int dim = argc > 2 ? std::atoi(argv[2]) : 256;
  std::string dir = argc > 3 ? argv[3] : (std::filesystem::temp_directory_path() / "trawl_store_perf").string();
  bool quick = argc > 4 && std::string(argv[4]) == "quick";
  return trawl::Run(n, dim, dir, quick);
}
