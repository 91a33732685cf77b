#include "embed/remote_embedder.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "embed/backoff.h"

namespace trawl {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxServerMessage = 300;
// `cancel` is a plain flag nobody notifies on: backoff sleeps look at it this often.
constexpr auto kCancelPoll = std::chrono::milliseconds(20);
constexpr std::string_view kProbeText = "dimension probe";

std::string_view ProtocolName(EmbedProtocol p) { return p == EmbedProtocol::kOpenAI ? "openai" : "ollama"; }

std::string Truncate(std::string s, size_t n) {
  if (s.size() <= n) return s;
  s.resize(Utf8Floor(s, n));
  return s + "...";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What an error body says: OpenAI's {"error": {"message": ...}}, Ollama's
// {"error": "..."}, or the text itself. Truncated: it ends up in file error records.
std::string ServerMessage(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::string msg;
  if (j.is_object() && j.contains("error")) {
    const json& e = j["error"];
    if (e.is_string()) {
      msg = e.get<std::string>();
    } else if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      msg = e["message"].get<std::string>();
    }
  }
  if (msg.empty()) msg = body;
  // One line: it may be an HTML error page from a proxy.
  std::string line;
  for (char c : msg) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (line.empty() || line.back() == ' ')) continue;
    line.push_back(space ? ' ' : c);
  }
  if (!line.empty() && line.back() == ' ') line.pop_back();
  return Truncate(std::move(line), kMaxServerMessage);
}

bool LooksTooLong(const std::string& message) {
  std::string m = Lower(message);
  // OpenAI and vLLM: "maximum context length is 8192 tokens"; Ollama: "input length
  // exceeds the context length"; text-embeddings-inference: "must have less than 512 tokens".
  for (std::string_view phrase : {"too long", "context length", "exceeds", "too many tokens", "input length",
                                  "must have less than", "token limit", "too large"}) {
    if (m.find(phrase) != std::string::npos) return true;
  }
  return false;
}

std::string TransportReason(httplib::Error e, const std::string& origin) {
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect to " + origin;
    case httplib::Error::ConnectionTimeout:
      return "connecting to " + origin + " timed out";
    case httplib::Error::Read:
      return "no answer from " + origin + " (timed out or connection closed)";
    case httplib::Error::Write:
      return "connection to " + origin + " lost while sending";
    default:
      return "request to " + origin + " failed (" + httplib::to_string(e) + ")";
  }
}

// The same, short enough for a progress line.
std::string TransportBrief(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      return "cannot connect to the embedding server";
    case httplib::Error::Read:
      return "no answer from the embedding server";
    default:
      return "connection to the embedding server lost";
  }
}

// The wait a server asked for: Retry-After, else the x-ratelimit-reset-* of the
// exhausted limit (OpenAI sends both; the other one may be minutes away).
std::optional<std::chrono::milliseconds> ServerDelay(const httplib::Response& res) {
  if (res.has_header("Retry-After")) {
    auto d = ParseRetryAfter(res.get_header_value("Retry-After"), std::chrono::system_clock::now());
    if (d) return d;
  }
  std::optional<std::chrono::milliseconds> exhausted, any;
  for (std::string_view kind : {"requests", "tokens"}) {
    std::string reset = "x-ratelimit-reset-" + std::string(kind);
    if (!res.has_header(reset.c_str())) continue;
    auto d = ParseResetDuration(res.get_header_value(reset.c_str()));
    if (!d) continue;
    if (!any || *d < *any) any = d;
    std::string remaining = "x-ratelimit-remaining-" + std::string(kind);
    if (res.has_header(remaining.c_str()) && res.get_header_value(remaining.c_str()) == "0") {
      if (!exhausted || *d > *exhausted) exhausted = d;
    }
  }
  return exhausted ? exhausted : any;
}

double JitterUnit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

void Normalise(Vector* v) {
  double norm = 0;
  for (float x : *v) norm += static_cast<double>(x) * x;
  if (norm <= 0) return;
  double inv = 1.0 / std::sqrt(norm);
  for (float& x : *v) x = static_cast<float>(x * inv);
}

struct SplitUrl {
  std::string origin;
  std::string prefix;
};

