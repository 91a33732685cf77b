#include "store/embedded_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "base/file_util.h"
#include "store/chunk_text.h"
#include "store/sqlite_db.h"
#include "store/store_test_util.h"
#include "store/vector_index.h"

namespace trawl {
namespace {

using store_test::MakeChunk;
using store_test::MakeFile;
using store_test::RandomVector;
using store_test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int kDim = 16;

std::unique_ptr<Store> OpenWriter(const std::string& dir, EmbeddedStoreOptions opts = {}) {
  auto s = OpenEmbeddedStore(dir, OpenMode::kWrite, false, opts);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  EXPECT_TRUE((*s)->BindEmbedder("test-emb", kDim, false).ok());
  return std::move(s).value();
}

std::unique_ptr<Store> OpenReader(const std::string& dir, EmbeddedStoreOptions opts = {}) {
  auto s = OpenEmbeddedStore(dir, OpenMode::kRead, false, opts);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<int64_t> Ids(const std::vector<ChunkHit>& hits) {
  std::vector<int64_t> ids;
  for (const auto& h : hits) ids.push_back(h.chunk_id);
  return ids;
}

std::vector<std::string> HitPaths(Store* store, const std::vector<ChunkHit>& hits) {
  auto views = store->GetChunks(Ids(hits));
  EXPECT_TRUE(views.ok());
  std::vector<std::string> paths;
  for (const auto& v : *views) paths.push_back(v.path);
  return paths;
}

std::vector<float> Vec(int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  return RandomVector(&rng, kDim);
}

TEST(StoreTest, CreatesFolderWithGitignoreAndRefusesMissingIndexForReading) {
  TempDir tmp;
  auto missing = OpenEmbeddedStore(tmp.index(), OpenMode::kRead);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store);
  auto gi = ReadFile(tmp.index() + "/.gitignore");
  ASSERT_TRUE(gi.ok());
  EXPECT_EQ(*gi, "*\n");
  EXPECT_TRUE(std::filesystem::exists(tmp.index() + "/index.db"));
  EXPECT_TRUE(OpenReader(tmp.index()));
  // A reader cannot write.
  auto reader = OpenReader(tmp.index());
  EXPECT_EQ(reader->Commit({}, {}).code(), StatusCode::kFailedPrecondition);
}

TEST(StoreTest, CommitReplacesAndDeletesFiles) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("def alpha(): pass", Vec(1), 1, "alpha"),
                                                         MakeChunk("def beta(): pass", Vec(2), 5, "beta")}),
                             MakeFile("b.py", "python", {MakeChunk("def gamma(): pass", Vec(3), 1, "gamma")})},
                            {}).ok());
  auto files = store->ListFiles();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "a.py");
  EXPECT_EQ((*files)[0].chunk_count, 2);
  EXPECT_EQ((*files)[0].git_author, "Ada");
  EXPECT_EQ((*files)[1].chunk_count, 1);

  auto beta = store->SearchLexical(LexicalQuery::FromText("beta"), 10, {});
  ASSERT_TRUE(beta.ok());
  ASSERT_EQ(beta->size(), 1u);
  int64_t old_beta_id = (*beta)[0].chunk_id;

  // Replace a.py: beta goes, delta arrives; ids are never reused.
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("def delta(): pass", Vec(4), 1, "delta")})}, {})
                  .ok());
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("beta"), 10, {})->empty());
  auto delta = store->SearchLexical(LexicalQuery::FromText("delta"), 10, {});
  ASSERT_EQ(delta->size(), 1u);
  EXPECT_GT((*delta)[0].chunk_id, old_beta_id);
  EXPECT_TRUE(store->GetChunks({old_beta_id})->empty());
  // Dense search never returns a replaced chunk.
  auto dense = store->SearchDense(Vec(2), 10, {});
  ASSERT_TRUE(dense.ok());
  auto dense_ids = Ids(*dense);
  EXPECT_EQ(std::count(dense_ids.begin(), dense_ids.end(), old_beta_id), 0);
  EXPECT_EQ(dense->size(), 2u);

  // Delete b.py.
  ASSERT_TRUE(store->Commit({}, {"b.py", "never-indexed.py"}).ok());
  files = store->ListFiles();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("gamma"), 10, {})->empty());
  EXPECT_EQ(store->SearchDense(Vec(3), 10, {})->size(), 1u);

  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->files, 1);
  EXPECT_EQ(stats->chunks, 1);
  EXPECT_EQ(stats->embedder, "test-emb");
  EXPECT_EQ(stats->dimensions, kDim);
  EXPECT_EQ(stats->languages["python"], 1);
}

TEST(StoreTest, CommitIsAllOrNothing) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("alpha", Vec(1))})}, {}).ok());
  auto bad = MakeFile("b.py", "python", {MakeChunk("beta", std::vector<float>(3, 1.0f))});
  Status st = store->Commit({MakeFile("a.py", "python", {MakeChunk("gamma", Vec(2))}), bad}, {});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->SearchLexical(LexicalQuery::FromText("alpha"), 10, {})->size(), 1u);
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("gamma"), 10, {})->empty());
}

// Files are staged into the open transaction as they come: readers see none of them
// until Commit, and a bad write rolls back what was staged with it.
TEST(StoreTest, StagedWritesAreInvisibleUntilCommitAndAllOrNothing) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store->Commit({}, {}).ok());  // the database exists for the reader
  auto reader = OpenEmbeddedStore(tmp.index(), OpenMode::kRead);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_TRUE(store->Stage(MakeFile("a.py", "python", {MakeChunk("alpha", Vec(1))})).ok());
  ASSERT_TRUE(store->Stage(MakeFile("b.py", "python", {MakeChunk("beta", Vec(2))})).ok());
  EXPECT_TRUE((*reader)->SearchLexical(LexicalQuery::FromText("alpha beta"), 10, {})->empty());
  ASSERT_TRUE(store->Commit({}, {}).ok());
  EXPECT_EQ((*reader)->SearchLexical(LexicalQuery::FromText("alpha beta"), 10, {})->size(), 2u);
  ASSERT_TRUE(store->Stage(MakeFile("c.py", "python", {MakeChunk("gamma", Vec(3))})).ok());
  auto bad = MakeFile("d.py", "python", {MakeChunk("delta", std::vector<float>(3, 1.0f))});
  EXPECT_EQ(store->Stage(bad).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->Commit({}, {}).ok());
  EXPECT_TRUE((*reader)->SearchLexical(LexicalQuery::FromText("gamma delta"), 10, {})->empty());
  EXPECT_EQ((*reader)->Stats()->chunks, 2);
}

