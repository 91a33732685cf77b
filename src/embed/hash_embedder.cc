#include "embed/hash_embedder.h"

#include <algorithm>
#include <cmath>
#include <vector>
#include <string>
#include <unordered_map>

#include "base/hash.h"
#include "base/tokenize.h"

namespace trawl {
namespace {

constexpr float kDeclaredNameWeight = 2.0f;  // 1.5: no better, 3: worse (docs/design.md)
constexpr uint64_t kSeed = 0x7472617761ULL;  // "trawl"

}  // namespace

HashEmbedder::HashEmbedder(int dimensions) : dims_(dimensions > 0 ? dimensions : kDefaultDimensions) {}

std::string HashEmbedder::Name() const { return "hash-v4"; }

namespace {

// Per-thread scratch of EmbedOne, reused from chunk to chunk: after the first few
// chunks, embedding allocates nothing but the vector it returns.
struct Scratch {
  // Features by their 64-bit hash, accumulated in an open-addressing table.
  struct Slot {
    uint64_t hash;
    float count;
    float weight;  // the largest weight of a term that produced it
    bool used;
  };
  std::vector<Slot> slots;
  std::vector<uint32_t> used;  // occupied slot indexes
  // The text's distinct terms (by 64-bit hash) with their occurrences: a term's stem
  // and prefix features are computed once, however often it occurs (code repeats its
  // identifiers: about half of a chunk's terms are repeats).
  struct Term {
    uint64_t hash;
    uint32_t count;
    bool used;
    // Its features, set when first seen: the stem's hash and its first 4 and 3 letters'.
    uint64_t stem, prefix4, prefix3;
    bool has_prefix4, has_prefix3;
    float weight;
  };
  std::vector<Term> terms;
  std::vector<uint32_t> terms_used;  // occupied term slots
  std::vector<uint64_t> names;  // hashes of the declared names' terms, sorted
  std::string stem;
  std::vector<uint8_t> per_dim;    // features per dimension, counted up to 3
  std::vector<uint32_t> crowded;   // slots of the features of dimensions with 3 or more
  std::vector<uint32_t> nonzero;   // dimensions with a feature, ascending

