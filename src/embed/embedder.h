// Embedder: text -> vector. The built-in hash embedder and the remote providers
// (OpenAI-compatible, Ollama) share this interface.
// Thread-safety: Embed() may be called from several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

using Vector = std::vector<float>;

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Identity recorded in the index: provider, model and version ("hash-v1", "openai:bge-small").
  virtual std::string Name() const = 0;
  // Vector size; 0 while unknown (a remote model before its first answer).
  virtual int Dimensions() const = 0;
  // True when Embed waits on the network (runs on I/O threads, not CPU workers).
  virtual bool IsRemote() const = 0;
  // Makes Dimensions() known: a remote embedder without a configured dimension sends
  // one short probe request. Called only when an index has no dimension yet.
  virtual Status EnsureDimensions(const std::atomic<bool>* cancel) {
    (void)cancel;
    return Status::Ok();
  }
  // The dimension an existing index recorded for this embedder: no probe needed, and
  // every response is checked against it.
  virtual void SetDimensions(int dimensions) { (void)dimensions; }
  // "" normally; "throttled, retrying in 4 s" while backing off (shown in progress).
  virtual std::string ThrottleState() const { return {}; }
  struct Counters {
    int64_t requests = 0;      // HTTP requests sent (incl. retries)
    int64_t retries = 0;
    int64_t throttled = 0;     // 429 answers
    double throttled_s = 0;    // time spent waiting on rate limits
    int64_t truncated = 0;     // inputs cut because the model found them too long
  };
  virtual Counters GetCounters() const { return {}; }
  // One vector per text, L2-normalised, in order. Errors: PermissionDenied (bad key:
  // stop the run), InvalidArgument (bad response: dimension, count, NaN), Unavailable
  // (retries spent), Cancelled.
  virtual Result<std::vector<Vector>> Embed(const std::vector<std::string_view>& texts,
                                            const std::atomic<bool>* cancel) = 0;
  // The vector of a search query. `term_weights` (may be null) maps terms of the
  // code-aware tokeniser to how informative they are in the index (idf); an embedder
  // that works on terms may weight the query's features by it, others ignore it.
  virtual Result<Vector> EmbedQuery(std::string_view query,
                                    const std::unordered_map<std::string, float>* term_weights) {
    (void)term_weights;
    TRAWL_ASSIGN_OR_RETURN(std::vector<Vector> v, Embed({query}, nullptr));
    if (v.size() != 1) return Status::Internal("embedder returned no vector for the query");
    return std::move(v[0]);
  }
  // True when EmbedQuery uses term weights (the searcher then looks them up).
  virtual bool WeighsQueryTerms() const { return false; }
};

// The embedder that `options.provider` names.
Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbeddingOptions& options);

}  // namespace trawl