// A failure must not lose what was indexed (an embedder outage, a file unreadable for a
// moment): an indexed file that fails keeps its last chunks and is listed as failed; a
// new file that fails holds none; the next good write replaces the stale chunks.
TEST(StoreTest, FailedFilesAreRecordedAndKeepTheirLastChunks) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("alpha", Vec(1))})}, {}).ok());
  FileWrite failed = MakeFile("a.py", "python", {MakeChunk("ignored", Vec(2))});
  failed.file.status = FileStatus::kFailed;
  failed.file.error = "embedding failed: server down";
  FileWrite fresh = MakeFile("new.py", "python", {MakeChunk("gamma", Vec(3))});
  fresh.file.status = FileStatus::kFailed;
  fresh.file.error = "unreadable";
  ASSERT_TRUE(store->Commit({failed, fresh}, {}).ok());
  auto ff = store->FailedFiles();
  ASSERT_TRUE(ff.ok());
  ASSERT_EQ(ff->size(), 2u);
  EXPECT_EQ((*ff)[0].path, "a.py");
  EXPECT_EQ((*ff)[0].error, "embedding failed: server down");
  EXPECT_EQ((*ff)[0].chunk_count, 1);
  EXPECT_EQ((*ff)[1].chunk_count, 0);
  EXPECT_EQ(store->SearchLexical(LexicalQuery::FromText("alpha"), 10, {})->size(), 1u);
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("ignored gamma"), 10, {})->empty());
  EXPECT_EQ(store->Stats()->files_failed, 2);
  EXPECT_EQ(store->Stats()->chunks, 1);
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("delta", Vec(4))})}, {}).ok());
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("alpha"), 10, {})->empty());
  EXPECT_EQ(store->SearchLexical(LexicalQuery::FromText("delta"), 10, {})->size(), 1u);
  EXPECT_EQ(store->Stats()->files_failed, 1);
}

// Equal lexical scores come in chunk-id order, which follows indexing history: the list
// does not end inside a group of equal scores, so two indexes of the same content,
// filled in opposite orders, give the same candidates.
TEST(StoreTest, LexicalListEndsAfterAGroupOfEqualScores) {
  std::vector<std::set<std::string>> got;
  for (bool reversed : {false, true}) {
    TempDir tmp;
    auto store = OpenWriter(tmp.index());
    std::vector<FileWrite> writes;
    for (int i = 0; i < 150; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "f%03d.py", reversed ? 149 - i : i);
      writes.push_back(MakeFile(name, "python", {MakeChunk("walrus = 1", Vec(i % 4 + 1))}));
    }
    writes.push_back(MakeFile("z.py", "python", {MakeChunk("walrus walrus walrus", Vec(1))}));
    ASSERT_TRUE(store->Commit(writes, {}).ok());
    auto hits = store->SearchLexical(LexicalQuery::FromText("walrus"), 100, {});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 151u);  // the best, then all 150 equal ones, not 99 of them
    std::vector<int64_t> ids;
    for (const auto& h : *hits) ids.push_back(h.chunk_id);
    auto views = store->GetChunks(ids);
    ASSERT_TRUE(views.ok());
    std::set<std::string> paths;
    for (const auto& v : *views) paths.insert(v.path);
    got.push_back(paths);
  }
  EXPECT_EQ(got[0], got[1]);
}

TEST(StoreTest, SkippedFilesAreListedButNotCountedAsIndexedOrFailed) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  FileWrite skipped = MakeFile("blob.txt", "text", {});
  skipped.file.status = FileStatus::kSkipped;
  skipped.file.error = "binary";
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("alpha", Vec(1))}), skipped}, {}).ok());
  auto files = store->ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
  auto stats = store->Stats();
  EXPECT_EQ(stats->files, 1);
  EXPECT_EQ(stats->files_failed, 0);
  EXPECT_EQ(stats->files_skipped, 1);
  EXPECT_TRUE(store->FailedFiles()->empty());
  // The stored form, and what anything else reads as.
  EXPECT_EQ(ParseFileStatus(FileStatusName(FileStatus::kSkipped)), FileStatus::kSkipped);
  EXPECT_EQ(ParseFileStatus(FileStatusName(FileStatus::kIndexed)), FileStatus::kIndexed);
  EXPECT_EQ(ParseFileStatus("weird"), FileStatus::kFailed);
}

TEST(StoreTest, LexicalFindsIdentifierParts) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store->Commit(
      {MakeFile("src/reader.py", "python", {MakeChunk("def parse_file(path):\n  return open(path)", Vec(1), 1, "parse_file")}),
       MakeFile("web/reader.js", "javascript", {MakeChunk("function parseFile(p) { return fs.read(p); }", Vec(2), 1, "parseFile")}),
       MakeFile("docs/notes.md", "markdown", {MakeChunk("Notes about the HTTPServer and a file.", Vec(3))})},
      {}).ok());
  auto paths = [&](const std::string& q) {
    auto hits = store->SearchLexical(LexicalQuery::FromText(q), 10, {});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return HitPaths(store.get(), *hits);
  };
  EXPECT_THAT(paths("parse"), UnorderedElementsAre("src/reader.py", "web/reader.js"));
  EXPECT_THAT(paths("parsefile"), UnorderedElementsAre("src/reader.py", "web/reader.js"));
  // "parse_file" is parsefile OR parse OR file: the notes mention "file", ranked last.
  EXPECT_THAT(paths("parse_file"), ElementsAre(::testing::AnyOf("src/reader.py", "web/reader.js"),
                                               ::testing::AnyOf("src/reader.py", "web/reader.js"), "docs/notes.md"));
  EXPECT_THAT(paths("http server"), ElementsAre("docs/notes.md"));
  EXPECT_THAT(paths("HTTPServer"), ElementsAre("docs/notes.md"));
  // Path terms are searchable, and a symbol match outranks a mention in the body.
  EXPECT_THAT(paths("notes"), ElementsAre("docs/notes.md"));
  EXPECT_EQ(paths("file")[2], "docs/notes.md");
  EXPECT_TRUE(paths("\"(*&^").empty());
  EXPECT_TRUE(paths("nonexistentterm").empty());
  auto hits = store->SearchLexical(LexicalQuery::FromText("parse"), 10, {});
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_GT((*hits)[0].score, 0);
  EXPECT_GE((*hits)[0].score, (*hits)[1].score);
}

TEST(StoreTest, PorterOptionStemsTerms) {
  TempDir tmp;
  EmbeddedStoreOptions opts;
  opts.fts_porter = true;
  auto store = OpenWriter(tmp.index(), opts);
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("def parsing_files(): pass", Vec(1))})}, {}).ok());
  EXPECT_EQ(store->SearchLexical(LexicalQuery::FromText("parse file"), 10, {})->size(), 1u);
}

class FilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenWriter(tmp_.index());
    std::vector<FileWrite> writes;
    const char* files[][2] = {{"src/store/a.cc", "cpp"}, {"src/store/b.h", "cpp"}, {"src/web/app.py", "python"},
                              {"tools/gen.py", "python"}, {"main.go", "go"}, {"docs/x.md", "markdown"}};
    int seed = 0;
    for (auto& f : files) {
      writes.push_back(MakeFile(f[0], f[1], {MakeChunk(std::string("shared_token in ") + f[0], Vec(++seed))}));
    }
    ASSERT_TRUE(store_->Commit(writes, {}).ok());
  }
  std::vector<std::string> Lexical(SearchFilter filter) {
    auto hits = store_->SearchLexical(LexicalQuery::FromText("shared token"), 10, filter);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    auto p = HitPaths(store_.get(), *hits);
    std::sort(p.begin(), p.end());
    return p;
  }
  std::vector<std::string> Dense(SearchFilter filter, int k = 10) {
    auto hits = store_->SearchDense(Vec(1), k, filter);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    auto p = HitPaths(store_.get(), *hits);
    std::sort(p.begin(), p.end());
    return p;
  }
  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(FilterTest, Languages) {
  EXPECT_THAT(Lexical({{"python"}, {}}), ElementsAre("src/web/app.py", "tools/gen.py"));
  EXPECT_THAT(Lexical({{"go", "markdown"}, {}}), ElementsAre("docs/x.md", "main.go"));
  EXPECT_THAT(Dense({{"python"}, {}}), ElementsAre("src/web/app.py", "tools/gen.py"));
  EXPECT_TRUE(Lexical({{"rust"}, {}}).empty());
}

TEST_F(FilterTest, PathGlobs) {
  EXPECT_THAT(Lexical({{}, {"*.py"}}), ElementsAre("src/web/app.py", "tools/gen.py"));
  EXPECT_THAT(Lexical({{}, {"src/store"}}), ElementsAre("src/store/a.cc", "src/store/b.h"));
  EXPECT_THAT(Lexical({{}, {"src/**/*.py", "*.go"}}), ElementsAre("main.go", "src/web/app.py"));
  EXPECT_THAT(Lexical({{"cpp"}, {"*.h"}}), ElementsAre("src/store/b.h"));
  EXPECT_THAT(Dense({{}, {"docs/"}}), ElementsAre("docs/x.md"));
}

TEST_F(FilterTest, SelectiveFilterKeepsRecall) {
  // k=1 with a filter that rejects the nearest chunks still finds one.
  EXPECT_THAT(Dense({{"markdown"}, {}}, 1), ElementsAre("docs/x.md"));
  auto hits = store_->SearchLexical(LexicalQuery::FromText("shared"), 1, {{"markdown"}, {}});
  EXPECT_EQ(HitPaths(store_.get(), *hits), std::vector<std::string>{"docs/x.md"});
}

TEST(StoreTest, LookupVectorsReturnsCachedVectorsOfTheBoundEmbedder) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  auto c = MakeChunk("alpha", Vec(1));
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {c})}, {}).ok());
  auto got = store->LookupVectors({c.content_hash, "missing"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  const auto& v = got->at(c.content_hash);
  ASSERT_EQ(v.size(), static_cast<size_t>(kDim));
  for (int i = 0; i < kDim; ++i) EXPECT_NEAR(v[i], c.vector[i], 0.004);
  // A renamed file reuses the vector by content hash.
  ASSERT_TRUE(store->Commit({MakeFile("b.py", "python", {MakeChunk("alpha", {})})}, {"a.py"}).ok());
  EXPECT_EQ(store->SearchDense(Vec(1), 1, {})->size(), 1u);
}

TEST(StoreTest, EmbedderMismatchFailsUnlessReset) {
  TempDir tmp;
  {
    auto store = OpenWriter(tmp.index());
    ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("alpha", Vec(1))})}, {}).ok());
  }
  auto s = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE(s.ok());
  auto& store = *s;
  EXPECT_TRUE(store->BindEmbedder("test-emb", kDim, false).ok());
  Status st = store->BindEmbedder("other", 32, false);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("index was built with embedder test-emb (dim 16); this run uses other (dim 32)"));
  EXPECT_THAT(st.message(), HasSubstr("trawl index --rebuild"));
  ASSERT_TRUE(store->BindEmbedder("other", 32, true).ok());
  auto stats = store->Stats();
  EXPECT_EQ(stats->files, 0);
  EXPECT_EQ(stats->chunks, 0);
  EXPECT_EQ(stats->vectors, 0);
  EXPECT_EQ(stats->embedder, "other");
  EXPECT_EQ(stats->dimensions, 32);
  EXPECT_TRUE(store->SearchLexical(LexicalQuery::FromText("alpha"), 10, {})->empty());
}

TEST(StoreTest, WriterLockRefusesSecondWriter) {
  TempDir tmp;
  auto first = OpenWriter(tmp.index());
  auto second = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr("index " + tmp.index() + " is being written by another trawl process (pid " +
                        std::to_string(::getpid()) + ")"));
  // Readers are welcome.
  EXPECT_TRUE(OpenReader(tmp.index()));
  first.reset();
  EXPECT_TRUE(OpenEmbeddedStore(tmp.index(), OpenMode::kWrite).ok());
}

TEST(StoreTest, RunsAndFilesKnown) {
  TempDir tmp;
  auto store = OpenWriter(tmp.index());
  ASSERT_TRUE(store->SaveRun({"r1", 100, 0, "running", "{}"}).ok());
  ASSERT_TRUE(store->SaveRun({"r2", 200, 0, "running", "{}"}).ok());
  ASSERT_TRUE(store->SaveRun({"r1", 100, 150, "finished", "{\"files\":3}"}).ok());
  ASSERT_TRUE(store->SetFilesKnown(42).ok());
  auto runs = store->Runs(10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, "r2");
  EXPECT_EQ((*runs)[1].state, "finished");
  EXPECT_EQ((*runs)[1].summary_json, "{\"files\":3}");
  EXPECT_EQ(store->Runs(1)->size(), 1u);
  EXPECT_EQ(store->Stats()->files_known, 42);
}

// --- dense search: exact is the oracle ----------------------------------------------

// The vector as the store keeps it (normalised, int8-quantised): the exact oracle.
std::vector<float> Stored(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  EXPECT_TRUE(store_internal::DecodeVector(store_internal::EncodeVector(v), static_cast<int>(v.size()), out.data()));
  return out;
}

// Commits n single-chunk files with random vectors; returns their stored vectors by path.
std::map<std::string, std::vector<float>> CommitRandom(Store* store, int n, int dim, unsigned seed,
                                                       int first = 0, int batch = 500) {
  std::mt19937 rng(seed);
  std::map<std::string, std::vector<float>> out;
  std::vector<FileWrite> writes;
  for (int i = first; i < first + n; ++i) {
    std::string path = "f" + std::to_string(i) + ".txt";
    auto v = RandomVector(&rng, dim);
    out[path] = Stored(v);
    writes.push_back(MakeFile(path, "text", {MakeChunk("chunk number " + std::to_string(i), v)}));
    if (static_cast<int>(writes.size()) == batch) {
      EXPECT_TRUE(store->Commit(writes, {}).ok());
      writes.clear();
    }
  }
  if (!writes.empty()) {
    EXPECT_TRUE(store->Commit(writes, {}).ok());
  }
  return out;
}

