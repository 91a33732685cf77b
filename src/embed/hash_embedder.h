// The built-in embedder: no model file, no network. Code-aware terms (identifiers
// and their camelCase/snake_case parts, base/tokenize.h), lightly stemmed, plus their
// 4- and 3-letter prefixes; signed feature hashing into a fixed dimension, sublinear
// term weights, L2-normalised. In a document (a chunk), the terms of the names it
// declares (base/tokenize.h Declarations) weigh double. A query's features are weighted by the idf of its terms
// in the index (EmbedQuery). Deterministic everywhere.
// Thread-safety: stateless after construction; Embed is safe from any thread.
#pragma once

#include "embed/embedder.h"

namespace trawl {

class HashEmbedder final : public Embedder {
 public:
  static constexpr int kDefaultDimensions = 1024;
  explicit HashEmbedder(int dimensions);
  std::string Name() const override;
  int Dimensions() const override { return dims_; }
  bool IsRemote() const override { return false; }
  Result<std::vector<Vector>> Embed(const std::vector<std::string_view>& texts,
                                    const std::atomic<bool>* cancel) override;
  Result<Vector> EmbedQuery(std::string_view query,
                            const std::unordered_map<std::string, float>* term_weights) override;
  bool WeighsQueryTerms() const override { return true; }
  enum class TextRole { kDocument, kQuery };
  // One text, each term's features scaled by its weight when `term_weights` has it;
  // exposed for tests.
  Vector EmbedOne(std::string_view text, const std::unordered_map<std::string, float>* term_weights = nullptr,
                  TextRole role = TextRole::kDocument) const;

 private:
  int dims_;
};

}  // namespace trawl
