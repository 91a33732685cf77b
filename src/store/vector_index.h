// Dense vector search for the embedded store. Vectors are L2-normalised and stored
// quantised to int8 with one scale per vector (1 + 4/dim bytes per dimension instead of
// 4). Search is exact: a scan over a column-major file (`FlatIndex`) in which a query
// touches only the columns of its non-zero dimensions, so the sparse queries of the
// built-in hash embedder read a few percent of the file. No graph to build: indexing
// pays nothing for the vector index, and recall is that of exact search.
// Thread-safety: a VectorBlock or a FlatIndex that is no longer being built is
// immutable, and may be searched from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/status.h"

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

// The stored form of a vector: `v` normalised, then quantised to int8 q with
// v[i] ~= scale * q[i] (|q| <= 127): a float scale, then either the `dim` values of q
// (dense) or, when fewer than a third are non-zero, (uint16 index, int8 value) pairs.
std::string EncodeVector(std::vector<float> v);
// Size of the dense form (the largest a blob of this dimension can be).
size_t EncodedSize(int dim);
// The EncodeVector blob of a vector already quantised (`dim` values q, its scale):
// EncodeQuantized of what DecodeQuantized gives back is the blob, byte for byte.
std::string EncodeQuantized(float scale, const int8_t* q, int dim);
// Decodes a blob of EncodeVector; false if it is not one of this dimension.
bool DecodeQuantized(std::string_view blob, int dim, float* scale, int8_t* q);
bool DecodeVector(std::string_view blob, int dim, float* out);

// Vectors of some chunks, row-major: as floats (`data`), or in their stored, quantised
// form (`q` and `scales`, as DecodeQuantized gives them), which ExactSearch scores in
// the same order of operations as FlatIndex::Search, so that a chunk's score does not
// depend on whether it is searched in a vector file or from the rows.
struct VectorBlock {
  int dim = 0;
  std::vector<int64_t> ids;
  std::vector<float> data;     // ids.size() * dim, or empty when quantised
  std::vector<int8_t> q;       // ids.size() * dim
  std::vector<float> scales;   // ids.size()
  size_t size() const { return ids.size(); }
  const float* row(size_t i) const { return data.data() + i * static_cast<size_t>(dim); }
};

// Keeps the best `k` of the pushed hits.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Push(float score, int64_t id) {
    // Fast rejection inline: most pushes of a scan lose to the current worst.
    if (heap_.size() == k_ && (k_ == 0 || score < heap_.front().score)) return;
    PushSlow(score, id);
  }
  // Best first.
  std::vector<Scored> Take();
  size_t k() const { return k_; }

 private:
  void PushSlow(float score, int64_t id);
  size_t k_;
  std::vector<Scored> heap_;  // worst on top
};

void ExactSearch(const VectorBlock& block, const float* query, TopK* top);

// What a vector is found by in a FlatIndex besides its chunk id: its chunk's content
// hash (16 hex digits, HashHex) as 64 bits; any other string is hashed to 64 bits.
uint64_t VectorKey(std::string_view content_hash);

// A block's entry in a FlatIndex file's directory (the format is in vector_index.cc).
struct FlatBlockEntry {
  uint64_t offset;  // from the start of the blocks region
  uint32_t sparse;  // 1: the sparse form
  uint32_t values;  // non-zero values (sparse form)
};

// Writes a FlatIndex file from vectors appended in ascending id order; memory is one
// block of rows whatever the number of vectors.
class FlatIndexWriter {
 public:
  ~FlatIndexWriter();
  FlatIndexWriter(const FlatIndexWriter&) = delete;
  FlatIndexWriter& operator=(const FlatIndexWriter&) = delete;
  static Result<std::unique_ptr<FlatIndexWriter>> Create(const std::string& path, int dim);
  // `blob` is an EncodeVector of this dimension; `key` its VectorKey.
  Status Append(int64_t id, std::string_view blob, uint64_t key = 0);
  // Completes the file and syncs it to disk.
  Status Finish();
  size_t size() const { return ids_.size(); }
  int64_t last_id() const { return ids_.empty() ? 0 : ids_.back(); }

 private:
  FlatIndexWriter(std::string path, int dim, int fd);
  Status FlushBlock();
  std::string path_;
  int dim_;
  int fd_;
  std::vector<int64_t> ids_;
  std::vector<float> scales_;
  std::vector<uint64_t> keys_;
  std::vector<int8_t> block_;  // dim columns of kBlockRows values
  size_t in_block_ = 0;
  uint64_t blocks_bytes_ = 0;       // written so far
  std::vector<FlatBlockEntry> directory_;
};

// A memory-mapped FlatIndex file, labelled by chunk id.
class FlatIndex {
 public:
  ~FlatIndex();
  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  // Maps a file written by FlatIndexWriter; fails (never crashes) when the file is not
  // one of ours, has another dimension or is truncated.
  static Result<std::unique_ptr<FlatIndex>> Load(const std::string& path, int dim);

  // Marks an id deleted if the file holds it (searches skip it).
  void MarkDeleted(int64_t id);
  size_t size() const { return count_; }
  size_t deleted() const { return deleted_count_; }
  int dim() const { return dim_; }
  // Exact scoring of every live vector against `query` (normalised, dim floats).
  void Search(const float* query, TopK* top) const;

  static constexpr size_t npos = static_cast<size_t>(-1);
  // The position of chunk `id`'s vector, or npos.
  size_t Find(int64_t id) const;
  // The position of a vector appended with `key` (deleted or not), or npos.
  size_t FindKey(uint64_t key) const;
  int64_t IdAt(size_t pos) const { return ids_[pos]; }
  // The vector at `pos` as the EncodeVector blob it was appended from, byte for byte.
  std::string Encoded(size_t pos) const;

 private:
  FlatIndex() = default;
  int dim_ = 0;
  size_t count_ = 0;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const char* blocks_ = nullptr;
  const FlatBlockEntry* directory_ = nullptr;
  const int64_t* ids_ = nullptr;
  const float* scales_ = nullptr;
  const uint64_t* keys_ = nullptr;      // ascending
  const uint32_t* key_rows_ = nullptr;  // the position of each key
  std::vector<uint8_t> deleted_;  // by position
  size_t deleted_count_ = 0;
  friend class FlatIndexRows;
};

// Reads a FlatIndex's vectors by position, a block at a time when reads stay in one
// block (a whole block is decoded on its second read in a row). One thread at a time.
class FlatIndexRows {
 public:
  explicit FlatIndexRows(const FlatIndex* index) : index_(index) {}
  // As FlatIndex::Encoded.
  std::string Encoded(size_t pos);

 private:
  const FlatIndex* index_;
  size_t last_block_ = FlatIndex::npos;
  size_t decoded_block_ = FlatIndex::npos;
  std::vector<int8_t> rows_;  // the decoded block, row after row
};

}  // namespace trawl::store_internal
