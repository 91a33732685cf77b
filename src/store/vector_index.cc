#include "store/vector_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numeric>

#include "base/hash.h"

namespace trawl::store_internal {
namespace {

// File layout (host byte order; the file is derived data, rebuilt when unusable):
//   header (48 bytes) | blocks | directory FlatBlockEntry[blocks] | ids int64[count] |
//   keys uint64[count] (ascending) | scales float[count] | key_rows uint32[count]
// keys are the vectors' VectorKeys, sorted; key_rows[i] is the position of keys[i]: a
// vector is found by its content hash (reuse on an incremental run) by binary search.
// A block holds kBlockRows rows, column by column, so a query reads only the columns of
// its non-zero dimensions, in one of two forms, whichever is smaller:
//   dense:  `dim` columns of kBlockRows int8 values (the last block zero-padded);
//   sparse: uint32 start[dim + 1], then the entries' gaps (one byte each) and then their
//           values (int8), column after column. An entry's row is the column's previous
//           entry's plus its gap (the first's: its gap); a gap over 255 takes filler
//           entries (gap 255, value 0) before it, which add w * 0 as the dense form does.
// The built-in hash embedder's vectors are ~88% zeros, so its blocks are sparse (a third
// of the dense size); a dense embedder's are dense. Every block starts 8-byte aligned.
constexpr char kMagic[8] = {'T', 'R', 'W', 'L', 'F', 'L', 'T', '3'};
constexpr size_t kBlockRows = 2048;
static_assert((kBlockRows & (kBlockRows - 1)) == 0, "rows are masked into a block");
// A sparse entry's gap: 2 bytes per value with the value, against 3 with a uint16 row
// (drivers/net: 38.9 -> 26.8 MB); 256-row blocks with one-byte rows instead doubled
// semantic search's time (their column starts, 16 bytes a row, are read per query).
using Gap = uint8_t;
constexpr size_t kMaxGap = 255;

struct FileHeader {
  char magic[8];
  uint32_t dim;
  uint32_t block_rows;
  uint64_t count;
  uint64_t blocks_bytes;  // the blocks region, from the end of the header
  uint64_t reserved[2];
};
static_assert(sizeof(FileHeader) == 48);

static_assert(sizeof(FlatBlockEntry) == 16);

size_t Blocks(size_t count) { return (count + kBlockRows - 1) / kBlockRows; }

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

size_t DenseBlockBytes(size_t dim) { return dim * kBlockRows; }

size_t SparseBlockBytes(size_t dim, size_t values) {
  return Align8((dim + 1) * sizeof(uint32_t) + values * (sizeof(Gap) + 1));
}

size_t FileSize(size_t count, size_t blocks_bytes) {
  return sizeof(FileHeader) + blocks_bytes + Blocks(count) * sizeof(FlatBlockEntry) +
         count * (sizeof(int64_t) + sizeof(uint64_t) + sizeof(float) + sizeof(uint32_t));
}

// acc[i] += w * col[i] over one block; a fixed trip count so the compiler vectorises it.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
void Accumulate(float* __restrict acc, const int8_t* __restrict col, float w) {
  for (size_t i = 0; i < kBlockRows; ++i) acc[i] += w * static_cast<float>(col[i]);
}

// The same over a sparse column: the zeros it leaves out would add exactly nothing, so
// a row's sum is the dense form's, bit for bit. Rows are masked into the block: a
// damaged file may score garbage but never writes outside `acc`.
void AccumulateSparse(float* __restrict acc, const Gap* __restrict gaps, const int8_t* __restrict values,
                      size_t n, float w) {
  size_t row = 0;
  for (size_t p = 0; p < n; ++p) {
    row += gaps[p];
    acc[row & (kBlockRows - 1)] += w * static_cast<float>(values[p]);
  }
}

// Calls fn(row, value) for each entry of a sparse column, fillers included (value 0).
template <typename Fn>
void ForEachEntry(const Gap* gaps, const int8_t* values, size_t n, Fn&& fn) {
  size_t row = 0;
  for (size_t p = 0; p < n; ++p) {
    row += gaps[p];
    fn(row & (kBlockRows - 1), values[p]);
  }
}

Status WriteAll(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("writing " + path + ": " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

float Dot(const float* a, const float* b, size_t dim) {
  // Independent partial sums let the compiler use SIMD lanes without -ffast-math.
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  }
  float r = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; i < dim; ++i) r += a[i] * b[i];
  return r;
}

namespace {

// The indexes of v's non-zero values, ascending, into `nz` (reused); returns how many.
size_t NonZeroIndexes(const std::vector<float>& v, std::vector<uint32_t>* nz) {
  nz->resize(v.size());
  size_t n = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    (*nz)[n] = static_cast<uint32_t>(i);
    n += v[i] != 0.0f ? 1 : 0;
  }
  return n;
}

// Scales v to unit length visiting only its first `n` non-zero indexes `nz`: zeros add
// nothing to the norm and stay zero, so this is the same arithmetic, in the same order,
// as over every value.
void NormalizeAt(std::vector<float>* v, const std::vector<uint32_t>& nz, size_t n) {
  double norm = 0;
  for (size_t k = 0; k < n; ++k) norm += static_cast<double>((*v)[nz[k]]) * (*v)[nz[k]];
  if (norm <= 0) return;  // (a NaN norm scales too)
  auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t k = 0; k < n; ++k) (*v)[nz[k]] *= inv;
}

}  // namespace

