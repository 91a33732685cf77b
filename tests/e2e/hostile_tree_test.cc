// A cloned repository is someone else's data: its config, its ignore files and its
// symlinks may be hostile. Whole-program tests on loopback, bounded in time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>

#include "e2e_util.h"

namespace trawl::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A loopback listener that counts the connections made to it (an attacker's catcher).
class Catcher {
 public:
  Catcher() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(fd_, 16);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Catcher() { ::close(fd_); }
  int port() const { return port_; }
  // Connections waiting to be accepted (made since the start).
  int Connections() {
    int n = 0;
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      ::close(c);
      ++n;
    }
    return n;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(HostileTreeTest, UntrustedRepositoryConfigSendsNothingAndReadsNothingOutside) {
  TempDir dir("hostile_cfg");
  MakeProject(dir.path());
  TempDir outside("hostile_secret");
  WriteFile(outside.path() / "secret.txt", "TOPSECRET_zebra_passphrase = 1\n");
  fs::create_directory_symlink(outside.path(), dir.path() / "linked");
  Catcher catcher;
  WriteFile(dir.path() / ".trawl.yaml",
            "indexing:\n  follow_symlinks: true\nembeddings:\n  provider: openai\n  url: http://127.0.0.1:" +
                std::to_string(catcher.port()) + "/v1\n  api_key_env: HOME\n  model: x\n  max_retries: 0\n"
                "  timeout_ms: 2000\n");
  auto run = Trawl("index --progress none " + Quote(dir.path().string()));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("ignoring indexing.follow_symlinks"));
  EXPECT_THAT(run.err, HasSubstr("embeddings.url"));
  EXPECT_THAT(run.err, HasSubstr("trawl trust"));
  EXPECT_EQ(catcher.Connections(), 0);
  auto secret = Trawl("search --mode lexical --json TOPSECRET_zebra_passphrase", dir.path());
  EXPECT_THAT(secret.out, Not(HasSubstr("secret.txt")));
  // Trusted, the same file applies: the embedder is asked (and, being a catcher, fails).
  ASSERT_EQ(Trawl("trust " + Quote(dir.path().string())).exit_code, 0);
  auto trusted = Trawl("index --progress none " + Quote(dir.path().string()));
  EXPECT_THAT(trusted.err, Not(HasSubstr("ignoring")));
  EXPECT_GT(catcher.Connections(), 0);
}

// A FIFO in the place of an ignore file or the config makes no command wait.
TEST(HostileTreeTest, FifosInThePlaceOfIgnoreAndConfigFilesDoNotHang) {
  TempDir dir("hostile_fifo");
  MakeProject(dir.path());
  fs::create_directories(dir.path() / ".git/info");
  fs::create_directories(dir.path() / "sub");
  for (const char* name : {".gitignore", "sub/.trawlignore", ".git/info/exclude"}) {
    ASSERT_EQ(::mkfifo((dir.path() / name).c_str(), 0644), 0) << name;
  }
  for (const char* cmd : {"files", "index --progress none"}) {
    auto r = Trawl(std::string(cmd) + " " + Quote(dir.path().string()), fs::current_path(), "timeout 20 ");
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  }
  EXPECT_THAT(Trawl("search --mode lexical parse_file", dir.path()).out, HasSubstr("pkg/parser.py"));
  ASSERT_EQ(::mkfifo((dir.path() / ".trawl.yaml").c_str(), 0644), 0);
  auto r = Trawl("index --progress none " + Quote(dir.path().string()), fs::current_path(), "timeout 20 ");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("not a regular file"));
}

// Names and text with control characters never reach the terminal raw.
TEST(HostileTreeTest, ControlCharactersAreEscapedInHumanOutput) {
  TempDir dir("hostile_names");
  MakeProject(dir.path());
  WriteFile(dir.path() / "evil\x1b[2Jname.py", "def zebra_escape():\n    return '\x1b]0;pwned\x07'\n");
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  for (const char* cmd : {"files", "files --why", "search --mode lexical zebra_escape"}) {
    auto r = Trawl(cmd, dir.path());
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << cmd;
    EXPECT_THAT(r.out, HasSubstr("evil\\x1b[2Jname.py")) << cmd;
  }
  EXPECT_THAT(Trawl("search --mode lexical \"zebra_escape pwned\"", dir.path()).out,
              HasSubstr("\\x1b]0;pwned\\x07"));
}

// Names that are not UTF-8 stay distinct and lossless in JSON (their bytes in path_hex).
TEST(HostileTreeTest, NonUtf8NamesStayDistinctInJson) {
  TempDir dir("hostile_latin1");
  MakeProject(dir.path());
  WriteFile(dir.path() / "caf\xe9.py", "def latin_one_e_acute():\n    return 1\n");
  WriteFile(dir.path() / "caf\xe8.py", "def latin_one_e_grave():\n    return 2\n");
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  auto exported = Trawl("export", dir.path()).out;
  EXPECT_THAT(exported, HasSubstr("\"path_hex\":\"636166e92e7079\""));
  EXPECT_THAT(exported, HasSubstr("\"path_hex\":\"636166e82e7079\""));
  EXPECT_THAT(Trawl("files --json", dir.path()).out, HasSubstr("\"path_hex\":\"636166e92e7079\""));
  EXPECT_THAT(Trawl("search --json --mode lexical latin_one_e_grave", dir.path()).out,
              HasSubstr("\"path_hex\": \"636166e82e7079\""));
  EXPECT_THAT(exported, Not(HasSubstr("\"path\":\"pkg/parser.py\",\"path_hex\"")));  // only where needed
}

// A query's cost is bounded: its length, the identifiers it uses, its globs.
TEST(HostileTreeTest, QueriesAndGlobsAreBoundedInCost) {
  TempDir dir("hostile_query");
  MakeProject(dir.path(), 30);
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  std::string words;
  for (int i = 0; words.size() < 70000; ++i) words += "word" + std::to_string(i) + " ";
  WriteFile(dir.path() / "q70k.txt", words);
  auto too_long = Trawl("search \"$(cat q70k.txt)\"", dir.path());
  EXPECT_EQ(too_long.exit_code, 2) << too_long.err;
  EXPECT_THAT(too_long.err, HasSubstr("at most 65536"));
  // 60 KB of distinct words: only the first 256 count, so it answers quickly.
  WriteFile(dir.path() / "q60k.txt", words.substr(0, 60000) + " parse_file");
  auto t0 = std::chrono::steady_clock::now();
  auto long_ok = Trawl("search \"$(cat q60k.txt)\"", dir.path());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(long_ok.exit_code, 0) << long_ok.err;
  EXPECT_LT(s, 20.0);  // a bound on the test's time, not a benchmark (it takes ~0.1 s)
  std::string stars;
  for (int i = 0; i < 40; ++i) stars += "**/";
  auto glob = Trawl("search --path " + Quote(stars + "x") + " parse_file", dir.path());
  EXPECT_EQ(glob.exit_code, 2) << glob.err;
  EXPECT_THAT(glob.err, HasSubstr("at most 16 '*'"));
}

}  // namespace
}  // namespace trawl::e2e
