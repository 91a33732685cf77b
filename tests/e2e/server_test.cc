// Whole-program tests of `trawl serve` (and its watcher) and `trawl hooks`: the real
// binary on temporary repositories, driven over HTTP on 127.0.0.1. Every wait is a
// poll with a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "e2e_util.h"

namespace trawl::e2e {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Polls `done` every 20 ms until it holds or `seconds` pass.
bool Eventually(const std::function<bool()>& done, double seconds = 10) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

void GitInit(const fs::path& root) {
  std::string cmd = "cd " + Quote(root.string()) + " && git init -q . && git config user.email t@example.com && " +
                    "git config user.name t && git config commit.gpgsign false";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

// `trawl serve ARGS` in the background; the port comes from its first stdout line.
class Server {
 public:
  Server(const std::string& args, const fs::path& log) : log_(log) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, 2);
      ::close(out[0]);
      std::string cmd = "exec " + Quote(Binary()) + " serve " + args;
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
    // "listening on http://127.0.0.1:PORT\n", within 15 s.
    std::string line;
    auto deadline = Clock::now() + std::chrono::seconds(15);
    while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    first_line_ = line.substr(0, line.find('\n'));
    size_t colon = first_line_.rfind(':');
    if (first_line_.rfind("listening on http://127.0.0.1:", 0) == 0 && colon != std::string::npos) {
      port_ = std::atoi(first_line_.c_str() + colon + 1);
    }
  }

  ~Server() {
    if (pid_ > 0 && exit_code_ == kRunning) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
    std::error_code ec;
    fs::remove(log_, ec);
  }

