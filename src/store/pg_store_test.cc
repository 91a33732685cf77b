// The PostgreSQL store against a real server (a throwaway cluster of Debian's
// postgresql-15, started by this test): the same content and lexical ranking as the
// embedded store, repositories kept apart, concurrent writers, a server restart.
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <thread>

#include "store/embedded_store.h"
#include "store/pg_lexical.h"
#include "store/pg_store.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace trawl {
namespace {

using store_internal::PgConn;
using store_test::MakeChunk;
using store_test::MakeFile;
using store_test::ScanText;
using store_test::TempDir;

constexpr int kDim = 16;

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new store_test::PgTestEnvironment);
store_test::PgTestCluster* Cluster() { return store_test::PgTestEnvironment::cluster(); }
std::string TestUrl() { return store_test::PgTestEnvironment::TestUrl(); }

Result<std::unique_ptr<Store>> OpenPg(const std::string& url, const std::string& repo, OpenMode mode, int pool = 4) {
  StoreConfig c;
  c.url = url;
  c.repo = repo;
  c.pool_size = pool;
  return OpenStore(c, mode);
}

std::vector<float> Vec(int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  return store_test::RandomVector(&rng, kDim);
}

// A small corpus with what trips stores up: names that are not UTF-8, identical
// chunks in several files, a file without chunks, whole identifiers.
std::vector<FileWrite> Corpus() {
  std::vector<FileWrite> files;
  files.push_back(MakeFile("src/reader.py", "python",
                           {MakeChunk("def parse_file(path):\n    return open(path).read()", Vec(1), 1, "parse_file"),
                            MakeChunk("class Reader:\n    def read_all(self): pass", Vec(2), 5, "Reader")}));
  files.push_back(MakeFile("web/reader.js", "javascript",
                           {MakeChunk("function parseFile(p) { return fs.readFileSync(p); }", Vec(3), 1, "parseFile")}));
  files.push_back(MakeFile("caf\xe9.py", "python", {MakeChunk("x = 'caf\xe9 cr\xe8me'  # not utf-8", Vec(4), 1)}));
  files.push_back(MakeFile("docs/notes.md", "markdown",
                           {MakeChunk("Notes on the file parser and the reader.", Vec(5), 1),
                            MakeChunk("LICENSE: the same text everywhere", Vec(6), 9)}));
  files.push_back(MakeFile("lib/license.py", "python", {MakeChunk("LICENSE: the same text everywhere", Vec(6), 1)}));
  files.push_back(MakeFile("empty.txt", "text", {}));
  FileWrite big = MakeFile("src/big.py", "python", {});
  for (int i = 0; i < 300; ++i) {
    big.chunks.push_back(MakeChunk("def handler_" + std::to_string(i) + "(event): return parse(event, " +
                                       std::to_string(i) + ")",
                                   Vec(100 + i), 1 + 3 * i, "handler_" + std::to_string(i)));
  }
  files.push_back(std::move(big));
  return files;
}

// The chunks of `hits` as "path:line score" lines.
std::string Describe(Store* store, const std::vector<ChunkHit>& hits) {
  std::vector<int64_t> ids;
  for (const auto& h : hits) ids.push_back(h.chunk_id);
  auto views = store->GetChunks(ids);
  EXPECT_TRUE(views.ok()) << views.status().ToString();
  std::string out;
  for (size_t i = 0; views.ok() && i < views->size(); ++i) {
    char score[32];
    std::snprintf(score, sizeof(score), "%.6f", hits[i].score);
    out += (*views)[i].path + ":" + std::to_string((*views)[i].start_line) + " " + score + "\n";
  }
  return out;
}