std::vector<std::string> ExactTopPaths(const std::map<std::string, std::vector<float>>& vecs,
                                       const std::vector<float>& q, size_t k) {
  std::vector<std::pair<float, std::string>> scored;
  for (const auto& [path, v] : vecs) {
    float s = 0;
    for (size_t i = 0; i < v.size(); ++i) s += v[i] * q[i];
    scored.push_back({-s, path});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < k && i < scored.size(); ++i) out.push_back(scored[i].second);
  return out;
}

double RecallAt10(Store* store, const std::map<std::string, std::vector<float>>& vecs, int dim,
                  int queries, unsigned seed) {
  std::mt19937 rng(seed);
  double found = 0;
  for (int qi = 0; qi < queries; ++qi) {
    auto q = RandomVector(&rng, dim);
    auto truth = ExactTopPaths(vecs, q, 10);
    auto hits = store->SearchDense(q, 10, {});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    auto got = HitPaths(store, *hits);
    std::set<std::string> g(got.begin(), got.end());
    for (const auto& t : truth) found += g.count(t);
  }
  return found / (10.0 * queries);
}

constexpr int kBigDim = 48;

EmbeddedStoreOptions SmallFileOptions() {
  EmbeddedStoreOptions o;
  o.exact_search_limit = 1000;  // make a few thousand vectors use a vector file
  return o;
}

std::unique_ptr<Store> OpenBigWriter(const std::string& dir) {
  auto s = OpenEmbeddedStore(dir, OpenMode::kWrite, false, SmallFileOptions());
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE((*s)->BindEmbedder("rand", kBigDim, false).ok());
  return std::move(s).value();
}

std::vector<std::string> VectorFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("vectors-", 0) == 0) out.push_back(name);
  }
  return out;
}

TEST(DenseTest, ExactSearchMatchesOracleBelowTheLimit) {
  TempDir tmp;
  auto s = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE((*s)->BindEmbedder("rand", kBigDim, false).ok());
  auto vecs = CommitRandom(s->get(), 800, kBigDim, 7);
  ASSERT_TRUE((*s)->Checkpoint().ok());
  EXPECT_TRUE(VectorFiles(tmp.index()).empty());  // small: no vector file
  EXPECT_DOUBLE_EQ(RecallAt10(s->get(), vecs, kBigDim, 20, 99), 1.0);
}

TEST(DenseTest, VectorFileSearchIsExact) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 5000, kBigDim, 11);
  // Before the checkpoint, search is exact over the rows; after it, over the file.
  EXPECT_DOUBLE_EQ(RecallAt10(store.get(), vecs, kBigDim, 10, 5), 1.0);
  ASSERT_TRUE(store->Checkpoint().ok());
  ASSERT_EQ(VectorFiles(tmp.index()).size(), 1u);
  EXPECT_DOUBLE_EQ(RecallAt10(store.get(), vecs, kBigDim, 50, 5), 1.0);
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  EXPECT_DOUBLE_EQ(RecallAt10(reader.get(), vecs, kBigDim, 50, 5), 1.0);
}

TEST(DenseTest, SmallChangesKeepTheFileAndAreSearchedFromTheRows) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 3000, kBigDim, 12);
  ASSERT_TRUE(store->Checkpoint().ok());
  auto first = VectorFiles(tmp.index());
  ASSERT_EQ(first.size(), 1u);
  // A few edits (watch mode): below the tail and deletion fractions, no rewrite.
  auto added = CommitRandom(store.get(), 50, kBigDim, 13, 5000);
  vecs.insert(added.begin(), added.end());
  ASSERT_TRUE(store->Commit({}, {"f7.txt"}).ok());
  vecs.erase("f7.txt");
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(VectorFiles(tmp.index()), first);
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  for (Store* s : {store.get(), reader.get()}) {
    EXPECT_DOUBLE_EQ(RecallAt10(s, vecs, kBigDim, 30, 6), 1.0);
    // A new file is found by its vector, the deleted one never.
    auto hits = s->SearchDense(vecs["f5020.txt"], 1, {});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(HitPaths(s, *hits), std::vector<std::string>{"f5020.txt"});
  }
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The vector file a fill from empty writes as it commits must equal the one Checkpoint
// reads back from the rows, byte for byte, including when a chunk reuses a stored vector
// (given again, re-quantised, by the pipeline) and when a commit removes chunks. The rows
// are read when the store did not see the index empty (here: reopened after its first
// commit).
std::string FillForStream(const std::string& dir, bool replace_midway, bool reopen) {
  auto store = OpenBigWriter(dir);
  CommitRandom(store.get(), 1500, kBigDim, 21);
  if (reopen) {
    store.reset();
    store = OpenBigWriter(dir);
  }
  std::mt19937 rng(5);
  // Same content as f5.txt, another vector: the stored one is what the rows give.
  EXPECT_TRUE(store->Commit({MakeFile("dup.txt", "text", {MakeChunk("chunk number 5", RandomVector(&rng, kBigDim))})},
                            {}).ok());
  if (replace_midway) {
    EXPECT_TRUE(store->Commit({MakeFile("f3.txt", "text", {MakeChunk("new text", RandomVector(&rng, kBigDim))})},
                              {}).ok());
  }
  CommitRandom(store.get(), 1500, kBigDim, 22, 1500);
  EXPECT_TRUE(store->Checkpoint().ok());
  auto files = VectorFiles(dir);
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : ReadBytes(dir + "/" + files[0]);
}

void ExpectStreamedFileEqualsRowsFile(bool replace_midway) {
  TempDir streamed, rows;
  std::string a = FillForStream(streamed.index(), replace_midway, false);
  std::string b = FillForStream(rows.index(), replace_midway, true);
  ASSERT_GT(a.size(), 3000u * kBigDim);
  EXPECT_TRUE(a == b);
}

TEST(DenseTest, VectorFileWrittenWhileFillingEqualsTheOneReadFromTheRows) {
  ExpectStreamedFileEqualsRowsFile(false);
}

TEST(DenseTest, VectorFileAfterARemovalEqualsTheOneReadFromTheRows) { ExpectStreamedFileEqualsRowsFile(true); }

// Rows of the `vectors` table (the log of vectors the vector file does not hold).
int64_t LoggedVectors(const std::string& dir) {
  auto db = store_internal::Db::Open(dir + "/index.db", /*read_only=*/true, 1000);
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return -1;
  auto st = (*db)->Prepare("SELECT count(*) FROM vectors");
  EXPECT_TRUE(st.ok());
  auto row = (*st)->Step();
  EXPECT_TRUE(row.ok() && *row);
  return (*st)->Int(0);
}

// Every file's chunks with their vectors' exact bits.
std::string ExactScan(Store* store) {
  std::string out;
  auto scan = store->Scan();
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  if (!scan.ok()) return out;
  ScannedFile sf;
  while (true) {
    auto more = (*scan)->Next(&sf);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    for (const auto& c : sf.chunks) {
      out += sf.file.path + " " + c.content_hash + " " + std::to_string(c.vector.size()) + ":";
      out.append(reinterpret_cast<const char*>(c.vector.data()), c.vector.size() * sizeof(float));
      out += "\n";
    }
  }
  return out;
}

