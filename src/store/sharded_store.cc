// The embedded index as N shards: OpenStore's backend. Each shard is a whole embedded
// store (its own database, lexical index and vector file) in <dir>/shard-<i>; a file
// lives in the shard its path hashes to, so each shard has its own writer thread and
// the writes of a run proceed in parallel. Readers fan out over the shards and merge;
// lexical scores use the statistics of all shards (lexical_query.h), so any shard
// count ranks alike.
//
// On disk, in the index folder:
//   .gitignore   "*"
//   lock         the index's writer lock (each shard has its own too)
//   layout       "trawl-index 1\nshards N\ngeneration G\n", written once every shard
//                of generation G exists; an index without it is being created (or
//                was not finished) and is made again by the next writer
//   gen-<G>/shard-<i>/   shard i (embedded_store.cc describes its files). A rebuild
//                fills gen-<G+1> beside the current generation and switches the
//                layout to it when it has finished (Publish); any other gen-* folder
//                is a leftover, removed by the next writer
//
// Chunk ids: local id * kMaxShards + shard, so every id names its shard.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "base/file_util.h"
#include "base/hash.h"
#include "store/embedded_store.h"
#include "store/pg_store.h"
#include "store/lexical_query.h"
#include "store/store.h"
#include "store/writer_lock.h"

namespace trawl {
namespace {

using store_internal::EmbeddedShard;
using store_internal::ForEachShard;
using store_internal::LexicalShard;

constexpr char kLayoutFile[] = "layout";
constexpr char kLayoutMagic[] = "trawl-index 1";

// What the layout file records. A layout without a generation line is generation 1.
struct Layout {
  int shards = 0;  // 0: no layout file
  int64_t generation = 0;
};

std::string GenerationDir(const std::string& dir, int64_t generation) {
  return dir + "/gen-" + std::to_string(generation);
}

std::string ShardDir(const std::string& dir, int64_t generation, int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "/shard-%02d", i);
  return GenerationDir(dir, generation) + name;
}

Result<Layout> ReadLayout(const std::string& dir) {
  std::error_code ec;
  std::string path = dir + "/" + kLayoutFile;
  if (!std::filesystem::exists(path, ec)) return Layout();
  TRAWL_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4096));
  Layout layout;
  char magic[32] = {0};
  long long generation = 0;
  int got = std::sscanf(text.c_str(), "%31[^\n]\nshards %d\ngeneration %lld", magic, &layout.shards, &generation);
  layout.generation = generation;
  if (got != 3 || std::string(magic) != kLayoutMagic || layout.shards < 1 || layout.shards > kMaxShards ||
      layout.generation < 1) {
    return Status::Corruption("the index at " + dir + " has an unreadable layout file: `trawl index --rebuild` makes it again");
  }
  return layout;
}

Status WriteLayout(const std::string& dir, const Layout& layout) {
  return WriteFileAtomic(dir + "/" + kLayoutFile, std::string(kLayoutMagic) + "\nshards " +
                                                      std::to_string(layout.shards) + "\ngeneration " +
                                                      std::to_string(layout.generation) + "\n");
}

bool HasSingleDatabase(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir + "/index.db", ec);
}

// Removes every generation but `keep` (0: all of them) and the files of the
// single-database format.
void RemoveOtherGenerations(const std::string& dir, int64_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string kept = keep > 0 ? "gen-" + std::to_string(keep) : "";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && name != kept) {
      fs::remove_all(entry.path(), ec);
    } else if (name.rfind("index.db", 0) == 0 || name.rfind("vectors-", 0) == 0) {
      fs::remove(entry.path(), ec);
    }
  }
}

// The options of each of `shards` shards: they share the writer's page cache.
EmbeddedStoreOptions ShardOptions(int shards) {
  EmbeddedStoreOptions opts;
  opts.writer_cache_mb = std::max(32, opts.writer_cache_mb / std::max(shards, 1));
  return opts;
}

// The embedded index holds one tree: a filter by repository belongs to a shared store.
Status NoRepos(const SearchFilter& filter) {
  if (filter.repos.empty()) return Status::Ok();
  return Status::InvalidArgument("a repository filter needs a shared store (--store URL): this index holds one tree");
}

class ShardedStore final : public Store {
 public:
  ShardedStore(std::string dir, OpenMode mode) : dir_(std::move(dir)), mode_(mode) {}

  Status Open(const StoreConfig& config);

