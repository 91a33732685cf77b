// In-process runs of the indexing pipeline (also run under ThreadSanitizer: label
// "concurrency"): same content for any worker count, incremental re-runs, cancellation,
// and a memory budget smaller than one file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "trawl/index.h"
#include "trawl/options.h"
#include "trawl/search.h"

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
  EXPECT_EQ(a.state, RunState::kFinished);
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

// What a watcher saw (IndexRequest::paths): those paths are brought up to date and the
// rest of the index stays as it is; a whole-tree run afterwards finds nothing left to do
// but what changed outside them.
TEST_F(IndexRunTest, ARunOverSomePathsLeavesTheRestAsItIs) {
  Options o = MakeOptions(2, "_idx");
  ASSERT_EQ(Run(o).files_indexed, 60);
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  };
  write("d0/f0.py", "def quokkainside():\n    return 1\n");
  write("d1/f1.py", "def wombatoutside():\n    return 2\n");
  write("newdir/n.py", "def brand_new():\n    return 3\n");
  fs::remove(root_ / "d2" / "f2.py");
  fs::remove_all(root_ / "d3");
  IndexRequest req;
  req.options = o;
  req.paths = {"d0/f0.py", "newdir", "d2/f2.py", "d3/", "../escape", "/abs"};
  auto scoped = RunIndex(req);
  ASSERT_TRUE(scoped.ok()) << scoped.status().ToString();
  EXPECT_EQ(scoped->files_indexed, 2);                // d0/f0.py, newdir/n.py
  EXPECT_EQ(scoped->files_deleted, 1 + 9) << scoped->ToJson();  // d2/f2.py, and d3's 9 files
  EXPECT_LE(scoped->files_seen, 3);                   // not the whole tree
  auto status = GetIndexStatus(o);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->files, 60 - 10 + 1);
  EXPECT_EQ(status->files_known, 60 - 10 + 1);        // coverage stays whole
  auto paths = [&] {
    std::vector<std::string> out;
    auto files = ListIndexedFiles(o);
    EXPECT_TRUE(files.ok());
    for (const auto& f : *files) out.push_back(f.path);
    return out;
  };
  std::vector<std::string> have = paths();
  EXPECT_NE(std::find(have.begin(), have.end(), "newdir/n.py"), have.end());
  EXPECT_EQ(std::find(have.begin(), have.end(), "d2/f2.py"), have.end());
  // d1/f1.py changed outside the paths: still the old text until a whole run.
  auto searcher = Searcher::Open(o);
  ASSERT_TRUE(searcher.ok());
  SearchRequest q;
  q.query = "wombatoutside";
  q.mode = "lexical";
  EXPECT_TRUE((*searcher)->Search(q)->results.empty());
  q.query = "quokkainside";
  EXPECT_FALSE((*searcher)->Search(q)->results.empty());
  IndexSummary whole = Run(o);
  EXPECT_EQ(whole.files_indexed, 1);  // d1/f1.py
  EXPECT_EQ(whole.files_deleted, 0);
  // An export equals a fresh index of the same tree.
  Options fresh = MakeOptions(2, "_fresh");
  Run(fresh);
  EXPECT_EQ(*ExportIndex(o), *ExportIndex(fresh));
  fs::remove_all(root_.parent_path() / (root_.filename().string() + "_fresh"));
  fs::remove_all(root_.parent_path() / (root_.filename().string() + "_idx"));
}

TEST_F(IndexRunTest, TinyBudgetStillIndexesEverything) {
  Options o = MakeOptions(3, "_tiny");
  o.indexing.max_inflight_mb = 8;
  o.embeddings.batch_size = 3;
  o.indexing.worker_batch_size = 2;
  IndexSummary s = Run(o);
  EXPECT_EQ(s.files_indexed, 60);
  EXPECT_LE(s.peak_inflight_bytes, s.inflight_budget_bytes);
  // The run's timeline: the workers finish within the run, the writer's tail after them.
  EXPECT_GT(s.workers_done_s, 0);
  EXPECT_GE(s.writer_tail_s, 0);
  EXPECT_LE(s.workers_done_s + s.writer_tail_s, s.elapsed_s);
  IndexSummary again = Run(o);
  EXPECT_EQ(again.files_total, 0);
  EXPECT_EQ(again.files_unchanged, 60);
  fs::remove_all(o.index_dir);
}

// Files hold their budget share until their transaction commits: when a transaction
// would hold most of the budget, the writer must commit it rather than wait for the
// configured interval with every worker blocked (a minute per fill here before).
TEST_F(IndexRunTest, LongTransactionsCommitWhenTheyHoldTheBudget) {
  for (int i = 0; i < 40; ++i) {
    std::ofstream out(root_ / ("big" + std::to_string(i) + ".py"));
    for (int f = 0; f < 400; ++f) out << "def big_" << i << "_" << f << "(x):\n    return x * " << f << "\n\n";
  }
  Options o = MakeOptions(2, "_longtxn");
  o.indexing.max_inflight_mb = 1;
  o.indexing.worker_batch_size = 100000;
  o.indexing.commit_interval_ms = 60000;
  auto t0 = std::chrono::steady_clock::now();
  IndexSummary s = Run(o);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s.files_indexed, 100);
  EXPECT_LE(s.peak_inflight_bytes, s.inflight_budget_bytes);
  EXPECT_LT(took, 30.0);  // each stall would cost the 60 s interval
  fs::remove_all(o.index_dir);
}