TEST(PgStore, HoldsWhatTheEmbeddedStoreHoldsAndRanksLexicalQueriesAlike) {
  TempDir tmp;
  auto embedded = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
  ASSERT_TRUE((*embedded)->BindEmbedder("test", kDim, false).ok());
  std::string url = TestUrl();
  auto pg = OpenPg(url, "demo", OpenMode::kWrite);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  ASSERT_TRUE((*pg)->BindEmbedder("test", kDim, false).ok());
  ASSERT_TRUE((*embedded)->Commit(Corpus(), {}).ok());
  Status st = (*pg)->Commit(Corpus(), {});
  ASSERT_TRUE(st.ok()) << st.ToString();
  // An update, a delete and a failure that keeps the last chunks, in both.
  auto update = MakeFile("web/reader.js", "javascript", {MakeChunk("function readAll() {}", Vec(7), 3, "readAll")});
  auto failed = MakeFile("src/reader.py", "python", {});
  failed.file.status = FileStatus::kFailed;
  failed.file.error = "embedder down";
  for (Store* s : {embedded->get(), pg->get()}) {
    ASSERT_TRUE(s->Commit({update, failed}, {"docs/notes.md"}).ok());
  }
  auto reader = OpenPg(url, "demo", OpenMode::kRead);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string want = ScanText(embedded->get());
  EXPECT_EQ(ScanText(reader->get()), want);
  EXPECT_NE(want.find("embedder down"), std::string::npos);

  auto es = (*embedded)->Stats();
  auto ps = (*reader)->Stats();
  ASSERT_TRUE(es.ok() && ps.ok());
  EXPECT_EQ(ps->files, es->files);
  EXPECT_EQ(ps->files_failed, es->files_failed);
  EXPECT_EQ(ps->chunks, es->chunks);
  EXPECT_EQ(ps->languages, es->languages);
  EXPECT_EQ(ps->embedder, "test");

  for (const char* q : {"parse file", "parseFile", "reader", "license same text", "handler_42 event",
                        "caf\xe9", "the", "nothing matches this zzqx"}) {
    for (int k : {1, 5, 50}) {
      auto e = (*embedded)->SearchLexical(LexicalQuery::FromText(q), k, {});
      auto p = (*reader)->SearchLexical(LexicalQuery::FromText(q), k, {});
      ASSERT_TRUE(e.ok() && p.ok()) << q << ": " << p.status().ToString();
      EXPECT_EQ(Describe(reader->get(), *p), Describe(embedded->get(), *e)) << "query '" << q << "' k " << k;
    }
  }
  SearchFilter py;
  py.languages = {"python"};
  py.path_globs = {"src/"};
  auto e = (*embedded)->SearchLexical(LexicalQuery::FromText("parse handler"), 20, py);
  auto p = (*reader)->SearchLexical(LexicalQuery::FromText("parse handler"), 20, py);
  ASSERT_TRUE(e.ok() && p.ok());
  EXPECT_FALSE(p->empty());
  EXPECT_EQ(Describe(reader->get(), *p), Describe(embedded->get(), *e));
  auto df_e = (*embedded)->DocFrequencies({"parse file", "license", "handler"});
  auto df_p = (*reader)->DocFrequencies({"parse file", "license", "handler"});
  ASSERT_TRUE(df_e.ok() && df_p.ok());
  EXPECT_EQ(df_p->doc_freq, df_e->doc_freq);
  EXPECT_EQ(df_p->chunks, df_e->chunks);
  EXPECT_TRUE((*reader)->Verify().ok());
}

// Rows past PostgreSQL's tsvector limits (more than 16383 positions, more than 256 of
// one lexeme) are scored from their text, and rank as in the embedded store.
TEST(PgStore, ChunksPastTheTsvectorLimitsRankAlike) {
  TempDir tmp;
  auto embedded = OpenEmbeddedStore(tmp.index(), OpenMode::kWrite);
  ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
  auto pg = OpenPg(TestUrl(), "limits", OpenMode::kWrite);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  std::string repeated, long_text;
  for (int i = 0; i < 400; ++i) repeated += i % 3 ? "event " : "handler event ";
  for (int i = 0; i < 9000; ++i) long_text += "word" + std::to_string(i % 50) + " parse_event ";
  long_text += "handler event at the end";
  std::vector<FileWrite> files;
  files.push_back(MakeFile("a/repeat.py", "python", {MakeChunk(repeated, Vec(1), 1, "handler_event")}));
  files.push_back(MakeFile("a/long.py", "python", {MakeChunk(long_text, Vec(2), 1, "parseEvent")}));
  files.push_back(MakeFile("a/short.py", "python",
                           {MakeChunk("def handler(event): return parse_event(event)", Vec(3), 1, "handler"),
                            MakeChunk("word7 word8 at the end", Vec(4), 9, "word7")}));
  for (Store* s : {embedded->get(), pg->get()}) {
    ASSERT_TRUE(s->BindEmbedder("test", kDim, false).ok());
    ASSERT_TRUE(s->Commit(files, {}).ok());
  }
  for (const char* q : {"handler event", "event", "parseEvent", "word7 end", "handler_event at the end"}) {
    auto e = (*embedded)->SearchLexical(LexicalQuery::FromText(q), 5, {});
    auto p = (*pg)->SearchLexical(LexicalQuery::FromText(q), 5, {});
    ASSERT_TRUE(e.ok() && p.ok()) << q << ": " << p.status().ToString();
    EXPECT_EQ(p->size(), e->size()) << q;
    EXPECT_EQ(Describe(pg->get(), *p), Describe(embedded->get(), *e)) << "query '" << q << "'";
  }
}

