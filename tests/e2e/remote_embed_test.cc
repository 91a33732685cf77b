// Whole-program tests of indexing through a remote (OpenAI-compatible) embedder: the
// real trawl binary against the fake server, with faults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <thread>

#include "e2e_util.h"

namespace trawl::e2e {
namespace {

using ::testing::HasSubstr;

// Starts testing/fake_embed_server with `flags`; stops it in the destructor.
class FakeServer {
 public:
  explicit FakeServer(const std::string& flags, const fs::path& dir) {
    fs::path bin = fs::path(Binary()).parent_path().parent_path().parent_path() / "testing" / "fake_embed_server";
    port_file_ = dir / "port.txt";
    std::string cmd = Quote(bin.string()) + " --port 0 " + flags + " >" + Quote(port_file_.string()) +
                      " 2>/dev/null & echo $! > " + Quote((dir / "pid.txt").string());
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    for (int i = 0; i < 100 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string s = Slurp(port_file_);
      if (!s.empty() && s.find('\n') != std::string::npos) {
        std::string first = s.substr(0, s.find('\n'));
        size_t p = first.find_last_not_of("0123456789");
        port_ = std::atoi(first.substr(p == std::string::npos ? 0 : p + 1).c_str());
      }
    }
    pid_ = std::atoi(Slurp(dir / "pid.txt").c_str());
  }
  ~FakeServer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  int port() const { return port_; }

 private:
  fs::path port_file_;
  int port_ = 0;
  int pid_ = 0;
};

nlohmann::json Stats(const RunResult& r) {
  EXPECT_FALSE(r.out.empty()) << r.err;
  return nlohmann::json::parse(r.out.empty() ? "{}" : r.out);
}

void WriteConfig(const fs::path& root, int port, int retries) {
  WriteFile(root / ".trawl.yaml", "embeddings:\n  provider: openai\n  url: http://127.0.0.1:" + std::to_string(port) +
                                      "\n  model: fake\n  batch_size: 4\n  max_parallel_batches: 3\n  max_retries: " +
                                      std::to_string(retries) + "\n  timeout_ms: 5000\n");
  // The repository's own config names an embedder url: it applies once trusted.
  auto trusted = Trawl("trust " + Quote(root.string()));
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
}

TEST(RemoteEmbedTest, CachedVectorsMeanNoRequestsOnRerunOrRename) {
  TempDir dir("remote_cache");
  FakeServer server("--dims 32", dir.path());
  ASSERT_GT(server.port(), 0);
  fs::path tree = dir.path() / "tree";
  MakeProject(tree, 12);
  WriteConfig(tree, server.port(), 2);
  auto first = Stats(Trawl("index --stats " + Quote(tree.string())));
  EXPECT_EQ(first["state"], "finished");
  EXPECT_GT(first["embedding"]["requests"].get<int>(), 0);
  EXPECT_EQ(first["files_failed"].get<int>(), 0);

  auto again = Stats(Trawl("index --stats " + Quote(tree.string())));
  EXPECT_EQ(again["embedding"]["requests"].get<int>(), 0);

  fs::rename(tree / "gen/mod_0/m3.py", tree / "gen/mod_0/m3_renamed.py");
  auto renamed = Stats(Trawl("index --stats " + Quote(tree.string())));
  EXPECT_EQ(renamed["files_processed"].get<int>(), 1);
  EXPECT_EQ(renamed["embedding"]["requests"].get<int>(), 0);
  EXPECT_GT(renamed["embedding"]["vectors_cached"].get<int>(), 0);

  auto s = Trawl("search --json -k 1 'checksum of bytes'", tree);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(nlohmann::json::parse(s.out)[0]["path"], "pkg/parser.py");
}

// A server failing every other request with retries disabled: every file ends either
// indexed with all its chunks or failed with a reason; the next run (healthy server)
// retries the failed ones and the index then equals a clean one.
TEST(RemoteEmbedTest, FailedBatchesFailTheirFilesNeverHoles) {
  TempDir dir("remote_faults");
  fs::path tree = dir.path() / "tree";
  MakeProject(tree, 30);
  {
    FakeServer bad("--dims 16 --fail-every 2", dir.path());
    ASSERT_GT(bad.port(), 0);
    WriteConfig(tree, bad.port(), 0);
    auto run = Trawl("index --stats " + Quote(tree.string()));
    EXPECT_EQ(run.exit_code, 3) << run.err;  // finished, some files failed
    auto st = Stats(run);
    EXPECT_GT(st["files_failed"].get<int>(), 0);
    auto status = Trawl("status --json", tree);
    auto sj = nlohmann::json::parse(status.out);
    ASSERT_FALSE(sj["failures"].empty());
    EXPECT_THAT(sj["failures"][0]["reason"].get<std::string>(), HasSubstr("embedding failed"));
    // Every indexed file holds all its chunks with vectors; failed ones hold none.
    auto exp = Trawl("export --json", tree);
    std::istringstream in(exp.out);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j.contains("vector")) {
        EXPECT_EQ(j["vector"].size(), 16u);
      }
    }
  }
  FakeServer good("--dims 16", dir.path());
  ASSERT_GT(good.port(), 0);
  WriteConfig(tree, good.port(), 0);
  auto st = Stats(Trawl("index --stats " + Quote(tree.string())));
  EXPECT_EQ(st["files_failed"].get<int>(), 0);
  EXPECT_GT(st["files_processed"].get<int>(), 0);
  auto clean_idx = dir.path() / "clean";
  auto clean = Trawl("index --index " + Quote(clean_idx.string()) + " " + Quote(tree.string()));
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_TRUE(Trawl("export", tree).out == Trawl("export --index " + Quote(clean_idx.string())).out);
}