// Each vector is stored once: a checkpoint that writes the vector file empties the log,
// and everything that reads vectors reads them from the file alike, to the bit.
TEST(DenseTest, CheckpointedVectorsLiveOnlyInTheFileAndReadTheSame) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 3000, kBigDim, 61);
  EXPECT_EQ(LoggedVectors(tmp.index()), 3000);
  std::string before = ExactScan(store.get());
  auto looked_before = store->LookupVectors({HashHex("chunk number 7"), HashHex("chunk number 2999")});
  ASSERT_TRUE(looked_before.ok());
  ASSERT_EQ(looked_before->size(), 2u);
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(LoggedVectors(tmp.index()), 0);
  EXPECT_EQ(store->Stats()->vectors, 3000);
  EXPECT_TRUE(ExactScan(store.get()) == before);
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  EXPECT_TRUE(ExactScan(reader.get()) == before);
  // Reuse by content hash finds vectors that live only in the file, bit for bit.
  for (Store* s : {store.get(), reader.get()}) {
    auto looked = s->LookupVectors({HashHex("chunk number 7"), HashHex("chunk number 2999"), HashHex("nothing")});
    ASSERT_TRUE(looked.ok());
    EXPECT_EQ(*looked, *looked_before);
  }
  // A reused vector comes back (decoded, quantised again) with a new chunk of that
  // content: it is logged with the file's bytes, so both chunks read the same.
  auto reused = (*looked_before)[HashHex("chunk number 7")];
  ASSERT_TRUE(store->Commit({MakeFile("copy.txt", "text", {MakeChunk("chunk number 7", reused)})}, {}).ok());
  EXPECT_EQ(LoggedVectors(tmp.index()), 1);
  std::string after = ExactScan(store.get());
  size_t copy = after.find("copy.txt ");
  size_t orig = after.find("f7.txt ");
  ASSERT_NE(copy, std::string::npos);
  ASSERT_NE(orig, std::string::npos);
  EXPECT_EQ(after.substr(copy + 9, after.find('\n', copy) - copy - 9), after.substr(orig + 7, after.find('\n', orig) - orig - 7));
  // Deleted, its vector stays in the file (tombstoned) and is still found by content.
  ASSERT_TRUE(store->Commit({}, {"f7.txt", "copy.txt"}).ok());
  ASSERT_TRUE(store->Checkpoint().ok());
  auto cached = store->LookupVectors({HashHex("chunk number 7")});
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->size(), 1u);
  vecs.erase("f7.txt");
  EXPECT_DOUBLE_EQ(RecallAt10(reader.get(), vecs, kBigDim, 20, 62), 1.0);
}

// A crash after the new vector file is in place but before the transaction that names
// it (and empties the log) commits: the database still names the old file and holds
// the whole log, and the next writer carries on from there.
TEST(DenseTest, CrashBetweenFileWriteAndLogTruncationLosesNothing) {
  TempDir tmp;
  namespace fs = std::filesystem;
  fs::path saved = fs::path(tmp.path()) / "saved";
  std::map<std::string, std::vector<float>> vecs;
  {
    auto store = OpenBigWriter(tmp.index());
    vecs = CommitRandom(store.get(), 2000, kBigDim, 71);
    ASSERT_TRUE(store->Checkpoint().ok());
    auto more = CommitRandom(store.get(), 1000, kBigDim, 72, 2000);  // a tail past a tenth
    vecs.insert(more.begin(), more.end());
  }
  EXPECT_EQ(LoggedVectors(tmp.index()), 1000);
  std::string want = ExactScan(OpenReader(tmp.index(), SmallFileOptions()).get());
  // The state the crash leaves: the database and the old file as they were before the
  // checkpoint's transaction (the old file is removed only after it commits).
  fs::create_directories(saved);
  auto old_files = VectorFiles(tmp.index());
  ASSERT_EQ(old_files.size(), 1u);
  for (const auto& e : fs::directory_iterator(tmp.index())) {
    std::string name = e.path().filename().string();
    if (name.rfind("index.db", 0) == 0 || name == old_files[0]) fs::copy_file(e.path(), saved / name);
  }
  {
    auto store = OpenBigWriter(tmp.index());
    ASSERT_TRUE(store->Checkpoint().ok());  // writes the next generation, empties the log
  }
  EXPECT_EQ(LoggedVectors(tmp.index()), 0);
  auto new_files = VectorFiles(tmp.index());
  ASSERT_EQ(new_files.size(), 1u);
  ASSERT_NE(new_files, old_files);
  for (const auto& e : fs::directory_iterator(tmp.index())) {
    if (e.path().filename().string().rfind("index.db", 0) == 0) fs::remove(e.path());
  }
  for (const auto& e : fs::directory_iterator(saved)) fs::copy_file(e.path(), tmp.index() + "/" + e.path().filename().string());
  ASSERT_EQ(VectorFiles(tmp.index()).size(), 2u);

  auto store = OpenBigWriter(tmp.index());
  EXPECT_EQ(VectorFiles(tmp.index()), old_files);  // the orphan went
  EXPECT_EQ(LoggedVectors(tmp.index()), 1000);
  EXPECT_TRUE(ExactScan(store.get()) == want);
  EXPECT_DOUBLE_EQ(RecallAt10(store.get(), vecs, kBigDim, 20, 73), 1.0);
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(LoggedVectors(tmp.index()), 0);
  EXPECT_TRUE(ExactScan(store.get()) == want);
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  EXPECT_TRUE(ExactScan(reader.get()) == want);
  EXPECT_DOUBLE_EQ(RecallAt10(reader.get(), vecs, kBigDim, 20, 73), 1.0);
}

TEST(DenseTest, UnusedLoggedVectorsAreSweptOnceRemovalsReachATenth) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 2000, kBigDim, 14);
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(store->Stats()->vectors, 2000);
  // 150 files gone (7.5% of the index): the file keeps their vectors, still found by content.
  std::vector<std::string> gone;
  for (int i = 0; i < 150; ++i) gone.push_back("f" + std::to_string(i) + ".txt");
  ASSERT_TRUE(store->Commit({}, gone).ok());
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(store->Stats()->chunks, 1850);
  EXPECT_EQ(store->Stats()->vectors, 1850);
  EXPECT_EQ(store->LookupVectors({HashHex("chunk number 3")})->size(), 1u);
  // 100 new files (the log), 60 of them gone again: 210 removed since the last sweep,
  // over a tenth of the 1890 left, so the log keeps only the vectors of live chunks.
  auto added = CommitRandom(store.get(), 100, kBigDim, 15, 2000);
  gone.clear();
  for (int i = 2000; i < 2060; ++i) gone.push_back("f" + std::to_string(i) + ".txt");
  EXPECT_EQ(store->LookupVectors({HashHex("chunk number 2001")})->size(), 1u);
  ASSERT_TRUE(store->Commit({}, gone).ok());
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_EQ(LoggedVectors(tmp.index()), 40);
  EXPECT_EQ(store->Stats()->vectors, 1890);
  EXPECT_TRUE(store->LookupVectors({HashHex("chunk number 2001")})->empty());
  EXPECT_EQ(store->LookupVectors({HashHex("chunk number 3"), HashHex("chunk number 2070")})->size(), 2u);
  for (int i = 0; i < 150; ++i) vecs.erase("f" + std::to_string(i) + ".txt");
  for (int i = 2060; i < 2100; ++i) vecs["f" + std::to_string(i) + ".txt"] = added["f" + std::to_string(i) + ".txt"];
  EXPECT_DOUBLE_EQ(RecallAt10(store.get(), vecs, kBigDim, 20, 8), 1.0);
}

