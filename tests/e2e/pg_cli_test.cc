// trawl with a shared PostgreSQL store, end to end through the CLI, against a throwaway
// postgresql-15 cluster this test starts: the same export as the embedded index,
// several processes (each with its own checkout) sharing one repository's work, one of
// them killed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "e2e_util.h"
#include "store/pg_conn.h"
#include "store/pg_test_cluster.h"

namespace trawl::e2e {
namespace {

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new store_test::PgTestEnvironment);
store_test::PgTestCluster* Cluster() { return store_test::PgTestEnvironment::cluster(); }
std::string TestUrl() { return store_test::PgTestEnvironment::TestUrl(); }

// A git repository of `files` generated modules and its clone (two machines' checkouts
// of one commit).
void MakeCheckouts(const fs::path& a, const fs::path& b, int files) {
  MakeProject(a, files);
  std::string git = "cd " + Quote(a.string()) +
                    " && git init -q && git add -A && git -c user.email=t@t -c user.name=t commit -qm init";
  ASSERT_EQ(std::system(git.c_str()), 0);
  ASSERT_EQ(std::system(("git clone -q " + Quote(a.string()) + " " + Quote(b.string())).c_str()), 0);
}

int64_t FilesIndexed(const std::string& summary) {
  std::smatch m;
  static const std::regex re("(\\d+) files indexed");
  return std::regex_search(summary, m, re) ? std::stoll(m[1]) : -1;
}

TEST(PgCli, IndexSearchExportAndStatusMatchTheEmbeddedIndex) {
  TempDir tmp("pgcli");
  fs::path root = tmp.path() / "demo";
  MakeProject(root, 40);
  std::string store = "--store " + Quote(TestUrl());
  ASSERT_EQ(Trawl("index .", root).exit_code, 0);
  RunResult pg = Trawl("index " + store + " .", root);
  ASSERT_EQ(pg.exit_code, 0) << pg.err;
  RunResult want = Trawl("export --json", root);
  RunResult got = Trawl("export --json " + store + " --repo demo", root);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_FALSE(want.out.empty());
  EXPECT_EQ(got.out, want.out) << "the shared store's export differs from the embedded index's";
  for (const char* q : {"parse file", "open socket timeout", "WidgetStore add", "function_7_3 scale"}) {
    RunResult e = Trawl(std::string("search --mode lexical --json ") + Quote(q), root);
    RunResult p = Trawl(std::string("search --mode lexical --json ") + store + " " + Quote(q), tmp.path());
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(p.out, e.out) << q;
  }
  // A second repository in the same store: searched together, or one at a time.
  fs::path other = tmp.path() / "other";
  WriteFile(other / "lib/retry.py", "def retry_with_backoff(fn, attempts=5):\n    return fn()\n");
  ASSERT_EQ(Trawl("index " + store + " .", other).exit_code, 0);
  RunResult both = Trawl("search --mode lexical " + store + " 'parse file retry backoff'", tmp.path());
  EXPECT_NE(both.out.find("demo:pkg/parser.py"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("other:lib/retry.py"), std::string::npos) << both.out;
  RunResult one = Trawl("search --mode lexical " + store + " --repo other 'parse file retry backoff'", tmp.path());
  EXPECT_EQ(one.out.find("parser.py"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("retry.py"), std::string::npos) << one.out;
  RunResult status = Trawl("status " + store + " --repo demo", tmp.path());
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("44 indexed"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("(repository demo)"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("repositories:"), std::string::npos) << status.out;
  // Without --repo: the totals and one line per repository.
  RunResult all = Trawl("status " + store, tmp.path());
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("45 indexed"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("repositories: 2"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\n  demo "), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\n  other "), std::string::npos) << all.out;
  RunResult all_json = Trawl("status --json " + store, tmp.path());
  ASSERT_EQ(all_json.exit_code, 0) << all_json.err;
  nlohmann::json repos = nlohmann::json::parse(all_json.out)["repos"];
  ASSERT_EQ(repos.size(), 2u) << all_json.out;
  EXPECT_EQ(repos[0]["name"], "demo");
  EXPECT_EQ(repos[0]["files"], 44);
  EXPECT_EQ(repos[1]["name"], "other");
  EXPECT_EQ(repos[1]["files"], 1);
  EXPECT_GT(repos[1]["chunks"].get<int64_t>(), 0);
  EXPECT_EQ(repos[1]["last_run"]["state"], "finished");
  // An unchanged tree is a no-op; a change is indexed.
  RunResult again = Trawl("index " + store + " .", root);
  EXPECT_EQ(FilesIndexed(again.err + again.out), 0) << again.err;
  WriteFile(root / "pkg/parser.py", "def brand_new_function():\n    return 42\n");
  fs::remove(root / "README.md");
  RunResult changed = Trawl("index " + store + " .", root);
  EXPECT_EQ(FilesIndexed(changed.err + changed.out), 1) << changed.err;
  ASSERT_EQ(Trawl("index .", root).exit_code, 0);
  EXPECT_EQ(Trawl("export --json " + store + " --repo demo", root).out, Trawl("export --json", root).out);
}

TEST(PgCli, HybridSearchWithoutPgvectorSaysSoAndLexicalWorks) {
  TempDir tmp("pgcli_hybrid");
  MakeProject(tmp.path());
  std::string url = TestUrl();
  auto c = store_internal::PgConn::Connect(url);
  ASSERT_TRUE(c.ok());
  auto avail = (*c)->Exec("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'");
  ASSERT_TRUE(avail.ok());
  if (avail->Int(0, 0) > 0) GTEST_SKIP() << "this server has pgvector";
  std::string store = "--store " + Quote(url);
  ASSERT_EQ(Trawl("index " + store + " .", tmp.path()).exit_code, 0);
  RunResult hybrid = Trawl("search " + store + " 'parse file'", tmp.path());
  EXPECT_EQ(hybrid.exit_code, 1);
  EXPECT_NE(hybrid.err.find("pgvector"), std::string::npos) << hybrid.err;
  RunResult lexical = Trawl("search --mode lexical " + store + " 'parse file'", tmp.path());
  EXPECT_EQ(lexical.exit_code, 0) << lexical.err;
  EXPECT_NE(lexical.out.find("parser.py"), std::string::npos);
}

TEST(PgCli, ProcessesIndexingOneRepositoryShareTheWorkAndEndEqual) {
  TempDir tmp("pgcli_two");
  fs::path a = tmp.path() / "a", b = tmp.path() / "b", c = tmp.path() / "c";
  MakeCheckouts(a, b, 300);
  ASSERT_EQ(std::system(("git clone -q " + Quote(a.string()) + " " + Quote(c.string())).c_str()), 0);
  std::string store = "--store " + Quote(TestUrl()) + " --repo shared";
  std::vector<RunResult> runs(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { runs[static_cast<size_t>(i)] = Trawl("index --workers 1 " + store + " .", i == 0 ? a : i == 1 ? b : c); });
  }
  for (auto& t : threads) t.join();
  int64_t indexed = 0;
  for (const auto& r : runs) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    indexed += FilesIndexed(r.out + r.err);
  }
  EXPECT_EQ(indexed, 305) << "every file indexed by exactly one process";
  ASSERT_EQ(Trawl("index .", a).exit_code, 0);
  EXPECT_EQ(Trawl("export --json " + store, a).out, Trawl("export --json", a).out);
  auto conn = store_internal::PgConn::Connect(Cluster()->Base() + " dbname=processesindexingonerepositorysharetheworkandendequal");
  ASSERT_TRUE(conn.ok());
  auto dup = (*conn)->Exec("SELECT count(*) - count(DISTINCT (path, start_byte, end_byte, content_hash)) FROM trawl_chunks");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->Int(0, 0), 0) << "chunks stored twice";
  RunResult status = Trawl("status " + store, a);
  EXPECT_NE(status.out.find("indexed by:"), std::string::npos) << status.out;
}

TEST(PgCli, AnIndexerKilledMidRunIsTakenOverByAnother) {
  TempDir tmp("pgcli_kill");
  fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  MakeCheckouts(a, b, 400);
  std::string url = TestUrl();
  ASSERT_EQ(Trawl("index .", a).exit_code, 0);
  const std::string want = Trawl("export --json", a).out;
  // Claims lapse 2 s after their process stops renewing them.
  ::setenv("TRAWL_STORE__LEASE_SECONDS", "2", 1);
  for (int trial = 0; trial < 2; ++trial) {
    std::string store = "--store " + Quote(url) + " --repo kill" + std::to_string(trial);
    pid_t victim = fork();
    if (victim == 0) {
      ::setpgid(0, 0);
      std::string cmd = "cd " + Quote(a.string()) + " && exec " + Quote(Binary()) + " index --workers 1 " + store +
                        " . >/dev/null 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 250 * trial));
    RunResult survivor;
    std::thread other([&] { survivor = Trawl("index --workers 1 " + store + " .", b); });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ::kill(victim, SIGKILL);
    ::waitpid(victim, nullptr, 0);
    other.join();
    ASSERT_EQ(survivor.exit_code, 0) << survivor.err;
    EXPECT_EQ(Trawl("export --json " + store, a).out, want) << "trial " << trial;
  }
  ::unsetenv("TRAWL_STORE__LEASE_SECONDS");
}

}  // namespace
}  // namespace trawl::e2e