// Phrase counts read from the positions PostgreSQL's ts_filter leaves equal the counts
// in the tokens themselves, for random columns and phrases of a small vocabulary.
TEST(PgStore, PhraseCountsFromPositionsEqualCountsInTheTokens) {
  auto c = PgConn::Connect(TestUrl());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::vector<std::string> vocab = {"a", "b", "c", "d", "caf\xe9", "x1"};
  std::mt19937 rng(11);
  auto pick = [&](size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(vocab[rng() % vocab.size()]);
    return out;
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& t : v) out += (out.empty() ? "" : " ") + t;
    return out;
  };
  const double weights[3] = {10, 2, 1};
  int compared = 0, nonzero = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<std::string> cols[3] = {pick(rng() % 4), pick(rng() % 4), pick(rng() % 40)};
    std::vector<std::vector<std::string>> phrases;
    for (int i = 0; i < 4; ++i) phrases.push_back(pick(1 + rng() % 3));
    auto terms = store_internal::MakePgTerms(join(cols[0]), join(cols[1]), join(cols[2]));
    auto query = store_internal::PgQueryLexemes::Of(phrases);
    std::string lexemes = "{";
    for (const auto& l : query.lexemes) lexemes += (lexemes.size() > 1 ? ",\"" : "\"") + l + "\"";
    lexemes += "}";
    auto r = (*c)->Exec("SELECT ts_filter(setweight($1::tsvector, 'C', $2::text[]), '{c}')::text",
                        {store_internal::PgParam::Text(terms.tsvector), store_internal::PgParam::Text(lexemes)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::vector<int>> positions;
    ASSERT_TRUE(store_internal::ParseQueryPositions(r->Bytes(0, 0), query, &positions)) << r->Str(0, 0);
    ASSERT_FALSE(store_internal::PositionsMayBeCut(terms.tokens, positions));
    std::vector<double> freq;
    store_internal::PhraseFrequencies(query, positions, static_cast<int64_t>(cols[0].size()),
                                      static_cast<int64_t>(cols[1].size()), weights, &freq);
    for (size_t ph = 0; ph < phrases.size(); ++ph) {
      double want = 0;
      for (int col = 0; col < 3; ++col) want += weights[col] * store_internal::CountPhrase(cols[col], phrases[ph]);
      EXPECT_EQ(freq[ph], want) << "phrase '" << join(phrases[ph]) << "' in '" << join(cols[0]) << " | "
                                << join(cols[1]) << " | " << join(cols[2]) << "'";
      ++compared;
      if (want > 0) ++nonzero;
    }
  }
  EXPECT_EQ(compared, 800);
  EXPECT_GT(nonzero, 200);
}

