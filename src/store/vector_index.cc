#include "store/vector_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

namespace trawl::store_internal {
namespace {

// hnswlib's InnerProductSpace constructor assigns process-wide function pointers
// (its SIMD dispatch); constructing two spaces at once is a data race, so every
// construction goes through this lock.
std::mutex& SpaceConstructionMutex() {
  static std::mutex mu;
  return mu;
}

std::unique_ptr<hnswlib::InnerProductSpace> MakeSpace(int dim) {
  std::lock_guard<std::mutex> lock(SpaceConstructionMutex());
  return std::make_unique<hnswlib::InnerProductSpace>(static_cast<size_t>(dim));
}

// The fixed-size header hnswlib's saveIndex writes, checked before hnswlib reads the
// rest, so a foreign or truncated file fails cleanly instead of allocating garbage.
struct HnswHeader {
  size_t offset_level0, max_elements, cur_element_count, size_data_per_element, label_offset,
      offset_data;
  int max_level;
  unsigned enterpoint;
  size_t max_m, max_m0, m;
  double mult;
  size_t ef_construction;
};

template <typename T>
bool ReadPod(std::istream& in, T* v) {
  in.read(reinterpret_cast<char*>(v), sizeof(T));
  return static_cast<bool>(in);
}

Status CheckHeader(const std::string& path, int dim) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  in.seekg(0, std::ios::end);
  auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  HnswHeader h{};
  bool ok = ReadPod(in, &h.offset_level0) && ReadPod(in, &h.max_elements) &&
            ReadPod(in, &h.cur_element_count) && ReadPod(in, &h.size_data_per_element) &&
            ReadPod(in, &h.label_offset) && ReadPod(in, &h.offset_data) && ReadPod(in, &h.max_level) &&
            ReadPod(in, &h.enterpoint) && ReadPod(in, &h.max_m) && ReadPod(in, &h.max_m0) &&
            ReadPod(in, &h.m) && ReadPod(in, &h.mult) && ReadPod(in, &h.ef_construction);
  auto bad = [&](const char* why) { return Status::Corruption(path + ": not a usable HNSW file (" + why + ")"); };
  if (!ok) return bad("truncated header");
  if (h.offset_level0 != 0 || h.m == 0 || h.m > 10000 || h.max_m != h.m || h.max_m0 != 2 * h.m)
    return bad("bad parameters");
  if (h.offset_data != h.max_m0 * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint))
    return bad("bad layout");
  if (h.label_offset != h.offset_data + static_cast<size_t>(dim) * sizeof(float))
    return bad("dimension mismatch");
  if (h.size_data_per_element != h.label_offset + sizeof(hnswlib::labeltype)) return bad("bad layout");
  if (h.cur_element_count == 0 || h.cur_element_count > h.max_elements) return bad("bad element count");
  if (h.enterpoint >= h.cur_element_count || h.max_level < 0 || h.max_level > 64)
    return bad("bad entry point");
  uint64_t need = sizeof(size_t) * 10 + sizeof(int) + sizeof(unsigned) + sizeof(double) +
                  static_cast<uint64_t>(h.cur_element_count) * h.size_data_per_element;
  if (need > file_size) return bad("truncated");
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

void Normalize(std::vector<float>* v) {
  double n = 0;
  for (float x : *v) n += static_cast<double>(x) * x;
  if (n <= 0) return;
  auto inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : *v) x *= inv;
}

void TopK::Push(float score, int64_t id) {
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
  for (size_t i = 0; i < block.size(); ++i) top->Push(Dot(query, block.row(i), dim), block.ids[i]);
}

HnswGraph::HnswGraph(int dim, const HnswParams& params) : dim_(dim), params_(params), space_(MakeSpace(dim)) {}

HnswGraph::~HnswGraph() = default;

Result<std::unique_ptr<HnswGraph>> HnswGraph::Create(int dim, size_t capacity, const HnswParams& params) {
  std::unique_ptr<HnswGraph> g(new HnswGraph(dim, params));
  try {
    g->index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        g->space_.get(), std::max<size_t>(capacity, 1), static_cast<size_t>(params.m),
        static_cast<size_t>(params.ef_construction));
    g->index_->setEf(static_cast<size_t>(params.ef_search));
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("creating the HNSW index: ") + e.what());
  }
  return g;
}

