#include "mcp/mcp_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "base/mutex.h"
#include "watch/reindex_service.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Collects what a session sends, by request id.
class Client {
 public:
  explicit Client(McpSession* session) : session_(session) {}

  McpSession::Reply Send(const Json& msg) {
    return session_->Receive(msg.dump(), [this](const std::string& m, bool last) {
      MutexLock lock(&mu_);
      if (!m.empty()) sent_.push_back(Json::parse(m));
      if (last) ++lasts_;
      cv_.NotifyAll();
    });
  }

  // The response to request `id` (waits for it).
  Json Response(const Json& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    MutexLock lock(&mu_);
    for (;;) {
      for (const auto& m : sent_) {
        if (m.contains("id") && m["id"] == id && (m.contains("result") || m.contains("error"))) return m;
      }
      if (std::chrono::steady_clock::now() > deadline) return Json();
      cv_.WaitFor(&mu_, std::chrono::milliseconds(50));
    }
  }

  Json Call(int id, const std::string& tool, Json args, Json token = nullptr) {
    Json params = {{"name", tool}, {"arguments", std::move(args)}};
    if (!token.is_null()) params["_meta"] = {{"progressToken", token}};
    Send({{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", params}});
    return Response(id);
  }

  std::vector<Json> Notifications(const std::string& method) {
    MutexLock lock(&mu_);
    std::vector<Json> out;
    for (const auto& m : sent_) {
      if (m.value("method", "") == method) out.push_back(m);
    }
    return out;
  }

 private:
  McpSession* session_;
  Mutex mu_;
  CondVar cv_;
  std::vector<Json> sent_ GUARDED_BY(mu_);
  int lasts_ GUARDED_BY(mu_) = 0;
};

class McpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("trawl_mcp_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "tree";
    fs::create_directories(root_ / "src");
    Write("src/retry.py",
          "def backoff_delay(attempt):\n    \"\"\"Seconds to wait before retrying a failed request.\"\"\"\n"
          "    return min(60, 2 ** attempt)\n");
    Write("src/parse.py", "def parse_config(text):\n    return dict(line.split('=') for line in text.splitlines())\n");
    Write("build.log", "ignored\n");
    Write(".trawlignore", "*.log\n");
    Write("../secret.txt", "outside the root\n");
    LoadOptionsRequest req;
    req.root = root_.string();
    req.index_dir = (base_ / "index").string();
    req.read_environment = false;
    req.overrides["indexing.git_metadata"] = "false";
    auto o = LoadOptions(req);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    options_ = *o;
    ReindexService::Config sc;
    sc.options = options_;
    sc.progress_interval_ms = 5;
    auto svc = ReindexService::Start(std::move(sc));
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc).value();
    host_ = std::make_unique<McpHost>(options_, "test", false, service_.get());
    session_ = std::make_unique<McpSession>(host_.get());
    client_ = std::make_unique<Client>(session_.get());
  }
  void TearDown() override {
    // The session first: its tool-call threads may still be sending through the client.
    session_.reset();
    client_.reset();
    service_->Stop();
    host_.reset();
    service_.reset();
    fs::remove_all(base_);
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void Initialize(const std::string& version = "2025-11-25") {
    client_->Send({{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                   {"params", {{"protocolVersion", version}, {"capabilities", Json::object()},
                               {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}});
    Json r = client_->Response(0);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    client_->Send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }
  static std::string Text(const Json& response) { return response["result"]["content"][0]["text"].get<std::string>(); }
  static bool IsError(const Json& response) { return response["result"].value("isError", false); }

  fs::path base_, root_;
  Options options_;
  std::unique_ptr<ReindexService> service_;
  std::unique_ptr<McpHost> host_;
  std::unique_ptr<McpSession> session_;
  std::unique_ptr<Client> client_;
};

TEST_F(McpTest, NegotiatesTheProtocolAndListsTools) {
  client_->Send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}});
  EXPECT_EQ(client_->Response(1)["error"]["code"], -32600);  // initialize first
  Initialize("2024-11-05");
  EXPECT_EQ(session_->protocol_version(), "2024-11-05");
  client_->Send({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
  Json tools = client_->Response(2)["result"]["tools"];
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_FALSE(tools[0].contains("outputSchema"));  // not in 2024-11-05
  Initialize("1999-01-01");                           // unknown: the newest is offered
  EXPECT_EQ(session_->protocol_version(), McpProtocolVersions().front());
  client_->Send({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}});
  tools = client_->Response(3)["result"]["tools"];
  std::vector<std::string> names;
  for (const auto& t : tools) {
    names.push_back(t["name"]);
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_EQ(t["outputSchema"]["type"], "object");
    EXPECT_GT(t["description"].get<std::string>().size(), 100u);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"search_code", "read_code", "index_status", "reindex"}));
}

TEST_F(McpTest, ProtocolErrorsAreJsonRpcErrors) {
  Initialize();
  EXPECT_EQ(session_->Receive("{not json", [](const std::string& m, bool) {
    EXPECT_EQ(Json::parse(m)["error"]["code"], -32700);
  }), McpSession::Reply::kSent);
  client_->Send({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "resources/list"}});
  EXPECT_EQ(client_->Response(5)["error"]["code"], -32601);
  client_->Send({{"jsonrpc", "2.0"}, {"id", 6}, {"method", "tools/call"}, {"params", {{"name", "rm_rf"}}}});
  EXPECT_EQ(client_->Response(6)["error"]["code"], -32602);
  client_->Send({{"jsonrpc", "2.0"}, {"id", "p"}, {"method", "ping"}});
  EXPECT_TRUE(client_->Response("p")["result"].is_object());
  EXPECT_EQ(client_->Send({{"jsonrpc", "2.0"}, {"method", "notifications/whatever"}}), McpSession::Reply::kNone);
}

