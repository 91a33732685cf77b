// In-process runs of the indexing pipeline (also run under ThreadSanitizer: label
// "concurrency"): same content for any worker count, incremental re-runs, cancellation,
// and a memory budget smaller than one file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "trawl/index.h"
#include "trawl/options.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;

class IndexRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("trawl_pipeline_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    for (int i = 0; i < 60; ++i) {
      fs::path p = root_ / ("d" + std::to_string(i % 7)) / ("f" + std::to_string(i) + ".py");
      fs::create_directories(p.parent_path());
      std::ofstream out(p);
      for (int f = 0; f < 5; ++f) {
        out << "def func_" << i << "_" << f << "(x):\n    y = x * " << f << "\n    return y + " << i << "\n\n\n";
      }
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  Options MakeOptions(int workers, const std::string& index) {
    LoadOptionsRequest req;
    req.root = root_.string();
    req.index_dir = (root_.parent_path() / (root_.filename().string() + index)).string();
    req.read_environment = false;
    req.overrides["indexing.concurrent_workers"] = std::to_string(workers);
    req.overrides["indexing.git_metadata"] = "false";
    auto o = LoadOptions(req);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return *o;
  }

  IndexSummary Run(const Options& o, const std::atomic<bool>* cancel = nullptr) {
    IndexRequest req;
    req.options = o;
    req.cancel = cancel;
    std::atomic<int> events{0};
    req.on_progress = [&](const IndexProgress&) { events++; };
    req.progress_interval_ms = 5;
    auto r = RunIndex(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GE(events.load(), 2);  // started, finished
    return r.ok() ? *r : IndexSummary{};
  }

  fs::path root_;
};

TEST_F(IndexRunTest, SameContentForOneAndFourWorkers) {
  Options one = MakeOptions(1, "_idx1"), four = MakeOptions(4, "_idx4");
  IndexSummary a = Run(one), b = Run(four);
  EXPECT_EQ(a.state, "finished");
  EXPECT_EQ(a.files_indexed, 60);
  EXPECT_EQ(b.files_indexed, 60);
  EXPECT_EQ(a.chunks, b.chunks);
  auto ea = ExportIndex(one), eb = ExportIndex(four);
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_EQ(*ea, *eb);
  EXPECT_EQ(b.worker_stats.size(), 4u);
  int64_t files = 0;
  for (const auto& w : b.worker_stats) files += w.files;
  EXPECT_EQ(files, 60);
  fs::remove_all(one.index_dir);
  fs::remove_all(four.index_dir);
}

TEST_F(IndexRunTest, TinyBudgetStillIndexesEverything) {
  Options o = MakeOptions(3, "_tiny");
  o.indexing.max_inflight_mb = 8;
  o.embeddings.batch_size = 3;
  o.indexing.worker_batch_size = 2;
  IndexSummary s = Run(o);
  EXPECT_EQ(s.files_indexed, 60);
  EXPECT_LE(s.peak_inflight_bytes, s.inflight_budget_bytes);
  IndexSummary again = Run(o);
  EXPECT_EQ(again.files_total, 0);
  EXPECT_EQ(again.files_unchanged, 60);
  fs::remove_all(o.index_dir);
}

TEST_F(IndexRunTest, CancelledRunCommitsWhatIsCompleteAndNextRunFinishes) {
  Options o = MakeOptions(2, "_cancel");
  std::atomic<bool> cancel{true};  // cancelled before the first file
  IndexSummary s = Run(o, &cancel);
  EXPECT_EQ(s.state, "cancelled");
  cancel = false;
  IndexSummary next = Run(o, &cancel);
  EXPECT_EQ(next.state, "finished");
  EXPECT_EQ(next.files_indexed + next.files_unchanged, 60);
  Options ref = MakeOptions(1, "_ref");
  Run(ref);
  EXPECT_EQ(*ExportIndex(o), *ExportIndex(ref));
  fs::remove_all(o.index_dir);
  fs::remove_all(ref.index_dir);
}

}  // namespace
}  // namespace trawl
