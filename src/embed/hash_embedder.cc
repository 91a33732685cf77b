#include "embed/hash_embedder.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "base/hash.h"
#include "base/tokenize.h"

namespace trawl {
namespace {

// Words that carry no meaning in code or in a question about code.
bool IsStopWord(std::string_view t) {
  static const std::unordered_map<std::string_view, bool> kStop = [] {
    std::unordered_map<std::string_view, bool> m;
    for (const char* w : {"the", "a", "an", "of", "to", "in", "is", "and", "or", "for", "if",
                          "be", "it", "this", "that", "with", "as", "on", "by", "are", "from",
                          "at", "not", "no", "s", "self", "none", "true", "false", "return",
                          "returns", "def", "var", "let", "const", "int", "void", "its", "which"}) {
      m.emplace(w, true);
    }
    return m;
  }();
  return kStop.count(t) != 0;
}

// A light English stemmer: plural and verb endings, so "returns", "returned" and
// "returning" meet. Deliberately conservative: identifiers are not English.
std::string Stem(std::string_view w) {
  std::string s(w);
  auto ends = [&](std::string_view suf) {
    return s.size() > suf.size() + 2 && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends("ies")) {
    s.resize(s.size() - 3);
    s += 'y';
  } else if (ends("sses")) {
    s.resize(s.size() - 2);
  } else if (ends("ing")) {
    s.resize(s.size() - 3);
  } else if (ends("ed")) {
    s.resize(s.size() - 2);
  } else if (ends("es") && (s[s.size() - 3] == 's' || s[s.size() - 3] == 'x' || s[s.size() - 3] == 'h')) {
    s.resize(s.size() - 2);
  } else if (ends("s") && s[s.size() - 2] != 's' && s[s.size() - 2] != 'u' && s[s.size() - 2] != 'i') {
    s.resize(s.size() - 1);
  }
  return s;
}

constexpr uint64_t kSeed = 0x7472617761ULL;  // "trawl"

}  // namespace

HashEmbedder::HashEmbedder(int dimensions) : dims_(dimensions > 0 ? dimensions : kDefaultDimensions) {}

std::string HashEmbedder::Name() const { return "hash-v2"; }

Vector HashEmbedder::EmbedOne(std::string_view text,
                              const std::unordered_map<std::string, float>* term_weights) const {
  std::unordered_map<std::string, float> tf;
  std::unordered_map<std::string, float> fw;  // feature -> weight of its term (query side)
  ForEachCodeTerm(text, [&](std::string_view term, bool) {
    if (term.size() < 2 || IsStopWord(term)) return;
    float w = 1.0f;
    if (term_weights != nullptr) {
      auto it = term_weights->find(std::string(term));
      if (it != term_weights->end()) w = it->second;
    }
    auto add = [&](const std::string& feature, float count) {
      tf[feature] += count;
      if (term_weights != nullptr) fw[feature] = std::max(fw[feature], w);
    };
    // The stem, and its first 4 and 3 letters at lower weight: code abbreviates
    // ("config", "attr", "abs"), so a word and its abbreviation share a feature.
    std::string stem = Stem(term);
    add(stem, 1.0f);
    if (stem.size() >= 5) add("\x01" + stem.substr(0, 4), 0.5f);
    if (stem.size() >= 4) add("\x02" + stem.substr(0, 3), 0.3f);
  });
  Vector v(static_cast<size_t>(dims_), 0.0f);
  for (const auto& [term, count] : tf) {
    uint64_t h = Hash64(term, kSeed);
    size_t idx = static_cast<size_t>(h % static_cast<uint64_t>(dims_));
    float sign = (h >> 63) ? -1.0f : 1.0f;
    float w = term_weights != nullptr ? fw[term] : 1.0f;
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
  return EmbedOne(query, term_weights);
}

Result<std::vector<Vector>> HashEmbedder::Embed(const std::vector<std::string_view>& texts,
                                                const std::atomic<bool>* cancel) {
  std::vector<Vector> out;
  out.reserve(texts.size());
  for (std::string_view t : texts) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return Status::Cancelled("embedding cancelled");
    }
    out.push_back(EmbedOne(t));
  }
  return out;
}

}  // namespace trawl