  void Reset(size_t expected) {
    size_t cap = 256;
    while (cap < expected * 2) cap <<= 1;
    if (slots.size() < cap) {
      slots.assign(cap, Slot{});
    } else {
      for (uint32_t i : used) slots[i].used = false;
    }
    used.clear();
    if (terms.size() < cap) {
      terms.assign(cap, Term{});
    } else {
      for (uint32_t i : terms_used) terms[i].used = false;
    }
    terms_used.clear();
  }
  // Counts one occurrence of the term hashed `h`. Its entry the first time it is seen
  // (for the caller to set its features), nullptr after.
  Term* SeeTerm(uint64_t h) {
    if (terms_used.size() * 2 >= terms.size()) GrowTerms();
    size_t mask = terms.size() - 1;
    for (size_t i = (h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
      Term& t = terms[i];
      if (!t.used) {
        t = Term{};
        t.hash = h;
        t.count = 1;
        t.used = true;
        terms_used.push_back(static_cast<uint32_t>(i));
        return &t;
      }
      if (t.hash == h) {
        ++t.count;
        return nullptr;
      }
    }
  }
  // `times` occurrences of a feature worth `count` each. The count is summed one
  // occurrence at a time, as if they came one by one: every occurrence of a feature
  // adds the same value (1, 0.5 or 0.3 by its kind), so the float sum does not depend on
  // the order occurrences come in, and the vector is the same as counting them singly.
  void Add(uint64_t h, float count, float weight, uint32_t times) {
    if (used.size() * 2 >= slots.size()) Grow();
    size_t mask = slots.size() - 1;
    for (size_t i = (h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
      Slot& sl = slots[i];
      if (!sl.used) {
        sl = {h, count, weight, true};
        used.push_back(static_cast<uint32_t>(i));
        for (uint32_t k = 1; k < times; ++k) sl.count += count;
        return;
      }
      if (sl.hash == h) {
        for (uint32_t k = 0; k < times; ++k) sl.count += count;
        sl.weight = std::max(sl.weight, weight);
        return;
      }
    }
  }
  void GrowTerms() {
    std::vector<Term> old;
    old.swap(terms);
    terms.assign(old.size() * 2, Term{});
    size_t mask = terms.size() - 1;
    for (uint32_t& slot : terms_used) {
      const Term& t = old[slot];
      size_t i = (t.hash ^ (t.hash >> 29)) & mask;
      while (terms[i].used) i = (i + 1) & mask;
      terms[i] = t;
      slot = static_cast<uint32_t>(i);
    }
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots);
    slots.assign(old.size() * 2, Slot{});
    used.clear();
    size_t mask = slots.size() - 1;
    for (const Slot& sl : old) {
      if (!sl.used) continue;
      size_t i = (sl.hash ^ (sl.hash >> 29)) & mask;
      while (slots[i].used) i = (i + 1) & mask;
      slots[i] = sl;
      used.push_back(static_cast<uint32_t>(i));
    }
  }
};

}  // namespace

Vector HashEmbedder::EmbedOne(std::string_view text,
                              const std::unordered_map<std::string, float>* term_weights,
                              TextRole role) const {
  // Features are keyed by their 64-bit hash (no string per feature): the stem, and its
  // first 4 and 3 letters at lower weight, each in its own hash space (seed), because
  // code abbreviates ("config", "attr", "abs") and a word should meet its abbreviation.
  thread_local Scratch sc;
  sc.Reset(text.size() / 8);
  // A document's declared names (the functions it defines) say what it is about more
  // than the words of its body: their terms weigh double. Decided by the text alone,
  // so a chunk's vector never depends on the rest of the index.
  sc.names.clear();
  if (role == TextRole::kDocument) {
    for (const Declaration& d : Declarations(text, DeclarationReading::kHashEmbedderV4)) {
      ForEachCodeTerm(d.name, [&](std::string_view t, bool) { sc.names.push_back(Hash64(t, kSeed)); });
    }
    std::sort(sc.names.begin(), sc.names.end());
  }
  std::string key;  // query side only: the weights are keyed by strings
  ForEachCodeTerm(text, [&](std::string_view term, bool) {
    if (term.size() < 2 || IsStopTerm(term)) return;
    const uint64_t th = Hash64(term, kSeed);
    Scratch::Term* t = sc.SeeTerm(th);
    if (t == nullptr) return;  // a repeat: counted, its features are known
    float w = 1.0f;
    if (term_weights != nullptr) {
      key.assign(term);
      auto it = term_weights->find(key);
      if (it != term_weights->end()) w = it->second;
    } else if (!sc.names.empty() && std::binary_search(sc.names.begin(), sc.names.end(), th)) {
      w = kDeclaredNameWeight;
    }
    StemTermInto(term, &sc.stem);
    std::string_view sv(sc.stem);
    t->weight = w;
    t->stem = Hash64(sv, kSeed);
    t->has_prefix4 = sv.size() >= 5;
    t->has_prefix3 = sv.size() >= 4;
    if (t->has_prefix4) t->prefix4 = Hash64(sv.substr(0, 4), kSeed + 1);
    if (t->has_prefix3) t->prefix3 = Hash64(sv.substr(0, 3), kSeed + 2);
  });
  for (uint32_t i : sc.terms_used) {
    const Scratch::Term& t = sc.terms[i];
    sc.Add(t.stem, 1.0f, t.weight, t.count);
    if (t.has_prefix4) sc.Add(t.prefix4, 0.5f, t.weight, t.count);
    if (t.has_prefix3) sc.Add(t.prefix3, 0.3f, t.weight, t.count);
  }
  // Each dimension sums its features in ascending hash order, so the float result never
  // depends on the order terms came in or on the table's layout. Only a dimension with
  // three or more features needs the order (a + b == b + a exactly): those few are
  // sorted; the rest are added as they come.
  const auto dims = static_cast<uint64_t>(dims_);
  const bool pow2 = (dims & (dims - 1)) == 0;
  auto dim_of = [&](uint64_t h) { return static_cast<size_t>(pow2 ? h & (dims - 1) : h % dims); };
  auto value_of = [](const Scratch::Slot& f) {
    float sign = (f.hash >> 63) ? -1.0f : 1.0f;
    return sign * f.weight * (1.0f + std::log(1.0f + f.count));
  };
  sc.per_dim.assign(static_cast<size_t>(dims_), 0);
  for (uint32_t i : sc.used) {
    uint8_t& n = sc.per_dim[dim_of(sc.slots[i].hash)];
    n = static_cast<uint8_t>(std::min(n + 1, 3));
  }
  Vector v(static_cast<size_t>(dims_), 0.0f);
  sc.crowded.clear();
  for (uint32_t i : sc.used) {
    const Scratch::Slot& f = sc.slots[i];
    size_t idx = dim_of(f.hash);
    if (sc.per_dim[idx] >= 3) {
      sc.crowded.push_back(i);
    } else {
      v[idx] += value_of(f);
    }
  }
  std::sort(sc.crowded.begin(), sc.crowded.end(),
            [&](uint32_t a, uint32_t b) { return sc.slots[a].hash < sc.slots[b].hash; });
  for (uint32_t i : sc.crowded) v[dim_of(sc.slots[i].hash)] += value_of(sc.slots[i]);
  // The norm adds the squares in dimension order; zeros add nothing, so only the
  // non-zero dimensions are visited, in order: the same sum.
  sc.nonzero.clear();
  for (uint32_t d = 0; d < v.size(); ++d) {
    if (sc.per_dim[d] != 0) sc.nonzero.push_back(d);
  }
  double norm = 0;
  for (uint32_t d : sc.nonzero) norm += static_cast<double>(v[d]) * v[d];
  if (norm > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (uint32_t d : sc.nonzero) v[d] *= inv;
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
