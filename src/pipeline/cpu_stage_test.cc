// The CPU stage: what a worker makes of one file (chunks with their embed texts' hashes,
// vectors from a local embedder, or the reason it was skipped or failed), and a run of
// the stage over a feed, every file handed on once holding its shares of the budgets.
#include "pipeline/cpu_stage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base/hash.h"
#include "pipeline/embed_text.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;

class CpuStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trawl_cpu_stage_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tree");
    StoreConfig config;
    config.index_dir = (dir_ / "index").string();
    config.shards = 1;
    auto store = OpenStore(config, OpenMode::kWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto embedder = MakeEmbedder(options_.embeddings);
    ASSERT_TRUE(embedder.ok());
    embedder_ = std::move(embedder).value();
    ASSERT_TRUE(store_->BindEmbedder(embedder_->Name(), embedder_->Dimensions(), false).ok());
    options_.indexing.max_file_size_kb = 4;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  FileEntry Write(const std::string& path, const std::string& text, const std::string& language = "python") {
    fs::path p = dir_ / "tree" / path;
    std::ofstream(p, std::ios::binary) << text;
    FileEntry e;
    e.path = path;
    e.abs_path = p.string();
    e.language = language;
    e.size = text.size();
    return e;
  }

  std::unique_ptr<FileWork> Process(const FileEntry& e) {
    TaskFeed feed(*store_, {}, "run-test");
    CpuStage stage(options_, *store_, *embedder_, nullptr, feed, control_, counters_);
    Chunker chunker(ChunkOptions{});
    return stage.ProcessFile(e, chunker, 0);
  }

  fs::path dir_;
  Options options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Embedder> embedder_;
  FileBudgets budgets_{64 << 20};
  RunControl control_{nullptr, &budgets_};
  RunCounters counters_{2};
};

TEST_F(CpuStageTest, AFileBecomesChunksWithVectorsFromALocalEmbedder) {
  const std::string text = "def alpha(x):\n    return x + 1\n\n\ndef beta(y):\n    return alpha(y) * 2\n";
  std::unique_ptr<FileWork> w = Process(Write("mod.py", text));
  ASSERT_NE(w, nullptr);
  const FileRecord& f = w->write.file;
  EXPECT_EQ(f.status, FileStatus::kIndexed);
  EXPECT_EQ(f.content_hash, HashHex(text));
  EXPECT_EQ(f.size, text.size());
  ASSERT_FALSE(w->write.chunks.empty());
  for (const auto& c : w->write.chunks) {
    // The vector's key is the hash of what the embedder saw.
    EXPECT_EQ(c.content_hash, HashHex(EmbedText("mod.py", c.context, c.content)));
    // Prepare took the vector into its stored form.
    EXPECT_EQ(c.prepared.vector_dims, embedder_->Dimensions());
  }
  // Embedded on the worker: nothing left for the embed service, and Prepare encoded it.
  EXPECT_TRUE(w->need_vectors.empty());
  EXPECT_TRUE(w->embed_texts.empty());
  EXPECT_TRUE(w->write.prepared);
  EXPECT_EQ(counters_.vectors_embedded.load(), static_cast<int64_t>(w->write.chunks.size()));
  EXPECT_EQ(counters_.stage(Stage::kRead).items.load(), 1);
  EXPECT_EQ(counters_.stage(Stage::kChunk).items.load(), 1);
  EXPECT_EQ(counters_.stage(Stage::kEnrich).items.load(), 1);
  EXPECT_EQ(counters_.workers[0].files.load(), 1);
  EXPECT_EQ(counters_.workers[1].files.load(), 0);
}

TEST_F(CpuStageTest, SkippedAndFailedFilesSayWhy) {
  std::unique_ptr<FileWork> large = Process(Write("large.py", std::string(5000, '#') + "\n"));
  EXPECT_EQ(large->write.file.status, FileStatus::kSkipped);
  EXPECT_EQ(large->write.file.error, "too_large");
  std::unique_ptr<FileWork> binary = Process(Write("blob.py", std::string("abc\0def", 7)));
  EXPECT_EQ(binary->write.file.status, FileStatus::kSkipped);
  EXPECT_EQ(binary->write.file.error, "binary");
  FileEntry missing = Write("missing.py", "x = 1\n");
  fs::remove(missing.abs_path);
  std::unique_ptr<FileWork> unreadable = Process(missing);
  EXPECT_EQ(unreadable->write.file.status, FileStatus::kFailed);
  EXPECT_EQ(unreadable->write.file.error.rfind("unreadable: ", 0), 0u) << unreadable->write.file.error;
  for (const auto* w : {large.get(), binary.get(), unreadable.get()}) {
    EXPECT_TRUE(w->write.chunks.empty());
    EXPECT_TRUE(w->need_vectors.empty());
  }
}

TEST_F(CpuStageTest, ACHeaderWrittenInCppIsCpp) {
  std::unique_ptr<FileWork> cpp = Process(Write("a.h", "namespace x {\nclass A { public: int f(); };\n}\n", "c"));
  EXPECT_EQ(cpp->write.file.language, "cpp");
  std::unique_ptr<FileWork> c = Process(Write("b.h", "struct point { int x, y; };\nint area(struct point p);\n", "c"));
  EXPECT_EQ(c->write.file.language, "c");
}

TEST_F(CpuStageTest, EveryFileOfTheFeedIsHandedOnOnceWithItsBudgets) {
  std::vector<FileEntry> tasks;
  int64_t cost = 0;
  for (int i = 0; i < 24; ++i) {
    std::string text;
    for (int f = 0; f <= i % 4; ++f) text += "def f" + std::to_string(f) + "():\n    return " + std::to_string(i) + "\n\n";
    tasks.push_back(Write("f" + std::to_string(i) + ".py", text));
    cost += InflightCost(tasks.back().size);
  }
  TaskFeed feed(*store_, tasks, "run-test");
  CpuStage stage(options_, *store_, *embedder_, nullptr, feed, control_, counters_);
  WorkQueue<std::unique_ptr<FileWork>> out;
  stage.Run(2, budgets_, out);

  std::set<std::string> paths;
  int64_t held = 0;
  while (out.size() > 0) {
    std::unique_ptr<FileWork> w = std::move(*out.Pop());
    paths.insert(w->write.file.path);
    EXPECT_EQ(w->write.file.status, FileStatus::kIndexed);
    EXPECT_EQ(w->budget_bytes, InflightCost(w->write.file.size));
    EXPECT_EQ(w->backlog_bytes, w->budget_bytes);
    held += w->budget_bytes;
  }
  EXPECT_EQ(paths.size(), tasks.size());
  // Nothing released yet: the budgets hold every file's share (a writer gives it back).
  EXPECT_EQ(held, cost);
  EXPECT_EQ(budgets_.inflight.used(), cost);
  EXPECT_EQ(budgets_.writer_backlog.used(), cost);
  EXPECT_EQ(counters_.workers[0].files.load() + counters_.workers[1].files.load(), 24);
  EXPECT_TRUE(control_.fatal().ok());
}

TEST_F(CpuStageTest, AStoppedRunHandsNothingOn) {
  TaskFeed feed(*store_, {Write("a.py", "x = 1\n")}, "run-test");
  CpuStage stage(options_, *store_, *embedder_, nullptr, feed, control_, counters_);
  control_.Stop();
  WorkQueue<std::unique_ptr<FileWork>> out;
  stage.Run(1, budgets_, out);
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ(budgets_.inflight.used(), 0);
}

}  // namespace
}  // namespace trawl
