// The sharded store answers as one database holding every chunk would: same files,
// same content, same lexical and dense rankings with the same scores, whatever the
// shard count and whatever order and batches the writes came in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "base/file_util.h"
#include "store/embedded_store.h"
#include "store/store_test_util.h"

namespace trawl {
namespace {

using store_test::MakeChunk;
using store_test::MakeFile;
using store_test::RandomVector;
using store_test::ScanText;
using store_test::TempDir;
using ::testing::HasSubstr;

constexpr int kDim = 16;

const char* const kWords[] = {"parse", "file", "token", "buffer", "stream", "error", "cache", "index", "query",
                              "merge", "split", "render", "socket", "thread", "lock", "queue", "hash", "tree",
                              "node", "value", "config", "path", "walk", "chunk", "score", "rank", "shard"};

// A corpus of `files` files; chunk texts drawn from kWords, some repeated across files
// (equal content, equal vectors), some identifiers in snake and camel case.
std::vector<FileWrite> Corpus(int files, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> word(0, static_cast<int>(std::size(kWords)) - 1);
  std::vector<FileWrite> out;
  for (int f = 0; f < files; ++f) {
    std::vector<ChunkRecord> chunks;
    int n = 1 + f % 4;
    for (int c = 0; c < n; ++c) {
      std::string sym = std::string(kWords[word(rng)]) + "_" + kWords[word(rng)];
      std::string text = "def " + sym + "():";
      int len = 3 + word(rng) % 12;
      for (int i = 0; i < len; ++i) text += std::string(" ") + kWords[word(rng)];
      if (f % 7 == 0 && c == 0) text = "# shared license header";  // the same in many files
      std::mt19937 vrng(static_cast<unsigned>(std::hash<std::string>()(text)));
      chunks.push_back(MakeChunk(text, RandomVector(&vrng, kDim), 1 + c * 10, sym));
    }
    std::string dir = f % 3 == 0 ? "src/" : (f % 3 == 1 ? "lib/" : "test/");
    out.push_back(MakeFile(dir + "mod" + std::to_string(f) + ".py", f % 5 == 0 ? "c" : "python", std::move(chunks)));
  }
  return out;
}

std::unique_ptr<Store> Open(const std::string& dir, int shards, OpenMode mode = OpenMode::kWrite,
                            bool rebuild = false) {
  StoreConfig config;
  config.index_dir = dir;
  config.shards = shards;
  config.rebuild = rebuild;
  auto s = OpenStore(config, mode);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  if (mode == OpenMode::kWrite) {
    EXPECT_TRUE((*s)->BindEmbedder("test-emb", kDim, rebuild).ok());
  }
  return std::move(s).value();
}

// Writes the corpus as the pipeline does: each file staged by its partition's own
// thread, each partition committed by that thread.
void WriteByPartition(Store* store, const std::vector<FileWrite>& files, const std::vector<std::string>& deletes) {
  std::vector<std::thread> threads;
  std::vector<Status> results(static_cast<size_t>(store->WritePartitions()));
  for (int p = 0; p < store->WritePartitions(); ++p) {
    threads.emplace_back([&, p] {
      std::vector<std::string> mine;
      for (const auto& d : deletes) {
        if (store->PartitionOf(d) == p) {
          mine.push_back(d);
        }
      }
      for (const auto& f : files) {
        if (store->PartitionOf(f.file.path) != p) continue;
        FileWrite w = f;
        store->Prepare(&w);
        Status st = store->Stage(w);
        if (!st.ok()) {
          results[static_cast<size_t>(p)] = st;
          return;
        }
      }
      results[static_cast<size_t>(p)] = store->CommitPartition(p, mine);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
}

struct Ranked {
  std::string path;
  int line = 0;
  double score = 0;
};

std::vector<Ranked> Resolve(Store* store, const std::vector<ChunkHit>& hits) {
  std::vector<int64_t> ids;
  for (const auto& h : hits) ids.push_back(h.chunk_id);
  auto views = store->GetChunks(ids);
  EXPECT_TRUE(views.ok());
  std::vector<Ranked> out;
  for (size_t i = 0; i < hits.size() && i < views->size(); ++i) {
    out.push_back({(*views)[i].path, (*views)[i].start_line, hits[i].score});
  }
  return out;
}

// Equal rankings up to the order inside groups of equal scores (which follows ids).
void ExpectSameRanking(std::vector<Ranked> a, std::vector<Ranked> b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].score, b[i].score, 1e-6) << what << " #" << i;
  auto key = [](const Ranked& r) { return std::make_tuple(-std::round(r.score * 1e6), r.path, r.line); };
  auto less = [&](const Ranked& x, const Ranked& y) { return key(x) < key(y); };
  // The last group of equal scores may be cut at different members: compare above it.
  double last = a.empty() ? 0 : a.back().score;
  auto above = [&](std::vector<Ranked>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Ranked& r) { return std::fabs(r.score - last) < 1e-9; }),
            v.end());
    std::sort(v.begin(), v.end(), less);
  };
  above(a);
  above(b);
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path) << what << " #" << i;
    EXPECT_EQ(a[i].line, b[i].line) << what << " #" << i;
  }
}

