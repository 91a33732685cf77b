#include "pipeline/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trawl {
namespace {

using ::testing::ElementsAre;

FileEntry Found(const std::string& path, uint64_t size = 10, int64_t mtime = 1, uint64_t inode = 1) {
  FileEntry e;
  e.path = path;
  e.size = size;
  e.mtime_ns = mtime;
  e.inode = inode;
  e.language = "python";
  return e;
}

FileRecord Stored(const std::string& path, uint64_t size = 10, int64_t mtime = 1, uint64_t inode = 1,
                  FileStatus status = FileStatus::kIndexed, const std::string& commit = "") {
  FileRecord r;
  r.path = path;
  r.size = size;
  r.mtime_ns = mtime;
  r.inode = inode;
  r.status = status;
  r.git_commit = commit;
  return r;
}

std::vector<std::string> Paths(const std::vector<FileEntry>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.path);
  return out;
}

TEST(PlanRunTest, NewChangedFailedAreIndexedGoneAreDeletedTheRestUnchanged) {
  std::vector<FileEntry> found = {Found("d.py"), Found("a.py"), Found("b.py", 11), Found("c.py", 10, 2),
                                  Found("e.py", 10, 1, 9), Found("f.py")};
  FileEntry ignored = Found("g.py");
  ignored.skip = SkipReason::kIgnored;
  found.push_back(ignored);
  std::vector<FileRecord> stored = {Stored("a.py"), Stored("b.py"), Stored("c.py"), Stored("e.py"),
                                    Stored("f.py", 10, 1, 1, FileStatus::kFailed), Stored("g.py"),
                                    Stored("zz.py")};
  RunPlan plan = PlanRun(found, stored, {});
  // b: size, c: mtime, e: inode, f: failed last time, d: new; g is ignored now.
  EXPECT_THAT(Paths(plan.tasks), ElementsAre("b.py", "c.py", "d.py", "e.py", "f.py"));
  EXPECT_THAT(plan.deletes, ElementsAre("g.py", "zz.py"));
  EXPECT_EQ(plan.unchanged, 1);  // a.py
  EXPECT_EQ(plan.files_seen, 7);
  EXPECT_EQ(plan.bytes, 11 + 10 + 10 + 10 + 10);
  PlanInput rebuild;
  rebuild.rebuild = true;
  EXPECT_EQ(PlanRun(found, stored, rebuild).tasks.size(), 6u);
}

TEST(PlanRunTest, ACommitSinceReindexesUnchangedBytes) {
  std::vector<FileEntry> found = {Found("a.py"), Found("b.py")};
  std::vector<FileRecord> stored = {Stored("a.py", 10, 1, 1, FileStatus::kIndexed, "c1"),
                                    Stored("b.py", 10, 1, 1, FileStatus::kIndexed, "c1")};
  PlanInput git;
  git.commit_of = [](std::string_view path) { return std::string(path == "a.py" ? "c2" : "c1"); };
  EXPECT_THAT(Paths(PlanRun(found, stored, git).tasks), ElementsAre("a.py"));
  EXPECT_TRUE(PlanRun(found, stored, {}).tasks.empty());  // outside git: only the bytes count
}

TEST(PlanRunTest, FilesBeneathAnUnreadableFolderAreKept) {
  FileEntry locked = Found("secret/");
  locked.skip = SkipReason::kUnreadable;
  locked.reason = "unreadable: permission denied";
  std::vector<FileEntry> found = {Found("a.py"), locked};
  std::vector<FileRecord> stored = {Stored("a.py"), Stored("secret/x.py"), Stored("secret/y/z.py"),
                                    Stored("secretary.py")};
  RunPlan plan = PlanRun(found, stored, {});
  EXPECT_THAT(plan.deletes, ElementsAre("secretary.py"));
  EXPECT_EQ(plan.unchanged, 3);
  EXPECT_EQ(plan.files_seen, 1);
  ASSERT_EQ(plan.kept_unreadable.size(), 1u);
  EXPECT_EQ(plan.kept_unreadable[0].first, "secret/");
  EXPECT_THAT(plan.kept_unreadable[0].second, ::testing::HasSubstr("its 2 indexed file(s) are kept"));
}

TEST(PlanRunTest, AScopeComparesOnlyWhatIsUnderIt) {
  PathScope scope({"pkg/a.py", "gone"});
  PlanInput input;
  input.scope = &scope;
  std::vector<FileEntry> found = {Found("pkg/a.py", 12)};
  std::vector<FileRecord> stored = {Stored("pkg/a.py"), Stored("pkg/b.py"), Stored("gone/x.py"), Stored("other.py")};
  RunPlan plan = PlanRun(found, stored, input);
  EXPECT_THAT(Paths(plan.tasks), ElementsAre("pkg/a.py"));
  EXPECT_THAT(plan.deletes, ElementsAre("gone/x.py"));  // pkg/b.py and other.py are outside
  EXPECT_EQ(plan.known_elsewhere, 2);
}

}  // namespace
}  // namespace trawl
