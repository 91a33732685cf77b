// A partition's writer against the embedded store: files are staged as they come and
// committed in transactions of `max_files`, their budgets given back at once, a file
// whose embedding failed is recorded as failed, and the partition's deletes commit.
#include "pipeline/partition_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

namespace trawl {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

constexpr int kDims = 4;

class PartitionWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trawl_partition_writer_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    StoreConfig config;
    config.index_dir = dir_.string();
    config.shards = 1;
    auto store = OpenStore(config, OpenMode::kWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->BindEmbedder("test-emb", kDims, false).ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // A finished file holding its shares of both budgets, as the CPU stage hands it on.
  std::unique_ptr<FileWork> File(const std::string& path, int chunks) {
    auto w = std::make_unique<FileWork>();
    w->write.file.path = path;
    w->write.file.language = "python";
    w->write.file.size = 100;
    w->write.file.content_hash = "hash-" + path;
    for (int c = 0; c < chunks; ++c) {
      ChunkRecord r;
      r.start_line = c * 10 + 1;
      r.end_line = c * 10 + 9;
      r.kind = "function";
      r.content = "def f" + std::to_string(c) + "(): pass";
      r.content_hash = path + "#" + std::to_string(c);
      r.vector = {1, 0, 0, static_cast<float>(c)};
      w->write.chunks.push_back(r);
      w->embed_texts.push_back(r.content);
    }
    EXPECT_TRUE(budgets_.inflight.Acquire(1000));
    EXPECT_TRUE(budgets_.writer_backlog.Acquire(1000));
    w->budget_bytes = w->backlog_bytes = 1000;
    return w;
  }

  // Writes `files` (all queued before the writer starts) with `deletes`; returns the
  // paths of each transaction, in commit order.
  std::vector<std::vector<std::string>> Write(std::vector<std::unique_ptr<FileWork>> files,
                                              const std::vector<std::string>& deletes, size_t max_files) {
    std::vector<std::vector<std::string>> commits;
    CommitPolicy policy;
    policy.max_files = max_files;
    policy.interval = std::chrono::hours(1);  // only the count and the end commit here
    PartitionWriter writer(*store_, 0, deletes, policy, budgets_, control_, write_stage_,
                           [&](const CommittedFiles& committed) {
                             commits.emplace_back();
                             for (const auto& w : committed) {
                               commits.back().push_back(w->write.file.path);
                               committed_[w->write.file.path] = {w->write.file.status, w->staged_chunks};
                             }
                           });
    WorkQueue<std::unique_ptr<FileWork>> in;
    for (auto& f : files) in.Push(std::move(f));
    in.Close();
    writer.Run(in);
    return commits;
  }

  std::map<std::string, FileRecord> Stored() {
    std::map<std::string, FileRecord> out;
    auto files = store_->ListFiles();
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (files.ok()) {
      for (auto& f : *files) out[f.path] = f;
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  FileBudgets budgets_{64 << 20};
  RunControl control_{nullptr, &budgets_};
  StageCounter write_stage_;
  std::map<std::string, std::pair<FileStatus, size_t>> committed_;
};

TEST_F(PartitionWriterTest, CommitsEveryMaxFilesAndGivesTheBudgetsBack) {
  std::vector<std::unique_ptr<FileWork>> files;
  for (int i = 0; i < 5; ++i) files.push_back(File("f" + std::to_string(i) + ".py", i + 1));
  auto commits = Write(std::move(files), {}, 2);

  EXPECT_THAT(commits, ElementsAre(ElementsAre("f0.py", "f1.py"), ElementsAre("f2.py", "f3.py"), ElementsAre("f4.py")));
  EXPECT_EQ(budgets_.inflight.used(), 0);
  EXPECT_EQ(budgets_.writer_backlog.used(), 0);
  EXPECT_EQ(write_stage_.items.load(), 5);
  EXPECT_TRUE(control_.fatal().ok());
  auto stored = Stored();
  ASSERT_EQ(stored.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    std::string path = "f" + std::to_string(i) + ".py";
    EXPECT_EQ(stored[path].chunk_count, i + 1) << path;
    EXPECT_EQ(committed_[path].second, static_cast<size_t>(i + 1)) << path;
  }
}

TEST_F(PartitionWriterTest, AFileWhoseEmbeddingFailedIsStoredAsFailed) {
  std::vector<std::unique_ptr<FileWork>> files;
  files.push_back(File("ok.py", 2));
  files.push_back(File("bad.py", 3));
  {
    MutexLock lock(&files.back()->mu);
    files.back()->embed_error = "embedding failed: 500";
  }
  Write(std::move(files), {}, 100);
  auto stored = Stored();
  EXPECT_EQ(stored["ok.py"].status, FileStatus::kIndexed);
  EXPECT_EQ(stored["bad.py"].status, FileStatus::kFailed);
  EXPECT_EQ(stored["bad.py"].error, "embedding failed: 500");
  EXPECT_EQ(stored["bad.py"].chunk_count, 0);
  EXPECT_EQ(committed_["bad.py"].first, FileStatus::kFailed);
  EXPECT_EQ(committed_["bad.py"].second, 0u);
}

TEST_F(PartitionWriterTest, DeletesCommitWithoutFiles) {
  std::vector<std::unique_ptr<FileWork>> files;
  files.push_back(File("keep.py", 1));
  files.push_back(File("gone.py", 1));
  Write(std::move(files), {}, 100);
  ASSERT_EQ(Stored().size(), 2u);
  auto commits = Write({}, {"gone.py"}, 100);
  EXPECT_THAT(commits, ElementsAre(ElementsAre()));
  auto stored = Stored();
  EXPECT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored.count("keep.py"), 1u);
}

TEST_F(PartitionWriterTest, FilesOfAnotherProcessAreNotWritten) {
  std::vector<std::unique_ptr<FileWork>> files;
  files.push_back(File("mine.py", 1));
  files.push_back(File("theirs.py", 1));
  files.back()->elsewhere = true;
  auto commits = Write(std::move(files), {}, 100);
  EXPECT_THAT(commits, ElementsAre(ElementsAre("mine.py", "theirs.py")));
  auto stored = Stored();
  EXPECT_EQ(stored.count("mine.py"), 1u);
  EXPECT_EQ(stored.count("theirs.py"), 0u);
  EXPECT_EQ(budgets_.inflight.used(), 0);
}

}  // namespace
}  // namespace trawl
