// Threaded tests of the store (run under TSan: label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/embedded_store.h"
#include "store/store_test_util.h"

namespace trawl {
namespace {

using store_test::MakeChunk;
using store_test::MakeFile;
using store_test::RandomVector;
using store_test::TempDir;

constexpr int kDim = 16;

TEST(StoreConcurrencyTest, ReadersSearchWhileWriterCommits) {
  TempDir tmp;
  auto writer = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->BindEmbedder("emb", kDim, false).ok());
  std::mt19937 rng(1);
  ASSERT_TRUE((*writer)->Commit({MakeFile("seed.py", "python", {MakeChunk("common seed", RandomVector(&rng, kDim))})}, {}).ok());

  auto reader = OpenEmbeddedStore(tmp.index(), OpenMode::kRead);
  ASSERT_TRUE(reader.ok());
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failures{0};
  std::atomic<size_t> max_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 local(static_cast<unsigned>(100 + t));
      while (!done.load()) {
        auto lex = (*reader)->SearchLexical(LexicalQuery::FromText("common chunk"), 50, t == 2 ? SearchFilter{{"python"}, {}} : SearchFilter{});
        auto dense = (*reader)->SearchDense(RandomVector(&local, kDim), 10, {});
        if (!lex.ok() || !dense.ok()) {
          failures++;
          continue;
        }
        auto views = (*reader)->GetChunks({lex->empty() ? 0 : (*lex)[0].chunk_id});
        if (!views.ok()) failures++;
        size_t seen = lex->size();
        size_t prev = max_seen.load();
        while (seen > prev && !max_seen.compare_exchange_weak(prev, seen)) {
        }
        searches++;
      }
    });
  }
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<FileWrite> writes;
    for (int i = 0; i < 10; ++i) {
      int n = batch * 10 + i;
      writes.push_back(MakeFile("f" + std::to_string(n) + ".py", "python",
                                {MakeChunk("common chunk " + std::to_string(n), RandomVector(&rng, kDim))}));
    }
    // Also replace earlier files so readers see deletions.
    if (batch > 0) {
      writes.push_back(MakeFile("f" + std::to_string(batch - 1) + ".py", "python",
                                {MakeChunk("common chunk again " + std::to_string(batch), RandomVector(&rng, kDim))}));
    }
    ASSERT_TRUE((*writer)->Commit(writes, {}).ok());
    if (batch % 10 == 9) {
      ASSERT_TRUE((*writer)->Checkpoint().ok());
    }
  }
  // Let the readers observe the final state.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (max_seen.load() < 50 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_GE(max_seen.load(), 50u);  // 50, and the chunks of the 50th's score
  EXPECT_LE(max_seen.load(), 100u);
  auto dense = (*reader)->SearchDense(RandomVector(&rng, kDim), 500, {});
  ASSERT_TRUE(dense.ok());
  EXPECT_EQ(dense->size(), 401u);  // seed + 400 files, replaced chunks gone
}

TEST(StoreConcurrencyTest, SecondWriterWaitsForTheLock) {
  TempDir tmp;
  auto first = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE(first.ok());
  std::atomic<bool> acquired{false};
  std::atomic<bool> released{false};
  std::atomic<bool> acquired_before_release{false};
  std::thread second([&] {
    auto s = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite, /*wait=*/true);
    if (!released.load()) acquired_before_release = true;
    acquired = s.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(acquired.load());
  released = true;
  first->reset();
  second.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_FALSE(acquired_before_release.load());
}

TEST(StoreConcurrencyTest, ManyThreadsShareOneReader) {
  TempDir tmp;
  {
    auto writer = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->BindEmbedder("emb", kDim, false).ok());
    std::mt19937 rng(5);
    std::vector<FileWrite> writes;
    for (int i = 0; i < 300; ++i) {
      writes.push_back(MakeFile("d" + std::to_string(i % 3) + "/f" + std::to_string(i) + ".go", "go",
                                {MakeChunk("func handler" + std::to_string(i) + "()", RandomVector(&rng, kDim))}));
    }
    ASSERT_TRUE((*writer)->Commit(writes, {}).ok());
  }
  auto reader = OpenEmbeddedStore(tmp.index(), OpenMode::kRead);
  ASSERT_TRUE(reader.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 50; ++i) {
        auto lex = (*reader)->SearchLexical(LexicalQuery::FromText("handler"), 10, {{}, {"d1/**"}});
        auto dense = (*reader)->SearchDense(RandomVector(&rng, kDim), 5, {{"go"}, {"d2"}});
        auto stats = (*reader)->Stats();
        // 10 hits, and those of the 10th's score (all 100 files of d1 score alike).
        if (!lex.ok() || lex->size() < 10 || lex->size() > 20 || !dense.ok() || dense->size() != 5 || !stats.ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace trawl