  // Sends `sig` and waits (at most `seconds`) for the exit; the exit code, or -1.
  int Stop(int sig = SIGTERM, double seconds = 10) {
    if (pid_ <= 0) return -1;
    if (exit_code_ != kRunning) return exit_code_;
    ::kill(pid_, sig);
    auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    exit_code_ = -1;
    return -1;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return first_line_ + "\n" + Slurp(log_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    c.set_connection_timeout(2, 0);
    if (!token_.empty()) c.set_bearer_token_auth(token_.c_str());
    return c;
  }
  void set_token(const std::string& t) { token_ = t; }

  Json GetJson(const std::string& path, int* status = nullptr) const {
    auto c = Client();
    auto r = c.Get(path.c_str());
    if (status) *status = r ? r->status : -1;
    if (!r) return Json();
    Json j = Json::parse(r->body, nullptr, false);
    return j.is_discarded() ? Json() : j;
  }

  // Paths of the results for `q` (lexical: exact tokens).
  std::vector<std::string> SearchPaths(const std::string& q, const std::string& mode = "lexical") const {
    Json j = GetJson("/v1/search?k=20&mode=" + mode + "&q=" + UrlEncode(q));
    std::vector<std::string> out;
    if (j.is_object() && j.contains("results")) {
      for (auto& r : j["results"]) out.push_back(r["path"].get<std::string>());
    }
    return out;
  }

  bool Finds(const std::string& q, const std::string& path) const {
    auto paths = SearchPaths(q);
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  }

 private:
  static constexpr int kRunning = -1000;
  fs::path log_;
  pid_t pid_ = -1;
  int fd_ = -1;
  int port_ = 0;
  int exit_code_ = kRunning;
  std::string first_line_;
  std::string token_;
};

std::string PostJson(const Server& s, const std::string& path, const std::string& body, int* status) {
  auto c = s.Client();
  auto r = c.Post(path.c_str(), body, "application/json");
  *status = r ? r->status : -1;
  return r ? r->body : std::string();
}

// Waits for the service's run `id` to end; returns its JSON.
Json WaitRun(const Server& s, const std::string& id, double seconds = 15) {
  Json run;
  Eventually(
      [&] {
        run = s.GetJson("/v1/runs/" + id);
        std::string st = run.is_object() ? run.value("state", "") : "";
        return st == "finished" || st == "failed" || st == "cancelled";
      },
      seconds);
  return run;
}

TEST(ServerTest, WatchMakesEditsSearchableAndExitsCleanly) {
  TempDir dir("srv_watch");
  MakeProject(dir.path(), 5);
  GitInit(dir.path());
  Server s("--watch --port 0 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_watch.log");
  ASSERT_GT(s.port(), 0) << s.log();
  ASSERT_TRUE(Eventually([&] { return s.Finds("checksum_of_bytes", "pkg/parser.py"); })) << s.log();

  // An edit (appended function with a unique token), a new file in a new directory.
  WriteFile(dir.path() / "pkg/parser.py", Slurp(dir.path() / "pkg/parser.py") +
                                              "\n\ndef zebra_quantum_marker():\n    return 42\n");
  EXPECT_TRUE(Eventually([&] { return s.Finds("zebra_quantum_marker", "pkg/parser.py"); }, 5)) << s.log();
  WriteFile(dir.path() / "fresh/deeper/new_module.py", "def walrus_token_fresh():\n    return 1\n");
  EXPECT_TRUE(Eventually([&] { return s.Finds("walrus_token_fresh", "fresh/deeper/new_module.py"); }, 5)) << s.log();

  // Editor save: write a temporary file, rename it over the original.
  WriteFile(dir.path() / "src/.net.c.tmp", "int kangaroo_saved_by_rename(void) { return 7; }\n");
  fs::rename(dir.path() / "src/.net.c.tmp", dir.path() / "src/net.c");
  EXPECT_TRUE(Eventually([&] { return s.Finds("kangaroo_saved_by_rename", "src/net.c"); }, 5)) << s.log();
  EXPECT_TRUE(Eventually([&] { return !s.Finds("open_socket_with_timeout", "src/net.c"); }, 5));

  // Full search response shape, with content.
  Json full = s.GetJson("/v1/search?q=kangaroo_saved_by_rename&k=1&content=1&lang=c");
  ASSERT_TRUE(full.contains("results")) << full.dump();
  ASSERT_EQ(full["results"].size(), 1u);
  for (const char* k : {"path", "start_line", "end_line", "language", "kind", "symbol", "score", "content"}) {
    EXPECT_TRUE(full["results"][0].contains(k)) << k;
  }
  EXPECT_TRUE(full.contains("coverage"));
  EXPECT_TRUE(full.contains("took_ms"));

  // Metrics and status.
  auto c = s.Client();
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_THAT(m->body, HasSubstr("trawl_index_runs_total{state=\"finished\"}"));
  EXPECT_THAT(m->body, HasSubstr("trawl_search_duration_seconds_bucket{le=\"+Inf\"}"));
  EXPECT_THAT(m->body, HasSubstr("trawl_index_runs_in_progress"));
  Json st = s.GetJson("/v1/status");
  EXPECT_GE(st.value("files", 0), 7) << st.dump();
  EXPECT_EQ(st["server"]["watch"], true);

  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

TEST(ServerTest, WatchFollowsRenamesDeletesBulkChangesAndIgnoreEdits) {
  TempDir dir("srv_follow");
  MakeProject(dir.path(), 3);
  GitInit(dir.path());
  Server s("--watch --port 0 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_follow.log");
  ASSERT_GT(s.port(), 0) << s.log();
  ASSERT_TRUE(Eventually([&] { return s.Finds("renderWidget", "web/app.js"); })) << s.log();

  // Rename a file, then a whole directory.
  fs::rename(dir.path() / "web/app.js", dir.path() / "web/widget.js");
  EXPECT_TRUE(Eventually([&] {
    auto p = s.SearchPaths("renderWidget");
    return p.size() == 1 && p[0] == "web/widget.js";
  }, 5)) << s.log();
  fs::rename(dir.path() / "web", dir.path() / "frontend");
  EXPECT_TRUE(Eventually([&] {
    auto p = s.SearchPaths("renderWidget");
    return p.size() == 1 && p[0] == "frontend/widget.js";
  }, 5)) << s.log();
  // The moved directory is still watched under its new name.
  WriteFile(dir.path() / "frontend/later.js", "export function narwhalAfterMove() { return 1; }\n");
  EXPECT_TRUE(Eventually([&] { return s.Finds("narwhalAfterMove", "frontend/later.js"); }, 5)) << s.log();

  // Delete.
  fs::remove(dir.path() / "src/net.c");
  EXPECT_TRUE(Eventually([&] { return !s.Finds("open_socket_with_timeout", "src/net.c"); }, 5)) << s.log();
  // Runs made of watched changes walk only the changed paths.
  {
    Json runs = s.GetJson("/v1/runs")["runs"];
    int scoped = 0;
    for (const auto& r : runs) {
      if (r.value("trigger", "") != "watch" || r.value("state", "") != "finished") continue;
      EXPECT_FALSE(r.value("whole_tree", true)) << r.dump();
      EXPECT_LE(r["summary"].value("files_seen", 1000), 3) << r.dump();
      ++scoped;
    }
    EXPECT_GE(scoped, 1) << runs.dump();
  }

  // A burst of 300 files (as a git checkout makes) is indexed in few runs.
  size_t runs_before = s.GetJson("/v1/runs")["runs"].size();
  for (int i = 0; i < 300; ++i) {
    WriteFile(dir.path() / ("bulk/b" + std::to_string(i % 10) + "/f" + std::to_string(i) + ".py"),
              "def bulk_function_" + std::to_string(i) + "():\n    return " + std::to_string(i) + "\n");
  }
  EXPECT_TRUE(Eventually([&] { return s.Finds("bulk_function_299", "bulk/b9/f299.py"); }, 10)) << s.log();
  EXPECT_TRUE(Eventually([&] { return s.Finds("bulk_function_0", "bulk/b0/f0.py"); }, 5)) << s.log();
  size_t runs_after = s.GetJson("/v1/runs")["runs"].size();
  EXPECT_LE(runs_after - runs_before, 4u) << "a burst should be one batch (or a few)";

  // Ignoring a directory takes its files out of the index.
  ASSERT_TRUE(s.Finds("checksum_of_bytes", "pkg/parser.py"));
  WriteFile(dir.path() / ".gitignore", "pkg/\n");
  EXPECT_TRUE(Eventually([&] { return !s.Finds("checksum_of_bytes", "pkg/parser.py"); }, 5)) << s.log();
  // ... and un-ignoring brings them back.
  fs::remove(dir.path() / ".gitignore");
  EXPECT_TRUE(Eventually([&] { return s.Finds("checksum_of_bytes", "pkg/parser.py"); }, 5)) << s.log();

  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// Sends `head` and then up to `body_mb` MiB (stopping when the server closes), on a raw
// connection; returns the status line's code (0: no answer within 5 s).
int RawRequest(int port, const std::string& head, int body_mb = 0, std::string* answer = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return 0;
  }
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  std::string mb(1 << 20, 'x');
  for (int i = 0; i < body_mb; ++i) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 1000) <= 0 || (p.revents & (POLLERR | POLLHUP))) break;
    if (::send(fd, mb.data(), mb.size(), MSG_NOSIGNAL) <= 0) break;
  }
  std::string got;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (got.find("\r\n") == std::string::npos && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (answer) *answer = got;
  return got.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(got.c_str() + 9) : 0;
}