TEST(ShardedStoreTest, AnyShardCountAnswersAsOneDatabase) {
  auto corpus = Corpus(240, 11);
  TempDir one, many;
  auto a = Open(one.index(), 1);
  auto b = Open(many.index(), 5);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->WritePartitions(), 1);
  EXPECT_EQ(b->WritePartitions(), 5);
  ASSERT_TRUE(a->Commit(corpus, {}).ok());
  // The other: in reverse, in partition threads, with a detour through files deleted
  // again and files that move between shards (a rename is a delete and a write).
  std::vector<FileWrite> detour = Corpus(30, 99);
  for (auto& w : detour) w.file.path = "old/" + w.file.path;
  WriteByPartition(b.get(), detour, {});
  std::vector<FileWrite> rev(corpus.rbegin(), corpus.rend());
  std::vector<std::string> gone;
  for (const auto& w : detour) gone.push_back(w.file.path);
  WriteByPartition(b.get(), rev, gone);
  ASSERT_TRUE(a->Checkpoint().ok());
  ASSERT_TRUE(b->Checkpoint().ok());

  auto ra = Open(one.index(), 0, OpenMode::kRead);
  auto rb = Open(many.index(), 0, OpenMode::kRead);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ScanText(ra.get()), ScanText(rb.get()));
  auto sa = ra->Stats(), sb = rb->Stats();
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(sa->files, sb->files);
  EXPECT_EQ(sa->chunks, sb->chunks);
  // (Stored vectors are not content: equal texts in two shards are stored in both,
  // and unused ones wait for a sweep.)
  EXPECT_EQ(sa->languages, sb->languages);
  auto la = ra->ListFiles(), lb = rb->ListFiles();
  ASSERT_EQ(la->size(), lb->size());
  for (size_t i = 0; i < la->size(); ++i) EXPECT_EQ((*la)[i].path, (*lb)[i].path);

  std::mt19937 rng(5);
  std::uniform_int_distribution<int> word(0, static_cast<int>(std::size(kWords)) - 1);
  std::vector<std::string> queries = {"parse_file", "parseFile token", "license header", "shard rank score",
                                      "nothing_matches_this"};
  for (int i = 0; i < 40; ++i) {
    std::string q;
    for (int j = 0; j <= i % 6; ++j) q += std::string(j ? " " : "") + kWords[word(rng)];
    queries.push_back(q);
  }
  SearchFilter none, python;
  python.languages = {"python"};
  SearchFilter under_src;
  under_src.path_globs = {"src/**"};
  for (const auto& q : queries) {
    for (const SearchFilter* f : {&none, &python, &under_src}) {
      for (int k : {1, 5, 20}) {
        auto ha = ra->SearchLexical(LexicalQuery::FromText(q), k, *f);
        auto hb = rb->SearchLexical(LexicalQuery::FromText(q), k, *f);
        ASSERT_TRUE(ha.ok() && hb.ok());
        ExpectSameRanking(Resolve(ra.get(), *ha), Resolve(rb.get(), *hb), "lexical '" + q + "' k=" + std::to_string(k));
      }
    }
    auto da = ra->DocFrequencies({"parse", "parse file", q});
    auto db = rb->DocFrequencies({"parse", "parse file", q});
    ASSERT_TRUE(da.ok() && db.ok());
    EXPECT_EQ(da->chunks, db->chunks);
    EXPECT_EQ(da->doc_freq, db->doc_freq);
  }
  for (int i = 0; i < 30; ++i) {
    std::vector<float> v = RandomVector(&rng, kDim);
    for (int k : {1, 10, 50}) {
      auto ha = ra->SearchDense(v, k, {});
      auto hb = rb->SearchDense(v, k, {});
      ASSERT_TRUE(ha.ok() && hb.ok());
      ExpectSameRanking(Resolve(ra.get(), *ha), Resolve(rb.get(), *hb), "dense k=" + std::to_string(k));
      auto fa = ra->SearchDense(v, k, python);
      auto fb = rb->SearchDense(v, k, python);
      ExpectSameRanking(Resolve(ra.get(), *fa), Resolve(rb.get(), *fb), "dense python k=" + std::to_string(k));
    }
  }
}

