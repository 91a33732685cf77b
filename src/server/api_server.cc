#include "server/api_server.h"

#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <deque>
#include <list>
#include <random>
#include <optional>
#include <regex>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/mutex.h"
#include "mcp/mcp_server.h"
#include "pipeline/index_json.h"
#include "server/event_hub.h"
#include "server/guarded_server.h"
#include "server/metrics.h"
#include "server/web_assets.h"
#include "trawl/index.h"
#include "trawl/search.h"
#include "search/search_json.h"
#include "watch/reindex_service.h"

namespace trawl {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(DumpJson(body), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, Json{{"error", message}});
}

int HttpStatusFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kFailedPrecondition: return 409;
    default: return 500;
  }
}

// Equal strings take the same time whatever the first difference: the token cannot
// be found a byte at a time by timing 401s.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

// All values of a repeatable query parameter, each also split on commas.
std::vector<std::string> ParamList(const httplib::Request& req, const char* key) {
  std::vector<std::string> out;
  size_t n = req.get_param_value_count(key);
  for (size_t i = 0; i < n; ++i) {
    std::string v = req.get_param_value(key, i);
    size_t s = 0;
    while (s <= v.size()) {
      size_t e = v.find(',', s);
      if (e == std::string::npos) e = v.size();
      if (e > s) out.push_back(v.substr(s, e - s));
      s = e + 1;
    }
  }
  return out;
}

// "127.0.0.1:7777" -> "127.0.0.1", "[::1]:80" -> "::1".
std::string HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

bool IsLoopbackName(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name == "localhost" || name == "::1" || name.rfind("127.", 0) == 0;
}

// The methods each route answers, for 405's Allow.
const std::vector<std::pair<std::regex, std::string>>& RouteMethods() {
  static const std::vector<std::pair<std::regex, std::string>> routes = {
      {std::regex("/v1/search"), "GET"},     {std::regex("/v1/index"), "POST"},
      {std::regex("/v1/runs(/[A-Za-z0-9_.-]+)?"), "GET"}, {std::regex("/v1/changes"), "POST"},
      {std::regex("/v1/status"), "GET"},     {std::regex("/v1/events"), "GET"},
      {std::regex("/v1/file"), "GET"},       {std::regex("/metrics"), "GET"},
      {std::regex("/mcp"), "POST, DELETE"}};
  return routes;
}

// The messages of one POST /mcp request, from the session's threads to the response.
class McpStream {
 public:
  void Push(const std::string& message, bool last) {
    {
      MutexLock lock(&mu_);
      if (!message.empty()) messages_.push_back(message);
      if (last) ended_ = true;
    }
    cv_.NotifyAll();
  }
  // Waits up to `wait` for messages; false once every message was taken and the request
  // has ended.
  bool Take(std::chrono::milliseconds wait, std::vector<std::string>* out) {
    MutexLock lock(&mu_);
    if (messages_.empty() && !ended_) cv_.WaitFor(&mu_, wait);
    out->assign(messages_.begin(), messages_.end());
    messages_.clear();
    return !(ended_ && out->empty());
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::deque<std::string> messages_ GUARDED_BY(mu_);
  bool ended_ GUARDED_BY(mu_) = false;
};

// A session id no one can guess: 128 bits from the kernel's generator.
std::string NewSessionId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", rd());
  return id;
}

// The page runs only its own files: no inline script or style, no other origin, no
// framing. Content from the repository (paths, code) is inserted as text, never markup.
constexpr char kPageSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Largest file GET /v1/file returns whole; a longer one is cut ("truncated": true).
constexpr uint64_t kMaxPageFileBytes = 8ull << 20;

