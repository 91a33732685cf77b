// FakeEmbedServer: an embedding server on 127.0.0.1 for tests and benchmarks. It
// speaks both protocols the remote embedders use (OpenAI's /v1/embeddings and
// Ollama's /api/embed, under any path prefix), answers with deterministic vectors
// (VectorFor: a hash of the text, not normalised) and injects the faults a real
// server or network has. It counts what it saw, including the most requests it had
// in flight at once.
// Thread-safety: every method is safe from any thread; SetFaults applies to the
// requests that arrive after it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "trawl/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace trawl {

struct FakeEmbedFaults {
  int delay_ms = 0;          // every request is answered after this long
  int dims = 8;
  // Counted down by the requests they hit, in this order of precedence:
  int drop_first = 0;        // close the connection without a (complete) answer
  int rate_limit_first = 0;  // 429
  int fail_first = 0;        // 500
  int fail_every = 0;        // every Nth request (by arrival) answers 500
  int fail_after = -1;       // >= 0: every request after the first N answers 500 (an outage)
  // Headers sent with each 429 ("" = not sent).
  std::string retry_after = "1";
  std::string reset_requests;  // x-ratelimit-reset-requests, e.g. "20ms"
  std::string reset_tokens;    // x-ratelimit-reset-tokens
  // Bad answers (HTTP 200).
  bool wrong_dims = false;   // dims + 1
  bool nan = false;          // a null where a number should be (how JSON says NaN)
  bool inf = false;          // 1e39: finite as a double, infinite as a float
  bool wrong_count = false;  // one vector fewer than texts
  bool reverse_order = true; // OpenAI: data[] in reverse, each with its index
  int too_long_chars = 0;    // 400 "maximum context length" when an input is longer
  std::string api_key;       // when set, anything but "Bearer <api_key>" gets 401
  std::string unknown_model; // this model name gets 404 "model not found"
};

class FakeEmbedServer {
 public:
  enum class Protocols { kBoth, kOpenAI, kOllama };

  explicit FakeEmbedServer(FakeEmbedFaults faults = {}, Protocols protocols = Protocols::kBoth);
  ~FakeEmbedServer();  // Stop()s
  FakeEmbedServer(const FakeEmbedServer&) = delete;
  FakeEmbedServer& operator=(const FakeEmbedServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: any free port) and serves on a thread of its own.
  Status Start(int port = 0);
  void Stop();
  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"

  void SetFaults(const FakeEmbedFaults& faults);

  // The vector the server sends for `text` (before any normalisation by the client).
  static std::vector<float> VectorFor(std::string_view text, int dims);

  struct Stats {
    int64_t requests = 0;
    int64_t texts = 0;
    int max_in_flight = 0;
    int connections = 0;  // distinct client ports seen
    std::string last_path;
    std::string last_authorization;
    std::string last_model;
    std::vector<size_t> batch_sizes;  // texts per request, in arrival order
    std::vector<std::string> last_inputs;
  };
  Stats GetStats() const;
  void ResetStats();
  int in_flight() const { return in_flight_.load(); }

 private:
  enum class Protocol { kOpenAI, kOllama };
  void Handle(Protocol protocol, const httplib::Request& req, httplib::Response& res);

  const Protocols protocols_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> in_flight_{0};

  mutable Mutex mu_;
  FakeEmbedFaults faults_ GUARDED_BY(mu_);
  Stats stats_ GUARDED_BY(mu_);
  std::set<int> ports_ GUARDED_BY(mu_);
};

}  // namespace trawl