void Normalize(std::vector<float>* v) {
  thread_local std::vector<uint32_t> nz;
  NormalizeAt(v, nz, NonZeroIndexes(*v, &nz));
}

void TopK::PushSlow(float score, int64_t id) {
  // heap_ is a heap whose top is the worst kept hit.
  auto worse_on_top = [](const Scored& a, const Scored& b) { return BetterHit(a, b); };
  if (k_ == 0) return;
  Scored s{score, id};
  if (heap_.size() < k_) {
    heap_.push_back(s);
    std::push_heap(heap_.begin(), heap_.end(), worse_on_top);
  } else if (BetterHit(s, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), worse_on_top);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), worse_on_top);
  }
}

std::vector<Scored> TopK::Take() {
  std::vector<Scored> out = std::move(heap_);
  heap_.clear();
  std::sort(out.begin(), out.end(), BetterHit);
  return out;
}

void ExactSearch(const VectorBlock& block, const float* query, TopK* top) {
  size_t dim = static_cast<size_t>(block.dim);
  if (block.scales.empty()) {
    for (size_t i = 0; i < block.size(); ++i) top->Push(Dot(query, block.row(i), dim), block.ids[i]);
    return;
  }
  // As FlatIndex::Search: the query's non-zero dimensions in order, then the scale.
  std::vector<std::pair<size_t, float>> dims;
  for (size_t j = 0; j < dim; ++j) {
    if (query[j] != 0.0f) dims.emplace_back(j, query[j]);
  }
  for (size_t i = 0; i < block.size(); ++i) {
    const int8_t* row = block.q.data() + i * dim;
    float acc = 0.0f;
    for (const auto& [j, w] : dims) acc += w * static_cast<float>(row[j]);
    top->Push(acc * block.scales[i], block.ids[i]);
  }
}

namespace {

// The blob of `n` quantised values q with scale `scale`, of which `nonzero` are not zero,
// all of them among the `n_nz` ascending indexes `nz`.
std::string EncodeWithNonZero(float scale, const int8_t* q, size_t n, size_t nonzero, const uint32_t* nz,
                              size_t n_nz) {
  std::string out(sizeof(float), '\0');
  std::memcpy(out.data(), &scale, sizeof(float));
  if (3 * nonzero < n) {
    // Sparse (the hash embedder's vectors are ~90% zeros): (uint16 index, int8 value)
    // pairs; always shorter than the dense form, which is how the two are told apart.
    out.resize(sizeof(float) + 3 * nonzero);
    char* p = out.data() + sizeof(float);
    for (size_t k = 0; k < n_nz; ++k) {
      int8_t value = q[nz[k]];
      if (value == 0) continue;
      auto idx = static_cast<uint16_t>(nz[k]);
      std::memcpy(p, &idx, 2);
      p[2] = static_cast<char>(value);
      p += 3;
    }
  } else {
    out.append(reinterpret_cast<const char*>(q), n);
  }
  return out;
}

}  // namespace