// Overwrites every vector of a vector file with zeros, in place (size kept): the
// blocks after the 32-byte header, as many as its count (at byte 16) needs.
void ZeroVectorBlocks(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t count = 0;
  f.seekg(16);
  f.read(reinterpret_cast<char*>(&count), sizeof(count));
  std::string zeros(static_cast<size_t>(kBigDim) * 2048, '\0');  // one block
  f.seekp(32);
  for (uint64_t row = 0; row < count; row += 2048) f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  ASSERT_TRUE(f.good());
}

// A writer over `n` random vectors, checkpointed: its one vector file.
std::string FillAndCheckpoint(Store* store, const TempDir& tmp, int n, unsigned seed,
                              std::map<std::string, std::vector<float>>* vecs) {
  *vecs = CommitRandom(store, n, kBigDim, seed);
  EXPECT_TRUE(store->Checkpoint().ok());
  auto files = VectorFiles(tmp.index());
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : tmp.index() + "/" + files[0];
}

void ExpectLostVectors(const Status& st) {
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("holds the only copy of its vectors"));
  EXPECT_THAT(st.message(), HasSubstr("`trawl index --rebuild`"));
}

TEST(DenseTest, DamageThatKeepsTheFilesStampIsFoundByTheNextRun) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  std::map<std::string, std::vector<float>> vecs;
  std::string vfile = FillAndCheckpoint(store.get(), tmp, 3000, 15, &vecs);
  auto written = std::filesystem::last_write_time(vfile);
  ZeroVectorBlocks(vfile);
  std::filesystem::last_write_time(vfile, written);  // bit rot: size, time, inode kept
  // The next run's checkpoint hashes the file it would keep: the vectors are lost, and
  // it says so, with the way out. Verify finds it too.
  CommitRandom(store.get(), 10, kBigDim, 16, 3000);
  ExpectLostVectors(store->Checkpoint());
  ExpectLostVectors(OpenReader(tmp.index(), SmallFileOptions())->Verify());
}

// The vector file holds the only copy of the vectors it covers: when it is damaged,
// changed or missing, whatever needs them fails with a Corruption naming the way out
// (never a silent search without them), and a rebuild makes the index whole again.
TEST(DenseTest, DamagedVectorFileIsReportedWithTheWayOut) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  std::map<std::string, std::vector<float>> vecs;
  std::string vfile = FillAndCheckpoint(store.get(), tmp, 3000, 13, &vecs);
  auto expect_reported = [&](const char* what) {
    SCOPED_TRACE(what);
    auto reader = OpenReader(tmp.index(), SmallFileOptions());
    ExpectLostVectors(reader->SearchDense(vecs.begin()->second, 10, {}).status());
    ExpectLostVectors(reader->Scan().status());
    ExpectLostVectors(reader->Verify());
    // Lexical search needs no vectors.
    EXPECT_TRUE(reader->SearchLexical(LexicalQuery::FromText("chunk"), 10, {}).ok());
  };
  // Changed in place, size kept, later than written: readers hash it and notice.
  auto written = std::filesystem::last_write_time(vfile);
  ZeroVectorBlocks(vfile);
  std::filesystem::last_write_time(vfile, written + std::chrono::seconds(2));
  expect_reported("zeroed");
  std::filesystem::resize_file(vfile, 20);
  expect_reported("truncated");
  ASSERT_TRUE(WriteFileAtomic(vfile, std::string(4096, 'x')).ok());
  expect_reported("overwritten");
  std::filesystem::remove(vfile);
  expect_reported("missing");
  // The writer's checkpoint reports it, with or without anything new committed.
  ExpectLostVectors(store->Checkpoint());
  CommitRandom(store.get(), 500, kBigDim, 18, 3000);
  ExpectLostVectors(store->Checkpoint());
  // --rebuild: the embedder bound again from scratch, everything committed anew.
  ASSERT_TRUE(store->BindEmbedder("rand", kBigDim, /*reset=*/true).ok());
  vecs = CommitRandom(store.get(), 3000, kBigDim, 19);
  ASSERT_TRUE(store->Checkpoint().ok());
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  EXPECT_TRUE(reader->Verify().ok());
  EXPECT_DOUBLE_EQ(RecallAt10(reader.get(), vecs, kBigDim, 20, 4), 1.0);
}

TEST(DenseTest, TombstonesAndHighWaterCatchUp) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 3000, kBigDim, 21);
  ASSERT_TRUE(store->Checkpoint().ok());
  std::string first_file = VectorFiles(tmp.index())[0];

  // Without a checkpoint (as after a crash): delete some files, replace others, add new.
  std::vector<std::string> deletes;
  for (int i = 0; i < 3000; i += 7) {
    deletes.push_back("f" + std::to_string(i) + ".txt");
    vecs.erase("f" + std::to_string(i) + ".txt");
  }
  ASSERT_TRUE(store->Commit({}, deletes).ok());
  auto replaced = CommitRandom(store.get(), 100, kBigDim, 22, 1);  // f1..f100 get new vectors
  for (auto& [p, v] : replaced) vecs[p] = v;
  auto added = CommitRandom(store.get(), 400, kBigDim, 23, 3000);
  vecs.insert(added.begin(), added.end());
  EXPECT_EQ(VectorFiles(tmp.index()), std::vector<std::string>{first_file});

  auto check = [&](Store* s, double min_recall) {
    // Probing with stored vectors: each finds itself first; nothing deleted or
    // replaced is ever returned (every hit is a live path whose vector matches).
    int self_found = 0, probes = 0, i = 0;
    for (const auto& [path, v] : vecs) {
      if (i++ % 37 != 0) continue;
      auto hits = s->SearchDense(v, 10, {});
      ASSERT_TRUE(hits.ok());
      auto paths = HitPaths(s, *hits);
      ASSERT_EQ(paths.size(), hits->size());  // no stale ids
      ++probes;
      if (!paths.empty() && paths[0] == path) ++self_found;
      for (const auto& p : paths) EXPECT_EQ(vecs.count(p), 1u) << p;
    }
    EXPECT_GE(self_found, probes * 9 / 10);
    EXPECT_GE(RecallAt10(s, vecs, kBigDim, 50, 8), min_recall);
  };
  {
    SCOPED_TRACE("reader before checkpoint: file + tombstones + exact catch-up");
    auto reader = OpenReader(tmp.index(), SmallFileOptions());
    check(reader.get(), 0.9);
  }
  {
    SCOPED_TRACE("writer reopened: catches up at checkpoint");
    store.reset();
    store = OpenBigWriter(tmp.index());
    ASSERT_TRUE(store->Checkpoint().ok());
    EXPECT_NE(VectorFiles(tmp.index()), std::vector<std::string>{first_file});
    check(store.get(), 0.9);
    auto reader = OpenReader(tmp.index(), SmallFileOptions());
    check(reader.get(), 0.9);
  }
}