TEST(PgStore, SemanticSearchWithoutPgvectorSaysHowToGetIt) {
  std::string url = TestUrl();
  auto admin = PgConn::Connect(url);
  ASSERT_TRUE(admin.ok());
  auto avail = (*admin)->Exec("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'");
  ASSERT_TRUE(avail.ok());
  if (avail->Int(0, 0) > 0) GTEST_SKIP() << "this server has pgvector (tests/pg covers it)";
  auto pg = OpenPg(url, "demo", OpenMode::kWrite);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE((*pg)->BindEmbedder("test", kDim, false).ok());
  ASSERT_TRUE((*pg)->Commit(Corpus(), {}).ok());
  auto dense = (*pg)->SearchDense(Vec(1), 5, {});
  ASSERT_FALSE(dense.ok());
  EXPECT_EQ(dense.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(dense.status().message().find("pgvector"), std::string::npos);
  EXPECT_NE(dense.status().message().find("--mode lexical"), std::string::npos);
  EXPECT_TRUE((*pg)->SearchLexical(LexicalQuery::FromText("parse"), 5, {}).ok());
}

TEST(PgStore, RepositoriesAreKeptApartAndReadTogether) {
  std::string url = TestUrl();
  {
    auto a = OpenPg(url, "alpha", OpenMode::kWrite);
    auto b = OpenPg(url, "beta", OpenMode::kWrite);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE((*a)->BindEmbedder("test", kDim, false).ok());
    ASSERT_TRUE((*b)->BindEmbedder("test", kDim, false).ok());
    ASSERT_TRUE((*a)->Commit({MakeFile("a.py", "python", {MakeChunk("def alpha_only(): pass", Vec(1), 1, "alpha_only")})},
                             {}).ok());
    ASSERT_TRUE((*b)->Commit({MakeFile("a.py", "python", {MakeChunk("def beta_only(): pass", Vec(2), 1, "beta_only")}),
                              MakeFile("b.py", "python", {MakeChunk("def shared_name(): pass", Vec(3), 1)})},
                             {}).ok());
    // Deleting in one repository leaves the other's file of the same path.
    ASSERT_TRUE((*b)->Commit({}, {"a.py"}).ok());
  }
  auto alpha = OpenPg(url, "alpha", OpenMode::kRead);
  auto all = OpenPg(url, "", OpenMode::kRead);
  ASSERT_TRUE(alpha.ok() && all.ok());
  EXPECT_EQ((*alpha)->ListFiles()->size(), 1u);
  EXPECT_EQ((*all)->ListFiles()->size(), 2u);
  EXPECT_EQ((*alpha)->SearchLexical(LexicalQuery::FromText("shared name"), 5, {})->size(), 0u);
  auto hits = (*all)->SearchLexical(LexicalQuery::FromText("alpha only shared name"), 5, {});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  std::vector<int64_t> ids = {(*hits)[0].chunk_id, (*hits)[1].chunk_id};
  auto views = (*all)->GetChunks(ids);
  ASSERT_TRUE(views.ok());
  std::set<std::string> repos;
  for (const auto& v : *views) repos.insert(v.repo);
  EXPECT_EQ(repos, (std::set<std::string>{"alpha", "beta"}));
  EXPECT_EQ((*all)->Stats()->chunks, 2);
  // A filter narrows a search over several repositories; an unknown name says so.
  SearchFilter only_alpha;
  only_alpha.repos = {"alpha"};
  auto narrowed = (*all)->SearchLexical(LexicalQuery::FromText("alpha only shared name"), 5, only_alpha);
  ASSERT_TRUE(narrowed.ok()) << narrowed.status().ToString();
  ASSERT_EQ(narrowed->size(), 1u);
  EXPECT_EQ((*(*all)->GetChunks({(*narrowed)[0].chunk_id}))[0].repo, "alpha");
  SearchFilter unknown;
  unknown.repos = {"gamma"};
  EXPECT_EQ((*all)->SearchLexical(LexicalQuery::FromText("alpha"), 5, unknown).status().code(), StatusCode::kNotFound);
  // An export names one repository.
  EXPECT_EQ((*all)->Scan().status().code(), StatusCode::kFailedPrecondition);
  auto missing = OpenPg(url, "gamma", OpenMode::kRead);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("gamma"), std::string::npos);
}

