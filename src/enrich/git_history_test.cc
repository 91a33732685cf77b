#include "enrich/git_history.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace trawl {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1700000000;

// Builds throwaway repositories with the git CLI, isolated from the user's config and
// with fixed identities and dates so commit ids are reproducible.
class GitHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "trawl_git_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    repo_ = tmp_ + "/repo";
    fs::create_directories(repo_);
    setenv("HOME", tmp_.c_str(), 1);
    setenv("XDG_CONFIG_HOME", tmp_.c_str(), 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Alice", 1);
    setenv("GIT_AUTHOR_EMAIL", "alice@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Alice", 1);
    setenv("GIT_COMMITTER_EMAIL", "alice@example.com", 1);
    Git("init -q -b main");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  // Runs a shell command in `dir` (default: the repo); returns stdout without the final
  // newline. Fails the test on a non-zero exit.
  std::string Sh(const std::string& cmd, const std::string& dir = "") {
    std::string full = "cd '" + (dir.empty() ? repo_ : dir) + "' && " + cmd + " 2>&1";
    FILE* p = popen(full.c_str(), "r");
    EXPECT_NE(p, nullptr);
    if (p == nullptr) return "";
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd << "\n" << out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string Git(const std::string& args) { return Sh("git " + args); }

  void Write(const std::string& rel, const std::string& content) {
    fs::path p = fs::path(repo_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

  // Commits everything staged or in the work tree at time kT0 + `t`; returns the id.
  std::string Commit(int t, const std::string& author = "Alice",
                     const std::string& email = "alice@example.com") {
    std::string date = "'@" + std::to_string(kT0 + t) + " +0000'";
    Git("add -A");
    Sh("GIT_AUTHOR_NAME='" + author + "' GIT_AUTHOR_EMAIL='" + email + "' GIT_AUTHOR_DATE=" +
       date + " GIT_COMMITTER_DATE=" + date + " git commit -q --allow-empty -m c" +
       std::to_string(t));
    return Git("rev-parse HEAD");
  }

  int GitCount(const std::string& path) {
    std::string out = Git("log --format=%H -- '" + path + "'");
    if (out.empty()) return 0;
    return static_cast<int>(std::count(out.begin(), out.end(), '\n')) + 1;
  }

  GitHistory MustLoad(const std::string& root, int max_commits = 0) {
    Result<GitHistory> h = GitHistory::Load(root, nullptr, max_commits);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return std::move(h).value();
  }

  // The oracle: last commit and commit count as `git log` reports them.
  void ExpectMatchesGitLog(const GitHistory& h, const std::string& path) {
    const GitFileInfo* f = h.Find(path);
    ASSERT_NE(f, nullptr) << path;
    EXPECT_EQ(f->commit, Git("log -1 --format=%H -- '" + path + "'")) << path;
    EXPECT_EQ(f->commits, GitCount(path)) << path;
    EXPECT_EQ(f->time, std::stoll(Git("log -1 --format=%ct -- '" + path + "'"))) << path;
  }

  std::string tmp_;
  std::string repo_;
};

TEST_F(GitHistoryTest, LinearHistoryMatchesGitLog) {
  Write("a.txt", "1");
  Write("b.txt", "1");
  Write("dir/inner/c.cc", "1");
  std::string c1 = Commit(1);
  Write("a.txt", "2");
  Commit(2, "Bob", "bob@example.com");
  Write("dir/inner/c.cc", "2");
  Commit(3);
  Write("a.txt", "3");
  Write("dir/d.py", "1");
  std::string c4 = Commit(4, "Carol", "");
  Commit(5);  // empty: touches nothing

  GitHistory h = MustLoad(repo_);
  EXPECT_TRUE(h.in_repo());
  EXPECT_EQ(h.head(), Git("rev-parse HEAD"));
  EXPECT_EQ(h.size(), 4u);
  for (const char* p : {"a.txt", "b.txt", "dir/inner/c.cc", "dir/d.py"}) ExpectMatchesGitLog(h, p);

  const GitFileInfo* a = h.Find("a.txt");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->commit, c4);
  EXPECT_EQ(a->author, "Carol");
  EXPECT_EQ(a->time, kT0 + 4);
  EXPECT_EQ(a->commits, 3);
  const GitFileInfo* b = h.Find("b.txt");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->commit, c1);
  EXPECT_EQ(b->author, "Alice <alice@example.com>");
  EXPECT_EQ(b->commits, 1);
  EXPECT_EQ(h.Find("dir"), nullptr);
  EXPECT_EQ(h.Find("dir/inner"), nullptr);
  EXPECT_EQ(h.Find("missing.txt"), nullptr);
}

TEST_F(GitHistoryTest, UsesCommitterTimeAndAuthorOfTheLastCommit) {
  Write("a.txt", "1");
  Commit(1);
  Write("a.txt", "2");
  Git("add -A");
  Sh("GIT_AUTHOR_NAME=Dan GIT_AUTHOR_EMAIL=dan@example.com GIT_AUTHOR_DATE='@100 +0000' "
     "GIT_COMMITTER_DATE='@" + std::to_string(kT0 + 50) + " +0000' git commit -q -m x");
  GitHistory h = MustLoad(repo_);
  const GitFileInfo* a = h.Find("a.txt");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->author, "Dan <dan@example.com>");
  EXPECT_EQ(a->time, kT0 + 50);
  EXPECT_EQ(a->commits, 2);
}