TEST(DenseTest, ManyDeletionsTriggerRebuild) {
  TempDir tmp;
  auto store = OpenBigWriter(tmp.index());
  auto vecs = CommitRandom(store.get(), 3000, kBigDim, 31);
  ASSERT_TRUE(store->Checkpoint().ok());
  std::vector<std::string> deletes;
  for (int i = 0; i < 1500; ++i) {
    deletes.push_back("f" + std::to_string(i) + ".txt");
    vecs.erase(deletes.back());
  }
  ASSERT_TRUE(store->Commit({}, deletes).ok());
  ASSERT_TRUE(store->Checkpoint().ok());
  auto reader = OpenReader(tmp.index(), SmallFileOptions());
  EXPECT_GE(RecallAt10(reader.get(), vecs, kBigDim, 50, 9), 0.9);
  // Below the exact limit after more deletions: no vector file at all.
  deletes.clear();
  for (int i = 1500; i < 2600; ++i) {
    deletes.push_back("f" + std::to_string(i) + ".txt");
    vecs.erase(deletes.back());
  }
  std::string before = ExactScan(store.get());
  ASSERT_TRUE(store->Commit({}, deletes).ok());
  ASSERT_TRUE(store->Checkpoint().ok());
  EXPECT_TRUE(VectorFiles(tmp.index()).empty());
  // The file's vectors of the chunks left moved back into the table, to the bit.
  EXPECT_EQ(LoggedVectors(tmp.index()), 400);
  std::string after = ExactScan(store.get());
  EXPECT_NE(before.find(after.substr(0, after.find('\n'))), std::string::npos);
  EXPECT_EQ(store->LookupVectors({HashHex("chunk number 2999")})->size(), 1u);
  EXPECT_DOUBLE_EQ(RecallAt10(store.get(), vecs, kBigDim, 20, 9), 1.0);
}

TEST(DenseTest, WriterRemovesOrphanVectorFiles) {
  TempDir tmp;
  {
    auto store = OpenBigWriter(tmp.index());
    CommitRandom(store.get(), 1500, kBigDim, 41);
    ASSERT_TRUE(store->Checkpoint().ok());
  }
  // A crash between writing the next generation and recording it leaves an orphan.
  std::string current = VectorFiles(tmp.index())[0];
  std::filesystem::copy_file(tmp.index() + "/" + current, tmp.index() + "/vectors-99.flat");
  std::filesystem::copy_file(tmp.index() + "/" + current, tmp.index() + "/vectors-99.flat.tmp");
  auto store = OpenBigWriter(tmp.index());
  EXPECT_EQ(VectorFiles(tmp.index()), std::vector<std::string>{current});
}

// --- text dictionary ---------------------------------------------------------------------

// A function of C-like code: the shapes, keywords and names repeat across chunks, as in a
// source tree; each has its own name and token.
std::string CodeLike(int i) {
  std::string n = std::to_string(i);
  return "static int net_dev_handler_" + n + "(struct net_device *dev, unsigned int flags)\n{\n"
         "\tstruct net_private *priv = netdev_priv(dev);\n\tunsigned long irq_flags;\n\n"
         "\tif (!netif_running(dev))\n\t\treturn -ENODEV;\n"
         "\tspin_lock_irqsave(&priv->lock, irq_flags);\n"
         "\tpriv->stats.tx_packets += " + n + ";\n"
         "\tnetdev_info(dev, \"handler " + n + " token" + n + "x\\n\");\n"
         "\tspin_unlock_irqrestore(&priv->lock, irq_flags);\n\treturn 0;\n}\n";
}

// How many of the stored chunks' text frames name a dictionary, of all.
std::pair<int, int> FramesWithDictionary(const std::string& dir) {
  auto db = store_internal::Db::Open(dir + "/index.db", /*read_only=*/true, 1000);
  EXPECT_TRUE(db.ok());
  auto st = (*db)->Prepare("SELECT text FROM chunks");
  EXPECT_TRUE(st.ok());
  int with = 0, all = 0;
  while (*(*st)->Step()) {
    ++all;
    with += store_internal::ChunkTextDictionary((*st)->Blob(0)) != 0 ? 1 : 0;
  }
  return {with, all};
}

TEST(TextDictionaryTest, TrainedFromCommittedTextAndReadEverywhere) {
  TempDir tmp;
  EmbeddedStoreOptions o;
  o.text_dict_samples = 96 << 10;
  o.text_dict_stride = 1;
  auto store = OpenWriter(tmp.index(), o);
  auto early = OpenReader(tmp.index());  // opened before there is a dictionary
  for (int b = 0; b < 10; ++b) {
    std::vector<FileWrite> batch;
    for (int i = b * 40; i < b * 40 + 40; ++i) {
      batch.push_back(MakeFile("src/f" + std::to_string(i) + ".c", "c",
                               {MakeChunk(CodeLike(i), Vec(i), 1, "net_dev_handler_" + std::to_string(i))}));
    }
    for (auto& w : batch) store->Prepare(&w);  // as the pipeline's workers do
    ASSERT_TRUE(store->Commit(batch, {}).ok());
  }
  // The first ~96 KB went without a dictionary; the commit that passed it trained one,
  // and what was prepared after uses it.
  auto [with, all] = FramesWithDictionary(tmp.index());
  EXPECT_EQ(all, 400);
  EXPECT_GE(with, 120);
  EXPECT_LT(with, 400);
  std::vector<int64_t> ids;
  for (int64_t id = 1; id <= 400; ++id) ids.push_back(id);
  auto reopened = OpenReader(tmp.index());
  for (Store* s : {store.get(), early.get(), reopened.get()}) {
    auto chunks = s->GetChunks(ids);
    ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
    ASSERT_EQ(chunks->size(), 400u);
    for (const auto& c : *chunks) {
      EXPECT_EQ(c.content, CodeLike(static_cast<int>(c.chunk_id - 1)));
    }
  }
  EXPECT_EQ(store_test::ScanText(early.get()), store_test::ScanText(store.get()));
  // A file stored with the dictionary is replaced: its old terms leave the lexical index
  // (the delete reads its text back).
  ASSERT_TRUE(store->Commit({MakeFile("src/f399.c", "c", {MakeChunk("int replaced_body;", Vec(1))})}, {}).ok());
  auto old_hits = store->SearchLexical(LexicalQuery::FromText("net_dev_handler_399"), 50, {});
  ASSERT_TRUE(old_hits.ok());
  for (const auto& h : *old_hits) EXPECT_NE(h.chunk_id, 400);
  EXPECT_EQ(store->SearchLexical(LexicalQuery::FromText("replaced_body"), 10, {})->size(), 1u);
  // A writer reopened compresses with the dictionary in meta.
  store.reset();
  store = OpenWriter(tmp.index(), o);
  FileWrite w = MakeFile("src/new.c", "c", {MakeChunk(CodeLike(1000), Vec(2))});
  store->Prepare(&w);
  EXPECT_NE(store_internal::ChunkTextDictionary(w.chunks[0].prepared.text_blob), 0u);
  ASSERT_TRUE(store->Commit({w}, {}).ok());
  auto got = OpenReader(tmp.index())->GetChunks({402});
  ASSERT_TRUE(got.ok() && got->size() == 1u);
  EXPECT_EQ((*got)[0].content, CodeLike(1000));
}