TEST(PgStore, ConcurrentWritersOfOneRepositoryNeverDuplicateRows) {
  std::string url = TestUrl();
  {
    auto init = OpenPg(url, "demo", OpenMode::kWrite);
    ASSERT_TRUE(init.ok());
    ASSERT_TRUE((*init)->BindEmbedder("test", kDim, false).ok());
  }
  // Two stores (two machines) write the same files, and vectors of the same content,
  // at once, each from several partitions.
  auto writer = [&](int seed, Status* out) {
    auto s = OpenPg(url, "demo", OpenMode::kWrite);
    if (!s.ok()) {
      *out = s.status();
      return;
    }
    (void)(*s)->BindEmbedder("test", kDim, false);
    for (int round = 0; round < 5 && out->ok(); ++round) {
      std::vector<FileWrite> files;
      for (int f = 0; f < 40; ++f) {
        int n = (f + seed + round) % 3 + 1;
        std::vector<ChunkRecord> chunks;
        for (int c = 0; c < n; ++c) chunks.push_back(MakeChunk("shared body " + std::to_string(c), Vec(c), 1 + c * 5));
        files.push_back(MakeFile("f" + std::to_string(f) + ".py", "python", std::move(chunks)));
      }
      *out = (*s)->Commit(files, {});
    }
  };
  Status a, b;
  std::thread ta(writer, 0, &a), tb(writer, 1, &b);
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a.ToString();
  EXPECT_TRUE(b.ok()) << b.ToString();
  auto r = OpenPg(url, "demo", OpenMode::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->Verify().ok()) << (*r)->Verify().ToString();
  auto files = (*r)->ListFiles();
  ASSERT_TRUE(files.ok());
  int64_t recorded = 0;
  for (const auto& f : *files) recorded += f.chunk_count;
  EXPECT_EQ((*r)->Stats()->chunks, recorded);
  auto c = PgConn::Connect(url);
  ASSERT_TRUE(c.ok());
  auto rows = (*c)->Exec("SELECT count(*) FROM trawl_chunks");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, 0), recorded);
}

TEST(PgStore, AServerRestartMidTransactionLosesNothingCommittedAndShowsNothingHalfWritten) {
  std::string url = TestUrl();
  auto pg = OpenPg(url, "demo", OpenMode::kWrite, /*pool=*/1);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE((*pg)->BindEmbedder("test", kDim, false).ok());
  ASSERT_TRUE((*pg)->Commit({MakeFile("kept.py", "python", {MakeChunk("def kept(): pass", Vec(1), 1)})}, {}).ok());
  ASSERT_TRUE((*pg)->Stage(MakeFile("half.py", "python", {MakeChunk("def half(): pass", Vec(2), 1)})).ok());
  ASSERT_TRUE(Cluster()->Kill());
  ASSERT_TRUE(Cluster()->Start());
  Status st = (*pg)->CommitPartition(0, {});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  // The next run completes, through new connections.
  Status next = (*pg)->Commit({MakeFile("next.py", "python", {MakeChunk("def next_one(): pass", Vec(3), 1)})}, {});
  ASSERT_TRUE(next.ok()) << next.ToString();
  auto r = OpenPg(url, "demo", OpenMode::kRead);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto files = (*r)->ListFiles();
  ASSERT_TRUE(files.ok());
  std::vector<std::string> paths;
  for (const auto& f : *files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"kept.py", "next.py"}));
}

TEST(PgStore, ASchemaFromANewerTrawlIsRefused) {
  std::string url = TestUrl();
  ASSERT_TRUE(OpenPg(url, "demo", OpenMode::kWrite).ok());
  auto c = PgConn::Connect(url);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->ExecScript("UPDATE trawl_schema SET version = 99").ok());
  auto again = OpenPg(url, "demo", OpenMode::kWrite);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("newer trawl"), std::string::npos);
}

TEST(PgStore, ReadingAnEmptyDatabaseSaysToIndexFirst) {
  auto r = OpenPg(TestUrl(), "", OpenMode::kRead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("trawl index"), std::string::npos);
}

TEST(PgStore, TermsAndQueriesAreValidPostgresText) {
  auto t = store_internal::MakePgTerms("parse file", "src reader py", "caf\xe9 it's a \\ test");
  EXPECT_EQ(t.tokens, 10);  // parse file | src reader py | caf\xe9 it s a test
  auto c = PgConn::Connect(TestUrl());
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Exec("SELECT $1::tsvector @@ $2::tsquery, $1::tsvector @@ $3::tsquery",
                      {store_internal::PgParam::Text(t.tsvector),
                       store_internal::PgParam::Text(store_internal::PgTsQuery({{"parse", "file"}})),
                       store_internal::PgParam::Text(store_internal::PgTsQuery({{"file", "src"}}))});
  ASSERT_TRUE(r.ok()) << r.status().ToString() << " " << t.tsvector;
  EXPECT_TRUE(r->Bool(0, 0));
  EXPECT_FALSE(r->Bool(0, 1)) << "a phrase must not match across columns";
}

}  // namespace
}  // namespace trawl