uint64_t VectorKey(std::string_view content_hash) {
  if (content_hash.size() == 16) {
    uint64_t v = 0;
    bool hex = true;
    for (char c : content_hash) {
      int d = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
      if (d < 0) {
        hex = false;
        break;
      }
      v = (v << 4) | static_cast<uint64_t>(d);
    }
    if (hex) return v;
  }
  uint64_t h = 0;
  std::string hex = HashHex(content_hash);
  for (char c : hex) h = (h << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return h;
}

std::string EncodeVector(std::vector<float> v) {
  // Normalize, then quantise, visiting only the non-zero values (most of a hash-embedder
  // vector is zeros): zeros quantise to zero.
  thread_local std::vector<uint32_t> nz;
  const size_t n_nz = NonZeroIndexes(v, &nz);
  NormalizeAt(&v, nz, n_nz);
  float max_abs = 0;
  for (size_t k = 0; k < n_nz; ++k) max_abs = std::max(max_abs, std::fabs(v[nz[k]]));
  float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
  float inv = scale > 0 ? 1.0f / scale : 0.0f;
  std::vector<int8_t> q(v.size());
  size_t nonzero = 0;
  for (size_t k = 0; k < n_nz; ++k) {
    float r = std::nearbyint(v[nz[k]] * inv);
    q[nz[k]] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
    nonzero += q[nz[k]] != 0 ? 1 : 0;
  }
  return EncodeWithNonZero(scale, q.data(), v.size(), nonzero, nz.data(), n_nz);
}

std::string EncodeQuantized(float scale, const int8_t* q, int dim) {
  auto n = static_cast<size_t>(std::max(dim, 0));
  thread_local std::vector<uint32_t> nz;
  nz.resize(n);
  size_t nonzero = 0;
  for (size_t i = 0; i < n; ++i) {
    nz[nonzero] = static_cast<uint32_t>(i);
    nonzero += q[i] != 0 ? 1 : 0;
  }
  return EncodeWithNonZero(scale, q, n, nonzero, nz.data(), nonzero);
}

size_t EncodedSize(int dim) { return sizeof(float) + static_cast<size_t>(std::max(dim, 0)); }

namespace {

// Reads a blob of EncodeVector: its scale, then calls fn(index, value) for every value
// (dense form) or every non-zero one (sparse form). The whole blob is checked before
// the first call, so a bad blob leaves the caller's buffers untouched.
template <typename Fn>
bool ForEachQuantized(std::string_view blob, int dim, float* scale, Fn&& fn) {
  if (dim <= 0 || dim > 65536 || blob.size() < sizeof(float)) return false;
  std::memcpy(scale, blob.data(), sizeof(float));
  if (!std::isfinite(*scale)) return false;
  std::string_view body = blob.substr(sizeof(float));
  auto n = static_cast<size_t>(dim);
  if (body.size() == n) {
    for (size_t i = 0; i < n; ++i) fn(i, static_cast<int8_t>(body[i]));
    return true;
  }
  if (body.size() > n || body.size() % 3 != 0) return false;
  auto index_at = [&](size_t at) {
    uint16_t idx = 0;
    std::memcpy(&idx, body.data() + at, 2);
    return static_cast<size_t>(idx);
  };
  for (size_t at = 0; at < body.size(); at += 3) {
    if (index_at(at) >= n) return false;
  }
  for (size_t at = 0; at < body.size(); at += 3) fn(index_at(at), static_cast<int8_t>(body[at + 2]));
  return true;
}

}  // namespace

bool DecodeQuantized(std::string_view blob, int dim, float* scale, int8_t* q) {
  bool sparse = blob.size() != EncodedSize(dim);
  if (sparse && dim > 0) std::memset(q, 0, static_cast<size_t>(dim));
  return ForEachQuantized(blob, dim, scale, [q](size_t i, int8_t v) { q[i] = v; });
}

bool DecodeVector(std::string_view blob, int dim, float* out) {
  if (dim <= 0 || dim > 65536) return false;
  float scale = 0;
  std::vector<int8_t> q(static_cast<size_t>(dim));
  if (!DecodeQuantized(blob, dim, &scale, q.data())) return false;
  for (int i = 0; i < dim; ++i) out[i] = scale * static_cast<float>(q[static_cast<size_t>(i)]);
  return true;
}

// --- FlatIndexWriter -----------------------------------------------------------------

FlatIndexWriter::FlatIndexWriter(std::string path, int dim, int fd)
    : path_(std::move(path)), dim_(dim), fd_(fd), block_(static_cast<size_t>(dim) * kBlockRows, 0) {}

FlatIndexWriter::~FlatIndexWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<FlatIndexWriter>> FlatIndexWriter::Create(const std::string& path, int dim) {
  if (dim <= 0) return Status::InvalidArgument("a vector index needs a positive dimension");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  std::unique_ptr<FlatIndexWriter> w(new FlatIndexWriter(path, dim, fd));
  FileHeader h{};  // the real header is written by Finish: an unfinished file has count 0
  TRAWL_RETURN_IF_ERROR(WriteAll(fd, &h, sizeof(h), path));
  return w;
}

Status FlatIndexWriter::FlushBlock() {
  const auto dim = static_cast<size_t>(dim_);
  FlatBlockEntry entry{blocks_bytes_, 0, 0};
  // The sparse form's entries, fillers included; dense if that is no smaller.
  std::vector<uint32_t> start(dim + 1, 0);
  std::vector<Gap> gaps;
  std::vector<int8_t> vals;
  for (size_t j = 0; j < dim && SparseBlockBytes(dim, gaps.size()) < DenseBlockBytes(dim); ++j) {
    const int8_t* col = block_.data() + j * kBlockRows;
    size_t row = 0;
    for (size_t r = 0; r < in_block_; ++r) {
      if (col[r] == 0) continue;
      for (; r - row > kMaxGap; row += kMaxGap) {
        gaps.push_back(static_cast<Gap>(kMaxGap));
        vals.push_back(0);
      }
      gaps.push_back(static_cast<Gap>(r - row));
      vals.push_back(col[r]);
      row = r;
    }
    start[j + 1] = static_cast<uint32_t>(gaps.size());
  }
  if (start[dim] == gaps.size() && SparseBlockBytes(dim, gaps.size()) < DenseBlockBytes(dim)) {
    size_t values = gaps.size();
    entry.sparse = 1;
    entry.values = static_cast<uint32_t>(values);
    std::string out(SparseBlockBytes(dim, values), '\0');
    char* p = out.data();
    std::memcpy(p, start.data(), start.size() * sizeof(uint32_t));
    p += start.size() * sizeof(uint32_t);
    std::memcpy(p, gaps.data(), gaps.size() * sizeof(Gap));
    p += gaps.size() * sizeof(Gap);
    std::memcpy(p, vals.data(), vals.size());
    TRAWL_RETURN_IF_ERROR(WriteAll(fd_, out.data(), out.size(), path_));
    blocks_bytes_ += out.size();
  } else {
    TRAWL_RETURN_IF_ERROR(WriteAll(fd_, block_.data(), block_.size(), path_));
    blocks_bytes_ += block_.size();
  }
  directory_.push_back(entry);
  std::fill(block_.begin(), block_.end(), int8_t{0});
  in_block_ = 0;
  return Status::Ok();
}

Status FlatIndexWriter::Append(int64_t id, std::string_view blob, uint64_t key) {
  if (!ids_.empty() && id <= ids_.back()) return Status::InvalidArgument("vector ids must ascend");
  // The block starts zeroed, so a sparse vector scatters its non-zero values only.
  float scale = 0;
  int8_t* column0 = block_.data() + in_block_;
  if (!ForEachQuantized(blob, dim_, &scale, [column0](size_t i, int8_t v) { column0[i * kBlockRows] = v; })) {
    return Status::InvalidArgument("not a stored vector of dimension " + std::to_string(dim_));
  }
  ids_.push_back(id);
  scales_.push_back(scale);
  keys_.push_back(key);
  if (++in_block_ == kBlockRows) return FlushBlock();
  return Status::Ok();
}

Status FlatIndexWriter::Finish() {
  if (in_block_ > 0) TRAWL_RETURN_IF_ERROR(FlushBlock());
  TRAWL_RETURN_IF_ERROR(WriteAll(fd_, directory_.data(), directory_.size() * sizeof(FlatBlockEntry), path_));
  TRAWL_RETURN_IF_ERROR(WriteAll(fd_, ids_.data(), ids_.size() * sizeof(int64_t), path_));
  std::vector<uint32_t> key_rows(keys_.size());
  std::iota(key_rows.begin(), key_rows.end(), uint32_t{0});
  std::stable_sort(key_rows.begin(), key_rows.end(), [&](uint32_t a, uint32_t b) { return keys_[a] < keys_[b]; });
  std::vector<uint64_t> sorted(keys_.size());
  for (size_t i = 0; i < key_rows.size(); ++i) sorted[i] = keys_[key_rows[i]];
  TRAWL_RETURN_IF_ERROR(WriteAll(fd_, sorted.data(), sorted.size() * sizeof(uint64_t), path_));
  TRAWL_RETURN_IF_ERROR(WriteAll(fd_, scales_.data(), scales_.size() * sizeof(float), path_));
  TRAWL_RETURN_IF_ERROR(WriteAll(fd_, key_rows.data(), key_rows.size() * sizeof(uint32_t), path_));
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.dim = static_cast<uint32_t>(dim_);
  h.block_rows = kBlockRows;
  h.count = ids_.size();
  h.blocks_bytes = blocks_bytes_;
  if (::pwrite(fd_, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h))) {
    return Status::IoError("writing " + path_ + ": " + std::strerror(errno));
  }
  if (::fsync(fd_) != 0) return Status::IoError("cannot fsync " + path_ + ": " + std::strerror(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Status::IoError("writing " + path_ + ": " + std::strerror(errno));
  }
  fd_ = -1;
  return Status::Ok();
}

// --- FlatIndex -------------------------------------------------------------------------

FlatIndex::~FlatIndex() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

Result<std::unique_ptr<FlatIndex>> FlatIndex::Load(const std::string& path, int dim) {
  auto bad = [&](const char* why) { return Status::Corruption(path + ": not a usable vector index (" + why + ")"); };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError("cannot stat " + path + ": " + std::strerror(errno));
  }
  auto size = static_cast<size_t>(st.st_size);
  FileHeader h{};
  if (size < sizeof(h) || ::pread(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h))) {
    ::close(fd);
    return bad("truncated header");
  }
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) {
    ::close(fd);
    return bad("bad magic");
  }
  if (h.block_rows != kBlockRows || h.dim != static_cast<uint32_t>(dim)) {
    ::close(fd);
    return bad("dimension or layout mismatch");
  }
  if (h.count == 0 || h.count > (uint64_t{1} << 40) || h.blocks_bytes > size ||
      FileSize(h.count, h.blocks_bytes) != size) {
    ::close(fd);
    return bad("size does not match its header");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Status::IoError("cannot map " + path + ": " + std::strerror(errno));
  std::unique_ptr<FlatIndex> index(new FlatIndex());
  index->map_ = map;
  index->map_size_ = size;
  index->dim_ = dim;
  index->count_ = h.count;
  const auto* base = static_cast<const char*>(map);
  index->blocks_ = base + sizeof(FileHeader);
  size_t directory_at = sizeof(FileHeader) + h.blocks_bytes;
  index->directory_ = reinterpret_cast<const FlatBlockEntry*>(base + directory_at);
  size_t ids_at = directory_at + Blocks(h.count) * sizeof(FlatBlockEntry);
  size_t keys_at = ids_at + h.count * sizeof(int64_t);
  size_t scales_at = keys_at + h.count * sizeof(uint64_t);
  index->ids_ = reinterpret_cast<const int64_t*>(base + ids_at);
  index->keys_ = reinterpret_cast<const uint64_t*>(base + keys_at);
  index->scales_ = reinterpret_cast<const float*>(base + scales_at);
  index->key_rows_ = reinterpret_cast<const uint32_t*>(base + scales_at + h.count * sizeof(float));
  for (size_t i = 1; i < index->count_; ++i) {
    if (index->ids_[i] <= index->ids_[i - 1]) return bad("ids out of order");
    if (index->keys_[i] < index->keys_[i - 1]) return bad("keys out of order");
  }
  for (size_t i = 0; i < index->count_; ++i) {
    if (index->key_rows_[i] >= index->count_) return bad("a key's row past the end");
  }
  // Each block lies inside the region, one after the other, and a sparse block's column
  // starts ascend to its count of values: a search never reads outside the map.
  uint64_t expect = 0;
  for (size_t b = 0; b < Blocks(h.count); ++b) {
    const FlatBlockEntry& e = index->directory_[b];
    if (e.offset != expect || e.sparse > 1) return bad("bad block directory");
    size_t bytes = e.sparse != 0 ? SparseBlockBytes(h.dim, e.values) : DenseBlockBytes(h.dim);
    if (bytes > h.blocks_bytes - e.offset) return bad("block past its region");
    if (e.sparse != 0) {
      const auto* start = reinterpret_cast<const uint32_t*>(index->blocks_ + e.offset);
      if (start[0] != 0 || start[h.dim] != e.values) return bad("bad sparse block");
      for (size_t j = 0; j < h.dim; ++j) {
        if (start[j + 1] < start[j]) return bad("bad sparse block");
      }
    }
    expect = e.offset + bytes;
  }
  if (expect != h.blocks_bytes) return bad("blocks do not fill their region");
  return index;
}