TEST_F(GitHistoryTest, RenamedFileStartsFresh) {
  Write("old.txt", "content that stays the same\n");
  Commit(1);
  Write("old.txt", "content that stays the same\nmore\n");
  Commit(2);
  Git("mv old.txt new.txt");
  std::string c3 = Commit(3);

  GitHistory h = MustLoad(repo_);
  EXPECT_EQ(h.Find("old.txt"), nullptr);
  const GitFileInfo* n = h.Find("new.txt");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->commit, c3);
  EXPECT_EQ(n->commits, 1);
  ExpectMatchesGitLog(h, "new.txt");
}

TEST_F(GitHistoryTest, DeletedFilesAreAbsentAndReaddedOnesCountTheDelete) {
  Write("gone.txt", "x");
  Write("back.txt", "v1");
  Write("keep.txt", "k");
  Commit(1);
  Git("rm -q gone.txt back.txt");
  Commit(2);
  Write("back.txt", "v2");
  Commit(3);

  GitHistory h = MustLoad(repo_);
  EXPECT_EQ(h.Find("gone.txt"), nullptr);
  EXPECT_EQ(h.size(), 2u);
  ExpectMatchesGitLog(h, "back.txt");
  EXPECT_EQ(h.Find("back.txt")->commits, 3);  // add, delete, re-add: as git log counts
  ExpectMatchesGitLog(h, "keep.txt");
}

TEST_F(GitHistoryTest, ModeChangeAndFileBecomingDirectory) {
  Write("run.sh", "echo hi\n");
  Write("thing", "a file");
  Commit(1);
  Sh("chmod +x run.sh");
  Git("rm -q thing");
  Write("thing/inside.txt", "now a directory");
  Commit(2);

  GitHistory h = MustLoad(repo_);
  ExpectMatchesGitLog(h, "run.sh");
  EXPECT_EQ(h.Find("run.sh")->commits, 2);
  EXPECT_EQ(h.Find("thing"), nullptr);
  ExpectMatchesGitLog(h, "thing/inside.txt");
  EXPECT_EQ(h.Find("thing/inside.txt")->commits, 1);
}

TEST_F(GitHistoryTest, SubdirectoryRootGivesPathsRelativeToIt) {
  Write("top.txt", "1");
  Write("sub/x.cc", "1");
  Write("sub/deep/y.cc", "1");
  Write("subother/z.cc", "1");
  Commit(1);
  Write("sub/x.cc", "2");
  Write("top.txt", "2");
  std::string c2 = Commit(2);
  Write("subother/z.cc", "2");
  Commit(3);

  GitHistory h = MustLoad(repo_ + "/sub");
  EXPECT_TRUE(h.in_repo());
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.Find("top.txt"), nullptr);
  EXPECT_EQ(h.Find("sub/x.cc"), nullptr);
  const GitFileInfo* x = h.Find("x.cc");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->commit, c2);
  EXPECT_EQ(x->commits, 2);
  const GitFileInfo* y = h.Find("deep/y.cc");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->commits, 1);

  GitHistory deep = MustLoad(repo_ + "/sub/deep/");
  EXPECT_EQ(deep.size(), 1u);
  EXPECT_NE(deep.Find("y.cc"), nullptr);

  // A directory of the work tree that git does not track.
  fs::create_directories(repo_ + "/untracked");
  GitHistory untracked = MustLoad(repo_ + "/untracked");
  EXPECT_TRUE(untracked.in_repo());
  EXPECT_EQ(untracked.size(), 0u);
}

