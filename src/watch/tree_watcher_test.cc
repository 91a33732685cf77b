#include "watch/tree_watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>

namespace trawl {
namespace {

namespace fs = std::filesystem;

class TreeWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("trawl_watch_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "src");
    fs::create_directories(root_ / ".git/objects");
    fs::create_directories(root_ / ".trawl");
    fs::create_directories(root_ / "build");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<TreeWatcher> Open() {
    TreeWatcher::Config c;
    c.root = root_.string();
    c.exclude_dirs = {(root_ / ".trawl").string()};
    c.skip_dir = [](const std::string& rel) { return rel == "build"; };
    auto w = TreeWatcher::Open(c);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  // Collects changed paths until `want` is among them or 5 s pass (Wake() ends a wait).
  std::set<std::string> CollectUntil(TreeWatcher& w, const std::string& want) {
    std::set<std::string> seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!seen.count(want) && std::chrono::steady_clock::now() < deadline) {
      auto waker = std::async(std::launch::async, [&w] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        w.Wake();
      });
      std::vector<TreeChange> out;
      EXPECT_TRUE(w.Next(&out).ok());
      waker.wait();
      for (auto& c : out) seen.insert(c.kind == TreeChange::Kind::kRescan ? "<rescan>" : c.path);
    }
    return seen;
  }

  static void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

  fs::path root_;
};

TEST_F(TreeWatcherTest, ReportsFilesInNewDirectoriesAndSkipsInternals) {
  auto w = Open();
  Write(root_ / ".git/objects/x", "1");
  Write(root_ / ".trawl/db", "1");
  Write(root_ / "build/out.o", "1");
  Write(root_ / "src/a.py", "x = 1\n");
  auto seen = CollectUntil(*w, "src/a.py");
  EXPECT_TRUE(seen.count("src/a.py"));
  EXPECT_FALSE(seen.count(".git/objects/x"));
  EXPECT_FALSE(seen.count(".trawl/db"));
  EXPECT_FALSE(seen.count("build/out.o"));

  fs::create_directories(root_ / "new/deep");
  CollectUntil(*w, "new");
  // The new directory is watched now: a file created in it is seen.
  Write(root_ / "new/deep/b.py", "y = 2\n");
  seen = CollectUntil(*w, "new/deep/b.py");
  EXPECT_TRUE(seen.count("new/deep/b.py"));
}

TEST_F(TreeWatcherTest, FollowsRenamedAndRemovedDirectories) {
  fs::create_directories(root_ / "old/sub");
  auto w = Open();
  size_t before = w->watched_dirs();
  fs::rename(root_ / "old", root_ / "moved");
  auto seen = CollectUntil(*w, "moved");
  EXPECT_TRUE(seen.count("old"));
  Write(root_ / "moved/sub/c.py", "z = 3\n");
  seen = CollectUntil(*w, "moved/sub/c.py");
  EXPECT_TRUE(seen.count("moved/sub/c.py"));
  fs::remove_all(root_ / "moved");
  seen = CollectUntil(*w, "moved");
  EXPECT_TRUE(seen.count("moved"));
  EXPECT_EQ(w->watched_dirs(), before - 2);
}

TEST_F(TreeWatcherTest, EditorSaveByRenameIsReported) {
  Write(root_ / "src/main.py", "a = 1\n");
  auto w = Open();
  Write(root_ / "src/.main.py.swp", "a = 2\n");
  fs::rename(root_ / "src/.main.py.swp", root_ / "src/main.py");
  auto seen = CollectUntil(*w, "src/main.py");
  EXPECT_TRUE(seen.count("src/main.py"));
}

}  // namespace
}  // namespace trawl