  Status BindEmbedder(const std::string& name, int dimensions, bool reset) override {
    for (auto& s : shards_) TRAWL_RETURN_IF_ERROR(s->BindEmbedder(name, dimensions, reset));
    return Status::Ok();
  }
  // By the shard that will store it: each compresses text with its own dictionary.
  void Prepare(FileWrite* write) const override {
    shards_[static_cast<size_t>(PartitionOf(write->file.path))]->Prepare(write);
  }

  Result<std::vector<FileRecord>> ListFiles() override { return MergeFiles(&Store::ListFiles); }
  Result<std::vector<FileRecord>> FailedFiles() override { return MergeFiles(&Store::FailedFiles); }

  Result<std::unordered_map<std::string, std::vector<float>>> LookupVectors(
      const std::vector<std::string>& content_hashes) override {
    // A vector is stored in the shard of the file that first had its content.
    std::vector<std::unordered_map<std::string, std::vector<float>>> per(shards_.size());
    TRAWL_RETURN_IF_ERROR(ForEachShard(shards_.size(), [&](size_t i) -> Status {
      TRAWL_ASSIGN_OR_RETURN(per[i], shards_[i]->LookupVectors(content_hashes));
      return Status::Ok();
    }));
    std::unordered_map<std::string, std::vector<float>> out;
    for (auto& p : per) {
      for (auto& [h, v] : p) out.emplace(h, std::move(v));
    }
    return out;
  }

  int WritePartitions() const override { return static_cast<int>(shards_.size()); }
  int PartitionOf(std::string_view path) const override {
    return static_cast<int>(Hash64(path) % shards_.size());
  }
  Status Stage(const FileWrite& write) override {
    int p = PartitionOf(write.file.path);
    staged_[static_cast<size_t>(p)] = 1;
    return shards_[static_cast<size_t>(p)]->Stage(write);
  }
  Status Commit(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes) override {
    const size_t n = shards_.size();
    std::vector<std::vector<FileWrite>> w(n);
    std::vector<std::vector<std::string>> d(n);
    for (const auto& x : writes) w[static_cast<size_t>(PartitionOf(x.file.path))].push_back(x);
    for (const auto& x : deletes) d[static_cast<size_t>(PartitionOf(x))].push_back(x);
    for (size_t i = 0; i < n; ++i) {
      if (w[i].empty() && d[i].empty() && !staged_[i]) continue;
      staged_[i] = 0;
      TRAWL_RETURN_IF_ERROR(shards_[i]->Commit(w[i], d[i]));
    }
    return Status::Ok();
  }
  Status CommitPartition(int partition, const std::vector<std::string>& deletes) override {
    auto p = static_cast<size_t>(partition);
    staged_[p] = 0;
    return shards_[p]->Commit({}, deletes);
  }
  Status Checkpoint() override {
    return ForEachShard(shards_.size(), [&](size_t i) { return shards_[i]->Checkpoint(); });
  }
  Status CheckpointPartition(int partition) override { return shards_[static_cast<size_t>(partition)]->Checkpoint(); }
  Status SetFilesKnown(int64_t n) override { return shards_[0]->SetFilesKnown(n); }
  Status SaveRun(const RunRecord& run) override { return shards_[0]->SaveRun(run); }
  Result<std::vector<RunRecord>> Runs(int limit) override { return shards_[0]->Runs(limit); }

  Result<std::vector<ChunkHit>> SearchLexical(const LexicalQuery& query, int k, const SearchFilter& filter) override {
    TRAWL_RETURN_IF_ERROR(NoRepos(filter));
    return store_internal::SearchLexicalShards(lexical_, query, k, filter, EmbeddedStoreOptions(), kMaxShards);
  }
  Result<TermStats> DocFrequencies(const std::vector<std::string>& terms) override {
    return store_internal::ShardDocFrequencies(lexical_, terms);
  }
  Result<std::vector<ChunkHit>> SearchDense(const std::vector<float>& query, int k, const SearchFilter& filter) override;
  Result<std::vector<ChunkView>> GetChunks(const std::vector<int64_t>& ids) override;
  Result<StoreStats> Stats() override;
  Result<std::unique_ptr<StoreScan>> Scan() override;
  Status Publish() override;
  Status Verify() override {
    return ForEachShard(shards_.size(), [&](size_t i) { return shards_[i]->Verify(); });
  }