Result<SplitUrl> ParseUrl(std::string url, EmbedProtocol protocol) {
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
  if (url.empty()) {
    url = protocol == EmbedProtocol::kOpenAI ? "https://api.openai.com" : "http://localhost:11434";
  }
  std::string scheme = "http";
  std::string rest = url;
  if (size_t p = url.find("://"); p != std::string::npos) {
    scheme = Lower(url.substr(0, p));
    rest = url.substr(p + 3);
  }
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("embeddings.url '" + url + "': only http:// and https:// are supported");
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (scheme == "https") {
    return Status::InvalidArgument("embeddings.url '" + url +
                                   "': this build has no TLS support; use an http:// url");
  }
#endif
  size_t slash = rest.find_first_of("/?#");
  std::string host = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (host.empty()) return Status::InvalidArgument("embeddings.url '" + url + "' has no host");
  if (size_t q = path.find_first_of("?#"); q != std::string::npos) path.resize(q);
  while (!path.empty() && path.back() == '/') path.pop_back();
  // The documented url is the server's root, but "http://host/v1" is what OpenAI
  // clients are usually given: accept both.
  std::string_view suffix = protocol == EmbedProtocol::kOpenAI ? "/v1" : "/api";
  if (path.ends_with(suffix)) path.resize(path.size() - suffix.size());
  return SplitUrl{scheme + "://" + host, path};
}

}  // namespace

struct RemoteEmbedder::Attempt {
  enum class Kind { kOk, kRetry, kTooLong, kFatal };
  Kind kind = Kind::kFatal;
  bool answered = false;   // the server sent an HTTP response
  bool throttled = false;  // ... and it was a 429
  std::vector<Vector> vectors;
  Status status;
  std::string reason;  // for the error after the last retry
  std::string brief;   // for ThrottleState() while backing off
  std::optional<std::chrono::milliseconds> server_delay;
};

Result<std::unique_ptr<RemoteEmbedder>> RemoteEmbedder::Create(EmbedProtocol protocol,
                                                               const EmbeddingOptions& options,
                                                               const RemoteTuning& tuning) {
  std::string_view name = ProtocolName(protocol);
  if (options.model.empty()) {
    return Status::InvalidArgument(fmt::format("embeddings.model is required for provider '{}'", name));
  }
  std::string key;
  if (!options.api_key_env.empty()) {
    const char* v = std::getenv(options.api_key_env.c_str());
    if (v == nullptr || *v == '\0') {
      return Status::InvalidArgument(
          fmt::format("embeddings.api_key_env names ${}, but that environment variable is not set",
                      options.api_key_env));
    }
    key = v;
  }
  TRAWL_ASSIGN_OR_RETURN(SplitUrl url, ParseUrl(options.url, protocol));
  std::string path = url.prefix + (protocol == EmbedProtocol::kOpenAI ? "/v1/embeddings" : "/api/embed");
  return std::unique_ptr<RemoteEmbedder>(
      new RemoteEmbedder(protocol, options, tuning, std::move(url.origin), std::move(path), std::move(key)));
}

RemoteEmbedder::RemoteEmbedder(EmbedProtocol protocol, const EmbeddingOptions& options,
                               const RemoteTuning& tuning, std::string origin, std::string path,
                               std::string api_key)
    : protocol_(protocol),
      options_(options),
      tuning_(tuning),
      origin_(std::move(origin)),
      path_(std::move(path)),
      api_key_(std::move(api_key)),
      dims_(std::max(0, options.dimensions)),
      limiter_(std::max(1, options.max_parallel_batches)) {}

RemoteEmbedder::~RemoteEmbedder() = default;

std::string RemoteEmbedder::Name() const { return fmt::format("{}:{}", ProtocolName(protocol_), options_.model); }

void RemoteEmbedder::SetDimensions(int dimensions) {
  if (dimensions > 0) dims_.store(dimensions, std::memory_order_release);
}

Status RemoteEmbedder::EnsureDimensions(const std::atomic<bool>* cancel) {
  if (Dimensions() > 0) return Status::Ok();
  Result<std::vector<Vector>> probe = Embed({kProbeText}, cancel);
  if (!probe.ok()) return probe.status().WithContext("probing the embedding dimension");
  return Status::Ok();
}

std::string RemoteEmbedder::ThrottleState() const {
  MutexLock lock(&state_mu_);
  if (waiters_.empty()) return {};
  const Waiter* next = nullptr;
  for (const auto& [id, w] : waiters_) {
    if (next == nullptr || (w.throttled && !next->throttled) ||
        (w.throttled == next->throttled && w.until < next->until)) {
      next = &w;
    }
  }
  auto left = std::chrono::duration<double>(next->until - Clock::now()).count();
  int64_t secs = std::max<int64_t>(1, std::llround(left));
  if (next->throttled) return fmt::format("throttled, retrying in {} s", secs);
  return fmt::format("{}, retrying in {} s", next->reason, secs);
}

