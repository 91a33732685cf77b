// Embedder: text -> vector. The built-in hash embedder and the remote providers
// (OpenAI-compatible, Ollama) share this interface.
// Thread-safety: Embed() may be called from several threads at once.
#pragma once

#include <atomic>
#include <memory>
#include <string>
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
  // One vector per text, L2-normalised, in order.
  virtual Result<std::vector<Vector>> Embed(const std::vector<std::string_view>& texts,
                                            const std::atomic<bool>* cancel) = 0;
};

// The embedder that `options.provider` names.
Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbeddingOptions& options);

}  // namespace trawl
