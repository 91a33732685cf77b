// The embed service's batching (by count and by estimated tokens, continuing an open
// batch) and a run of the service itself with the built-in embedder: every file comes
// out once, with a vector for each chunk, in as many requests as the batching planned.
#include "pipeline/embed_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <random>
#include <thread>

#include "trawl/options.h"

namespace trawl {
namespace {

using ::testing::ElementsAre;

// The batches PlanBatches describes, rebuilt as the tokens of their items (the first
// batch continues the open one and starts with its contents).
std::vector<std::vector<size_t>> Rebuild(const std::vector<size_t>& tokens, const BatchPlan& plan) {
  std::vector<std::vector<size_t>> batches(1);
  size_t next_break = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (next_break < plan.breaks.size() && plan.breaks[next_break] == i) {
      ++next_break;
      batches.emplace_back();
    }
    batches.back().push_back(tokens[i]);
  }
  return batches;
}

TEST(PlanBatchesTest, ByCount) {
  BatchLimits limits{3, 1000};
  BatchPlan plan = PlanBatches({}, std::vector<size_t>(7, 1), limits);
  EXPECT_THAT(plan.breaks, ElementsAre(3, 6));
  EXPECT_EQ(plan.batches, 3);
  EXPECT_EQ(plan.fill.items, 1u);
  EXPECT_FALSE(plan.full);
}

TEST(PlanBatchesTest, ByEstimatedTokens) {
  BatchLimits limits{100, 10};
  // 4 + 5 fit; + 2 would make 11; 2 + 8 fit; 3 starts the third batch.
  BatchPlan plan = PlanBatches({}, {4, 5, 2, 8, 3}, limits);
  EXPECT_THAT(plan.breaks, ElementsAre(2, 4));
  EXPECT_EQ(plan.batches, 3);
  EXPECT_EQ(plan.fill.tokens, 3u);
}

TEST(PlanBatchesTest, ContinuesTheOpenBatch) {
  BatchLimits limits{4, 1000};
  // Two items are waiting: the file's first two join them, its next four make a full batch.
  BatchPlan plan = PlanBatches({2, 2}, std::vector<size_t>(6, 1), limits);
  EXPECT_THAT(plan.breaks, ElementsAre(2));
  EXPECT_EQ(plan.batches, 2);
  EXPECT_EQ(plan.fill.items, 4u);
  EXPECT_TRUE(plan.full);
}

TEST(PlanBatchesTest, AnOpenBatchWithoutRoomIsNotCounted) {
  BatchLimits limits{10, 10};
  BatchPlan plan = PlanBatches({1, 9}, {5}, limits);
  EXPECT_THAT(plan.breaks, ElementsAre(0));
  EXPECT_EQ(plan.batches, 1);  // only the new batch carries the file
}

TEST(PlanBatchesTest, AnItemOverTheTokenLimitGoesAlone) {
  BatchLimits limits{10, 10};
  BatchPlan plan = PlanBatches({}, {3, 50, 3}, limits);
  EXPECT_THAT(plan.breaks, ElementsAre(1, 2));
  EXPECT_EQ(plan.batches, 3);
}

TEST(PlanBatchesTest, RandomInputsMakeGreedyBatchesWithinTheLimits) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    BatchLimits limits{1 + rng() % 8, 5 + rng() % 40};
    BatchFill open;
    open.items = rng() % limits.max_items;
    open.tokens = open.items == 0 ? 0 : std::min(limits.max_tokens, open.items + rng() % limits.max_tokens);
    std::vector<size_t> tokens(rng() % 30);
    for (auto& t : tokens) t = 1 + rng() % 20;
    BatchPlan plan = PlanBatches(open, tokens, limits);
    std::vector<std::vector<size_t>> batches = Rebuild(tokens, plan);
    size_t carrying = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      size_t items = batches[b].size() + (b == 0 ? open.items : 0);
      size_t sum = (b == 0 ? open.tokens : 0);
      for (size_t t : batches[b]) sum += t;
      if (!batches[b].empty()) ++carrying;
      EXPECT_LE(items, limits.max_items);
      if (items > 1) {
        EXPECT_LE(sum, limits.max_tokens) << "round " << round;
      }
      // Greedy: the next batch's first item did not fit in this one.
      if (b + 1 < batches.size()) {
        EXPECT_TRUE(items >= limits.max_items || sum + batches[b + 1].front() > limits.max_tokens);
      }
      if (b + 1 == batches.size()) {
        EXPECT_EQ(plan.fill.items, items);
        EXPECT_EQ(plan.fill.tokens, sum);
        EXPECT_EQ(plan.full, items >= limits.max_items);
      }
    }
    EXPECT_EQ(plan.batches, static_cast<int>(carrying)) << "round " << round;
  }
}

class EmbedServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EmbeddingOptions o;
    auto e = MakeEmbedder(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    embedder_ = std::move(e).value();
  }

  std::unique_ptr<FileWork> File(const std::string& path, int chunks) {
    auto w = std::make_unique<FileWork>();
    w->write.file.path = path;
    for (int c = 0; c < chunks; ++c) {
      w->write.chunks.emplace_back();
      w->embed_texts.push_back("def f" + std::to_string(c) + "(): return " + std::string(static_cast<size_t>(c) * 40, 'x'));
      w->need_vectors.push_back(c);
    }
    return w;
  }

  // Runs the service over `files` with `executors` threads; returns the files it let go.
  std::vector<std::unique_ptr<FileWork>> Serve(std::vector<std::unique_ptr<FileWork>> files, BatchLimits limits,
                                               int executors) {
    std::mutex mu;
    std::vector<std::unique_ptr<FileWork>> out;
    EmbedService service(*embedder_, nullptr, limits, control_, counters_, [&](std::unique_ptr<FileWork> w) {
      std::lock_guard<std::mutex> lock(mu);
      out.push_back(std::move(w));
    });
    // Every file is queued before the batcher starts: it never waits for one, so
    // only the limits cut batches (no partial batch leaves on a pause).
    WorkQueue<std::unique_ptr<FileWork>> in;
    for (auto& f : files) in.Push(std::move(f));
    in.Close();
    std::thread batcher([&] { service.RunBatcher(in); });
    std::vector<std::thread> threads;
    for (int i = 0; i < executors; ++i) threads.emplace_back([&] { service.RunExecutor(); });
    batcher.join();
    for (auto& t : threads) t.join();
    return out;
  }

  std::unique_ptr<Embedder> embedder_;
  FileBudgets budgets_{1 << 20};
  RunControl control_{nullptr, &budgets_};
  RunCounters counters_{1};
};

TEST_F(EmbedServiceTest, EveryFileComesOutOnceWithAVectorPerChunk) {
  std::vector<std::unique_ptr<FileWork>> files;
  std::vector<size_t> tokens;  // every chunk's, in the order the batcher sees them
  int chunks = 0;
  for (int f = 0; f < 20; ++f) {
    files.push_back(File("f" + std::to_string(f) + ".py", f % 6));
    for (const auto& t : files.back()->embed_texts) tokens.push_back(EstimatedTokens(t));
    chunks += f % 6;
  }
  files.push_back(File("empty.py", 0));
  BatchLimits limits{7, 90};
  std::vector<std::unique_ptr<FileWork>> out = Serve(std::move(files), limits, 3);

  ASSERT_EQ(out.size(), 21u);
  std::set<std::string> paths;
  for (const auto& w : out) {
    paths.insert(w->write.file.path);
    EXPECT_EQ(w->pending.load(), 0);
    MutexLock lock(&w->mu);
    EXPECT_EQ(w->embed_error, "");
    for (const auto& c : w->write.chunks) EXPECT_EQ(c.vector.size(), static_cast<size_t>(embedder_->Dimensions()));
  }
  EXPECT_EQ(paths.size(), 21u);
  EXPECT_EQ(counters_.vectors_embedded.load(), chunks);
  // The requests are the batches of all the files' chunks in a row.
  EXPECT_EQ(counters_.embed_requests.load(), PlanBatches({}, tokens, limits).batches);
}

TEST_F(EmbedServiceTest, AStoppedRunFailsTheFilesItHasNotEmbedded) {
  control_.Stop();
  std::vector<std::unique_ptr<FileWork>> files;
  files.push_back(File("a.py", 3));
  files.push_back(File("b.py", 0));
  std::vector<std::unique_ptr<FileWork>> out = Serve(std::move(files), BatchLimits{2, 1000}, 1);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& w : out) {
    MutexLock lock(&w->mu);
    if (w->write.file.path == "a.py") {
      EXPECT_NE(w->embed_error.find("embedding failed"), std::string::npos) << w->embed_error;
    } else {
      EXPECT_EQ(w->embed_error, "");
    }
  }
  EXPECT_EQ(counters_.vectors_embedded.load(), 0);
}

}  // namespace
}  // namespace trawl
