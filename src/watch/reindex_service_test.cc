// ReindexService in-process, without inotify (also run under ThreadSanitizer: label
// "concurrency"): changes are coalesced into one run, runs over changed paths stay
// scoped, an ignore file's change walks the whole tree, a queued run can be cancelled,
// and every run's events and JSON say what happened. Every wait is bounded.
#include "watch/reindex_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ReindexServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("trawl_reindex_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    for (int i = 0; i < 12; ++i) {
      Write("pkg/m" + std::to_string(i) + ".py", "def func_" + std::to_string(i) + "(x):\n    return x + 1\n");
    }
  }
  void TearDown() override {
    service_.reset();
    fs::remove_all(root_);
    fs::remove_all(root_.string() + "_index");
  }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }

  void Start(int debounce_ms = 20) {
    LoadOptionsRequest req;
    req.root = root_.string();
    req.index_dir = root_.string() + "_index";
    req.read_environment = false;
    req.overrides["indexing.git_metadata"] = "false";
    req.overrides["watch.debounce_ms"] = std::to_string(debounce_ms);
    Result<Options> o = LoadOptions(req);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    ReindexService::Config c;
    c.options = *o;
    c.progress_interval_ms = 5;
    c.on_event = [this](const std::string& type, const std::string&) {
      MutexLock lock(&events_mu_);
      events_.push_back(type);
    };
    Result<std::unique_ptr<ReindexService>> s = ReindexService::Start(std::move(c));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(s).value();
  }

  // Waits (at most 30 s) for run `id` to end.
  ReindexRun Finish(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::optional<ReindexRun> run;
    while (std::chrono::steady_clock::now() < deadline) {
      run = service_->WaitRun(id, 200ms);
      if (!run || run->done()) break;
    }
    EXPECT_TRUE(run.has_value()) << id;
    EXPECT_TRUE(run && run->done()) << id;
    return run.value_or(ReindexRun{});
  }

  std::vector<std::string> Events() {
    MutexLock lock(&events_mu_);
    return events_;
  }

  fs::path root_;
  std::unique_ptr<ReindexService> service_;
  Mutex events_mu_;
  std::vector<std::string> events_ GUARDED_BY(events_mu_);
};

TEST_F(ReindexServiceTest, ChangesAreCoalescedAndLaterRunsStayScoped) {
  Start();
  // The first run walks the whole tree.
  ReindexRun first = Finish(service_->RequestRunNext("api"));
  EXPECT_EQ(first.state, RunState::kFinished);
  EXPECT_TRUE(first.whole_tree);
  ASSERT_TRUE(first.summary.has_value());
  EXPECT_EQ(first.summary->files_indexed, 12);

  // One path queued three times and another once: one run, two distinct paths.
  Write("pkg/m1.py", "def changed_one(x):\n    return x\n");
  Write("pkg/new.py", "def brand_new():\n    return 2\n");
  std::string id = service_->QueueChanges({"pkg/m1.py"}, "changes");
  EXPECT_EQ(service_->QueueChanges({"pkg/m1.py", "pkg/new.py"}, "changes"), id);
  EXPECT_EQ(service_->QueueChanges({"pkg/m1.py"}, "changes"), id);
  ReindexRun run = Finish(id);
  EXPECT_EQ(run.state, RunState::kFinished);
  EXPECT_EQ(run.changed_paths, 2);
  EXPECT_FALSE(run.whole_tree) << "a few changed paths are run over alone";
  ASSERT_TRUE(run.summary.has_value());
  EXPECT_EQ(run.summary->files_indexed, 2);
  EXPECT_EQ(run.summary->files_total, 2) << "only the changed paths are processed";

  // The run's JSON: its state by name, the summary as an object.
  nlohmann::ordered_json j = run.JsonValue();
  EXPECT_EQ(j["state"], "finished");
  EXPECT_EQ(j["summary"]["files_indexed"], 2);
  EXPECT_FALSE(j.contains("progress"));

  ReindexStats stats = service_->Stats();
  EXPECT_EQ(stats.runs_finished, 2);
  EXPECT_EQ(stats.files_indexed, 14);
}

TEST_F(ReindexServiceTest, AnIgnoreFileChangeWalksTheWholeTree) {
  Start();
  Finish(service_->RequestRunNext("api"));
  Write(".trawlignore", "pkg/m2.py\n");  // (a .gitignore counts only in a git repository)
  ReindexRun run = Finish(service_->QueueChanges({".trawlignore"}, "changes"));
  EXPECT_EQ(run.state, RunState::kFinished);
  EXPECT_TRUE(run.whole_tree);
  ASSERT_TRUE(run.summary.has_value());
  EXPECT_EQ(run.summary->files_deleted, 1) << "the newly ignored file leaves the index";
}

TEST_F(ReindexServiceTest, AQueuedRunCanBeCancelled) {
  Start(/*debounce_ms=*/60000);
  std::string id = service_->QueueChanges({"pkg/m3.py"}, "changes");
  std::optional<ReindexRun> queued = service_->GetRun(id);
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->state, RunState::kQueued);
  EXPECT_FALSE(queued->done());
  EXPECT_TRUE(service_->CancelRun(id));
  std::optional<ReindexRun> cancelled = service_->GetRun(id);
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ(cancelled->state, RunState::kCancelled);
  EXPECT_EQ(cancelled->JsonValue()["state"], "cancelled");
  EXPECT_FALSE(service_->CancelRun(id)) << "neither running nor queued any more";
  EXPECT_EQ(service_->Stats().runs_cancelled, 1);
  EXPECT_FALSE(service_->CancelRun("r999"));
}

TEST_F(ReindexServiceTest, EventsTellARunFromStartToFinish) {
  Start();
  ReindexRun run = Finish(service_->RequestRunNext("api"));
  ASSERT_EQ(run.state, RunState::kFinished);
  // run_finished goes out after the run's record is final; wait for the last event.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline &&
         (Events().empty() || Events().back() != "files_reindexed")) {
    std::this_thread::sleep_for(10ms);
  }
  std::vector<std::string> events = Events();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front(), "run_started");
  EXPECT_EQ(events[events.size() - 2], "run_finished");
  EXPECT_EQ(events.back(), "files_reindexed");
  for (size_t i = 1; i + 2 < events.size(); ++i) EXPECT_EQ(events[i], "progress") << i;
  EXPECT_STREQ(RunStateName(RunState::kFinished), "finished");
  EXPECT_STREQ(RunStateName(RunState::kCancelled), "cancelled");
}

}  // namespace
}  // namespace trawl
