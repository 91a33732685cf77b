#include "embed/embedder.h"

#include "embed/hash_embedder.h"
#include "embed/remote_embedder.h"

namespace trawl {

Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbeddingOptions& options) {
  if (options.provider == "hash") {
    return std::unique_ptr<Embedder>(std::make_unique<HashEmbedder>(options.dimensions));
  }
  if (options.provider == "openai" || options.provider == "ollama") {
    EmbedProtocol protocol = options.provider == "openai" ? EmbedProtocol::kOpenAI : EmbedProtocol::kOllama;
    TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<RemoteEmbedder> remote, RemoteEmbedder::Create(protocol, options));
    return std::unique_ptr<Embedder>(std::move(remote));
  }
  return Status::InvalidArgument("embeddings.provider '" + options.provider +
                                 "' is not available in this build");
}

}  // namespace trawl