void FlatIndex::MarkDeleted(int64_t id) {
  const int64_t* end = ids_ + count_;
  const int64_t* it = std::lower_bound(ids_, end, id);
  if (it == end || *it != id) return;
  if (deleted_.empty()) deleted_.assign(count_, 0);
  auto pos = static_cast<size_t>(it - ids_);
  if (deleted_[pos] == 0) {
    deleted_[pos] = 1;
    ++deleted_count_;
  }
}

void FlatIndex::Search(const float* query, TopK* top) const {
  std::vector<std::pair<size_t, float>> dims;
  for (size_t j = 0; j < static_cast<size_t>(dim_); ++j) {
    if (query[j] != 0.0f) dims.emplace_back(j, query[j]);
  }
  if (dims.empty() || top->k() == 0) return;
  std::vector<float> acc(kBlockRows);
  const auto dim = static_cast<size_t>(dim_);
  for (size_t b = 0; b < Blocks(count_); ++b) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const FlatBlockEntry& e = directory_[b];
    const char* block = blocks_ + e.offset;
    if (e.sparse != 0) {
      const auto* start = reinterpret_cast<const uint32_t*>(block);
      const auto* gaps = reinterpret_cast<const Gap*>(block + (dim + 1) * sizeof(uint32_t));
      const auto* values = reinterpret_cast<const int8_t*>(gaps + e.values);
      for (const auto& [j, w] : dims) {
        AccumulateSparse(acc.data(), gaps + start[j], values + start[j], start[j + 1] - start[j], w);
      }
    } else {
      const auto* columns = reinterpret_cast<const int8_t*>(block);
      for (const auto& [j, w] : dims) Accumulate(acc.data(), columns + j * kBlockRows, w);
    }
    size_t first = b * kBlockRows;
    size_t rows = std::min(kBlockRows, count_ - first);
    for (size_t r = 0; r < rows; ++r) {
      size_t pos = first + r;
      if (!deleted_.empty() && deleted_[pos] != 0) continue;
      top->Push(acc[r] * scales_[pos], ids_[pos]);
    }
  }
}

}  // namespace trawl::store_internal