TEST_F(McpTest, NoIndexYetThenReindexWithRisingProgressThenSearchAndRead) {
  // Enough files for a run to last past a few progress notifications.
  for (int i = 0; i < 1000; ++i) Write("lib/u" + std::to_string(i) + ".py", "def helper_" + std::to_string(i) + "(v):\n    return v\n");
  Initialize();
  Json r = client_->Call(1, "search_code", {{"query", "retry backoff"}});
  ASSERT_TRUE(IsError(r)) << r.dump();
  EXPECT_NE(Text(r).find("reindex"), std::string::npos) << Text(r);
  r = client_->Call(2, "index_status", Json::object());
  EXPECT_FALSE(r["result"]["structuredContent"]["exists"].get<bool>());

  r = client_->Call(3, "reindex", Json::object(), "tok");
  ASSERT_FALSE(IsError(r)) << r.dump();
  EXPECT_EQ(r["result"]["structuredContent"]["state"], "finished");
  EXPECT_GE(r["result"]["structuredContent"]["files_indexed"].get<int>(), 1002);
  auto progress = client_->Notifications("notifications/progress");
  ASSERT_FALSE(progress.empty());
  double last = -1;
  for (const auto& p : progress) {
    EXPECT_EQ(p["params"]["progressToken"], "tok");
    EXPECT_GT(p["params"]["progress"].get<double>(), last);
    last = p["params"]["progress"].get<double>();
  }

  r = client_->Call(4, "search_code", {{"query", "how long to wait before retrying"}, {"k", 2}});
  ASSERT_FALSE(IsError(r)) << r.dump();
  Json results = r["result"]["structuredContent"]["results"];
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0]["path"], "src/retry.py");
  EXPECT_NE(results[0]["snippet"].get<std::string>().find("backoff_delay"), std::string::npos);
  EXPECT_NE(Text(r).find("src/retry.py:1-3"), std::string::npos) << Text(r);

  // explain: how the query was read, and each result's reasons.
  r = client_->Call(40, "search_code",
                    {{"query", "backoff_delay waits too long\n```\n>>> backoff_delay(10)\n```"}, {"k", 2}, {"explain", true}});
  ASSERT_FALSE(IsError(r)) << r.dump();
  Json reading = r["result"]["structuredContent"]["reading"];
  ASSERT_TRUE(reading.is_object()) << r.dump();
  EXPECT_TRUE(reading["has_code"].get<bool>());
  EXPECT_EQ(reading["names"][0]["name"], "backoff_delay") << reading.dump();
  EXPECT_EQ(r["result"]["structuredContent"]["results"][0]["explain"]["defines"], "backoff_delay") << r.dump();
  r = client_->Call(41, "search_code", {{"query", "x"}, {"explain", "yes"}});
  EXPECT_TRUE(IsError(r)) << r.dump();

  r = client_->Call(5, "read_code", {{"path", "src/retry.py"}, {"start_line", 3}, {"end_line", 3}});
  ASSERT_FALSE(IsError(r)) << r.dump();
  EXPECT_EQ(r["result"]["structuredContent"]["text"], "    return min(60, 2 ** attempt)\n");
  EXPECT_EQ(r["result"]["structuredContent"]["total_lines"], 3);

  // Bad arguments, paths outside the root or ignored: tool errors saying what to do.
  for (const Json& args : {Json{{"path", "../secret.txt"}}, Json{{"path", (base_ / "secret.txt").string()}},
                           Json{{"path", "build.log"}}, Json{{"path", "src"}}, Json{{"path", "src/retry.py"}, {"start_line", 0}},
                           Json{{"path", "src/retry.py"}, {"start_line", 9}}}) {
    r = client_->Call(6, "read_code", args);
    EXPECT_TRUE(IsError(r)) << args.dump() << " " << r.dump();
    EXPECT_EQ(Text(r).find("outside the root\n"), std::string::npos);  // the secret's text never
  }
  r = client_->Call(7, "search_code", {{"query", "x"}, {"languages", {"klingon"}}});
  EXPECT_TRUE(IsError(r)) << r.dump();
  r = client_->Call(8, "search_code", {{"query", "x"}, {"k", "many"}});
  EXPECT_TRUE(IsError(r)) << r.dump();
  r = client_->Call(9, "reindex", {{"paths", {"../../etc/passwd"}}});
  EXPECT_TRUE(IsError(r)) << r.dump();

  // A symbolic link swapped in for an indexed file is not followed out of the root.
  fs::remove(root_ / "src/parse.py");
  fs::create_symlink(base_ / "secret.txt", root_ / "src/parse.py");
  r = client_->Call(10, "read_code", {{"path", "src/parse.py"}});
  EXPECT_TRUE(IsError(r)) << r.dump();
  EXPECT_EQ(Text(r).find("outside the root\n"), std::string::npos);
}