std::string_view ContentTypeOf(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

class ApiServer::Impl {
 public:
  explicit Impl(ApiServerConfig config)
      : config_(std::move(config)), hub_(config_.subscriber_queue), started_(Clock::now()), http_(Limits(config_)) {
    page_paths_.insert("/");
    for (const WebAsset& asset : WebAssets()) page_paths_.emplace(asset.path);
  }

  ~Impl() { Shutdown(); }

  Status Start() {
    ReindexService::Config sc;
    sc.options = config_.options;
    sc.watch = config_.watch;
    sc.index_at_start = config_.watch;
    sc.on_event = [this](const std::string& type, const std::string& json) { hub_.Publish(type, json); };
    sc.on_run_finished = [this](const ReindexRun& run) {
      if (run.finished_at > run.started_at && run.started_at > 0) {
        run_latency_.Observe(run.finished_at - run.started_at);
      }
      if (McpHost* h = mcp_host_.load()) Reopen(h);
    };
    TRAWL_ASSIGN_OR_RETURN(service_, ReindexService::Start(std::move(sc)));
    mcp_host_owner_ = std::make_unique<McpHost>(config_.options, config_.version, config_.watch, service_.get());
    mcp_host_.store(mcp_host_owner_.get());
    Reopen(mcp_host_owner_.get());  // an index may exist already
    Routes();
    return Status::Ok();
  }

  Result<int> Bind() {
    const auto& s = config_.options.server;
    int port = s.port;
    if (port == 0) {
      port = http_.bind_to_any_port(s.host);
      if (port < 0) return Status::Unavailable("cannot bind " + s.host + " to any port");
    } else if (!http_.bind_to_port(s.host, port)) {
      return Status::Unavailable(fmt::format("cannot bind {}:{} (in use? try --port 0)", s.host, port));
    }
    port_ = port;
    return port;
  }

  Status Serve() {
    if (!http_.Serve() && !stopping_.load()) return Status::IoError("the server stopped accepting");
    return Status::Ok();
  }

  void Shutdown() {
    if (stopping_.exchange(true)) return;
    http_.Stop();                     // no new connections; requests still arriving are dropped
    {
      std::map<std::string, std::shared_ptr<McpSession>> sessions;
      {
        MutexLock lock(&mcp_mu_);
        sessions.swap(mcp_sessions_);
      }
      for (auto& [id, session] : sessions) session->CancelAll();
    }
    if (service_) service_->Stop();   // cancel a running run, wait for its commit
    hub_.Close();                     // event streams end; their threads return
  }

 private:
  // The API, the page and MCP search through the one Searcher of the host, opened
  // again as a run ends (searches in flight keep the Searcher they started with), so
  // the first search after a run does not pay for opening it.
  static ConnectionLimits Limits(const ApiServerConfig& c) {
    ConnectionLimits l;
    l.request_read_timeout = std::chrono::milliseconds(c.request_read_timeout_ms);
    l.io_timeout = std::chrono::milliseconds(5000);  // an event stream nobody reads is dropped after this
    l.threads = std::max(2, c.threads);
    l.max_queued = std::max(1, c.max_queued_connections);
    l.max_body_bytes = c.max_body_bytes;
    return l;
  }

  static void Reopen(McpHost* host) {
    host->Invalidate();
    std::string error;
    host->searcher(&error);
  }

  // The checks made before a request's body is read: Host (DNS rebinding), the token,
  // cross-origin writes, the body's declared size.
  std::optional<std::pair<int, std::string>> Judge(const httplib::Request& req) {
    // A page of another site whose name was pointed at 127.0.0.1 must not read a
    // loopback server: bound to loopback, only loopback names are served.
    std::string host = req.get_header_value("Host");
    if (IsLoopbackName(config_.options.server.host) && !host.empty() && !IsLoopbackName(HostName(host))) {
      return std::make_pair(421, "Host " + host + " is not this server's (it serves loopback names only)");
    }
    // The page's own files are public (they are in the binary, and hold no data of the
    // index): a browser loads them without a token, then the page asks for it.
    bool page_file = (req.method == "GET" || req.method == "HEAD") && page_paths_.count(req.path) > 0;
    if (!config_.token.empty() && !page_file) {
      std::string auth = req.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
                ConstantTimeEquals(auth.substr(prefix.size()), config_.token);
      if (!ok) return std::make_pair(401, std::string("missing or wrong bearer token (Authorization: Bearer <token>)"));
    }
    // A browser's cross-origin write is refused, token or not: a text/plain POST from
    // any page reaches the server without a preflight.
    if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
      std::string site = req.get_header_value("Sec-Fetch-Site");
      if (!site.empty() && site != "same-origin" && site != "none") {
        return std::make_pair(403, "cross-origin requests may not change anything (Sec-Fetch-Site: " + site + ")");
      }
      std::string origin = req.get_header_value("Origin");
      if (!origin.empty()) {
        size_t scheme = origin.find("://");
        std::string origin_host = scheme == std::string::npos ? origin : origin.substr(scheme + 3);
        if (origin_host != host) {
          return std::make_pair(403, "cross-origin requests may not change anything (Origin: " + origin + ")");
        }
      }
    }
    // httplib 0.11 reads a chunked body whole, past any limit: bodies here are small
    // JSON documents, sent with their length.
    if (req.has_header("Transfer-Encoding")) {
      return std::make_pair(411, std::string("send the body with a Content-Length, not Transfer-Encoding"));
    }
    std::string length = req.get_header_value("Content-Length");
    if (!length.empty()) {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
      if (ec != std::errc() || p != length.data() + length.size()) return std::make_pair(400, std::string("bad Content-Length"));
      if (n > config_.max_body_bytes) {
        return std::make_pair(413, "request body too large (" + length + " bytes; at most " +
                                       std::to_string(config_.max_body_bytes) + ")");
      }
    }
    return std::nullopt;
  }

  void Routes() {
    http_.set_payload_max_length(config_.max_body_bytes);
    http_.set_tcp_nodelay(true);
    http_.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}});

    // Runs once the head is read and before any of the body (httplib reads the body
    // after routing): every check that bounds work or exposure is here.
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      std::optional<std::pair<int, std::string>> refusal = Judge(req);
      if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
      if (refusal->first == 401) res.set_header("WWW-Authenticate", "Bearer");
      res.set_header("Connection", "close");
      SendError(res, refusal->first, refusal->second);
      return httplib::Server::HandlerResponse::Handled;
    });
    http_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 404 && page_paths_.count(req.path) > 0) {
        res.set_header("Allow", "GET");
        SendError(res, 405, req.method + " is not allowed on " + req.path + " (the page: GET only)");
      } else if (res.status == 404) {
        for (const auto& [pattern, methods] : RouteMethods()) {
          if (std::regex_match(req.path, pattern)) {
            res.set_header("Allow", methods);
            SendError(res, 405, req.method + " is not allowed on " + req.path + " (allowed: " + methods + ")");
            return;
          }
        }
        SendError(res, 404, "no such endpoint (see docs/api.md)");
      } else if (res.status == 413 && req.get_header_value("Content-Type") == "application/x-www-form-urlencoded") {
        // cpp-httplib (Debian's compiled 0.11) caps form-encoded bodies, curl -d's default
        // type, at 8 KiB whatever the server's limit.
        SendError(res, 413, "request body too large for Content-Type application/x-www-form-urlencoded (8 KiB): "
                            "send JSON with Content-Type: application/json");
      } else if (res.status == 413) {
        SendError(res, 413, "request body too large");
      } else {
        SendError(res, res.status, "HTTP " + std::to_string(res.status));
      }
    });
    http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      SendError(res, 500, what);
    });
    http_.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      int cls = std::clamp(res.status / 100, 1, 5);
      responses_[static_cast<size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
    });

    http_.Get("/v1/search", [this](const httplib::Request& req, httplib::Response& res) { Search(req, res); });
    http_.Post("/v1/index", [this](const httplib::Request&, httplib::Response& res) {
      auto [started, id] = service_->RequestRun("api");
      if (!started) {
        SendJson(res, 409, Json{{"error", "an index run is in progress"}, {"run_id", id}});
        return;
      }
      SendJson(res, 202, Json{{"run_id", id}, {"state", "queued"}});
    });
    http_.Get("/v1/runs", [this](const httplib::Request&, httplib::Response& res) {
      Json arr = Json::array();
      auto runs = service_->RecentRuns();
      for (size_t i = 0; i < runs.size() && i < 50; ++i) arr.push_back(runs[i].JsonValue());
      SendJson(res, 200, Json{{"runs", arr}});
    });
    http_.Get(R"(/v1/runs/([A-Za-z0-9_.-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::optional<ReindexRun> run = service_->GetRun(req.matches[1].str());
      if (!run) return SendError(res, 404, "no run " + req.matches[1].str());
      res.status = 200;
      res.set_content(run->ToJson(), "application/json");
    });
    http_.Post("/v1/changes", [this](const httplib::Request& req, httplib::Response& res) { Changes(req, res); });
    http_.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) { StatusPage(res); });
    http_.Get("/v1/events", [this](const httplib::Request&, httplib::Response& res) { Events(res); });
    http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { Metrics(res); });
    http_.Get("/v1/file", [this](const httplib::Request& req, httplib::Response& res) { File(req, res); });
    for (const WebAsset& asset : WebAssets()) {
      std::string path(asset.path);
      std::string pattern = std::regex_replace(path, std::regex(R"(\.)"), R"(\.)");
      if (path == "/index.html") pattern = "/|" + pattern;
      http_.Get(pattern, [asset](const httplib::Request&, httplib::Response& res) {
        res.status = 200;
        res.set_header("Content-Security-Policy", kPageSecurityPolicy);
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Cache-Control", "no-cache");
        res.set_content(asset.content.data(), asset.content.size(), std::string(ContentTypeOf(asset.path)).c_str());
      });
    }
    http_.Post("/mcp", [this](const httplib::Request& req, httplib::Response& res) { McpPost(req, res); });
    http_.Delete("/mcp", [this](const httplib::Request& req, httplib::Response& res) { McpDelete(req, res); });
  }

  // MCP's Streamable HTTP transport (docs/mcp.md): a POST carries one JSON-RPC message;
  // a request is answered as JSON, or, when the client accepts it, a tool call as an
  // event stream (its progress notifications, then its response). The initialize
  // request opens a session (Mcp-Session-Id); every later request names it.
  void McpPost(const httplib::Request& req, httplib::Response& res) {
    std::string version = req.get_header_value("MCP-Protocol-Version");
    if (!version.empty()) {
      const auto& known = McpProtocolVersions();
      if (std::find(known.begin(), known.end(), version) == known.end()) {
        return SendError(res, 400, "unsupported MCP-Protocol-Version " + version);
      }
    }
    Json msg = Json::parse(req.body, nullptr, false);
    bool initialize = msg.is_object() && msg.value("method", "") == "initialize";
    std::string sid = req.get_header_value("Mcp-Session-Id");
    std::shared_ptr<McpSession> session;
    if (sid.empty() && initialize) {
      sid = NewSessionId();
      session = std::make_shared<McpSession>(mcp_host_.load());
      std::shared_ptr<McpSession> evicted;
      {
        MutexLock lock(&mcp_mu_);
        if (mcp_sessions_.size() >= kMaxMcpSessions) {
          // The oldest session goes (ids are random: the map's order is arbitrary, so
          // the one least recently opened is tracked separately).
          std::string oldest = mcp_order_.front();
          mcp_order_.pop_front();
          evicted = mcp_sessions_[oldest];
          mcp_sessions_.erase(oldest);
        }
        mcp_sessions_[sid] = session;
        mcp_order_.push_back(sid);
      }
      if (evicted) evicted->CancelAll();
    } else if (sid.empty()) {
      return SendError(res, 400, "missing Mcp-Session-Id header: send initialize first");
    } else {
      MutexLock lock(&mcp_mu_);
      auto it = mcp_sessions_.find(sid);
      if (it == mcp_sessions_.end()) {
        return SendError(res, 404, "no MCP session " + sid + " (ended or expired): initialize again");
      }
      session = it->second;
    }
    res.set_header("Mcp-Session-Id", sid);
    auto stream = std::make_shared<McpStream>();
    McpSession::Reply reply =
        session->Receive(req.body, [stream](const std::string& m, bool last) { stream->Push(m, last); });
    if (reply == McpSession::Reply::kNone) {
      res.status = 202;
      return;
    }
    bool sse = req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
    if (reply == McpSession::Reply::kLater && sse) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Accel-Buffering", "no");
      res.set_chunked_content_provider(
          "text/event-stream", [stream, session](size_t, httplib::DataSink& sink) {
            std::vector<std::string> messages;
            if (!stream->Take(std::chrono::seconds(2), &messages)) {
              sink.done();
              return true;
            }
            std::string out;
            for (const auto& m : messages) out += "event: message\ndata: " + m + "\n\n";
            if (out.empty()) out = ": waiting\n\n";  // keeps the connection's write timeout at bay
            return sink.write(out.data(), out.size());
          });
      return;
    }
    // One JSON answer: the request's last message (notifications cannot be sent so).
    std::string answer;
    std::vector<std::string> messages;
    while (stream->Take(std::chrono::seconds(1), &messages)) {
      if (!messages.empty()) answer = messages.back();
    }
    if (answer.empty()) {
      res.status = 202;  // cancelled meanwhile: no answer
      return;
    }
    res.status = 200;
    res.set_content(answer, "application/json");
  }

  void McpDelete(const httplib::Request& req, httplib::Response& res) {
    std::string sid = req.get_header_value("Mcp-Session-Id");
    std::shared_ptr<McpSession> session;
    {
      MutexLock lock(&mcp_mu_);
      auto it = mcp_sessions_.find(sid);
      if (it == mcp_sessions_.end()) return SendError(res, 404, "no MCP session " + sid);
      session = it->second;
      mcp_sessions_.erase(it);
      mcp_order_.erase(std::remove(mcp_order_.begin(), mcp_order_.end(), sid), mcp_order_.end());
    }
    session->CancelAll();
    res.status = 204;
  }

  void Search(const httplib::Request& req, httplib::Response& res) {
    auto t0 = Clock::now();
    SearchRequest sr;
    sr.query = req.get_param_value("q");
    if (sr.query.empty()) return SendError(res, 400, "missing query parameter q");
    sr.k = config_.options.search.k;
    if (req.has_param("k")) {
      std::string k = req.get_param_value("k");
      int v = 0;
      auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), v);
      if (ec != std::errc() || p != k.data() + k.size() || v < 1 || v > 1000) {
        return SendError(res, 400, "k must be an integer from 1 to 1000, got '" + k + "'");
      }
      sr.k = v;
    }
    sr.mode = req.has_param("mode") ? req.get_param_value("mode") : config_.options.search.mode;
    sr.languages = ParamList(req, "lang");
    sr.path_globs = ParamList(req, "path");
    sr.repos = ParamList(req, "repo");
    std::string files = req.get_param_value("files");
    sr.files = files == "1" || files == "true";
    std::string explain = req.get_param_value("explain");
    sr.explain = explain == "1" || explain == "true";
    std::string content = req.get_param_value("content");
    bool with_content = content == "1" || content == "true";

    std::string searcher_error;
    std::shared_ptr<Searcher> searcher = mcp_host_.load()->searcher(&searcher_error);
    if (!searcher) {
      search_errors_.fetch_add(1, std::memory_order_relaxed);
      return SendError(res, 503, "no index to search yet: " + searcher_error);
    }
    Result<SearchResponse> resp = searcher->Search(sr);
    if (!resp.ok()) {
      if (resp.status().code() != StatusCode::kInvalidArgument) search_errors_.fetch_add(1, std::memory_order_relaxed);
      return SendError(res, HttpStatusFor(resp.status()), resp.status().message());
    }
    Json out;
    out[sr.files ? "files" : "results"] = AnswersJson(*resp, with_content);
    if (resp->reading) out["reading"] = QueryReadingJson(*resp->reading);
    out["coverage"] = resp->coverage;
    out["files_indexed"] = resp->files_indexed;
    out["files_known"] = resp->files_known;
    out["took_ms"] = resp->took_ms;
    SendJson(res, 200, out);
    search_latency_.Observe(std::chrono::duration<double>(Clock::now() - t0).count());
  }

  // A whole file for the page: only a file the index holds, read where it resolves
  // inside the root (ReadIndexedFile, shared with MCP's read_code).
  void File(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("path")) return SendError(res, 400, "missing query parameter path");
    std::string error;
    McpHost* host = mcp_host_.load();
    auto files = host->files(&error);
    if (!files) {
      Result<std::string> rel = PathInRoot(config_.options.root, req.get_param_value("path"));
      if (!rel.ok()) return SendError(res, HttpStatusFor(rel.status()), rel.status().message());
      return SendError(res, 503, "no index yet: " + error);
    }
    Result<IndexedFileText> read = ReadIndexedFile(config_.options.root, *files, req.get_param_value("path"),
                                                   kMaxPageFileBytes);
    if (!read.ok()) return SendError(res, HttpStatusFor(read.status()), read.status().message());
    Json out;
    out["path"] = read->file.path;
    out["language"] = read->file.language;
    out["size"] = read->file.size;
    out["truncated"] = read->truncated;
    out["content"] = std::move(read->text);
    SendJson(res, 200, out);
  }

  void Changes(const httplib::Request& req, httplib::Response& res) {
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return SendError(res, 400, "body is not JSON");
    if (!body.is_object() || !body.contains("changes") || !body["changes"].is_array()) {
      return SendError(res, 400, "expected {\"changes\": [{\"path\": ..., \"action\": ...}, ...]}");
    }
    std::vector<std::string> paths;
    const Json& changes = body["changes"];
    for (size_t i = 0; i < changes.size(); ++i) {
      const Json& c = changes[i];
      std::string where = "changes[" + std::to_string(i) + "]";
      if (!c.is_object()) return SendError(res, 400, where + ": expected an object");
      if (!c.contains("path") || !c["path"].is_string()) return SendError(res, 400, where + ".path: expected a string");
      if (!c.contains("action") || !c["action"].is_string()) {
        return SendError(res, 400, where + ".action: expected added, modified, deleted or renamed");
      }
      std::string action = c["action"].get<std::string>();
      if (action != "added" && action != "modified" && action != "deleted" && action != "renamed") {
        return SendError(res, 400, where + ".action: expected added, modified, deleted or renamed, got '" + action + "'");
      }
      std::vector<std::string> raw = {c["path"].get<std::string>()};
      if (action == "renamed") {
        if (!c.contains("old_path") || !c["old_path"].is_string()) {
          return SendError(res, 400, where + ".old_path: a rename needs the old path (a string)");
        }
        raw.push_back(c["old_path"].get<std::string>());
      } else if (c.contains("old_path") && !c["old_path"].is_string()) {
        return SendError(res, 400, where + ".old_path: expected a string");
      }
      for (const auto& p : raw) {
        Result<std::string> rel = PathInRoot(config_.options.root, p);
        if (!rel.ok()) return SendError(res, HttpStatusFor(rel.status()), where + ": " + rel.status().message());
        paths.push_back(std::move(rel).value());
      }
    }
    std::string id = service_->QueueChanges(paths, "changes");
    SendJson(res, 202, Json{{"run_id", id}, {"queued", paths.size()}});
  }

  void StatusPage(httplib::Response& res) {
    Json out;
    Result<IndexStatusReport> st = GetIndexStatus(config_.options);
    if (st.ok()) {
      out = StatusReportJson(*st);
    } else {
      out["index_error"] = st.status().message();
    }
    ReindexStats s = service_->Stats();
    Json server;
    server["version"] = config_.version;
    server["pid"] = static_cast<int64_t>(::getpid());
    server["root"] = config_.options.root;
    server["index_dir"] = config_.options.index_dir;
    server["listen"] = fmt::format("http://{}:{}", config_.options.server.host, port_);
    server["watch"] = config_.watch;
    server["uptime_s"] = std::chrono::duration<double>(Clock::now() - started_).count();
    server["running"] = s.running;
    server["run_queued"] = s.run_queued;
    server["pending_changes"] = s.pending_paths;
    server["event_subscribers"] = hub_.subscribers();
    if (config_.watch) server["watched_dirs"] = s.watched_dirs;
    auto runs = service_->RecentRuns();
    for (const auto& r : runs) {
      if (!r.done()) continue;
      server["last_run"] = r.JsonValue();
      break;
    }
    std::string err;
    if (!mcp_host_.load()->searcher(&err)) server["searcher_error"] = err;
    out["server"] = std::move(server);
    SendJson(res, 200, out);
  }

  void Events(httplib::Response& res) {
    std::shared_ptr<EventSubscription> sub = hub_.Subscribe(static_cast<size_t>(std::max(1, config_.max_subscribers)));
    if (!sub) {
      return SendError(res, 503, fmt::format("too many event subscribers (at most {})", config_.max_subscribers));
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    const auto heartbeat = std::chrono::milliseconds(std::max(100, config_.heartbeat_ms));
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider(
        "text/event-stream",
        [sub, heartbeat, first](size_t, httplib::DataSink& sink) {
          std::string out;
          if (*first) {
            // Something at once, so a client knows it is subscribed.
            *first = false;
            out = ": subscribed\nretry: 2000\n\n";
            return sink.write(out.data(), out.size());
          }
          std::vector<HubEvent> events;
          int64_t dropped = 0;
          bool open = sub->Wait(heartbeat, &events, &dropped);
          if (dropped > 0) out += fmt::format("event: dropped\ndata: {{\"count\":{}}}\n\n", dropped);
          for (const auto& e : events) out += "event: " + e.type + "\ndata: " + e.data + "\n\n";
          if (!open) {
            if (!out.empty()) sink.write(out.data(), out.size());
            sink.done();
            return true;
          }
          if (out.empty()) out = ": heartbeat\n\n";
          return sink.write(out.data(), out.size());
        },
        [this, sub](bool) { hub_.Unsubscribe(sub); });
  }

  void Metrics(httplib::Response& res) {
    std::string out;
    Result<IndexStatusReport> st = GetIndexStatus(config_.options);
    if (st.ok()) {
      out += PromMetric("trawl_index_files", "gauge", "Files in the index.", static_cast<double>(st->files));
      out += PromMetric("trawl_index_files_failed", "gauge", "Files whose last indexing failed.",
                        static_cast<double>(st->files_failed));
      out += PromMetric("trawl_index_chunks", "gauge", "Chunks in the index.", static_cast<double>(st->chunks));
      out += PromMetric("trawl_index_vectors", "gauge", "Vectors in the index.", static_cast<double>(st->vectors));
    }
    ReindexStats s = service_->Stats();
    out += PromMetric("trawl_files_indexed_total", "counter", "Files (re)indexed by this server's runs.",
                      static_cast<double>(s.files_indexed));
    out += PromMetric("trawl_files_deleted_total", "counter", "Files removed from the index by this server's runs.",
                      static_cast<double>(s.files_deleted));
    out += PromMetric("trawl_file_errors_total", "counter", "Files that failed to index.",
                      static_cast<double>(s.files_failed));
    out += PromMetric("trawl_chunks_written_total", "counter", "Chunks written by this server's runs.",
                      static_cast<double>(s.chunks));
    out += PromMetric("trawl_embed_requests_total", "counter", "Embedding requests.", static_cast<double>(s.embed_requests));
    out += PromMetric("trawl_embed_retries_total", "counter", "Embedding requests retried.",
                      static_cast<double>(s.embed_retries));
    out += "# HELP trawl_index_runs_total Index runs by final state.\n# TYPE trawl_index_runs_total counter\n";
    out += fmt::format("trawl_index_runs_total{{state=\"finished\"}} {}\n", s.runs_finished);
    out += fmt::format("trawl_index_runs_total{{state=\"failed\"}} {}\n", s.runs_failed);
    out += fmt::format("trawl_index_runs_total{{state=\"cancelled\"}} {}\n", s.runs_cancelled);
    out += PromMetric("trawl_index_runs_in_progress", "gauge", "Index runs running now (0 or 1).", s.running ? 1 : 0);
    out += PromMetric("trawl_index_run_queued", "gauge", "1 when a run is queued (debouncing).", s.run_queued ? 1 : 0);
    out += PromMetric("trawl_pending_changes", "gauge", "Changed paths queued for the next run.",
                      static_cast<double>(s.pending_paths));
    out += run_latency_.Render("trawl_index_run_duration_seconds", "Duration of index runs.");
    if (config_.watch) {
      out += PromMetric("trawl_watch_events_total", "counter", "Changed paths reported by inotify.",
                        static_cast<double>(s.watch_events));
      out += PromMetric("trawl_watch_rescans_total", "counter", "inotify queue overflows answered by a rescan.",
                        static_cast<double>(s.watch_rescans));
      out += PromMetric("trawl_watched_directories", "gauge", "Directories watched.", static_cast<double>(s.watched_dirs));
    }
    out += PromMetric("trawl_event_subscribers", "gauge", "Connected GET /v1/events streams.",
                      static_cast<double>(hub_.subscribers()));
    out += PromMetric("trawl_events_published_total", "counter", "Events published.", static_cast<double>(hub_.published()));
    out += PromMetric("trawl_events_dropped_total", "counter", "Events dropped for slow subscribers.",
                      static_cast<double>(hub_.dropped()));
    out += PromMetric("trawl_search_errors_total", "counter", "Searches that failed (not counting bad requests).",
                      static_cast<double>(search_errors_.load()));
    out += search_latency_.Render("trawl_search_duration_seconds", "Time to answer GET /v1/search.");
    ConnectionCounts refused = http_.counts();
    out += "# HELP trawl_http_refused_total Connections answered before their request was whole: slow (408), too "
           "many of one address (429), head too large (431), overloaded (503).\n"
           "# TYPE trawl_http_refused_total counter\n";
    out += fmt::format("trawl_http_refused_total{{reason=\"slow\"}} {}\n", refused.timed_out);
    out += fmt::format("trawl_http_refused_total{{reason=\"client_limit\"}} {}\n", refused.client_limit);
    out += fmt::format("trawl_http_refused_total{{reason=\"head_too_large\"}} {}\n", refused.head_too_large);
    out += fmt::format("trawl_http_refused_total{{reason=\"overloaded\"}} {}\n", refused.overloaded);
    out += "# HELP trawl_http_responses_total HTTP responses by status class.\n# TYPE trawl_http_responses_total counter\n";
    for (int c = 1; c <= 5; ++c) {
      out += fmt::format("trawl_http_responses_total{{code=\"{}xx\"}} {}\n", c,
                         responses_[static_cast<size_t>(c)].load(std::memory_order_relaxed));
    }
    res.status = 200;
    res.set_content(out, "text/plain; version=0.0.4");
  }

  const ApiServerConfig config_;
  EventHub hub_;
  const Clock::time_point started_;
  GuardedServer http_;  // reads every request before a thread serves it, bounded in time
  std::unordered_set<std::string> page_paths_;  // set before the server starts; read-only after
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  LatencyHistogram search_latency_;
  LatencyHistogram run_latency_;
  std::atomic<int64_t> search_errors_{0};
  std::array<std::atomic<int64_t>, 6> responses_{};

  static constexpr size_t kMaxMcpSessions = 64;
  Mutex mcp_mu_;
  std::map<std::string, std::shared_ptr<McpSession>> mcp_sessions_ GUARDED_BY(mcp_mu_);
  std::deque<std::string> mcp_order_ GUARDED_BY(mcp_mu_);  // session ids, oldest first
  std::unique_ptr<McpHost> mcp_host_owner_;
  std::atomic<McpHost*> mcp_host_{nullptr};  // read by the run thread's callback

  // Last: its threads call into the members above, so it is stopped (Shutdown) and
  // destroyed first.
  std::unique_ptr<ReindexService> service_;
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() = default;

Result<std::unique_ptr<ApiServer>> ApiServer::Create(ApiServerConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  TRAWL_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

Result<int> ApiServer::Bind() { return impl_->Bind(); }
Status ApiServer::Serve() { return impl_->Serve(); }
void ApiServer::Shutdown() { impl_->Shutdown(); }

}  // namespace trawl