Embedder::Counters RemoteEmbedder::GetCounters() const {
  Counters c;
  c.requests = requests_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  c.throttled = throttled_.load(std::memory_order_relaxed);
  c.truncated = truncated_.load(std::memory_order_relaxed);
  MutexLock lock(&state_mu_);
  c.throttled_s = throttled_s_;
  if (throttled_waiters_ > 0) {
    c.throttled_s += std::chrono::duration<double>(Clock::now() - throttled_since_).count();
  }
  return c;
}

Result<std::vector<Vector>> RemoteEmbedder::Embed(const std::vector<std::string_view>& texts,
                                                  const std::atomic<bool>* cancel) {
  std::vector<Vector> out;
  out.reserve(texts.size());
  size_t batch = static_cast<size_t>(std::max(1, options_.batch_size));
  for (size_t start = 0; start < texts.size(); start += batch) {
    if (Cancelled(cancel)) return Status::Cancelled("embedding cancelled");
    size_t end = std::min(texts.size(), start + batch);
    std::vector<std::string_view> part(texts.begin() + static_cast<ptrdiff_t>(start),
                                       texts.begin() + static_cast<ptrdiff_t>(end));
    TRAWL_ASSIGN_OR_RETURN(std::vector<Vector> vectors, EmbedSplitting(part, cancel, tuning_.max_truncations));
    for (Vector& v : vectors) out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<Vector>> RemoteEmbedder::EmbedSplitting(const std::vector<std::string_view>& texts,
                                                           const std::atomic<bool>* cancel,
                                                           int truncations) {
  std::string too_long;
  Result<std::vector<Vector>> r = EmbedWithRetries(texts, cancel, &too_long);
  if (too_long.empty()) return r;
  if (texts.size() > 1) {
    // Bisect: the halves without the culprit are embedded as they are.
    auto mid = texts.begin() + static_cast<ptrdiff_t>(texts.size() / 2);
    TRAWL_ASSIGN_OR_RETURN(std::vector<Vector> left,
                           EmbedSplitting(std::vector<std::string_view>(texts.begin(), mid), cancel, truncations));
    TRAWL_ASSIGN_OR_RETURN(std::vector<Vector> right,
                           EmbedSplitting(std::vector<std::string_view>(mid, texts.end()), cancel, truncations));
    for (Vector& v : right) left.push_back(std::move(v));
    return left;
  }
  std::string_view text = texts.front();
  std::string_view cut = Utf8Prefix(text, text.size() / 2);
  if (truncations <= 0 || cut.empty()) {
    return Status::InvalidArgument(fmt::format(
        "an input of {} characters is too long for {} even after truncation: {}", text.size(), Name(), too_long));
  }
  if (truncations == tuning_.max_truncations) truncated_.fetch_add(1, std::memory_order_relaxed);
  return EmbedSplitting({cut}, cancel, truncations - 1);
}

Result<std::vector<Vector>> RemoteEmbedder::EmbedWithRetries(const std::vector<std::string_view>& texts,
                                                             const std::atomic<bool>* cancel,
                                                             std::string* too_long) {
  const int max_retries = std::max(0, options_.max_retries);
  for (int attempt = 0;; ++attempt) {
    if (Cancelled(cancel)) return Status::Cancelled("embedding cancelled");
    AdaptiveLimiter::Slot slot;
    if (!limiter_.Acquire(cancel, &slot)) return Status::Cancelled("embedding cancelled");
    Attempt a = SendOnce(texts);
    limiter_.Release(slot, a.throttled  ? AdaptiveLimiter::Outcome::kThrottled
                           : a.answered ? AdaptiveLimiter::Outcome::kSuccess
                                        : AdaptiveLimiter::Outcome::kFailed);
    switch (a.kind) {
      case Attempt::Kind::kOk:
        return std::move(a.vectors);
      case Attempt::Kind::kFatal:
        return a.status;
      case Attempt::Kind::kTooLong:
        *too_long = a.reason;
        return Status::InvalidArgument(a.reason);
      case Attempt::Kind::kRetry:
        break;
    }
    if (a.throttled) throttled_.fetch_add(1, std::memory_order_relaxed);
    if (attempt >= max_retries) {
      return Status::Unavailable(fmt::format("embedding server {} failed after {} attempt{}: {}", Endpoint(),
                                             attempt + 1, attempt == 0 ? "" : "s", a.reason));
    }
    std::chrono::milliseconds delay;
    if (a.server_delay) {
      // The server knows when it will take requests again; a little jitter keeps
      // the callers it told the same time from arriving together.
      delay = std::min(*a.server_delay, tuning_.max_server_delay);
      delay += std::chrono::milliseconds(static_cast<int64_t>(
          JitterUnit() * static_cast<double>(std::min<int64_t>(delay.count() / 10, 1000))));
    } else {
      delay = BackoffDelay(attempt, tuning_.initial_backoff, tuning_.max_backoff, JitterUnit());
    }
    // Every caller waits out a rate limit, not only the one that was told.
    if (a.throttled) limiter_.PauseUntil(Clock::now() + delay);
    retries_.fetch_add(1, std::memory_order_relaxed);
    if (!Backoff(delay, a.throttled, a.brief, cancel)) return Status::Cancelled("embedding cancelled");
  }
}

RemoteEmbedder::Attempt RemoteEmbedder::SendOnce(const std::vector<std::string_view>& texts) {
  Attempt a;
  try {
    json body;
    body["model"] = options_.model;
    json input = json::array();
    for (std::string_view t : texts) input.push_back(std::string(t));
    body["input"] = std::move(input);
    if (protocol_ == EmbedProtocol::kOpenAI && options_.dimensions > 0) body["dimensions"] = options_.dimensions;
    std::string payload = body.dump(-1, ' ', false, json::error_handler_t::replace);

    httplib::Headers headers;
    if (!api_key_.empty()) headers.emplace("Authorization", "Bearer " + api_key_);
    std::unique_ptr<httplib::Client> client = TakeClient();
    requests_.fetch_add(1, std::memory_order_relaxed);
    httplib::Result res = client->Post(path_.c_str(), headers, payload, "application/json");
    if (!res) {
      // The connection is in an unknown state: drop this client, not the pool.
      a.kind = Attempt::Kind::kRetry;
      a.reason = TransportReason(res.error(), origin_);
      a.brief = TransportBrief(res.error());
      return a;
    }
    ReturnClient(std::move(client));
    a.answered = true;
    const int status = res->status;
    if (status >= 200 && status < 300) {
      Result<std::vector<Vector>> vectors = ParseVectors(res->body, texts.size());
      if (vectors.ok()) {
        a.kind = Attempt::Kind::kOk;
        a.vectors = std::move(vectors).value();
      } else {
        a.status = vectors.status();
      }
      return a;
    }
    std::string message = ServerMessage(res->body);
    if (status == 429 || status == 408 || status >= 500) {
      a.kind = Attempt::Kind::kRetry;
      a.throttled = status == 429;
      a.server_delay = ServerDelay(*res);
      a.reason = status == 429 ? fmt::format("rate limited (HTTP 429): {}", message)
                               : fmt::format("embedding server error (HTTP {}): {}", status, message);
      a.brief = status == 429 ? "throttled" : fmt::format("embedding server error (HTTP {})", status);
      return a;
    }
    if (status == 401 || status == 403) {
      a.status = options_.api_key_env.empty()
                     ? Status::PermissionDenied(fmt::format(
                           "embedding server requires an API key ({}): set embeddings.api_key_env to the "
                           "environment variable that holds it: {}",
                           status, message))
                     : Status::PermissionDenied(fmt::format("embedding server refused the API key from ${} ({}): {}",
                                                            options_.api_key_env, status, message));
      return a;
    }
    if (status == 413 || ((status == 400 || status == 422) && LooksTooLong(message))) {
      a.kind = Attempt::Kind::kTooLong;
      a.reason = fmt::format("HTTP {}: {}", status, message);
      return a;
    }
    a.status = Status::InvalidArgument(fmt::format("embedding server rejected the request (HTTP {}): {}", status,
                                                   message));
    return a;
  } catch (const std::exception& e) {
    a.kind = Attempt::Kind::kFatal;
    a.status = Status::Internal(fmt::format("embedding request to {} failed: {}", Endpoint(), e.what()));
    return a;
  }
}

Status RemoteEmbedder::CheckDimension(size_t got) {
  if (got == 0) return Status::InvalidArgument("embedding server returned an empty vector");
  int want = dims_.load(std::memory_order_acquire);
  if (want == 0) {
    // The first answer decides; a concurrent first answer may have decided already.
    if (dims_.compare_exchange_strong(want, static_cast<int>(got), std::memory_order_acq_rel)) return Status::Ok();
  }
  if (got != static_cast<size_t>(want)) {
    return Status::InvalidArgument(
        fmt::format("embedding server returned {}-dimensional vectors, expected {}", got, want));
  }
  return Status::Ok();
}

Result<std::vector<Vector>> RemoteEmbedder::ParseVectors(const std::string& body, size_t expected) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("embedding server sent a response that is not a JSON object: " +
                                   Truncate(body, kMaxServerMessage));
  }
  auto to_vector = [&](const json& arr, size_t i, Vector* out) -> Status {
    if (!arr.is_array()) {
      return Status::InvalidArgument(fmt::format("embedding server sent no array for vector {}", i));
    }
    TRAWL_RETURN_IF_ERROR(CheckDimension(arr.size()));
    out->reserve(arr.size());
    for (const json& x : arr) {
      float f = x.is_number() ? static_cast<float>(x.get<double>()) : std::nanf("");
      if (!std::isfinite(f)) {
        return Status::InvalidArgument(
            fmt::format("embedding server returned a NaN or infinite value in vector {}", i));
      }
      out->push_back(f);
    }
    Normalise(out);
    return Status::Ok();
  };
  const char* field = protocol_ == EmbedProtocol::kOpenAI ? "data" : "embeddings";
  if (!j.contains(field) || !j[field].is_array()) {
    return Status::InvalidArgument(fmt::format("embedding server response has no \"{}\" array: {}", field,
                                               Truncate(body, kMaxServerMessage)));
  }
  const json& items = j[field];
  if (items.size() != expected) {
    return Status::InvalidArgument(
        fmt::format("embedding server returned {} vectors for {} texts", items.size(), expected));
  }
  std::vector<Vector> out(expected);
  std::vector<bool> seen(expected, false);
  for (size_t k = 0; k < items.size(); ++k) {
    const json& item = items[k];
    size_t idx = k;
    const json* arr = &item;
    if (protocol_ == EmbedProtocol::kOpenAI) {
      if (!item.is_object() || !item.contains("embedding")) {
        return Status::InvalidArgument(fmt::format("embedding server response: data[{}] has no embedding", k));
      }
      if (item.contains("index")) {
        const json& i = item["index"];
        if (!i.is_number_integer() || i.get<int64_t>() < 0 || i.get<int64_t>() >= static_cast<int64_t>(expected)) {
          return Status::InvalidArgument(fmt::format("embedding server response: data[{}] has a bad index", k));
        }
        idx = static_cast<size_t>(i.get<int64_t>());
      }
      arr = &item["embedding"];
    }
    if (seen[idx]) {
      return Status::InvalidArgument(fmt::format("embedding server response: index {} appears twice", idx));
    }
    seen[idx] = true;
    TRAWL_RETURN_IF_ERROR(to_vector(*arr, idx, &out[idx]));
  }
  return out;
}