// The server's peak resident memory (VmHWM), in MiB.
long PeakRssMb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
  }
  return -1;
}

TEST(ServerTest, BadRequestsPathEscapesAndRuns) {
  TempDir dir("srv_api");
  MakeProject(dir.path());
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  Server s("--port 0 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_api.log");
  ASSERT_GT(s.port(), 0) << s.log();

  int code = 0;
  Json e = s.GetJson("/v1/search", &code);
  EXPECT_EQ(code, 400);
  EXPECT_TRUE(e.contains("error"));
  s.GetJson("/v1/search?q=x&k=abc", &code);
  EXPECT_EQ(code, 400);
  s.GetJson("/v1/search?q=x&k=0", &code);
  EXPECT_EQ(code, 400);
  s.GetJson("/v1/search?q=x&mode=psychic", &code);
  EXPECT_EQ(code, 400);
  s.GetJson("/v1/nothing", &code);
  EXPECT_EQ(code, 404);
  s.GetJson("/v1/runs/r999", &code);
  EXPECT_EQ(code, 404);
  Json ok = s.GetJson("/v1/search?q=checksum&path=" + UrlEncode("pkg/*"), &code);
  EXPECT_EQ(code, 200);
  ASSERT_FALSE(ok["results"].empty()) << ok.dump();
  for (auto& r : ok["results"]) EXPECT_THAT(r["path"].get<std::string>(), HasSubstr("pkg/"));

  struct Case {
    std::string body;
    int want;
  };
  std::vector<Case> cases = {
      {"not json", 400},
      {"[]", 400},
      {R"({"changes": "x"})", 400},
      {R"({"changes": [42]})", 400},
      {R"({"changes": [{"path": "a.py"}]})", 400},
      {R"({"changes": [{"path": 7, "action": "added"}]})", 400},
      {R"({"changes": [{"path": "a.py", "action": "exploded"}]})", 400},
      {R"({"changes": [{"path": "a.py", "action": "renamed"}]})", 400},
      {R"({"changes": [{"path": "", "action": "added"}]})", 400},
      {R"({"changes": [{"path": "../outside.py", "action": "modified"}]})", 403},
      {R"({"changes": [{"path": "pkg/../../outside.py", "action": "modified"}]})", 403},
      {R"({"changes": [{"path": "/etc/passwd", "action": "modified"}]})", 403},
      {R"({"changes": [{"path": "b.py", "action": "renamed", "old_path": "../../x"}]})", 403},
  };
  for (const auto& c : cases) {
    std::string body = PostJson(s, "/v1/changes", c.body, &code);
    EXPECT_EQ(code, c.want) << c.body << " -> " << body;
    Json j = Json::parse(body, nullptr, false);
    EXPECT_TRUE(!j.is_discarded() && j.contains("error")) << c.body << " -> " << body;
  }
  // Too large: refused from its Content-Length, before the body (which a client that
  // sends the whole body before reading, as httplib's, then fails to write).
  EXPECT_EQ(RawRequest(s.port(), "POST /v1/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2097152\r\n\r\n", 2), 413);
  // curl -d sends bodies as form-encoded, which cpp-httplib caps at 8 KiB: the error says so.
  {
    auto c = s.Client();
    auto r = c.Post("/v1/changes", std::string(20000, ' ') + "x", "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_THAT(r->body, HasSubstr("Content-Type: application/json"));
  }

  // A valid notification (absolute inside the root is fine) queues a run.
  WriteFile(dir.path() / "pkg/added.py", "def okapi_from_hook():\n    return 3\n");
  std::string abs = (dir.path() / "pkg/added.py").string();
  std::string body = PostJson(s, "/v1/changes",
                              R"({"changes": [{"path": ")" + abs + R"(", "action": "added"},
                                   {"path": "pkg/parser.py", "action": "renamed", "old_path": "pkg/old.py"}]})",
                              &code);
  ASSERT_EQ(code, 202) << body;
  std::string id = Json::parse(body)["run_id"];
  Json run = WaitRun(s, id);
  EXPECT_EQ(run.value("state", ""), "finished") << run.dump();
  EXPECT_EQ(run.value("trigger", ""), "changes");
  EXPECT_TRUE(run.contains("summary")) << run.dump();
  EXPECT_TRUE(s.Finds("okapi_from_hook", "pkg/added.py"));

  // POST /v1/index: 202 with an id; while it runs a second request gets 409 with the same id.
  body = PostJson(s, "/v1/index", "", &code);
  ASSERT_EQ(code, 202) << body;
  id = Json::parse(body)["run_id"];
  run = WaitRun(s, id);
  EXPECT_EQ(run.value("state", ""), "finished") << run.dump();
  EXPECT_EQ(run["summary"].value("state", ""), "finished");
  // Found also by the pipeline's run id.
  std::string index_run_id = run.value("index_run_id", "");
  ASSERT_FALSE(index_run_id.empty());
  EXPECT_EQ(s.GetJson("/v1/runs/" + index_run_id).value("id", ""), id);

  Json st = s.GetJson("/v1/status", &code);
  EXPECT_EQ(code, 200);
  for (const char* k : {"files", "chunks", "languages", "embedder", "server"}) EXPECT_TRUE(st.contains(k)) << k;
  EXPECT_EQ(st["server"]["last_run"].value("id", ""), id);
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// A socket that accepts connections (the kernel's backlog) and never answers: an
// embedder behind it keeps a run busy for as long as the test needs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd_, 64) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ServerTest, ConcurrentIndexRequestGets409AndSigtermCancelsTheRun) {
  TempDir dir("srv_409");
  MakeProject(dir.path(), 20);
  SilentListener embedder;
  ASSERT_GT(embedder.port(), 0);
  WriteFile(dir.path() / ".trawl.yaml",
            "embeddings:\n  provider: openai\n  model: test-model\n  dimensions: 64\n  url: http://127.0.0.1:" +
                std::to_string(embedder.port()) + "\n  timeout_ms: 1000\n  max_retries: 6\n");
  ASSERT_EQ(Trawl("trust " + Quote(dir.path().string())).exit_code, 0);
  Server s("--port 0 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_409.log");
  ASSERT_GT(s.port(), 0) << s.log();
  int code = 0;
  std::string body = PostJson(s, "/v1/index", "", &code);
  ASSERT_EQ(code, 202) << body;
  std::string id = Json::parse(body)["run_id"];
  ASSERT_TRUE(Eventually([&] { return s.GetJson("/v1/runs/" + id).value("state", "") == "running"; }, 5)) << s.log();
  // The run waits on its embedder: a second request is refused with the running id.
  body = PostJson(s, "/v1/index", "", &code);
  EXPECT_EQ(code, 409) << body;
  EXPECT_EQ(Json::parse(body).value("run_id", ""), id);
  EXPECT_TRUE(Json::parse(body).contains("error"));
  // Other requests are answered while the run writes.
  auto t0 = Clock::now();
  int scode = 0;
  s.GetJson("/v1/search?mode=lexical&q=checksum_of_bytes", &scode);
  EXPECT_TRUE(scode == 200 || scode == 503) << scode;
  s.GetJson("/v1/status", &scode);
  EXPECT_EQ(scode, 200);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 2.0);
  Json m = s.GetJson("/v1/runs/" + id);
  EXPECT_EQ(m.value("state", ""), "running");
  // SIGTERM mid-run: the run is cancelled, the server exits 0 promptly.
  t0 = Clock::now();
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 8.0);
}