 private:
  Result<std::vector<FileRecord>> MergeFiles(Result<std::vector<FileRecord>> (Store::*list)());
  Status OpenShards(const Layout& layout, OpenMode mode, bool wait);

  const std::string dir_;
  const OpenMode mode_;
  std::unique_ptr<store_internal::WriterLock> lock_;
  std::vector<std::unique_ptr<EmbeddedShard>> shards_;
  std::vector<LexicalShard*> lexical_;
  // Per partition, written only by its writer thread: Stage left rows in the shard's
  // open transaction.
  std::vector<char> staged_;
  // A rebuild's layout, written by Publish.
  std::optional<Layout> pending_;
};

Status ShardedStore::OpenShards(const Layout& layout, OpenMode mode, bool wait) {
  EmbeddedStoreOptions opts = ShardOptions(layout.shards);
  for (int i = 0; i < layout.shards; ++i) {
    TRAWL_ASSIGN_OR_RETURN(auto shard, store_internal::OpenEmbeddedShard(ShardDir(dir_, layout.generation, i), mode,
                                                                         wait, opts));
    shards_.push_back(std::move(shard));
  }
  return Status::Ok();
}

Status ShardedStore::Open(const StoreConfig& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (config.shards < 0 || config.shards > kMaxShards) {
    return Status::InvalidArgument("shards must be between 1 and " + std::to_string(kMaxShards));
  }
  const char* old_format = "is an index of an older trawl (one database, no shards): `trawl index --rebuild` makes it again";
  if (mode_ == OpenMode::kRead) {
    if (!fs::exists(dir_, ec)) return Status::NotFound("no index at " + dir_ + ": run `trawl index` first");
    TRAWL_ASSIGN_OR_RETURN(Layout layout, ReadLayout(dir_));
    if (layout.shards == 0) {
      if (HasSingleDatabase(dir_)) return Status::FailedPrecondition(dir_ + " " + old_format);
      return Status::NotFound("no index at " + dir_ + ": run `trawl index` first");
    }
    TRAWL_RETURN_IF_ERROR(OpenShards(layout, OpenMode::kRead, false));
  } else {
    fs::create_directories(dir_, ec);
    if (ec) return Status::IoError("cannot create " + dir_ + ": " + ec.message());
    std::string gitignore = dir_ + "/.gitignore";
    if (!fs::exists(gitignore, ec)) TRAWL_RETURN_IF_ERROR(WriteFileAtomic(gitignore, "*\n"));
    TRAWL_ASSIGN_OR_RETURN(lock_, store_internal::WriterLock::Acquire(dir_, config.wait));
    Result<Layout> current = ReadLayout(dir_);
    if (config.rebuild) {
      // Made anew beside the current index, which readers keep using (and which a
      // crash or a cancel leaves as it was) until Publish switches the layout to it.
      Layout old = current.ok() ? *current : Layout();
      RemoveOtherGenerations(dir_, old.generation);  // leftovers of a rebuild that did not finish
      // Generation numbers only grow, so a layout never names a folder a failed
      // rebuild once had.
      int64_t next = old.generation + 1;
      Layout fresh{config.shards > 0 ? config.shards : (old.shards > 0 ? old.shards : DefaultShards()), next};
      TRAWL_RETURN_IF_ERROR(OpenShards(fresh, OpenMode::kWrite, config.wait));
      pending_ = fresh;
    } else {
      TRAWL_ASSIGN_OR_RETURN(Layout layout, std::move(current));
      if (layout.shards == 0) {
        if (HasSingleDatabase(dir_)) return Status::FailedPrecondition(dir_ + " " + old_format);
        RemoveOtherGenerations(dir_, 0);  // an index whose creation did not finish
        layout = Layout{config.shards > 0 ? config.shards : DefaultShards(), 1};
        TRAWL_RETURN_IF_ERROR(OpenShards(layout, OpenMode::kWrite, config.wait));
        TRAWL_RETURN_IF_ERROR(WriteLayout(dir_, layout));
      } else if (config.shards > 0 && config.shards != layout.shards) {
        return Status::FailedPrecondition(
            "the index at " + dir_ + " has " + std::to_string(layout.shards) + " shards, this run asks for " +
            std::to_string(config.shards) + ": `trawl index --rebuild --shards " + std::to_string(config.shards) +
            "` makes it again with " + std::to_string(config.shards) + " (or leave --shards out to keep " +
            std::to_string(layout.shards) + ")");
      } else {
        RemoveOtherGenerations(dir_, layout.generation);
        TRAWL_RETURN_IF_ERROR(OpenShards(layout, OpenMode::kWrite, config.wait));
      }
    }
  }
  staged_.assign(shards_.size(), 0);
  for (auto& s : shards_) lexical_.push_back(s.get());
  return Status::Ok();
}