TEST_F(GitHistoryTest, MergeCreditsBranchCommitsAndConflictResolutions) {
  Write("main.txt", "m0");
  Write("side.txt", "s0");
  Write("both.txt", "line1\nline2\nline3\n");
  Commit(1);
  Git("checkout -q -b side");
  Write("side.txt", "s1");
  Write("both.txt", "line1 side\nline2\nline3\n");
  std::string side_commit = Commit(2, "Sid", "sid@example.com");
  Git("checkout -q main");
  Write("main.txt", "m1");
  Write("both.txt", "line1 main\nline2\nline3\n");
  Commit(3);
  Sh("git merge -q --no-ff side -m merge >/dev/null 2>&1 || true");
  Write("both.txt", "line1 resolved\nline2\nline3\n");
  std::string merge = Commit(4);

  GitHistory h = MustLoad(repo_);
  // Brought in from the branch: credited to the branch commit, not the merge.
  const GitFileInfo* side = h.Find("side.txt");
  ASSERT_NE(side, nullptr);
  EXPECT_EQ(side->commit, side_commit);
  EXPECT_EQ(side->author, "Sid <sid@example.com>");
  // Resolved by the merge: credited to it.
  EXPECT_EQ(h.Find("both.txt")->commit, merge);
  for (const char* p : {"main.txt", "side.txt", "both.txt"}) {
    EXPECT_EQ(h.Find(p)->commits, GitCount(p)) << p;
    EXPECT_EQ(h.Find(p)->commit, Git(std::string("log -1 --format=%H -- ") + p)) << p;
  }
}

TEST_F(GitHistoryTest, NotARepositoryIsEmpty) {
  std::string plain = tmp_ + "/plain";
  fs::create_directories(plain);
  GitHistory h = MustLoad(plain);
  EXPECT_FALSE(h.in_repo());
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.head(), "");
  EXPECT_EQ(h.Find("anything"), nullptr);
}

TEST_F(GitHistoryTest, MissingRootIsNotFound) {
  Result<GitHistory> h = GitHistory::Load(tmp_ + "/does/not/exist");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);
}

TEST_F(GitHistoryTest, EmptyRepositoryIsEmpty) {
  Write("staged.txt", "x");
  Git("add staged.txt");
  GitHistory h = MustLoad(repo_);
  EXPECT_TRUE(h.in_repo());
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.head(), "");
}

TEST_F(GitHistoryTest, BareRepositoryIsEmpty) {
  Write("a.txt", "1");
  Commit(1);
  Sh("git clone -q --bare repo bare.git", tmp_);
  GitHistory h = MustLoad(tmp_ + "/bare.git");
  EXPECT_FALSE(h.in_repo());
  EXPECT_EQ(h.size(), 0u);
}

TEST_F(GitHistoryTest, ShallowCloneTreatsBoundaryAsRoot) {
  Write("a.txt", "1");
  Write("b.txt", "1");
  Commit(1);
  Write("a.txt", "2");
  Commit(2);
  Write("a.txt", "3");
  std::string head = Commit(3);
  Sh("git clone -q --depth 2 file://" + repo_ + " shallow", tmp_);
  GitHistory h = MustLoad(tmp_ + "/shallow");
  EXPECT_EQ(h.head(), head);
  ASSERT_NE(h.Find("a.txt"), nullptr);
  EXPECT_EQ(h.Find("a.txt")->commit, head);
  EXPECT_EQ(h.Find("a.txt")->commits, 2);  // the boundary commit adds everything
  ASSERT_NE(h.Find("b.txt"), nullptr);
  EXPECT_EQ(h.Find("b.txt")->commits, 1);
}

TEST_F(GitHistoryTest, MaxCommitsLimitsTheWalk) {
  Write("a.txt", "1");
  Write("b.txt", "1");
  Commit(1);
  Write("a.txt", "2");
  std::string c2 = Commit(2);
  GitHistory h = MustLoad(repo_, /*max_commits=*/1);
  EXPECT_EQ(h.size(), 1u);
  ASSERT_NE(h.Find("a.txt"), nullptr);
  EXPECT_EQ(h.Find("a.txt")->commit, c2);
  EXPECT_EQ(h.Find("a.txt")->commits, 1);
  EXPECT_EQ(h.Find("b.txt"), nullptr);
}

TEST_F(GitHistoryTest, CancelledBeforeTheWalkStops) {
  Write("a.txt", "1");
  Commit(1);
  std::atomic<bool> cancel{true};
  Result<GitHistory> h = GitHistory::Load(repo_, &cancel);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kCancelled);
}

TEST_F(GitHistoryTest, SafeToShareBetweenThreads) {
  for (int i = 0; i < 5; ++i) {
    Write("f" + std::to_string(i) + ".txt", std::to_string(i));
    Commit(i);
  }
  const GitHistory h = MustLoad(repo_);
  std::vector<std::thread> readers;
  std::atomic<int> found{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (h.Find("f" + std::to_string(i) + ".txt") != nullptr) found.fetch_add(1);
      }
    });
  }
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(found.load(), 20);
}

}  // namespace
}  // namespace trawl