// An embedder outage during an incremental run loses nothing: the edited file fails,
// keeps its last indexed content (still found), is listed by status, the run exits 3;
// once the server is back, the next run indexes the edit.
TEST(RemoteEmbedTest, OutageKeepsEditedFilesLastContent) {
  TempDir dir("remote_outage");
  fs::path tree = dir.path() / "tree";
  MakeProject(tree);
  {
    FakeServer good("--dims 16", dir.path());
    ASSERT_GT(good.port(), 0);
    WriteConfig(tree, good.port(), 0);
    auto first = Trawl("index " + Quote(tree.string()));
    ASSERT_EQ(first.exit_code, 0) << first.err;
  }
  WriteFile(tree / "src/net.c", "int open_socket_v2(int unique_zebra_word) {\n  return unique_zebra_word;\n}\n");
  {
    FakeServer down("--dims 16 --fail-after 0", dir.path());
    ASSERT_GT(down.port(), 0);
    WriteConfig(tree, down.port(), 0);
    auto run = Trawl("index " + Quote(tree.string()));
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_THAT(run.err, HasSubstr("kept their last indexed content"));
    auto old = Trawl("search --mode lexical --json open_socket_with_timeout", tree);
    ASSERT_EQ(old.exit_code, 0) << old.err;
    EXPECT_THAT(old.out, HasSubstr("\"symbol\": \"open_socket_with_timeout\""));
    // src/net.c and .trawl.yaml (rewritten with the new port) changed: both failed.
    auto status = nlohmann::json::parse(Trawl("status --json", tree).out);
    std::vector<std::string> failed;
    for (const auto& f : status["failures"]) failed.push_back(f["path"].get<std::string>());
    EXPECT_THAT(failed, ::testing::UnorderedElementsAre("src/net.c", ".trawl.yaml"));
  }
  FakeServer back("--dims 16", dir.path());
  ASSERT_GT(back.port(), 0);
  WriteConfig(tree, back.port(), 0);
  auto run = Trawl("index " + Quote(tree.string()));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto found = Trawl("search --mode lexical --json unique_zebra_word", tree);
  EXPECT_THAT(found.out, HasSubstr("src/net.c"));
  EXPECT_THAT(Trawl("search --mode lexical --json open_socket_with_timeout", tree).out,
              ::testing::Not(HasSubstr("\"symbol\": \"open_socket_with_timeout\"")));
}

TEST(RemoteEmbedTest, RateLimitedServerStillCompletes) {
  TempDir dir("remote_429");
  FakeServer server("--dims 16 --rate-limit-first 3 --retry-after 1", dir.path());
  ASSERT_GT(server.port(), 0);
  fs::path tree = dir.path() / "tree";
  MakeProject(tree, 5);
  WriteConfig(tree, server.port(), 6);
  auto st = Stats(Trawl("index --stats " + Quote(tree.string())));
  EXPECT_EQ(st["state"], "finished");
  EXPECT_EQ(st["files_failed"].get<int>(), 0);
  EXPECT_GT(st["embedding"]["retries"].get<int>(), 0);
  EXPECT_GT(st["embedding"]["throttled"].get<int>(), 0);  // reported in the run summary
}

TEST(RemoteEmbedTest, RefusedKeyStopsTheRunNamingTheVariable) {
  TempDir dir("remote_401");
  FakeServer server("--dims 16 --api-key secret", dir.path());
  ASSERT_GT(server.port(), 0);
  fs::path tree = dir.path() / "tree";
  MakeProject(tree, 2);
  WriteConfig(tree, server.port(), 0);
  WriteFile(tree / ".trawl.yaml", Slurp(tree / ".trawl.yaml") + "  api_key_env: TRAWL_TEST_KEY\n");
  ASSERT_EQ(Trawl("trust " + Quote(tree.string())).exit_code, 0);  // changed: trusted again
  ::setenv("TRAWL_TEST_KEY", "wrong", 1);
  auto r = Trawl("index " + Quote(tree.string()));
  ::unsetenv("TRAWL_TEST_KEY");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("TRAWL_TEST_KEY"));
}

}  // namespace
}  // namespace trawl::e2e