bool RemoteEmbedder::Backoff(std::chrono::milliseconds delay, bool throttled, const std::string& reason,
                             const std::atomic<bool>* cancel) {
  Clock::time_point until = Clock::now() + delay;
  uint64_t id;
  {
    MutexLock lock(&state_mu_);
    id = next_waiter_++;
    waiters_[id] = Waiter{until, throttled, reason};
    if (throttled && throttled_waiters_++ == 0) throttled_since_ = Clock::now();
  }
  bool completed = true;
  while (true) {
    Clock::time_point now = Clock::now();
    if (now >= until) break;
    if (Cancelled(cancel)) {
      completed = false;
      break;
    }
    std::this_thread::sleep_for(cancel != nullptr ? std::min<Clock::duration>(until - now, kCancelPoll)
                                                  : until - now);
  }
  MutexLock lock(&state_mu_);
  waiters_.erase(id);
  if (throttled && --throttled_waiters_ == 0) {
    throttled_s_ += std::chrono::duration<double>(Clock::now() - throttled_since_).count();
  }
  return completed;
}

std::unique_ptr<httplib::Client> RemoteEmbedder::TakeClient() {
  {
    MutexLock lock(&pool_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<httplib::Client> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<httplib::Client>(origin_);
  auto timeout = std::chrono::milliseconds(std::max(1, options_.timeout_ms));
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10)));
  c->set_read_timeout(timeout);
  c->set_write_timeout(timeout);
  return c;
}

void RemoteEmbedder::ReturnClient(std::unique_ptr<httplib::Client> client) {
  MutexLock lock(&pool_mu_);
  idle_.push_back(std::move(client));
}

}  // namespace trawl