TEST(TextDictionaryTest, FrameNeedsItsDictionary) {
  std::string samples;
  std::vector<size_t> sizes;
  for (int i = 0; i < 400; ++i) {
    size_t before = samples.size();
    store_internal::AppendChunkTextInput("", CodeLike(i), &samples);
    sizes.push_back(samples.size() - before);
  }
  std::string bytes = store_internal::TextDictionary::Train(samples, sizes, 8192);
  ASSERT_FALSE(bytes.empty());
  auto dict = store_internal::TextDictionary::Load(bytes);
  ASSERT_TRUE(dict.ok());
  std::string plain = store_internal::PackChunkText("ctx", CodeLike(7));
  std::string packed = store_internal::PackChunkText("ctx", CodeLike(7), dict->get());
  EXPECT_LT(packed.size(), plain.size() * 2 / 3);
  EXPECT_EQ(store_internal::ChunkTextDictionary(plain), 0u);
  EXPECT_EQ(store_internal::ChunkTextDictionary(packed), (*dict)->id());
  std::string context, content;
  ASSERT_TRUE(store_internal::UnpackChunkText(packed, &context, &content, dict->get()).ok());
  EXPECT_EQ(context, "ctx");
  EXPECT_EQ(content, CodeLike(7));
  ASSERT_TRUE(store_internal::UnpackChunkText(plain, &context, &content, dict->get()).ok());
  EXPECT_EQ(content, CodeLike(7));
  Status without = store_internal::UnpackChunkText(packed, &context, &content);
  EXPECT_EQ(without.code(), StatusCode::kCorruption);
  EXPECT_FALSE(store_internal::TextDictionary::Load("not a dictionary").ok());
}

// --- export ----------------------------------------------------------------------------

std::vector<FileWrite> ExportCorpus() {
  std::vector<FileWrite> writes;
  for (int i = 0; i < 30; ++i) {
    std::vector<ChunkRecord> chunks;
    for (int j = 0; j < 3; ++j) {
      chunks.push_back(MakeChunk("content " + std::to_string(i) + "/" + std::to_string(j) + " \"quoted\" \xc3\xa9",
                                 Vec(i * 10 + j), j * 10 + 1, "sym" + std::to_string(j)));
    }
    writes.push_back(MakeFile("dir" + std::to_string(i % 4) + "/file" + std::to_string(i) + ".py", "python",
                              std::move(chunks)));
  }
  FileWrite failed = MakeFile("broken.py", "python", {});
  failed.file.status = FileStatus::kFailed;
  failed.file.error = "boom";
  writes.push_back(failed);
  return writes;
}

TEST(ExportTest, SameContentExportsIdentically) {
  TempDir a, b;
  auto corpus = ExportCorpus();
  {
    auto s = OpenWriter(a.index());
    ASSERT_TRUE(s->Commit(corpus, {}).ok());
    ASSERT_TRUE(s->Checkpoint().ok());
  }
  {
    // Another order, other batches, chunk order within files reversed, a detour
    // through a since-deleted file, and mtimes that differ.
    auto s = OpenWriter(b.index());
    ASSERT_TRUE(s->Commit({MakeFile("tmp.py", "python", {MakeChunk("temp", Vec(999))})}, {}).ok());
    std::vector<FileWrite> rev(corpus.rbegin(), corpus.rend());
    for (auto& w : rev) {
      std::reverse(w.chunks.begin(), w.chunks.end());
      w.file.mtime_ns += 1000;
      w.file.inode += 3;
    }
    for (size_t i = 0; i < rev.size(); i += 7) {
      std::vector<FileWrite> batch(rev.begin() + i, rev.begin() + std::min(rev.size(), i + 7));
      ASSERT_TRUE(s->Commit(batch, {}).ok());
    }
    ASSERT_TRUE(s->Commit({}, {"tmp.py"}).ok());
  }
  std::string ea = store_test::ScanText(OpenReader(a.index()).get());
  std::string eb = store_test::ScanText(OpenReader(b.index()).get());
  EXPECT_EQ(ea, eb);
  EXPECT_EQ(ea.find(a.path()), std::string::npos);
  EXPECT_EQ(std::count(ea.begin(), ea.end(), '\n'), 1 + 31 + 90);
  EXPECT_THAT(ea, HasSubstr("\"path\":\"broken.py\""));
  EXPECT_THAT(ea, HasSubstr("\"vector\":["));
  EXPECT_EQ(ea.find("mtime"), std::string::npos);
}

// An index of an older format is refused with the way out, and --rebuild (the writer's
// discard_damaged) makes it again in the current one.
TEST(StoreTest, OldFormatAsksForRebuildWhichReplacesIt) {
  TempDir tmp;
  {
    auto store = OpenWriter(tmp.index());
    ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("def parse_file(): pass", Vec(1), 1, "parse_file")})}, {}).ok());
  }
  {
    auto db = store_internal::Db::Open(tmp.index() + "/index.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE meta SET value = 2 WHERE key = 'schema_version'").ok());
  }
  for (OpenMode mode : {OpenMode::kRead, OpenMode::kWrite}) {
    auto refused = OpenEmbeddedStore(tmp.index(), mode, false, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("has format 2"), std::string::npos) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("trawl index --rebuild"), std::string::npos);
  }
  EmbeddedStoreOptions rebuild;
  rebuild.discard_damaged = true;
  auto store = OpenWriter(tmp.index(), rebuild);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats()->chunks, 0);
  ASSERT_TRUE(store->Commit({MakeFile("a.py", "python", {MakeChunk("def parse_file(): pass", Vec(1), 1, "parse_file")})}, {}).ok());
  auto hits = store->SearchLexical(LexicalQuery::FromText("parseFile"), 10, {});
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), 1u);
  EXPECT_TRUE(OpenEmbeddedStore(tmp.index(), OpenMode::kRead, false, {}).ok());
}

}  // namespace
}  // namespace trawl
