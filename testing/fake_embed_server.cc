#include "testing/fake_embed_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/hash.h"

namespace trawl {
namespace {

using json = nlohmann::json;

json Error(const std::string& message, const std::string& type) {
  return json{{"error", {{"message", message}, {"type", type}}}};
}

// Keeps the in-flight count right however the handler leaves.
struct LeaveInFlight {
  std::atomic<int>* n;
  ~LeaveInFlight() { n->fetch_sub(1); }
};

}  // namespace

FakeEmbedServer::FakeEmbedServer(FakeEmbedFaults faults, Protocols protocols)
    : protocols_(protocols), faults_(std::move(faults)) {}

FakeEmbedServer::~FakeEmbedServer() { Stop(); }

std::string FakeEmbedServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeEmbedServer::SetFaults(const FakeEmbedFaults& faults) {
  MutexLock lock(&mu_);
  faults_ = faults;
}

FakeEmbedServer::Stats FakeEmbedServer::GetStats() const {
  MutexLock lock(&mu_);
  Stats s = stats_;
  s.connections = static_cast<int>(ports_.size());
  return s;
}

void FakeEmbedServer::ResetStats() {
  MutexLock lock(&mu_);
  stats_ = Stats{};
  ports_.clear();
}

std::vector<float> FakeEmbedServer::VectorFor(std::string_view text, int dims) {
  std::vector<float> v(static_cast<size_t>(std::max(0, dims)));
  for (size_t i = 0; i < v.size(); ++i) {
    uint64_t h = Hash64(text, 0x9e3779b97f4a7c15ULL + i);
    v[i] = static_cast<float>(static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0);
  }
  return v;
}

Status FakeEmbedServer::Start(int port) {
  server_ = std::make_unique<httplib::Server>();
  // Enough threads that every client connection is served at once (keep-alive
  // connections each hold a thread), so max_in_flight measures the client.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(2);
  server_->set_tcp_nodelay(true);
  if (protocols_ != Protocols::kOllama) {
    server_->Post(R"((.*)/v1/embeddings)", [this](const httplib::Request& req, httplib::Response& res) {
      Handle(Protocol::kOpenAI, req, res);
    });
  }
  if (protocols_ != Protocols::kOpenAI) {
    server_->Post(R"((.*)/api/embed)", [this](const httplib::Request& req, httplib::Response& res) {
      Handle(Protocol::kOllama, req, res);
    });
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else {
    port_ = server_->bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (port_ <= 0) {
    server_.reset();
    return Status::Unavailable("fake embedding server: cannot listen on 127.0.0.1");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op on a server that is not running yet: wait for it to run.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void FakeEmbedServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

void FakeEmbedServer::Handle(Protocol protocol, const httplib::Request& req, httplib::Response& res) {
  FakeEmbedFaults f;
  int64_t seq;
  int in_flight_now = in_flight_.fetch_add(1) + 1;
  LeaveInFlight leave{&in_flight_};
  {
    MutexLock lock(&mu_);
    stats_.max_in_flight = std::max(stats_.max_in_flight, in_flight_now);
    f = faults_;
    seq = ++stats_.requests;
    ports_.insert(req.remote_port);
    stats_.last_path = req.path;
    stats_.last_authorization = req.get_header_value("Authorization");
    // Consume this request's share of the countdown faults now, in arrival order.
    if (faults_.drop_first > 0) {
      --faults_.drop_first;
      f.rate_limit_first = f.fail_first = 0;
    } else if (faults_.rate_limit_first > 0) {
      --faults_.rate_limit_first;
      f.fail_first = 0;
    } else if (faults_.fail_first > 0) {
      --faults_.fail_first;
    }
  }
  if (f.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.delay_ms));

  auto reply = [&](int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  };
  if (!f.api_key.empty() && req.get_header_value("Authorization") != "Bearer " + f.api_key) {
    return reply(401, Error("Incorrect API key provided", "invalid_request_error"));
  }
  if (f.drop_first > 0) {
    // Headers, then the connection closes mid-body: the client sees a broken answer.
    res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink&) { return false; });
    return;
  }
  if (f.rate_limit_first > 0) {
    if (!f.retry_after.empty()) res.set_header("Retry-After", f.retry_after);
    if (!f.reset_requests.empty()) {
      res.set_header("x-ratelimit-remaining-requests", "0");
      res.set_header("x-ratelimit-reset-requests", f.reset_requests);
    }
    if (!f.reset_tokens.empty()) res.set_header("x-ratelimit-reset-tokens", f.reset_tokens);
    return reply(429, Error("Rate limit reached for requests", "requests"));
  }
  if (f.fail_first > 0 || (f.fail_every > 0 && seq % f.fail_every == 0) ||
      (f.fail_after >= 0 && seq > f.fail_after)) {
    return reply(500, Error("The server had an error while processing your request", "server_error"));
  }

  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("input") || !body.contains("model") ||
      !body["model"].is_string()) {
    return reply(400, Error("expected {\"model\", \"input\"}", "invalid_request_error"));
  }
  std::vector<std::string> inputs;
  if (body["input"].is_string()) {
    inputs.push_back(body["input"].get<std::string>());
  } else if (body["input"].is_array()) {
    for (const json& t : body["input"]) {
      if (!t.is_string()) return reply(400, Error("input must hold strings", "invalid_request_error"));
      inputs.push_back(t.get<std::string>());
    }
  } else {
    return reply(400, Error("input must be a string or an array", "invalid_request_error"));
  }
  std::string model = body["model"].get<std::string>();
  {
    MutexLock lock(&mu_);
    stats_.texts += static_cast<int64_t>(inputs.size());
    stats_.batch_sizes.push_back(inputs.size());
    stats_.last_model = model;
    stats_.last_inputs = inputs;
  }
  if (!f.unknown_model.empty() && model == f.unknown_model) {
    return reply(404, Error("model '" + model + "' not found", "invalid_request_error"));
  }
  if (f.too_long_chars > 0) {
    for (const std::string& t : inputs) {
      if (t.size() > static_cast<size_t>(f.too_long_chars)) {
        return reply(400, Error("This model's maximum context length is " + std::to_string(f.too_long_chars) +
                                    " tokens, however you requested " + std::to_string(t.size()) + " tokens",
                                "invalid_request_error"));
      }
    }
  }

  const int dims = f.wrong_dims ? f.dims + 1 : f.dims;
  std::vector<json> vectors;
  for (const std::string& t : inputs) {
    json v = VectorFor(t, dims);
    vectors.push_back(std::move(v));
  }
  if (!vectors.empty()) {
    if (f.nan) vectors[0][0] = nullptr;
    if (f.inf) vectors[0][0] = 1e39;
  }
  if (f.wrong_count && !vectors.empty()) vectors.pop_back();

  if (protocol == Protocol::kOllama) {
    return reply(200, json{{"model", model}, {"embeddings", vectors}});
  }
  json data = json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    data.push_back(json{{"object", "embedding"}, {"index", i}, {"embedding", vectors[i]}});
  }
  if (f.reverse_order) std::reverse(data.begin(), data.end());
  reply(200, json{{"object", "list"},
                  {"data", data},
                  {"model", model},
                  {"usage", {{"prompt_tokens", 0}, {"total_tokens", 0}}}});
}

}  // namespace trawl
