#include "embed/embedder.h"

#include "embed/hash_embedder.h"

namespace trawl {

Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbeddingOptions& options) {
  if (options.provider == "hash") {
    return std::unique_ptr<Embedder>(std::make_unique<HashEmbedder>(options.dimensions));
  }
  return Status::InvalidArgument("embeddings.provider '" + options.provider +
                                 "' is not available in this build");
}

}  // namespace trawl