TEST(ServerTest, BearerTokenIsRequiredWhenConfigured) {
  TempDir dir("srv_auth");
  MakeProject(dir.path());
  WriteFile(dir.path() / "token.txt", "s3cret-token\n");
  Server s("--port 0 --token-file " + Quote((dir.path() / "token.txt").string()) + " " + Quote(dir.path().string()),
           dir.path().parent_path() / "trawl_srv_auth.log");
  ASSERT_GT(s.port(), 0) << s.log();
  int code = 0;
  s.GetJson("/v1/status", &code);
  EXPECT_EQ(code, 401);
  s.set_token("wrong-token!");
  s.GetJson("/v1/status", &code);
  EXPECT_EQ(code, 401);
  s.set_token("s3cret-token");
  s.GetJson("/v1/status", &code);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// GET /v1/file serves a file the index holds, and nothing else: not a path outside the
// root (relative or absolute), not an ignored file, a directory, a binary file the index
// skipped, or a file that became a symbolic link out of the root since the run.
TEST(ServerTest, FileEndpointServesOnlyIndexedFilesInsideTheRoot) {
  TempDir dir("srv_file");
  fs::path root = dir.path() / "repo";
  MakeProject(root);
  WriteFile(root / ".trawlignore", "*.log\n");
  WriteFile(root / "build.log", "ignored log\n");
  WriteFile(dir.path() / "secret.txt", "TOP SECRET beside the root\n");
  WriteFile(root / "src/blob.py", std::string("abc\0\1\2def", 9));  // binary: the index skips it
  ASSERT_EQ(Trawl("index --progress none " + Quote(root.string())).exit_code, 0);
  Server s("--port 0 " + Quote(root.string()), dir.path() / "serve.log");
  ASSERT_GT(s.port(), 0) << s.log();

  int code = 0;
  Json f = s.GetJson("/v1/file?path=pkg/parser.py", &code);
  EXPECT_EQ(code, 200) << f.dump();
  EXPECT_EQ(f.value("path", ""), "pkg/parser.py");
  EXPECT_EQ(f.value("language", ""), "python");
  EXPECT_EQ(f.value("truncated", true), false);
  EXPECT_EQ(f.value("content", ""), Slurp(root / "pkg/parser.py"));
  f = s.GetJson("/v1/file?path=" + UrlEncode((root / "src/net.c").string()), &code);
  EXPECT_EQ(code, 200) << "an absolute path inside the root";
  EXPECT_EQ(f.value("path", ""), "src/net.c");

  struct Refusal {
    std::string path;
    int status;
  };
  const std::string secret = (dir.path() / "secret.txt").string();
  for (const Refusal& r : {Refusal{"../secret.txt", 403}, Refusal{"pkg/../../secret.txt", 403}, Refusal{secret, 403},
                           Refusal{"/etc/passwd", 403}, Refusal{"build.log", 404}, Refusal{"node_modules/dep/index.js", 404},
                           Refusal{"src", 404}, Refusal{".", 400}, Refusal{"pkg/missing.py", 404},
                           Refusal{"src/blob.py", 409}}) {
    std::string body = s.Client().Get(("/v1/file?path=" + UrlEncode(r.path)).c_str())->body;
    s.GetJson("/v1/file?path=" + UrlEncode(r.path), &code);
    EXPECT_EQ(code, r.status) << r.path << ": " << body;
    EXPECT_THAT(body, HasSubstr("\"error\"")) << r.path;
    EXPECT_THAT(body, ::testing::Not(HasSubstr("TOP SECRET"))) << r.path;
  }
  s.GetJson("/v1/file", &code);
  EXPECT_EQ(code, 400);

  // An indexed file swapped for a symbolic link out of the root after the run.
  fs::remove(root / "src/net.c");
  fs::create_symlink(dir.path() / "secret.txt", root / "src/net.c");
  auto r = s.Client().Get("/v1/file?path=src/net.c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_THAT(r->body, ::testing::Not(HasSubstr("TOP SECRET")));
  // A symbolic link to a directory outside, with the indexed path below it.
  fs::rename(root / "pkg", dir.path() / "pkg_moved");
  fs::create_directory_symlink(dir.path() / "pkg_moved", root / "pkg");
  r = s.Client().Get("/v1/file?path=pkg/parser.py");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// The web page: its files are served with a strict Content-Security-Policy, public
// (no token: they hold nothing of the index), while the API still needs the token.
TEST(ServerTest, WebPageIsServedWithStrictHeaders) {
  TempDir dir("srv_page");
  MakeProject(dir.path());
  WriteFile(dir.path() / "token.txt", "s3cret-token\n");
  Server s("--port 0 --token-file " + Quote((dir.path() / "token.txt").string()) + " " + Quote(dir.path().string()),
           dir.path().parent_path() / "trawl_srv_page.log");
  ASSERT_GT(s.port(), 0) << s.log();
  auto c = s.Client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("<script type=\"module\" src=\"/app.js\">"));
  std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_THAT(csp, HasSubstr("default-src 'self'"));
  EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
  EXPECT_THAT(csp, ::testing::Not(HasSubstr("unsafe")));
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  for (const char* asset : {"/app.js", "/api.js", "/dom.js", "/search_view.js", "/index_view.js", "/highlight.js"}) {
    auto js = c.Get(asset);
    ASSERT_TRUE(js) << asset;
    EXPECT_EQ(js->status, 200) << asset;
    EXPECT_THAT(js->get_header_value("Content-Type"), HasSubstr("text/javascript")) << asset;
    EXPECT_EQ(js->get_header_value("X-Content-Type-Options"), "nosniff") << asset;
  }
  auto css = c.Get("/style.css");
  ASSERT_TRUE(css);
  EXPECT_THAT(css->get_header_value("Content-Type"), HasSubstr("text/css"));
  // The API behind the page still needs the token; the page's files do not open it.
  int code = 0;
  s.GetJson("/v1/file?path=pkg/parser.py", &code);
  EXPECT_EQ(code, 401);
  s.GetJson("/v1/status", &code);
  EXPECT_EQ(code, 401);
  auto post = c.Post("/", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401) << "a write to a page path is not exempt from the token";
  s.set_token("s3cret-token");
  post = s.Client().Post("/", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET");
  auto missing = s.Client().Get("/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << "only the page's own files are served";
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// Hostile clients on loopback: bodies are capped before authentication and before they
// are read (Content-Length and chunked), Host is checked (DNS rebinding), browsers'
// cross-origin writes are refused, a wrong method is 405.
TEST(ServerTest, HostileRequestsAreRefusedBeforeTheirBodies) {
  TempDir dir("srv_hostile");
  MakeProject(dir.path());
  WriteFile(dir.path() / "token.txt", "s3cret-token\n");
  Server s("--port 0 --token-file " + Quote((dir.path() / "token.txt").string()) + " " + Quote(dir.path().string()),
           dir.path().parent_path() / "trawl_srv_hostile.log");
  ASSERT_GT(s.port(), 0) << s.log();
  const std::string post = "POST /v1/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  const std::string auth = "Authorization: Bearer s3cret-token\r\n";
  long before = PeakRssMb(s.pid());
  EXPECT_EQ(RawRequest(s.port(), post + "Content-Length: 500000000\r\n\r\n", 200), 401);
  EXPECT_EQ(RawRequest(s.port(), post + "Transfer-Encoding: chunked\r\n\r\n", 200), 401);
  EXPECT_EQ(RawRequest(s.port(), post + auth + "Content-Length: 500000000\r\n\r\n", 200), 413);
  EXPECT_EQ(RawRequest(s.port(), post + auth + "Transfer-Encoding: chunked\r\n\r\n", 200), 411);
  long after = PeakRssMb(s.pid());
  EXPECT_LT(after - before, 64) << "peak RSS " << before << " -> " << after << " MiB";
  // DNS rebinding: another name for 127.0.0.1.
  EXPECT_EQ(RawRequest(s.port(), "GET /v1/status HTTP/1.1\r\nHost: evil.example:80\r\n" + auth + "\r\n"), 421);
  EXPECT_EQ(RawRequest(s.port(), "GET /v1/status HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n"), 200);
  // A page of another origin posting text/plain (no preflight), token or not.
  const std::string change = "POST /v1/index HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 2\r\n" + auth;
  EXPECT_EQ(RawRequest(s.port(), change + "Origin: http://evil.example\r\n\r\n{}"), 403);
  EXPECT_EQ(RawRequest(s.port(), change + "Sec-Fetch-Site: cross-site\r\n\r\n{}"), 403);
  std::string answer;
  EXPECT_EQ(RawRequest(s.port(), "DELETE /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n", 0, &answer), 405);
  EXPECT_THAT(answer, HasSubstr("Allow: GET"));
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

// Slow clients (slowloris) on loopback: 17 connections trickling a request head (or a
// body) a byte at a time hold no request thread (the server has 8) and are answered 408 after
// --read-timeout-ms; searches answer all along. With a thread per arriving connection,
// the trickling ones hold every thread and the searches below time out.
TEST(ServerTest, SlowClientsCannotStopTheServer) {
  TempDir dir("srv_slow");
  MakeProject(dir.path());
  Server s("--watch --port 0 --threads 8 --read-timeout-ms 2000 " + Quote(dir.path().string()),
           dir.path().parent_path() / "trawl_srv_slow.log");
  ASSERT_GT(s.port(), 0) << s.log();
  ASSERT_TRUE(Eventually([&] { return s.Finds("checksum_of_bytes", "pkg/parser.py"); }, 30)) << s.log();

  struct Slow {
    int fd = -1;
    std::string answer;
    bool done = false;
  };
  std::vector<Slow> slow(17);
  for (size_t i = 0; i < slow.size(); ++i) {
    Slow& c = slow[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    // A head that never ends, or (every fourth) a whole head and a body that never does.
    const std::string start = i % 4 == 0 ? "POST /v1/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                           "application/json\r\nContent-Length: 1000\r\n\r\n"
                                         : "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    ::send(c.fd, start.data(), start.size(), MSG_NOSIGNAL);
  }
  // A byte every 200 ms on each connection until the server answers it (at most 15 s).
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    auto deadline = Clock::now() + std::chrono::seconds(15);
    while (!stop.load() && Clock::now() < deadline) {
      bool all_done = true;
      for (Slow& c : slow) {
        if (c.done) continue;
        pollfd p{c.fd, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
          char buf[512];
          ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
          if (n > 0) c.answer.append(buf, static_cast<size_t>(n));
          if (n <= 0) c.done = true;
        } else {
          ::send(c.fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        all_done = all_done && c.done;
      }
      if (all_done) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  // Searches while the slow connections are held.
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(s.Finds("checksum_of_bytes", "pkg/parser.py")) << "search " << i << " while slow clients hold sockets";
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  trickle.join();
  int timed_out = 0;
  for (Slow& c : slow) {
    EXPECT_TRUE(c.done) << "a slow connection was never closed";
    int status = c.answer.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(c.answer.c_str() + 9) : 0;
    EXPECT_EQ(status, 408) << c.answer;
    timed_out += status == 408;
    ::close(c.fd);
  }
  auto m = s.Client().Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_THAT(m->body, HasSubstr("trawl_http_refused_total{reason=\"slow\"} " + std::to_string(timed_out)));
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
}

TEST(ServerTest, EventStreamCarriesRunEventsAndHeartbeats) {
  TempDir dir("srv_sse");
  MakeProject(dir.path(), 20);
  Server s("--port 0 --heartbeat-ms 300 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_sse.log");
  ASSERT_GT(s.port(), 0) << s.log();
  fs::path out = dir.path().parent_path() / "trawl_srv_sse.events";
  std::string cmd = "curl -sN --max-time 4 " + Quote(s.url() + "/v1/events") + " > " + Quote(out.string()) + " 2>&1";
  std::thread curl([cmd] { std::system(cmd.c_str()); });
  bool subscribed = Eventually([&] { return s.GetJson("/v1/status")["server"].value("event_subscribers", 0) == 1; }, 3);
  EXPECT_TRUE(subscribed);
  int code = 0;
  std::string body = PostJson(s, "/v1/index", "", &code);
  EXPECT_EQ(code, 202) << body;
  curl.join();
  std::string events = Slurp(out);
  fs::remove(out);
  EXPECT_THAT(events, HasSubstr("event: run_started\ndata: {"));
  EXPECT_THAT(events, HasSubstr("event: progress\ndata: {"));
  EXPECT_THAT(events, HasSubstr("\"event\":\"finished\""));
  EXPECT_THAT(events, HasSubstr("event: run_finished\ndata: {"));
  EXPECT_THAT(events, HasSubstr("event: files_reindexed\ndata: {"));
  EXPECT_THAT(events, HasSubstr(": heartbeat"));
  // The stream's subscriber is gone once curl hangs up.
  EXPECT_TRUE(Eventually([&] { return s.GetJson("/v1/status")["server"].value("event_subscribers", -1) == 0; }, 3));

  // SIGTERM with a subscriber connected: the stream ends and the server exits 0 promptly.
  std::thread curl2([&] {
    std::string c2 = "curl -sN --max-time 8 " + Quote(s.url() + "/v1/events") + " >/dev/null 2>&1";
    std::system(c2.c_str());
  });
  EXPECT_TRUE(Eventually([&] { return s.GetJson("/v1/status")["server"].value("event_subscribers", 0) == 1; }, 3));
  auto t0 = Clock::now();
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
  curl2.join();
}

TEST(ServerTest, GitHooksNotifyTheServer) {
  TempDir dir("srv_hooks");
  MakeProject(dir.path());
  GitInit(dir.path());
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  Server s("--port 0 " + Quote(dir.path().string()), dir.path().parent_path() / "trawl_srv_hooks.log");
  ASSERT_GT(s.port(), 0) << s.log();

  // A foreign hook is refused without --append/--force, and kept with --append.
  fs::path hooks = dir.path() / ".git/hooks";
  WriteFile(hooks / "post-merge", "#!/bin/sh\necho mine\n");
  auto refused = Trawl("hooks install --url " + Quote(s.url()) + " " + Quote(dir.path().string()));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("--append"));
  EXPECT_FALSE(fs::exists(hooks / "post-commit"));
  auto installed = Trawl("hooks install --append --url " + Quote(s.url()) + " " + Quote(dir.path().string()));
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_THAT(Slurp(hooks / "post-merge"), HasSubstr("echo mine"));
  for (const char* h : {"post-commit", "post-merge", "post-checkout"}) {
    struct stat st {};
    ASSERT_EQ(::stat((hooks / h).c_str(), &st), 0) << h;
    EXPECT_TRUE(st.st_mode & S_IXUSR) << h;
  }
  // Installing again replaces trawl's block, never duplicates it.
  ASSERT_EQ(Trawl("hooks install --url " + Quote(s.url()) + " " + Quote(dir.path().string())).exit_code, 0);
  std::string pc = Slurp(hooks / "post-commit");
  EXPECT_EQ(pc.find("trawl: notify"), pc.rfind("trawl: notify"));

  // A commit sends its files: a run triggered by "changes" follows.
  WriteFile(dir.path() / "pkg/committed.py", "def pelican_in_commit():\n    return 5\n");
  std::string commit = "cd " + Quote(dir.path().string()) + " && git add -A pkg && git commit -qm add >/dev/null 2>&1";
  auto t0 = Clock::now();
  ASSERT_EQ(std::system(commit.c_str()), 0);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0) << "the hook must not block git";
  EXPECT_TRUE(Eventually([&] { return s.Finds("pelican_in_commit", "pkg/committed.py"); }, 10)) << s.log();
  Json runs = s.GetJson("/v1/runs");
  ASSERT_FALSE(runs["runs"].empty());
  EXPECT_EQ(runs["runs"][0].value("trigger", ""), "changes");
  // A name git quotes (here a '"') cannot go in the list as it is: the hook sends none,
  // and the run re-checks the tree.
  WriteFile(dir.path() / "pkg/q\"uote.py", "def heron_in_quotes():\n    return 6\n");
  ASSERT_EQ(std::system(commit.c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return s.Finds("heron_in_quotes", "pkg/q\"uote.py"); }, 10)) << s.log();

  // With the server gone the hook still succeeds at once.
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
  WriteFile(dir.path() / "pkg/second.py", "x = 1\n");
  std::string commit2 = "cd " + Quote(dir.path().string()) + " && git add -A pkg && git commit -qm second >/dev/null 2>&1";
  t0 = Clock::now();
  EXPECT_EQ(std::system(commit2.c_str()), 0);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);

  auto removed = Trawl("hooks uninstall " + Quote(dir.path().string()));
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(fs::exists(hooks / "post-commit"));
  EXPECT_EQ(Slurp(hooks / "post-merge"), "#!/bin/sh\necho mine\n");
}

TEST(WatchTest, TrawlWatchFollowsEditsAndStopsOnSigterm) {
  TempDir dir("watch_cli");
  MakeProject(dir.path(), 2);
  fs::path out = dir.path().parent_path() / ("trawl_watch_cli_" + std::to_string(::getpid()) + ".jsonl");
  fs::path pid_file = dir.path().parent_path() / ("trawl_watch_cli_" + std::to_string(::getpid()) + ".pid");
  std::string cmd = Quote(Binary()) + " watch --json --debounce-ms 50 " + Quote(dir.path().string()) + " > " +
                    Quote(out.string()) + " 2>/dev/null & echo $! > " + Quote(pid_file.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  pid_t pid = std::atoi(Slurp(pid_file).c_str());
  ASSERT_GT(pid, 0);
  auto finds = [&](const std::string& q, const std::string& path) {
    auto r = Trawl("search --json --mode lexical -k 5 " + Quote(q), dir.path());
    return r.exit_code == 0 && r.out.find("\"" + path + "\"") != std::string::npos;
  };
  EXPECT_TRUE(Eventually([&] { return finds("checksum_of_bytes", "pkg/parser.py"); }, 10));
  WriteFile(dir.path() / "pkg/extra.py", "def gazelle_watch_token():\n    return 9\n");
  EXPECT_TRUE(Eventually([&] { return finds("gazelle_watch_token", "pkg/extra.py"); }, 5));
  fs::remove(dir.path() / "pkg/extra.py");
  EXPECT_TRUE(Eventually([&] { return !finds("gazelle_watch_token", "pkg/extra.py"); }, 5));
  ::kill(pid, SIGTERM);
  bool exited = Eventually([&] { return ::kill(pid, 0) != 0; }, 10);
  EXPECT_TRUE(exited);
  if (!exited) ::kill(pid, SIGKILL);
  std::string events = Slurp(out);
  EXPECT_THAT(events, HasSubstr("{\"event\":\"run_finished\""));
  EXPECT_THAT(events, HasSubstr("{\"event\":\"files_reindexed\""));
  fs::remove(out);
  fs::remove(pid_file);
}

}  // namespace
}  // namespace trawl::e2e