TEST(ShardedStoreTest, AFailedFileKeepsItsLastChunksInItsShard) {
  TempDir tmp;
  auto s = Open(tmp.index(), 3);
  auto corpus = Corpus(12, 3);
  ASSERT_TRUE(s->Commit(corpus, {}).ok());
  FileWrite failed = corpus[4];
  failed.chunks.clear();
  failed.file.status = FileStatus::kFailed;
  failed.file.error = "embedder down";
  ASSERT_TRUE(s->Commit({failed}, {}).ok());
  auto files = s->FailedFiles();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].path, corpus[4].file.path);
  auto listed = s->ListFiles();
  auto it = std::find_if(listed->begin(), listed->end(), [&](const FileRecord& f) { return f.path == corpus[4].file.path; });
  ASSERT_NE(it, listed->end());
  EXPECT_EQ(it->chunk_count, static_cast<int>(corpus[4].chunks.size()));
}

TEST(ShardedStoreTest, LayoutIsKeptRefusedOrRebuiltNeverMixed) {
  TempDir tmp;
  {
    auto s = Open(tmp.index(), 2);
    ASSERT_TRUE(s->Commit(Corpus(20, 1), {}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(tmp.index() + "/gen-1/shard-01/index.db"));
  StoreConfig other;
  other.index_dir = tmp.index();
  other.shards = 3;
  auto refused = OpenStore(other, OpenMode::kWrite);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("--rebuild --shards 3"));
  {
    auto kept = Open(tmp.index(), 0);  // 0: the index's own count
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->WritePartitions(), 2);
    EXPECT_EQ(kept->Stats()->files, 20);
  }
  {
    // A rebuild is made beside the index, which readers see until it is published.
    auto rebuilt = Open(tmp.index(), 3, OpenMode::kWrite, /*rebuild=*/true);
    ASSERT_TRUE(rebuilt);
    EXPECT_EQ(rebuilt->WritePartitions(), 3);
    EXPECT_EQ(rebuilt->Stats()->files, 0);
    ASSERT_TRUE(rebuilt->Commit(Corpus(5, 2), {}).ok());
    EXPECT_EQ(Open(tmp.index(), 0, OpenMode::kRead)->Stats()->files, 20);
    ASSERT_TRUE(rebuilt->Publish().ok());
    EXPECT_EQ(Open(tmp.index(), 0, OpenMode::kRead)->Stats()->files, 5);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.index() + "/gen-1"));
  EXPECT_FALSE(std::filesystem::exists(tmp.index() + "/gen-2/shard-03"));
  {
    // A rebuild that never publishes (killed, cancelled) leaves the index as it was,
    // and its leftovers go with the next writer.
    auto abandoned = Open(tmp.index(), 2, OpenMode::kWrite, /*rebuild=*/true);
    ASSERT_TRUE(abandoned);
  }
  EXPECT_TRUE(std::filesystem::exists(tmp.index() + "/gen-3"));
  EXPECT_EQ(Open(tmp.index(), 0, OpenMode::kRead)->Stats()->files, 5);
  ASSERT_TRUE(Open(tmp.index(), 0));
  EXPECT_FALSE(std::filesystem::exists(tmp.index() + "/gen-3"));
  // A layout file that does not parse is damage, with the way out.
  ASSERT_TRUE(WriteFileAtomic(tmp.index() + "/layout", "garbage").ok());
  auto damaged = OpenStore(other, OpenMode::kRead);
  ASSERT_FALSE(damaged.ok());
  EXPECT_THAT(damaged.status().message(), HasSubstr("trawl index --rebuild"));
  // An index of the single-database format is refused for reading and writing alike.
  TempDir old;
  {
    auto single = OpenEmbeddedStore(old.index(), OpenMode::kWrite);
    ASSERT_TRUE(single.ok());
  }
  StoreConfig at_old;
  at_old.index_dir = old.index();
  for (OpenMode mode : {OpenMode::kRead, OpenMode::kWrite}) {
    auto r = OpenStore(at_old, mode);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("trawl index --rebuild"));
  }
  at_old.rebuild = true;
  auto made = OpenStore(at_old, OpenMode::kWrite);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_TRUE((*made)->Publish().ok());
  EXPECT_FALSE(std::filesystem::exists(old.index() + "/index.db"));
}

}  // namespace
}  // namespace trawl