namespace trawl::store_internal {

size_t FlatIndex::Find(int64_t id) const {
  const int64_t* end = ids_ + count_;
  const int64_t* it = std::lower_bound(ids_, end, id);
  return it == end || *it != id ? npos : static_cast<size_t>(it - ids_);
}

size_t FlatIndex::FindKey(uint64_t key) const {
  const uint64_t* end = keys_ + count_;
  const uint64_t* it = std::lower_bound(keys_, end, key);
  return it == end || *it != key ? npos : key_rows_[it - keys_];
}

std::string FlatIndex::Encoded(size_t pos) const {
  const auto dim = static_cast<size_t>(dim_);
  std::vector<int8_t> q(dim, 0);
  const FlatBlockEntry& e = directory_[pos / kBlockRows];
  const char* block = blocks_ + e.offset;
  size_t r = pos % kBlockRows;
  if (e.sparse != 0) {
    // Each column's rows ascend: walked up to the row.
    const auto* start = reinterpret_cast<const uint32_t*>(block);
    const auto* gaps = reinterpret_cast<const Gap*>(block + (dim + 1) * sizeof(uint32_t));
    const auto* values = reinterpret_cast<const int8_t*>(gaps + e.values);
    for (size_t j = 0; j < dim; ++j) {
      size_t row = 0;
      for (uint32_t p = start[j]; p < start[j + 1]; ++p) {
        row += gaps[p];
        if (row >= r) {
          if (row == r) q[j] = values[p];
          break;
        }
      }
    }
  } else {
    const auto* columns = reinterpret_cast<const int8_t*>(block);
    for (size_t j = 0; j < dim; ++j) q[j] = columns[j * kBlockRows + r];
  }
  return EncodeQuantized(scales_[pos], q.data(), dim_);
}

std::string FlatIndexRows::Encoded(size_t pos) {
  size_t b = pos / kBlockRows;
  const auto dim = static_cast<size_t>(index_->dim_);
  if (b != decoded_block_ && b == last_block_) {
    // A second read in this block: decode all of it, row after row.
    rows_.assign(dim * kBlockRows, 0);
    const FlatBlockEntry& e = index_->directory_[b];
    const char* block = index_->blocks_ + e.offset;
    if (e.sparse != 0) {
      const auto* start = reinterpret_cast<const uint32_t*>(block);
      const auto* gaps = reinterpret_cast<const Gap*>(block + (dim + 1) * sizeof(uint32_t));
      const auto* values = reinterpret_cast<const int8_t*>(gaps + e.values);
      for (size_t j = 0; j < dim; ++j) {
        ForEachEntry(gaps + start[j], values + start[j], start[j + 1] - start[j],
                     [&](size_t row, int8_t v) { rows_[row * dim + j] = v; });
      }
    } else {
      const auto* columns = reinterpret_cast<const int8_t*>(block);
      for (size_t j = 0; j < dim; ++j) {
        for (size_t r = 0; r < kBlockRows; ++r) rows_[r * dim + j] = columns[j * kBlockRows + r];
      }
    }
    decoded_block_ = b;
  }
  last_block_ = b;
  if (b != decoded_block_) return index_->Encoded(pos);
  return EncodeQuantized(index_->scales_[pos], rows_.data() + (pos % kBlockRows) * dim, index_->dim_);
}

}  // namespace trawl::store_internal