TEST_F(IndexRunTest, CancelledRunCommitsWhatIsCompleteAndNextRunFinishes) {
  Options o = MakeOptions(2, "_cancel");
  std::atomic<bool> cancel{true};  // cancelled before the first file
  IndexSummary s = Run(o, &cancel);
  EXPECT_EQ(s.state, RunState::kCancelled);
  cancel = false;
  IndexSummary next = Run(o, &cancel);
  EXPECT_EQ(next.state, RunState::kFinished);
  EXPECT_EQ(next.files_indexed + next.files_unchanged, 60);
  Options ref = MakeOptions(1, "_ref");
  Run(ref);
  EXPECT_EQ(*ExportIndex(o), *ExportIndex(ref));
  fs::remove_all(o.index_dir);
  fs::remove_all(ref.index_dir);
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

// A definition split for size shows once in a search's head: its further pieces come
// after every other match, even when they match more strongly.
TEST_F(IndexRunTest, PiecesOfALongFunctionDoNotCrowdOutOtherMatches) {
  {
    std::ofstream out(root_ / "long.py");
    out << "def zebra_long(x):\n";
    for (int i = 0; i < 400; ++i) out << "    y = zebrafish(x, " << i << ")  # zebrafish step " << i << "\n";
    out << "    return y\n";
  }
  for (int i = 0; i < 3; ++i) {
    std::ofstream out(root_ / ("small_" + std::to_string(i) + ".py"));
    out << "def helper_" << i << "(x):\n    return zebrafish(x) + " << i << "\n";
  }
  Options o = MakeOptions(2, "_pieces");
  Run(o);
  auto searcher = Searcher::Open(o);
  ASSERT_TRUE(searcher.ok()) << searcher.status().ToString();
  SearchRequest req;
  req.query = "zebrafish";
  req.mode = "lexical";
  req.k = 8;
  auto r = (*searcher)->Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> order;
  int pieces = 0, last_small = -1, second_piece = -1;
  for (size_t i = 0; i < r->results.size(); ++i) {
    const SearchResult& h = r->results[i];
    order.push_back(h.path + ":" + h.symbol);
    if (h.symbol == "zebra_long" && ++pieces == 2) second_piece = static_cast<int>(i);
    if (h.path.rfind("small_", 0) == 0) last_small = static_cast<int>(i);
  }
  std::string listed;
  for (const auto& s : order) listed += s + " ";
  ASSERT_GE(pieces, 2) << "the function should be split into several pieces: " << listed;
  ASSERT_EQ(std::count_if(order.begin(), order.end(), [](const std::string& s) { return s.rfind("small_", 0) == 0; }), 3)
      << listed;
  EXPECT_LT(last_small, second_piece) << listed;
  fs::remove_all(root_.parent_path() / (root_.filename().string() + "_pieces"));
}

// Hybrid search runs its two retrievers on two threads and shares one store between
// concurrent searches; an index run may commit meanwhile (the server's case).
TEST_F(IndexRunTest, ConcurrentSearchesAgreeAndSurviveARunWriting) {
  Options o = MakeOptions(2, "_search");
  Run(o);
  auto searcher = Searcher::Open(o);
  ASSERT_TRUE(searcher.ok()) << searcher.status().ToString();
  std::vector<std::string> queries;
  for (int i = 0; i < 12; ++i) queries.push_back("func " + std::to_string(i * 5) + " return y");
  auto paths = [](const SearchResponse& r) {
    std::vector<std::string> out;
    for (const auto& h : r.results) out.push_back(h.path + ":" + std::to_string(h.start_line));
    return out;
  };
  std::vector<std::vector<std::string>> expected;
  for (const auto& q : queries) {
    SearchRequest req;
    req.query = q;
    auto r = (*searcher)->Search(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->results.empty());
    expected.push_back(paths(*r));
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < queries.size(); ++i) {
        SearchRequest req;
        req.query = queries[(i + static_cast<size_t>(t)) % queries.size()];
        auto r = (*searcher)->Search(req);
        if (!r.ok()) {
          failures++;
        } else if (paths(*r) != expected[(i + static_cast<size_t>(t)) % queries.size()]) {
          mismatches++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);

  // Now with a run committing edits at the same time: every search still answers.
  for (int i = 0; i < 60; i += 3) {
    std::ofstream(root_ / ("d" + std::to_string(i % 7)) / ("f" + std::to_string(i) + ".py"), std::ios::app)
        << "def extra_" << i << "(z):\n    return z\n";
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    Run(o);
    done = true;
  });
  threads.clear();
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      int rounds = 0;
      while (!done.load() || rounds < 3) {
        for (const auto& q : queries) {
          SearchRequest req;
          req.query = q;
          auto r = (*searcher)->Search(req);
          if (!r.ok() || r->results.empty()) failures++;
        }
        ++rounds;
      }
    });
  }
  writer.join();
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  SearchRequest req;
  req.query = "extra 30";
  auto r = (*searcher)->Search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->results.empty());
  EXPECT_EQ(r->results[0].symbol, "extra_30");
}

}  // namespace
}  // namespace trawl
