// The run's figures: which stage is the bottleneck, the summary's times per stage and
// worker, rates and the time left, CPU per thread.
#include "pipeline/run_stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace trawl {
namespace {

using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kSecond = 1000000000;

StageBusy Busy(int64_t read, int64_t chunk, int64_t enrich, int64_t embed, int64_t write) {
  StageBusy b{};
  b[static_cast<size_t>(Stage::kRead)] = read;
  b[static_cast<size_t>(Stage::kChunk)] = chunk;
  b[static_cast<size_t>(Stage::kEnrich)] = enrich;
  b[static_cast<size_t>(Stage::kEmbed)] = embed;
  b[static_cast<size_t>(Stage::kWrite)] = write;
  // Discover, plan and vector_index are not streaming stages: never the bottleneck.
  b[static_cast<size_t>(Stage::kDiscover)] = 100 * kSecond;
  b[static_cast<size_t>(Stage::kVectorIndex)] = 100 * kSecond;
  return b;
}

TEST(BusiestStageTest, TheCpuWorkersStagesCountAsOnePerWorker) {
  StageThreads threads{4, 1, 1};
  // 2 + 3 + 3 s over 4 workers: 2 s each, less than the writer's 3 s.
  EXPECT_EQ(BusiestStage(Busy(2 * kSecond, 3 * kSecond, 3 * kSecond, 0, 3 * kSecond), threads), "write");
  // Over 2 workers: 4 s each, more.
  threads.workers = 2;
  EXPECT_EQ(BusiestStage(Busy(2 * kSecond, 3 * kSecond, 3 * kSecond, 0, 3 * kSecond), threads),
            "read+chunk (CPU workers)");
}

TEST(BusiestStageTest, TimeIsSharedByTheStagesThreads) {
  // 6 s of embedding over 4 executors (1.5 s) against 2 s of writing on 2 writers (1 s).
  StageThreads threads{1, 4, 2};
  EXPECT_EQ(BusiestStage(Busy(0, kSecond / 2, 0, 6 * kSecond, 2 * kSecond), threads), "embed");
  threads.embed = 8;  // 0.75 s each
  EXPECT_EQ(BusiestStage(Busy(0, kSecond / 2, 0, 6 * kSecond, 2 * kSecond), threads), "write");
}

TEST(BusiestStageTest, ATieGoesToTheEarlierStage) {
  StageThreads threads{1, 1, 1};
  EXPECT_EQ(BusiestStage(Busy(0, 0, 0, 0, 0), threads), "read+chunk (CPU workers)");
  EXPECT_EQ(BusiestStage(Busy(0, 0, 0, kSecond, kSecond), threads), "embed");
}

TEST(StageThreadsTest, EachStageIsSharedByItsThreads) {
  StageThreads threads{3, 5, 7};
  EXPECT_EQ(threads.Of(Stage::kDiscover), 3);
  EXPECT_EQ(threads.Of(Stage::kPlan), 1);
  EXPECT_EQ(threads.Of(Stage::kChunk), 3);
  EXPECT_EQ(threads.Of(Stage::kEmbed), 5);
  EXPECT_EQ(threads.Of(Stage::kWrite), 7);
  EXPECT_EQ(threads.Of(Stage::kVectorIndex), 7);
}

TEST(SetRatesTest, RatesAndTimeLeftSinceTheCpuStageStarted) {
  IndexProgress p;
  p.files_done = 30;
  SetRates(/*bytes_done=*/6000000, /*bytes_total=*/10000000, /*elapsed_s=*/2, &p);
  EXPECT_DOUBLE_EQ(p.files_per_s, 15);
  EXPECT_DOUBLE_EQ(p.mb_per_s, 3);
  EXPECT_DOUBLE_EQ(p.eta_s, 4000000.0 / 3000000.0);
}

TEST(SetRatesTest, NoEstimateBeforeTheStageOrTheFirstFile) {
  IndexProgress before;
  before.files_done = 3;
  SetRates(100, 1000, 0, &before);
  EXPECT_EQ(before.files_per_s, 0);
  EXPECT_EQ(before.eta_s, -1);
  IndexProgress none;
  SetRates(0, 1000, 5, &none);
  EXPECT_EQ(none.eta_s, -1);
  IndexProgress past;  // more done than planned (a file grew): nothing left, not less
  past.files_done = 1;
  SetRates(2000, 1000, 1, &past);
  EXPECT_EQ(past.eta_s, 0);
}

TEST(SummarizeStagesTest, TimesPerStageAndWorkerAndWhenTheStagesEnded) {
  RunCounters counters(2);
  counters.stage(Stage::kChunk).Add(milliseconds(3000), 10, 2 * kSecond);
  counters.stage(Stage::kChunk).Add(milliseconds(1000), 5, kSecond);
  counters.stage(Stage::kEmbed).Add(milliseconds(6000), 40);
  counters.stage(Stage::kWrite).Add(milliseconds(500), 15);
  counters.workers[1].files = 7;
  counters.workers[1].busy_ns = 3 * kSecond;
  StageThreads threads{2, 2, 1};
  RunTimes times;
  times.started = Clock::time_point{} + std::chrono::seconds(100);
  times.cpu_started = times.started + std::chrono::seconds(1);
  times.embed_finished = times.started + std::chrono::seconds(5);
  times.writer_finished = times.started + std::chrono::seconds(7);
  IndexSummary s;
  SummarizeStages(counters, threads, times, times.started + std::chrono::seconds(8), &s);

  EXPECT_DOUBLE_EQ(s.elapsed_s, 8);
  ASSERT_EQ(s.stages.size(), static_cast<size_t>(kNumStages));
  const StageSummary& chunk = s.stages[static_cast<size_t>(Stage::kChunk)];
  EXPECT_EQ(chunk.name, "chunk");
  EXPECT_DOUBLE_EQ(chunk.busy_s, 4);
  EXPECT_DOUBLE_EQ(chunk.cpu_s, 3);
  EXPECT_EQ(chunk.items, 15);
  EXPECT_EQ(chunk.threads, 2);
  EXPECT_EQ(s.stages[static_cast<size_t>(Stage::kVectorIndex)].name, "vector_index");
  EXPECT_DOUBLE_EQ(s.workers_done_s, 5);
  EXPECT_DOUBLE_EQ(s.writer_tail_s, 2);
  // 6 s of embedding on 2 threads over the 4 s the CPU stage ran.
  EXPECT_DOUBLE_EQ(s.embedder_busy_fraction, 6.0 / 2 / 4);
  EXPECT_EQ(s.bottleneck, "embed");  // 3 s per executor, 2 s per worker, 0.5 s writing
  ASSERT_EQ(s.worker_stats.size(), 2u);
  EXPECT_EQ(s.worker_stats[1].worker, 1);
  EXPECT_EQ(s.worker_stats[1].files, 7);
  EXPECT_DOUBLE_EQ(s.worker_stats[1].busy_s, 3);

  // An embedder busier than its threads for the span counts as fully busy.
  threads.embed = 1;
  SummarizeStages(counters, threads, times, times.started + std::chrono::seconds(8), &s);
  EXPECT_DOUBLE_EQ(s.embedder_busy_fraction, 1);
}

TEST(SummarizeStagesTest, ARunThatStoppedBeforeTheCpuStageHasNoBottleneck) {
  RunCounters counters(1);
  counters.stage(Stage::kWrite).Add(milliseconds(10));
  RunTimes times;
  times.started = Clock::now();
  IndexSummary s;
  SummarizeStages(counters, StageThreads{}, times, times.started + milliseconds(1500), &s);
  EXPECT_DOUBLE_EQ(s.elapsed_s, 1.5);
  EXPECT_EQ(s.bottleneck, "");
  EXPECT_EQ(s.workers_done_s, 0);
  EXPECT_EQ(s.writer_tail_s, 0);
  EXPECT_EQ(s.embedder_busy_fraction, 0);
}

TEST(ThreadsSinceTest, TheCpuEachThreadUsedSinceTheRunBegan) {
  std::unordered_map<int, int64_t> before = {{10, kSecond}, {11, 2 * kSecond}, {12, kSecond}};
  std::unordered_map<int, int64_t> after = {{10, 3 * kSecond}, {11, 2 * kSecond}, {13, kSecond / 2}};
  std::vector<ThreadSummary> threads = ThreadsSince(before, after, /*main_tid=*/10);
  std::vector<std::pair<std::string, double>> got;
  for (const auto& t : threads) got.emplace_back(t.name, t.cpu_s);
  // 11 used nothing since; 12 has ended; 13 began during the run.
  EXPECT_THAT(got, UnorderedElementsAre(std::make_pair(std::string("main"), 2.0),
                                        std::make_pair(std::string("pool-13"), 0.5)));
}

TEST(ThreadLogTest, EachThreadRecordsItselfWithItsCpu) {
  ThreadLog log;
  std::thread spin([&] {
    volatile uint64_t x = 0;
    for (int i = 0; i < 20000000; ++i) x = x + static_cast<uint64_t>(i);
    log.Record("spinner");
  });
  spin.join();
  log.Record("main");
  std::vector<ThreadSummary> threads = log.threads();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].name, "spinner");
  EXPECT_GT(threads[0].cpu_s, 0);
  EXPECT_EQ(threads[1].name, "main");
}

}  // namespace
}  // namespace trawl