Result<std::unique_ptr<HnswGraph>> HnswGraph::Load(const std::string& path, int dim,
                                                   const HnswParams& params) {
  TRAWL_RETURN_IF_ERROR(CheckHeader(path, dim));
  std::unique_ptr<HnswGraph> g(new HnswGraph(dim, params));
  try {
    g->index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(g->space_.get(), path, false, 0);
    g->index_->setEf(static_cast<size_t>(params.ef_search));
    // hnswlib 0.6.2's loading constructor leaves num_deleted_ uninitialised before
    // counting into it: count again.
    size_t deleted = 0;
    for (size_t i = 0; i < g->index_->cur_element_count; ++i) {
      deleted += g->index_->isMarkedDeleted(static_cast<hnswlib::tableint>(i)) ? 1 : 0;
    }
    g->index_->num_deleted_ = deleted;
  } catch (const std::exception& e) {
    return Status::Corruption("loading " + path + ": " + e.what());
  }
  return g;
}

Status HnswGraph::Save(const std::string& path) const {
  try {
    index_->saveIndex(path);
  } catch (const std::exception& e) {
    return Status::IoError("writing " + path + ": " + e.what());
  }
  std::ifstream check(path, std::ios::binary | std::ios::ate);
  if (!check) return Status::IoError("writing " + path + ": file missing after save");
  return Status::Ok();
}

Status HnswGraph::Add(const VectorBlock& block, int threads) {
  if (block.size() == 0) return Status::Ok();
  if (block.dim != dim_) return Status::InvalidArgument("vector dimension mismatch");
  try {
    size_t need = index_->cur_element_count + block.size();
    if (need > index_->max_elements_) index_->resizeIndex(std::max(need, index_->max_elements_ * 5 / 4));
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("growing the HNSW index: ") + e.what());
  }
  size_t n_threads = threads > 0 ? static_cast<size_t>(threads)
                                 : std::max<size_t>(1, std::thread::hardware_concurrency());
  n_threads = std::min(n_threads, std::max<size_t>(1, block.size() / 256));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;
  auto work = [&] {
    constexpr size_t kBatch = 64;
    while (!failed.load(std::memory_order_relaxed)) {
      size_t begin = next.fetch_add(kBatch);
      if (begin >= block.size()) break;
      size_t end = std::min(block.size(), begin + kBatch);
      try {
        for (size_t i = begin; i < end; ++i) {
          index_->addPoint(block.row(i), static_cast<hnswlib::labeltype>(block.ids[i]));
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mu);
        error = e.what();
        failed = true;
      }
    }
  };
  if (n_threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(n_threads);
    for (size_t t = 0; t < n_threads; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }
  if (failed) return Status::Internal("adding to the HNSW index: " + error);
  return Status::Ok();
}

void HnswGraph::MarkDeleted(int64_t id) {
  auto it = index_->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == index_->label_lookup_.end() || index_->isMarkedDeleted(it->second)) return;
  index_->markDelete(static_cast<hnswlib::labeltype>(id));
}

size_t HnswGraph::size() const { return index_->cur_element_count; }
size_t HnswGraph::deleted() const { return index_->num_deleted_; }

std::vector<Scored> HnswGraph::Search(const float* query, size_t k) const {
  std::vector<Scored> out;
  if (k == 0 || index_->cur_element_count == 0) return out;
  auto pq = index_->searchKnn(query, k);
  out.reserve(pq.size());
  while (!pq.empty()) {
    out.push_back({1.0f - pq.top().first, static_cast<int64_t>(pq.top().second)});
    pq.pop();
  }
  std::sort(out.begin(), out.end(), BetterHit);
  return out;
}

void HnswGraph::ExactSearch(const float* query, TopK* top) const {
  size_t n = index_->cur_element_count;
  size_t dim = static_cast<size_t>(dim_);
  for (size_t i = 0; i < n; ++i) {
    auto internal = static_cast<hnswlib::tableint>(i);
    if (index_->isMarkedDeleted(internal)) continue;
    const auto* v = reinterpret_cast<const float*>(index_->getDataByInternalId(internal));
    top->Push(Dot(query, v, dim), static_cast<int64_t>(index_->getExternalLabel(internal)));
  }
}

}  // namespace trawl::store_internal