TEST_F(McpTest, ManyCallsAtOnceGetTheirOwnAnswers) {
  Initialize();
  ASSERT_FALSE(IsError(client_->Call(1, "reindex", Json::object())));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 10; ++i) {
        int id = 100 + t * 10 + i;
        Json params;
        if (i % 2 == 0) {
          params = {{"name", "read_code"}, {"arguments", {{"path", "src/parse.py"}}}};
        } else {
          params = {{"name", "search_code"}, {"arguments", {{"query", "parse config"}}}};
        }
        client_->Send({{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", params}});
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 10; ++i) {
      Json r = client_->Response(100 + t * 10 + i);
      ASSERT_TRUE(r.contains("result")) << r.dump();
      ASSERT_FALSE(IsError(r)) << r.dump();
      if (i % 2 == 0) {
        EXPECT_EQ(r["result"]["structuredContent"]["path"], "src/parse.py");
      } else {
        EXPECT_EQ(r["result"]["structuredContent"]["results"][0]["path"], "src/parse.py");
      }
    }
  }
}

TEST_F(McpTest, CancelledReindexStopsTheRunAndSendsNoResponse) {
  for (int i = 0; i < 3000; ++i) Write("gen/m" + std::to_string(i) + ".py", "def f" + std::to_string(i) + "():\n    return 1\n");
  Initialize();
  client_->Send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                 {"params", {{"name", "reindex"}, {"arguments", Json::object()}, {"_meta", {{"progressToken", 7}}}}}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (client_->Notifications("notifications/progress").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(client_->Notifications("notifications/progress").empty());
  client_->Send({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 1}, {"reason", "t"}}}});
  session_->Drain();
  std::vector<ReindexRun> runs = service_->RecentRuns();
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0].state, RunState::kCancelled);
  Json r = client_->Call(2, "index_status", Json::object());  // answered; 1 never is
  ASSERT_FALSE(IsError(r));
  EXPECT_EQ(client_->Notifications("notifications/progress").back()["params"]["progressToken"], 7);
}

}  // namespace
}  // namespace trawl