Status ShardedStore::Publish() {
  if (!pending_) return Status::Ok();
  TRAWL_RETURN_IF_ERROR(WriteLayout(dir_, *pending_));
  RemoveOtherGenerations(dir_, pending_->generation);
  pending_.reset();
  return Status::Ok();
}

Result<std::vector<FileRecord>> ShardedStore::MergeFiles(Result<std::vector<FileRecord>> (Store::*list)()) {
  std::vector<std::vector<FileRecord>> per(shards_.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards_.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(per[i], ((*shards_[i]).*list)());
    return Status::Ok();
  }));
  if (per.size() == 1) return std::move(per[0]);
  // Each shard's list is in path order: merged, not sorted again (a no-op run over
  // linux's 78k files spent 0.2 s sorting them).
  size_t total = 0;
  for (const auto& p : per) total += p.size();
  std::vector<FileRecord> out;
  out.reserve(total);
  std::vector<size_t> bounds = {0};
  for (auto& p : per) {
    std::move(p.begin(), p.end(), std::back_inserter(out));
    bounds.push_back(out.size());
  }
  auto by_path = [](const FileRecord& a, const FileRecord& b) { return a.path < b.path; };
  for (size_t width = 1; width + 1 < bounds.size(); width *= 2) {
    for (size_t i = 0; i + 1 < bounds.size(); i += 2 * width) {
      size_t mid = std::min(i + width, bounds.size() - 1), end = std::min(i + 2 * width, bounds.size() - 1);
      std::inplace_merge(out.begin() + static_cast<std::ptrdiff_t>(bounds[i]),
                         out.begin() + static_cast<std::ptrdiff_t>(bounds[mid]),
                         out.begin() + static_cast<std::ptrdiff_t>(bounds[end]), by_path);
    }
  }
  return out;
}

Result<std::vector<ChunkHit>> ShardedStore::SearchDense(const std::vector<float>& query, int k,
                                                        const SearchFilter& filter) {
  TRAWL_RETURN_IF_ERROR(NoRepos(filter));
  std::vector<std::vector<ChunkHit>> per(shards_.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards_.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(per[i], shards_[i]->SearchDense(query, k, filter));
    for (auto& h : per[i]) h.chunk_id = h.chunk_id * kMaxShards + static_cast<int64_t>(i);
    return Status::Ok();
  }));
  std::vector<ChunkHit> out;
  for (auto& p : per) out.insert(out.end(), p.begin(), p.end());
  std::stable_sort(out.begin(), out.end(), [](const ChunkHit& a, const ChunkHit& b) { return a.score > b.score; });
  if (out.size() > static_cast<size_t>(std::max(k, 0))) out.resize(static_cast<size_t>(std::max(k, 0)));
  return out;
}

Result<std::vector<ChunkView>> ShardedStore::GetChunks(const std::vector<int64_t>& ids) {
  const size_t n = shards_.size();
  std::vector<std::vector<int64_t>> local(n);
  for (int64_t id : ids) {
    if (id < 0) continue;
    auto s = static_cast<size_t>(id % kMaxShards);
    if (s < n) local[s].push_back(id / kMaxShards);
  }
  std::vector<std::vector<ChunkView>> per(n);
  TRAWL_RETURN_IF_ERROR(ForEachShard(n, [&](size_t i) -> Status {
    if (local[i].empty()) return Status::Ok();
    TRAWL_ASSIGN_OR_RETURN(per[i], shards_[i]->GetChunks(local[i]));
    for (auto& v : per[i]) v.chunk_id = v.chunk_id * kMaxShards + static_cast<int64_t>(i);
    return Status::Ok();
  }));
  std::unordered_map<int64_t, ChunkView*> by_id;
  for (auto& p : per) {
    for (auto& v : p) by_id.emplace(v.chunk_id, &v);
  }
  std::vector<ChunkView> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    auto it = by_id.find(id);
    if (it != by_id.end()) out.push_back(*it->second);
  }
  return out;
}

