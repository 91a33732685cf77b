// The order in which a run hands its files out: as planned when the work is not shared,
// and, when it is, in runs of one unit each, every process starting at its own unit.
#include "pipeline/task_feed.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace trawl {
namespace {

namespace fs = std::filesystem;

std::vector<FileEntry> Tasks(int n) {
  std::vector<FileEntry> tasks;
  for (int i = 0; i < n; ++i) {
    FileEntry e;
    e.path = "dir" + std::to_string(i % 3) + "/file" + std::to_string(i) + ".py";
    e.size = static_cast<uint64_t>(1000 - i);
    tasks.push_back(e);
  }
  return tasks;
}

std::vector<std::string> Paths(const std::vector<FileEntry>& tasks, size_t begin, size_t end) {
  std::vector<std::string> out;
  for (size_t i = begin; i < end; ++i) out.push_back(tasks[i].path);
  return out;
}

TEST(GroupByUnitTest, EachUnitsFilesInARowInTurnFromTheFirst) {
  constexpr int kUnits = 5;
  const std::vector<FileEntry> original = Tasks(40);
  std::vector<FileEntry> tasks = original;
  std::vector<UnitRange> ranges = GroupByUnit(&tasks, kUnits, /*first=*/3);

  ASSERT_EQ(tasks.size(), original.size());
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.front().begin, 0u);
  EXPECT_EQ(ranges.back().end, tasks.size());
  int expected_unit = 3;
  for (size_t r = 0; r < ranges.size(); ++r) {
    if (r > 0) {
      EXPECT_EQ(ranges[r].begin, ranges[r - 1].end);
    }
    // The units in turn from the first, each one that has files.
    std::vector<std::string> files;
    for (;; expected_unit = (expected_unit + 1) % kUnits) {
      files.clear();
      for (const auto& t : original) {
        if (WorkUnitOf(t.path, kUnits) == expected_unit) files.push_back(t.path);
      }
      if (!files.empty()) break;
    }
    EXPECT_EQ(ranges[r].unit, expected_unit);
    // Its files, in their planned order.
    EXPECT_EQ(Paths(tasks, ranges[r].begin, ranges[r].end), files) << "unit " << expected_unit;
    expected_unit = (expected_unit + 1) % kUnits;
  }
}

TEST(GroupByUnitTest, NoUnitsOrNoTasksLeaveTheOrder) {
  std::vector<FileEntry> tasks = Tasks(6);
  EXPECT_TRUE(GroupByUnit(&tasks, 0, 0).empty());
  EXPECT_EQ(Paths(tasks, 0, tasks.size()), Paths(Tasks(6), 0, 6));
  std::vector<FileEntry> none;
  EXPECT_TRUE(GroupByUnit(&none, 4, 1).empty());
}

TEST(TaskFeedTest, UnsharedWorkIsHandedOutInOrder) {
  fs::path dir = fs::temp_directory_path() / ("trawl_task_feed_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  StoreConfig config;
  config.index_dir = dir.string();
  config.shards = 1;
  auto store = OpenStore(config, OpenMode::kWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ((*store)->WorkUnits(), 0);

  TaskFeed feed(**store, Tasks(5), "run-1");
  EXPECT_FALSE(feed.shared());
  EXPECT_EQ(feed.size(), 5u);
  std::vector<std::string> got;
  for (;;) {
    Result<FileEntry*> next = feed.Next();
    ASSERT_TRUE(next.ok());
    if (*next == nullptr) break;
    got.push_back((*next)->path);
  }
  EXPECT_EQ(got, Paths(Tasks(5), 0, 5));
  EXPECT_FALSE(feed.Waiting());
  EXPECT_EQ(feed.StoredElsewhere(got[0]), "");
  store->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trawl
