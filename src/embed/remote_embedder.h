// RemoteEmbedder: vectors from an embedding server over HTTP, either protocol:
//   openai  POST {url}/v1/embeddings {"model", "input": [...]} -> data[i].embedding by data[i].index
//   ollama  POST {url}/api/embed     {"model", "input": [...]} -> embeddings[i]
// Faults: timeouts, refused/reset connections, 5xx and 429 are retried with backoff
// (server hints first: Retry-After, x-ratelimit-reset-*), and 429s shrink the number
// of requests in flight (AdaptiveLimiter). An input the model finds too long is found
// by splitting the batch, then cut in half (up to RemoteTuning::max_truncations times).
// Every response is checked (count, dimension, finite values) and L2-normalised.
// Thread-safety: Embed() and the accessors are safe from any thread; connections are
// kept alive in a pool, and no lock is held while a request is in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "embed/adaptive_limiter.h"
#include "embed/embedder.h"

namespace httplib {
class Client;
}

namespace trawl {

enum class EmbedProtocol { kOpenAI, kOllama };

// Timing knobs with production defaults; tests shorten them.
struct RemoteTuning {
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // A server asking for a longer wait than this is waited on for this long.
  std::chrono::milliseconds max_server_delay{120000};
  int max_truncations = 3;  // halvings of one too-long input before giving up
};

class RemoteEmbedder final : public Embedder {
 public:
  // Errors: InvalidArgument for a missing model, a bad url, or an api_key_env naming
  // an unset variable.
  static Result<std::unique_ptr<RemoteEmbedder>> Create(EmbedProtocol protocol,
                                                        const EmbeddingOptions& options,
                                                        const RemoteTuning& tuning = {});
  ~RemoteEmbedder() override;

  std::string Name() const override;
  int Dimensions() const override { return dims_.load(std::memory_order_acquire); }
  bool IsRemote() const override { return true; }
  Status EnsureDimensions(const std::atomic<bool>* cancel) override;
  void SetDimensions(int dimensions) override;
  std::string ThrottleState() const override;
  Counters GetCounters() const override;
  Result<std::vector<Vector>> Embed(const std::vector<std::string_view>& texts,
                                    const std::atomic<bool>* cancel) override;

  // Requests allowed in flight now (the adaptive limit), for progress and tests.
  int ConcurrencyLimit() const { return limiter_.limit(); }
  // Where requests go, e.g. "http://127.0.0.1:8080/v1/embeddings".
  std::string Endpoint() const { return origin_ + path_; }

 private:
  struct Attempt;
  struct Waiter {
    std::chrono::steady_clock::time_point until;
    bool throttled = false;
    std::string reason;
  };

  RemoteEmbedder(EmbedProtocol protocol, const EmbeddingOptions& options, const RemoteTuning& tuning,
                 std::string origin, std::string path, std::string api_key);

  // Splits and truncates on "too long"; `truncations` left for a single input.
  Result<std::vector<Vector>> EmbedSplitting(const std::vector<std::string_view>& texts,
                                             const std::atomic<bool>* cancel, int truncations);
  // One batch, retried on transient faults. Sets *too_long instead of failing when
  // the server said an input was too long.
  Result<std::vector<Vector>> EmbedWithRetries(const std::vector<std::string_view>& texts,
                                               const std::atomic<bool>* cancel, std::string* too_long);
  Attempt SendOnce(const std::vector<std::string_view>& texts);
  Result<std::vector<Vector>> ParseVectors(const std::string& body, size_t expected);
  Status CheckDimension(size_t got);
  // Sleeps `delay` unless cancelled (false), shown by ThrottleState meanwhile.
  bool Backoff(std::chrono::milliseconds delay, bool throttled, const std::string& reason,
               const std::atomic<bool>* cancel);

  std::unique_ptr<httplib::Client> TakeClient();
  void ReturnClient(std::unique_ptr<httplib::Client> client);

  const EmbedProtocol protocol_;
  const EmbeddingOptions options_;
  const RemoteTuning tuning_;
  const std::string origin_;  // "http://host:port"
  const std::string path_;    // "/v1/embeddings" or "/api/embed", after any url prefix
  const std::string api_key_;
  std::atomic<int> dims_;

  AdaptiveLimiter limiter_;

  Mutex pool_mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_ GUARDED_BY(pool_mu_);

  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> throttled_{0};
  std::atomic<int64_t> truncated_{0};

  mutable Mutex state_mu_;
  std::map<uint64_t, Waiter> waiters_ GUARDED_BY(state_mu_);
  uint64_t next_waiter_ GUARDED_BY(state_mu_) = 0;
  int throttled_waiters_ GUARDED_BY(state_mu_) = 0;
  std::chrono::steady_clock::time_point throttled_since_ GUARDED_BY(state_mu_){};
  double throttled_s_ GUARDED_BY(state_mu_) = 0;
};

}  // namespace trawl
