// The order in which a run hands its files out: as planned when the work is not shared,
// and, when it is, in runs of one unit each, every process starting at its own unit,
// each unit claimed before its files go and finished once they are all committed.
#include "pipeline/task_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

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

// A store that shares the work in three units, as the PostgreSQL store does, whose
// claims the test decides. A feed uses nothing else of a Store.
class SharedWorkStore : public Store {
 public:
  int WorkUnits() const override { return 3; }
  Result<UnitClaim> ClaimUnit(int unit, const std::vector<std::string>& paths) override {
    claims.push_back(unit);
    if (refuse) return Status::Unavailable("lease table unreachable");
    if (held_elsewhere.count(unit) > 0) return UnitClaim{false, {}};
    UnitClaim claim{true, {}};
    for (const auto& p : paths) {
      if (done_elsewhere.count(p) == 0) continue;
      FileRecord r;
      r.path = p;
      r.content_hash = "hash-" + p;
      r.git_commit = "commit";
      claim.stored.push_back(r);
    }
    return claim;
  }
  Status FinishUnit(int unit, int64_t files) override {
    finished[unit] = files;
    return Status::Ok();
  }

  std::set<int> held_elsewhere;          // claims refused (another process holds them)
  std::set<std::string> done_elsewhere;  // indexed by another process since the plan
  bool refuse = false;                   // claiming fails
  std::vector<int> claims;
  std::map<int, int64_t> finished;  // unit -> files this process wrote

 private:
  Status Unused() const { return Status::Internal("not used by a feed"); }
  Status BindEmbedder(const std::string&, int, bool) override { return Unused(); }
  Result<std::vector<FileRecord>> ListFiles() override { return Unused(); }
  Result<std::unordered_map<std::string, std::vector<float>>> LookupVectors(const std::vector<std::string>&) override {
    return Unused();
  }
  Status Stage(const FileWrite&) override { return Unused(); }
  Status Commit(const std::vector<FileWrite>&, const std::vector<std::string>&) override { return Unused(); }
  Status Checkpoint() override { return Unused(); }
  Status SetFilesKnown(int64_t) override { return Unused(); }
  Status Verify() override { return Unused(); }
  Status SaveRun(const RunRecord&) override { return Unused(); }
  Result<std::vector<ChunkHit>> SearchLexical(const LexicalQuery&, int, const SearchFilter&) override {
    return Unused();
  }
  Result<std::vector<ChunkHit>> SearchDense(const std::vector<float>&, int, const SearchFilter&) override {
    return Unused();
  }
  Result<TermStats> DocFrequencies(const std::vector<std::string>&) override { return Unused(); }
  Result<std::vector<ChunkView>> GetChunks(const std::vector<int64_t>&) override { return Unused(); }
  Result<StoreStats> Stats() override { return Unused(); }
  Result<std::vector<FileRecord>> FailedFiles() override { return Unused(); }
  Result<std::vector<RunRecord>> Runs(int) override { return Unused(); }
  Result<std::unique_ptr<StoreScan>> Scan() override { return Unused(); }
};

// Next() until it has nothing for now.
std::vector<FileEntry*> Drain(TaskFeed& feed) {
  std::vector<FileEntry*> out;
  for (;;) {
    Result<FileEntry*> next = feed.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || *next == nullptr) return out;
    out.push_back(*next);
  }
}

TEST(TaskFeedTest, EachUnitIsClaimedBeforeItsFilesAndFinishedOnceTheyAreCommitted) {
  SharedWorkStore store;
  TaskFeed feed(store, Tasks(30), "run-shared");
  ASSERT_TRUE(feed.shared());
  std::vector<FileEntry*> handed = Drain(feed);
  ASSERT_EQ(handed.size(), 30u);
  EXPECT_FALSE(feed.Waiting());
  // A unit's files in a row, right after its claim; every unit claimed once.
  std::vector<int> runs;
  std::set<std::string> paths;
  for (FileEntry* e : handed) {
    paths.insert(e->path);
    int unit = WorkUnitOf(e->path, 3);
    if (runs.empty() || runs.back() != unit) runs.push_back(unit);
  }
  EXPECT_EQ(paths.size(), 30u);
  EXPECT_EQ(runs, store.claims);
  EXPECT_EQ(std::set<int>(runs.begin(), runs.end()).size(), runs.size());
  // Handed out is not done: no unit is finished before its files are committed.
  EXPECT_TRUE(store.finished.empty());
  std::map<int, int64_t> own;
  for (size_t i = 0; i < handed.size(); ++i) {
    int unit = WorkUnitOf(handed[i]->path, 3);
    bool own_work = i % 4 != 0;  // the others were found done elsewhere
    if (own_work) ++own[unit];
    feed.FileDone(unit, own_work);
  }
  for (int unit : runs) {
    ASSERT_EQ(store.finished.count(unit), 1u) << unit;
    EXPECT_EQ(store.finished[unit], own[unit]) << unit;
  }
}

TEST(TaskFeedTest, UnitsAnotherProcessHoldsAreAskedForAgainLater) {
  SharedWorkStore store;
  std::vector<FileEntry> tasks = Tasks(30);
  const int held = WorkUnitOf(tasks[0].path, 3);
  store.held_elsewhere = {held};
  TaskFeed feed(store, tasks, "run-shared");
  std::vector<FileEntry*> first = Drain(feed);
  EXPECT_TRUE(feed.Waiting());
  for (FileEntry* e : first) EXPECT_NE(WorkUnitOf(e->path, 3), held) << e->path;
  // The other process is done with it: the unit's files come now, and then nothing.
  store.held_elsewhere.clear();
  std::vector<FileEntry*> second = Drain(feed);
  EXPECT_FALSE(feed.Waiting());
  ASSERT_FALSE(second.empty());
  for (FileEntry* e : second) EXPECT_EQ(WorkUnitOf(e->path, 3), held) << e->path;
  EXPECT_EQ(first.size() + second.size(), tasks.size());
}

TEST(TaskFeedTest, WhatAnotherProcessIndexedIsKnownOnceItsUnitIsClaimed) {
  SharedWorkStore store;
  std::vector<FileEntry> tasks = Tasks(12);
  store.done_elsewhere = {tasks[5].path};
  TaskFeed feed(store, tasks, "run-shared");
  EXPECT_EQ(feed.StoredElsewhere(tasks[5].path), "");
  Drain(feed);
  EXPECT_EQ(feed.StoredElsewhere(tasks[5].path), "hash-" + tasks[5].path + "\ncommit");
  EXPECT_EQ(feed.StoredElsewhere(tasks[6].path), "");
}

TEST(TaskFeedTest, AFailedClaimIsAnError) {
  SharedWorkStore store;
  store.refuse = true;
  TaskFeed feed(store, Tasks(6), "run-shared");
  Result<FileEntry*> next = feed.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(next.status().ToString().find("claiming work"), std::string::npos) << next.status().ToString();
}

}  // namespace
}  // namespace trawl
