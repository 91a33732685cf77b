#include "embed/hash_embedder.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/hash.h"
#include "base/tokenize.h"

namespace trawl {
namespace {

constexpr float kDeclaredNameWeight = 2.0f;  // 1.5: no better, 3: worse (docs/design.md)
constexpr uint64_t kSeed = 0x7472617761ULL;  // "trawl"

}  // namespace

HashEmbedder::HashEmbedder(int dimensions) : dims_(dimensions > 0 ? dimensions : kDefaultDimensions) {}

std::string HashEmbedder::Name() const { return "hash-v3"; }

Vector HashEmbedder::EmbedOne(std::string_view text,
                              const std::unordered_map<std::string, float>* term_weights,
                              TextRole role) const {
  // Features are keyed by their 64-bit hash (no string per feature): the stem, and its
  // first 4 and 3 letters at lower weight, each in its own hash space (seed), because
  // code abbreviates ("config", "attr", "abs") and a word should meet its abbreviation.
  struct Feature {
    uint64_t hash;
    float count;
    float weight;  // query side: the weight of the term that produced it
  };
  std::vector<Feature> feats;
  feats.reserve(text.size() / 4);
  // A document's declared names (the functions it defines) say what it is about more
  // than the words of its body: their terms weigh double. Decided by the text alone,
  // so a chunk's vector never depends on the rest of the index.
  std::unordered_set<std::string> names;
  if (role == TextRole::kDocument) {
    for (const auto& n : DeclaredNames(text)) {
      ForEachCodeTerm(n, [&](std::string_view t, bool) { names.emplace(t); });
    }
  }
  ForEachCodeTerm(text, [&](std::string_view term, bool) {
    if (term.size() < 2 || IsStopTerm(term)) return;
    float w = 1.0f;
    if (term_weights != nullptr) {
      auto it = term_weights->find(std::string(term));
      if (it != term_weights->end()) w = it->second;
    } else if (!names.empty() && names.count(std::string(term)) != 0) {
      w = kDeclaredNameWeight;
    }
    std::string stem = StemTerm(term);
    std::string_view sv(stem);
    feats.push_back({Hash64(sv, kSeed), 1.0f, w});
    if (sv.size() >= 5) feats.push_back({Hash64(sv.substr(0, 4), kSeed + 1), 0.5f, w});
    if (sv.size() >= 4) feats.push_back({Hash64(sv.substr(0, 3), kSeed + 2), 0.3f, w});
  });
  std::sort(feats.begin(), feats.end(), [](const Feature& a, const Feature& b) { return a.hash < b.hash; });
  Vector v(static_cast<size_t>(dims_), 0.0f);
  for (size_t i = 0; i < feats.size();) {
    uint64_t h = feats[i].hash;
    float count = 0, w = 0;
    for (; i < feats.size() && feats[i].hash == h; ++i) {
      count += feats[i].count;
      w = std::max(w, feats[i].weight);
    }
    size_t idx = static_cast<size_t>(h % static_cast<uint64_t>(dims_));
    float sign = (h >> 63) ? -1.0f : 1.0f;
    v[idx] += sign * w * (1.0f + std::log(1.0f + count));
  }
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= inv;
  }
  return v;
}

Result<Vector> HashEmbedder::EmbedQuery(std::string_view query,
                                        const std::unordered_map<std::string, float>* term_weights) {
  return EmbedOne(query, term_weights, TextRole::kQuery);
}

Result<std::vector<Vector>> HashEmbedder::Embed(const std::vector<std::string_view>& texts,
                                                const std::atomic<bool>* cancel) {
  std::vector<Vector> out;
  out.reserve(texts.size());
  for (std::string_view t : texts) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return Status::Cancelled("embedding cancelled");
    }
    out.push_back(EmbedOne(t, nullptr, TextRole::kDocument));
  }
  return out;
}

}  // namespace trawl
