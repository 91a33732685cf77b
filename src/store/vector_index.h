// Dense vector search for the embedded store: exact (brute-force) scoring over
// contiguous blocks, and an HNSW graph (hnswlib, inner product on L2-normalised
// vectors) labelled by chunk id. Both are derived from the store's rows.
// Thread-safety: a VectorBlock or an HnswGraph that is no longer being built is
// immutable, and may be searched from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trawl/status.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace trawl::store_internal {

struct Scored {
  float score = 0;  // inner product: higher is better
  int64_t id = 0;
};

// Descending by score, then ascending id (stable across runs).
inline bool BetterHit(const Scored& a, const Scored& b) {
  return a.score != b.score ? a.score > b.score : a.id < b.id;
}

float Dot(const float* a, const float* b, size_t dim);
// Scales `v` to unit length (a zero vector stays zero).
void Normalize(std::vector<float>* v);

// Vectors of some chunks, row-major.
struct VectorBlock {
  int dim = 0;
  std::vector<int64_t> ids;
  std::vector<float> data;  // ids.size() * dim
  size_t size() const { return ids.size(); }
  const float* row(size_t i) const { return data.data() + i * static_cast<size_t>(dim); }
};

// Keeps the best `k` of the pushed hits.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Push(float score, int64_t id);
  // Best first.
  std::vector<Scored> Take();
  size_t k() const { return k_; }

 private:
  size_t k_;
  std::vector<Scored> heap_;  // worst on top
};

void ExactSearch(const VectorBlock& block, const float* query, TopK* top);

struct HnswParams {
  int m = 16;
  int ef_construction = 128;
  int ef_search = 128;
  int build_threads = 0;  // 0: hardware concurrency
};

class HnswGraph {
 public:
  ~HnswGraph();
  HnswGraph(const HnswGraph&) = delete;
  HnswGraph& operator=(const HnswGraph&) = delete;

  static Result<std::unique_ptr<HnswGraph>> Create(int dim, size_t capacity, const HnswParams& params);
  // Loads a graph saved by Save; fails (never crashes) when the file is not one of ours.
  static Result<std::unique_ptr<HnswGraph>> Load(const std::string& path, int dim,
                                                 const HnswParams& params);
  Status Save(const std::string& path) const;

  // Adds the block's vectors in parallel (growing the capacity as needed).
  Status Add(const VectorBlock& block, int threads);
  // Marks a label deleted if the graph holds it (searches skip it).
  void MarkDeleted(int64_t id);

  size_t size() const;     // elements, deleted ones included
  size_t deleted() const;
  int dim() const { return dim_; }

  // Approximate top-k (best first), deleted labels excluded.
  std::vector<Scored> Search(const float* query, size_t k) const;
  // Exact scoring over every live element (for over-fetching filtered searches).
  void ExactSearch(const float* query, TopK* top) const;

 private:
  HnswGraph(int dim, const HnswParams& params);
  int dim_;
  HnswParams params_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

}  // namespace trawl::store_internal