Result<StoreStats> ShardedStore::Stats() {
  std::vector<StoreStats> per(shards_.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards_.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(per[i], shards_[i]->Stats());
    return Status::Ok();
  }));
  StoreStats out = per[0];
  for (size_t i = 1; i < per.size(); ++i) {
    out.files += per[i].files;
    out.files_failed += per[i].files_failed;
    out.files_skipped += per[i].files_skipped;
    out.chunks += per[i].chunks;
    out.vectors += per[i].vectors;
    for (const auto& [l, c] : per[i].languages) out.languages[l] += c;
  }
  return out;
}

// The shards' scans merged by path (a file is in one shard only).
class MergedScan final : public StoreScan {
 public:
  explicit MergedScan(std::vector<std::unique_ptr<StoreScan>> scans)
      : scans_(std::move(scans)), heads_(scans_.size()), live_(scans_.size(), 0) {}

  Status Start() {
    for (size_t i = 0; i < scans_.size(); ++i) TRAWL_RETURN_IF_ERROR(Advance(i));
    return Status::Ok();
  }

  Result<bool> Next(ScannedFile* out) override {
    size_t best = scans_.size();
    for (size_t i = 0; i < scans_.size(); ++i) {
      if (live_[i] && (best == scans_.size() || heads_[i].file.path < heads_[best].file.path)) best = i;
    }
    if (best == scans_.size()) return false;
    *out = std::move(heads_[best]);
    TRAWL_RETURN_IF_ERROR(Advance(best));
    return true;
  }

 private:
  Status Advance(size_t i) {
    heads_[i] = ScannedFile();
    TRAWL_ASSIGN_OR_RETURN(bool more, scans_[i]->Next(&heads_[i]));
    live_[i] = more ? 1 : 0;
    return Status::Ok();
  }
  std::vector<std::unique_ptr<StoreScan>> scans_;
  std::vector<ScannedFile> heads_;
  std::vector<char> live_;
};

Result<std::unique_ptr<StoreScan>> ShardedStore::Scan() {
  std::vector<std::unique_ptr<StoreScan>> scans;
  for (auto& s : shards_) {
    TRAWL_ASSIGN_OR_RETURN(auto scan, s->Scan());
    scans.push_back(std::move(scan));
  }
  auto merged = std::make_unique<MergedScan>(std::move(scans));
  TRAWL_RETURN_IF_ERROR(merged->Start());
  return std::unique_ptr<StoreScan>(std::move(merged));
}

}  // namespace

int DefaultShards() {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp((cores + 1) / 2, 1, 16);
}

int WorkUnitOf(std::string_view path, int units) {
  return units <= 1 ? 0 : static_cast<int>(Hash64(path, 0x756e6974) % static_cast<uint64_t>(units));
}

StoreConfig StoreConfigFor(const Options& options) {
  StoreConfig c;
  c.index_dir = options.index_dir;
  c.url = options.store.url;
  c.repo = options.store.repo;
  c.pool_size = options.store.pool_size;
  c.ef_search = options.store.hnsw_ef_search;
  c.lease_seconds = options.store.lease_seconds;
  return c;
}

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0 ||
         url.find("dbname=") != std::string::npos || url.find("host=") != std::string::npos;
}

std::string RedactStoreUrl(const std::string& url) {
  std::string out = url;
  // URI form: scheme://user:password@host...
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = out.find('@', scheme + 3);
    size_t colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a query parameter or a key=value pair.
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    size_t start = p + 9;
    size_t end = out.find_first_of(" &", start);
    out.replace(start, (end == std::string::npos ? out.size() : end) - start, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> OpenIndexForReading(const Options& options) {
  StoreConfig config = StoreConfigFor(options);
  if (config.url.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(options.index_dir, ec)) {
      return Status::NotFound("no index at " + options.index_dir + " (run `trawl index` first)");
    }
  }
  return OpenStore(config, OpenMode::kRead);
}

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config, OpenMode mode) {
  if (!config.url.empty()) {
    if (!IsPostgresUrl(config.url)) {
      return Status::InvalidArgument("store url " + RedactStoreUrl(config.url) +
                                     ": expected postgres://... or postgresql://... (or libpq's key=value form)");
    }
    return store_internal::OpenPgStore(config, mode);
  }
  auto store = std::make_unique<ShardedStore>(config.index_dir, mode);
  TRAWL_RETURN_IF_ERROR(store->Open(config));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace trawl
