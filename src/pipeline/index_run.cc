// The indexing run. Stages and who runs them:
//   discover (parallel walk, its own workers) + git history (one thread), then plan
//   (stat comparison with the store), then the CPU stage: a oneTBB parallel_pipeline
//   in an arena of `workers` threads (read -> hash -> chunk -> enrich), then the embed
//   service (its own I/O threads, batching chunks from every file), then one writer
//   thread that owns the store and commits many files per transaction.
// Memory: every file holds a share of one ByteBudget from the moment it is read
// until its transaction commits, so what is in flight never exceeds the budget.
// The same code runs for 1 and for N workers; only the arena size differs.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <filesystem>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <latch>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/cpu_time.h"
#include "base/file_util.h"
#include "base/hash.h"
#include "base/mutex.h"
#include "chunk/chunker.h"
#include "pipeline/chunk_options.h"
#include "discover/discover.h"
#include "embed/embedder.h"
#include "enrich/git_history.h"
#include "pipeline/byte_budget.h"
#include "pipeline/embed_text.h"
#include "pipeline/plan.h"
#include "pipeline/schedule.h"
#include "pipeline/work_queue.h"
#include "store/store.h"
#include "trawl/index.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

// How much nicer than the writer the CPU workers run (see RunCpuStage).
constexpr int kWorkerNice = 5;
// The writer's backlog is bounded by this share of the in-flight budget (32 MB of the
// default 256: about a second of the writer's work on C).
constexpr int64_t kWriterBacklogShare = 8;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
int64_t Nanos(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

enum Stage { kDiscover, kPlan, kRead, kChunk, kEnrich, kEmbed, kWrite, kVectorIndex, kNumStages };
constexpr const char* kStageNames[kNumStages] = {"discover", "plan", "read", "chunk",
                                                 "enrich", "embed", "write", "vector_index"};

struct StageCounter {
  std::atomic<int64_t> busy_ns{0};
  std::atomic<int64_t> cpu_ns{0};
  std::atomic<int64_t> items{0};
  void Add(Clock::duration d, int64_t n = 1, int64_t cpu = 0) {
    busy_ns.fetch_add(Nanos(d), std::memory_order_relaxed);
    cpu_ns.fetch_add(cpu, std::memory_order_relaxed);
    items.fetch_add(n, std::memory_order_relaxed);
  }
};

struct WorkerCounter {
  std::atomic<int64_t> files{0};
  std::atomic<int64_t> busy_ns{0};
  std::atomic<int64_t> cpu_ns{0};
};

// A file on its way from the CPU stage to the writer. Owned by exactly one stage at a
// time; while its chunks are being embedded the embed service holds it.
struct FileWork {
  FileWrite write;
  std::vector<std::string> embed_texts;  // per chunk, what the embedder sees
  std::vector<int> need_vectors;         // chunk indexes without a cached vector
  int64_t budget_bytes = 0;
  int64_t backlog_bytes = 0;             // its share of the writer's backlog bound
  size_t staged_chunks = 0;              // chunks written into the open transaction
  int unit = -1;                         // its unit of shared work (-1: not shared)
  bool elsewhere = false;                // another process indexed this content meanwhile: nothing to write
  std::atomic<int> pending{0};           // batches not yet back
  Mutex mu;
  std::string embed_error GUARDED_BY(mu);
};

struct EmbedItem {
  FileWork* file;
  int chunk;
};

struct EmbedBatch {
  std::vector<EmbedItem> items;
};

class IndexRun {
 public:
  explicit IndexRun(const IndexRequest& request)
      : req_(request), opts_(request.options), started_(Clock::now()),
        budget_(static_cast<int64_t>(opts_.indexing.max_inflight_mb) << 20),
        writer_backlog_(std::max<int64_t>(int64_t{1} << 20, budget_.capacity() / kWriterBacklogShare)) {}

  Result<IndexSummary> Run();

 private:
  bool Stopping() const {
    return stop_.load(std::memory_order_relaxed) ||
           (req_.cancel != nullptr && req_.cancel->load(std::memory_order_relaxed));
  }
  // A file leaves the pipeline: its shares of the budget and of the writer's backlog.
  void ReleaseBudgets(FileWork* w) {
    budget_.Release(w->budget_bytes);
    w->budget_bytes = 0;
    writer_backlog_.Release(w->backlog_bytes);
    w->backlog_bytes = 0;
  }
  void Stop() {
    stop_.store(true);
    budget_.Cancel();
    writer_backlog_.Cancel();
  }
  void Fail(Status st) EXCLUDES(fatal_mu_) {
    {
      MutexLock lock(&fatal_mu_);
      if (fatal_.ok()) fatal_ = std::move(st);
    }
    Stop();
  }

  Status Prepare();
  Status Plan(std::vector<FileEntry> found, std::vector<FileRecord> stored);
  // Shared work (Store::WorkUnits): tasks_ regrouped in runs of one unit each.
  void GroupByUnit();
  // The next file to process: in order, or, when the work is shared, from the units
  // this process claims in turn (waiting for units other processes hold). Called by the
  // pipeline's serial input stage only.
  FileEntry* NextTask();
  // The content and git commit the store held for `path` when its unit was claimed,
  // when another process wrote it ("" otherwise).
  std::string StoredElsewhere(const std::string& path) EXCLUDES(units_mu_);
  // A file of a shared unit is committed (or found done elsewhere); the unit is
  // finished once every file of it is and it has been handed out whole.
  void UnitFileDone(int unit, bool own_work) EXCLUDES(units_mu_);
  void UnitFed(int unit) EXCLUDES(units_mu_);
  void RunCpuStage();
  std::unique_ptr<FileWork> ProcessFile(const FileEntry& entry, Chunker& chunker, int worker);
  void EmbedBatcher();
  void EmbedExecutor();
  void FinishEmbedItem(FileWork* file);
  void DropCachedChunks(FileWork* file);
  void Writer(int partition);
  // Writes a finished file into the store's open transaction and gives its memory back.
  Status StageFile(FileWork* w);
  Status CommitPending(int partition, std::vector<std::unique_ptr<FileWork>>* pending,
                       std::vector<std::string>* deletes);
  void Reporter();
  int StageThreads(int stage) const;
  // The streaming stage whose threads have been busiest so far.
  std::string BusiestStage() const;
  void Emit(const IndexProgress& p) EXCLUDES(emit_mu_);
  IndexProgress Snapshot(const char* event);
  IndexSummary Summarize(const std::string& state);

  const IndexRequest& req_;
  std::optional<PathScope> scope_;  // IndexRequest::paths, when given
  const Options& opts_;
  const Clock::time_point started_;
  std::string run_id_;
  int workers_ = 1;

  std::unique_ptr<Store> store_;
  int partitions_ = 1;  // the store's write partitions: one writer thread each
  std::unique_ptr<Store> cache_;  // read connection for vector lookups (remote embedders)
  std::unique_ptr<Embedder> embedder_;
  std::optional<GitHistory> history_;  // empty when git metadata is off or unavailable
  const GitFileInfo* GitInfo(std::string_view path) const { return history_ ? history_->Find(path) : nullptr; }

  std::vector<FileEntry> tasks_;
  size_t next_task_ = 0;  // NextTask's position in tasks_
  struct UnitRange {
    int unit;
    size_t begin, end;  // its files in tasks_
  };
  std::vector<UnitRange> units_;      // empty: work not shared
  std::vector<size_t> unit_queue_;    // units_ not claimed yet, in the order to try them
  int current_unit_ = -1;             // index in units_ of the unit being handed out
  bool units_waiting_ = false;        // NextTask stopped with units other processes hold
  struct UnitProgress {
    int64_t outstanding = 0;  // handed out, not yet committed
    int64_t own = 0;          // files this process wrote
    bool fed = false;         // every file handed out
  };
  Mutex units_mu_;
  std::unordered_map<int, UnitProgress> unit_progress_ GUARDED_BY(units_mu_);
  std::unordered_map<std::string, std::string> elsewhere_ GUARDED_BY(units_mu_);
  std::atomic<int64_t> files_elsewhere_{0};
  std::vector<std::string> deletes_;
  int64_t files_seen_ = 0;
  int64_t files_unchanged_ = 0;

  std::atomic<bool> stop_{false};
  ByteBudget budget_;
  // Bounds what the workers have finished and the writer not yet staged: when the writer
  // falls behind, the workers wait and leave it the cores, instead of building a backlog
  // it would work through alone at the end of the run.
  ByteBudget writer_backlog_;
  WorkQueue<std::unique_ptr<FileWork>> embed_in_;
  WorkQueue<EmbedBatch> batches_;
  // One queue per write partition (its writer thread's).
  std::vector<std::unique_ptr<WorkQueue<std::unique_ptr<FileWork>>>> write_in_;
  void PushWrite(std::unique_ptr<FileWork> w) {
    write_in_[static_cast<size_t>(store_->PartitionOf(w->write.file.path))]->Push(std::move(w));
  }
  // CPU of the threads this run started and ended (name, seconds).
  Mutex threads_mu_;
  std::vector<ThreadSummary> thread_cpu_ GUARDED_BY(threads_mu_);
  void RecordThread(std::string name) EXCLUDES(threads_mu_) {
    double cpu = static_cast<double>(ThreadCpuNanos()) / 1e9;
    MutexLock lock(&threads_mu_);
    thread_cpu_.push_back({std::move(name), cpu});
  }
  std::unordered_map<int, int64_t> tasks_at_start_;  // CPU of the process's threads when the run began

  StageCounter stages_[kNumStages];
  std::vector<std::unique_ptr<WorkerCounter>> worker_counters_;
  std::atomic<int64_t> files_done_{0}, files_indexed_{0}, files_failed_{0}, files_skipped_{0};
  std::atomic<int64_t> chunks_{0}, bytes_{0}, bytes_done_{0}, vectors_embedded_{0},
      vectors_cached_{0}, embed_requests_{0};
  int64_t bytes_total_ = 0;
  Clock::time_point cpu_started_{}, embed_finished_{}, writer_finished_{};
  int embed_threads_ = 1;

  Mutex fatal_mu_;
  Status fatal_ GUARDED_BY(fatal_mu_);
  Mutex emit_mu_;
  Mutex failures_mu_;
  std::vector<std::pair<std::string, std::string>> failures_ GUARDED_BY(failures_mu_);
  Mutex reporter_mu_;
  CondVar reporter_cv_;
  bool reporter_done_ GUARDED_BY(reporter_mu_) = false;
};

Status IndexRun::Prepare() {
  workers_ = std::max(1, opts_.EffectiveWorkers());
  auto now = std::chrono::system_clock::now().time_since_epoch();
  run_id_ = "run-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  TRAWL_ASSIGN_OR_RETURN(embedder_, MakeEmbedder(opts_.embeddings));
  StoreConfig config = StoreConfigFor(opts_);
  if (!config.url.empty() && config.repo.empty()) {
    config.repo = std::filesystem::path(opts_.root).filename().string();
  }
  config.shards = opts_.indexing.shards;
  config.wait = req_.wait;
  config.rebuild = req_.rebuild;  // --rebuild also makes a damaged index again, or reshards it
  TRAWL_ASSIGN_OR_RETURN(store_, OpenStore(config, OpenMode::kWrite));
  partitions_ = store_->WritePartitions();
  for (int i = 0; i < partitions_; ++i) write_in_.push_back(std::make_unique<WorkQueue<std::unique_ptr<FileWork>>>());
  if (embedder_->Dimensions() == 0) {
    // A remote model of unknown size: the index knows it, or one probe request tells.
    TRAWL_ASSIGN_OR_RETURN(StoreStats stats, store_->Stats());
    if (!req_.rebuild && stats.embedder == embedder_->Name() && stats.dimensions > 0) {
      embedder_->SetDimensions(stats.dimensions);
    } else {
      TRAWL_RETURN_IF_ERROR(embedder_->EnsureDimensions(req_.cancel));
    }
  }
  TRAWL_RETURN_IF_ERROR(store_->BindEmbedder(embedder_->Name(), embedder_->Dimensions(), req_.rebuild));
  if (embedder_->IsRemote() && !req_.rebuild) {
    // Vectors are looked up by content hash before asking the network: a second
    // connection, so the lookups never wait on the writer.
    StoreConfig read = config;
    read.wait = read.rebuild = false;
    TRAWL_ASSIGN_OR_RETURN(cache_, OpenStore(read, OpenMode::kRead));
  }
  RunRecord rec;
  rec.id = run_id_;
  rec.started_at = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  rec.state = "running";
  return store_->SaveRun(rec);
}

Status IndexRun::Plan(std::vector<FileEntry> found, std::vector<FileRecord> stored) {
  auto t0 = Clock::now();
  PlanInput input;
  input.rebuild = req_.rebuild;
  input.scope = scope_ ? &*scope_ : nullptr;
  if (history_ && history_->in_repo()) {
    input.commit_of = [this](std::string_view path) {
      const GitFileInfo* g = GitInfo(path);
      return g ? g->commit : std::string();
    };
  }
  RunPlan plan = PlanRun(std::move(found), std::move(stored), input);
  files_seen_ = plan.files_seen;
  files_unchanged_ += plan.unchanged;
  bytes_total_ += plan.bytes;
  tasks_ = std::move(plan.tasks);
  deletes_ = std::move(plan.deletes);
  for (auto& [path, reason] : plan.kept_unreadable) {
    files_failed_.fetch_add(1, std::memory_order_relaxed);
    MutexLock lock(&failures_mu_);
    failures_.emplace_back(std::move(path), std::move(reason));
  }
  const int64_t known_elsewhere = plan.known_elsewhere;
  // Largest files first, mixed with the smallest (BalancedOrder): the workers finish
  // together, and the writer's share of the work (small files are mostly rows) is
  // spread over the run instead of piling up at its end. The index does not depend on
  // the order.
  {
    std::vector<uint64_t> sizes;
    sizes.reserve(tasks_.size());
    for (const auto& t : tasks_) sizes.push_back(t.size);
    std::vector<FileEntry> ordered;
    ordered.reserve(tasks_.size());
    for (size_t i : BalancedOrder(sizes)) ordered.push_back(std::move(tasks_[i]));
    tasks_ = std::move(ordered);
  }
  GroupByUnit();
  stages_[kPlan].Add(Clock::now() - t0, files_seen_);
  return store_->SetFilesKnown(files_seen_ + known_elsewhere);
}

std::unique_ptr<FileWork> IndexRun::ProcessFile(const FileEntry& entry, Chunker& chunker,
                                                int worker) {
  auto t0 = Clock::now();
  const int64_t c0 = ThreadCpuNanos();
  auto work = std::make_unique<FileWork>();
  FileRecord& rec = work->write.file;
  rec.path = entry.path;
  rec.language = entry.language;
  rec.size = entry.size;
  rec.mtime_ns = entry.mtime_ns;
  rec.inode = entry.inode;
  rec.status = FileStatus::kIndexed;
  uint64_t max_bytes = static_cast<uint64_t>(opts_.indexing.max_file_size_kb) * 1024;
  Result<std::string> data = ReadFile(entry.abs_path, max_bytes + 1);
  auto t1 = Clock::now();
  int64_t c1 = ThreadCpuNanos();
  stages_[kRead].Add(t1 - t0, 1, c1 - c0);
  auto finish = [&](FileStatus status, std::string error) {
    rec.status = status;
    rec.error = std::move(error);
    work->write.chunks.clear();
    // Nothing left to embed: the embed service would index chunks that are gone.
    work->need_vectors.clear();
    work->embed_texts.clear();
    return std::move(work);
  };
  if (!data.ok()) return finish(FileStatus::kFailed, "unreadable: " + data.status().message());
  const std::string& text = *data;
  rec.size = text.size();
  rec.content_hash = HashHex(text);
  if (!units_.empty()) {
    work->unit = WorkUnitOf(entry.path, store_->WorkUnits());
    // Another process sharing the work has indexed this very content since the plan.
    const GitFileInfo* g = GitInfo(entry.path);
    std::string stored = StoredElsewhere(entry.path);
    if (!stored.empty() && stored == rec.content_hash + "\n" + (g ? g->commit : std::string())) {
      work->elsewhere = true;
      files_elsewhere_.fetch_add(1, std::memory_order_relaxed);
      return finish(FileStatus::kIndexed, "");
    }
  }
  if (text.size() > max_bytes) return finish(FileStatus::kSkipped, "too_large");
  if (LooksBinary(std::string_view(text).substr(0, 8192))) return finish(FileStatus::kSkipped, "binary");
  // Discovery named the language from the file name alone; a C++ header is known by its
  // content (as `trawl files` and `trawl chunk`, which read it, see it).
  if (rec.language == "c" && IsCppHeader(entry.path, text)) rec.language = "cpp";

  Result<ChunkedFile> chunked = chunker.ChunkFile(entry.path, text, rec.language, &stop_);
  auto t2 = Clock::now();
  int64_t c2 = ThreadCpuNanos();
  stages_[kChunk].Add(t2 - t1, 1, c2 - c1);
  if (!chunked.ok()) {
    if (chunked.status().code() == StatusCode::kCancelled) return nullptr;
    return finish(FileStatus::kFailed, chunked.status().message());
  }
  if (const GitFileInfo* g = GitInfo(entry.path)) {
    rec.git_commit = g->commit;
    rec.git_author = g->author;
    rec.git_time = g->time;
    rec.git_commits = g->commits;
  }
  auto& chunks = work->write.chunks;
  chunks.reserve(chunked->chunks.size());
  work->embed_texts.reserve(chunked->chunks.size());
  for (auto& c : chunked->chunks) {
    ChunkRecord cr;
    cr.start_line = c.start_line;
    cr.end_line = c.end_line;
    cr.start_byte = c.start_byte;
    cr.end_byte = c.end_byte;
    cr.kind = std::move(c.kind);
    cr.symbol = std::move(c.symbol);
    cr.context = std::move(c.context);
    cr.content = std::move(c.content);
    std::string embed = EmbedText(entry.path, cr.context, cr.content);
    cr.content_hash = HashHex(embed);
    work->embed_texts.push_back(std::move(embed));
    work->need_vectors.push_back(static_cast<int>(chunks.size()));
    chunks.push_back(std::move(cr));
  }
  auto t3 = Clock::now();
  int64_t c3 = ThreadCpuNanos();
  if (!embedder_->IsRemote() && !work->need_vectors.empty()) {
    // A local embedder is CPU work: it runs here, on the worker, like parsing. Only
    // embedders that wait on the network go through the shared embed service.
    std::vector<std::string_view> texts(work->embed_texts.begin(), work->embed_texts.end());
    Result<std::vector<Vector>> vectors = embedder_->Embed(texts, &stop_);
    stages_[kEmbed].Add(Clock::now() - t3, static_cast<int64_t>(texts.size()), ThreadCpuNanos() - c3);
    if (!vectors.ok() && vectors.status().code() == StatusCode::kCancelled) return nullptr;
    if (!vectors.ok() || vectors->size() != chunks.size()) {
      return finish(FileStatus::kFailed, "embedding failed: " + (vectors.ok() ? std::string("wrong number of vectors")
                                                                   : vectors.status().message()));
    }
    for (size_t i = 0; i < chunks.size(); ++i) chunks[i].vector = std::move((*vectors)[i]);
    vectors_embedded_.fetch_add(static_cast<int64_t>(chunks.size()), std::memory_order_relaxed);
    work->need_vectors.clear();
    work->embed_texts.clear();
  }
  auto t4 = Clock::now();
  int64_t c4 = ThreadCpuNanos();
  // Index terms and the stored form of the vectors, computed here rather than on the
  // single writer.
  store_->Prepare(&work->write);
  int64_t c5 = ThreadCpuNanos();
  stages_[kEnrich].Add((t3 - t2) + (Clock::now() - t4), 1, (c3 - c2) + (c5 - c4));
  worker_counters_[worker]->files.fetch_add(1, std::memory_order_relaxed);
  worker_counters_[worker]->busy_ns.fetch_add(Nanos(Clock::now() - t0), std::memory_order_relaxed);
  worker_counters_[worker]->cpu_ns.fetch_add(c5 - c0, std::memory_order_relaxed);
  return work;
}

void IndexRun::GroupByUnit() {
  const int units = store_->WorkUnits();
  if (units <= 0 || tasks_.empty()) return;
  // Each process starts at its own unit, so that processes starting together begin on
  // different work; within a unit the balanced order stays.
  std::vector<std::vector<FileEntry>> by_unit(static_cast<size_t>(units));
  for (auto& t : tasks_) by_unit[static_cast<size_t>(WorkUnitOf(t.path, units))].push_back(std::move(t));
  tasks_.clear();
  const int first = static_cast<int>(Hash64(run_id_ + std::to_string(getpid())) % static_cast<uint64_t>(units));
  for (int i = 0; i < units; ++i) {
    int u = (first + i) % units;
    auto& files = by_unit[static_cast<size_t>(u)];
    if (files.empty()) continue;
    units_.push_back({u, tasks_.size(), tasks_.size() + files.size()});
    unit_queue_.push_back(units_.size() - 1);
    for (auto& f : files) tasks_.push_back(std::move(f));
  }
}

FileEntry* IndexRun::NextTask() {
  if (units_.empty()) return next_task_ < tasks_.size() ? &tasks_[next_task_++] : nullptr;
  for (;;) {
    if (current_unit_ >= 0) {
      const UnitRange& u = units_[static_cast<size_t>(current_unit_)];
      if (next_task_ < u.end) {
        MutexLock lock(&units_mu_);
        ++unit_progress_[u.unit].outstanding;
        return &tasks_[next_task_++];
      }
      current_unit_ = -1;
      UnitFed(u.unit);
    }
    if (unit_queue_.empty()) return nullptr;
    for (size_t i = 0; i < unit_queue_.size() && current_unit_ < 0; ++i) {
      const UnitRange& u = units_[unit_queue_[i]];
      std::vector<std::string> paths;
      for (size_t t = u.begin; t < u.end; ++t) paths.push_back(tasks_[t].path);
      Result<Store::UnitClaim> claim = store_->ClaimUnit(u.unit, paths);
      if (!claim.ok()) {
        Fail(claim.status().WithContext("claiming work"));
        return nullptr;
      }
      if (!claim->claimed) continue;
      {
        MutexLock lock(&units_mu_);
        for (const auto& f : claim->stored) {
          if (f.status == FileStatus::kIndexed) elsewhere_[f.path] = f.content_hash + "\n" + f.git_commit;
        }
      }
      current_unit_ = static_cast<int>(unit_queue_[i]);
      next_task_ = u.begin;
      unit_queue_.erase(unit_queue_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (current_unit_ >= 0) continue;
    // Every unit left is another process's for now: the pipeline ends here, so that
    // what this process has in flight gets written (and its units finished, which
    // another process may be waiting for), and RunCpuStage starts it again.
    units_waiting_ = true;
    return nullptr;
  }
}

std::string IndexRun::StoredElsewhere(const std::string& path) {
  MutexLock lock(&units_mu_);
  auto it = elsewhere_.find(path);
  return it == elsewhere_.end() ? std::string() : it->second;
}

void IndexRun::UnitFed(int unit) {
  int64_t own = 0;
  {
    MutexLock lock(&units_mu_);
    UnitProgress& p = unit_progress_[unit];
    p.fed = true;
    if (p.outstanding > 0) return;
    own = p.own;
  }
  (void)store_->FinishUnit(unit, own);  // not finishing only delays others: the claim lapses
}

void IndexRun::UnitFileDone(int unit, bool own_work) {
  int64_t own = 0;
  {
    MutexLock lock(&units_mu_);
    UnitProgress& p = unit_progress_[unit];
    --p.outstanding;
    if (own_work) ++p.own;
    if (!p.fed || p.outstanding > 0) return;
    own = p.own;
  }
  (void)store_->FinishUnit(unit, own);
}

void IndexRun::RunCpuStage() {
  std::vector<std::unique_ptr<Chunker>> chunkers;
  ChunkOptions copts = ChunkOptionsFor(opts_);
  for (int i = 0; i < workers_; ++i) chunkers.push_back(std::make_unique<Chunker>(copts));

  // The pipeline runs on oneTBB worker threads only (this thread waits), at a lower
  // priority than the writer: when both want a core, the writer, the stage that bounds
  // the run, gets it, and the workers take what is left instead of time-slicing with it
  // (linux drivers/net/ethernet on 2 cores: 5% faster, four runs side by side). The niceness stays with those
  // pool threads, which only ever run indexing work in trawl.
  tbb::global_control pool(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(workers_) + 1);
  tbb::task_arena arena(workers_, /*reserved_for_masters=*/0);
  std::latch finished(1);
  auto lower_priority = [] {
    thread_local bool lowered = false;
    if (lowered) return;
    lowered = true;
    errno = 0;
    int now = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    if (errno == 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), std::min(now + kWorkerNice, 19));
  };
  arena.enqueue([&] {
    try {
    // Shared work: the pipeline runs again, after a pause, while units other processes
    // hold remain (a crashed process's claims lapse).
    for (bool again = true; again;) {
    units_waiting_ = false;
    tbb::parallel_pipeline(
        static_cast<size_t>(workers_) * 4,
        tbb::make_filter<void, FileEntry*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> FileEntry* {
              FileEntry* e = Stopping() ? nullptr : NextTask();
              if (e == nullptr) {
                fc.stop();
                return nullptr;
              }
              // Text, chunks and vectors: about three times the file.
              if (!budget_.Acquire(static_cast<int64_t>(e->size) * 3 + 4096)) {
                fc.stop();
                return nullptr;
              }
              return e;
            }) &
            tbb::make_filter<FileEntry*, FileWork*>(
                tbb::filter_mode::parallel,
                [&](FileEntry* e) -> FileWork* {
                  lower_priority();
                  int worker = std::clamp(tbb::this_task_arena::current_thread_index(), 0, workers_ - 1);
                  std::unique_ptr<FileWork> w = ProcessFile(*e, *chunkers[worker], worker);
                  int64_t cost = static_cast<int64_t>(e->size) * 3 + 4096;
                  if (!w) {
                    budget_.Release(cost);
                    return nullptr;
                  }
                  w->budget_bytes = cost;
                  return w.release();
                }) &
            tbb::make_filter<FileWork*, void>(tbb::filter_mode::serial_out_of_order,
                                              [&](FileWork* w) {
                                                if (w == nullptr) return;
                                                // Cancelled: the file goes on unaccounted (complete files are written).
                                                if (writer_backlog_.Acquire(w->budget_bytes)) w->backlog_bytes = w->budget_bytes;
                                                embed_in_.Push(std::unique_ptr<FileWork>(w));
                                              }));
    again = units_waiting_ && !Stopping();
    for (int i = 0; again && i < 5 && !Stopping(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    } catch (const std::exception& e) {
      Fail(Status::Internal(std::string("indexing worker: ") + e.what()));
    }
    finished.count_down();
  });
  finished.wait();
}

// Gathers chunks from every file into batches of embeddings.batch_size (and of
// embeddings.max_batch_tokens estimated tokens); a partial batch leaves when no
// file arrived for a moment, so the tail of a run is not held back.
void IndexRun::EmbedBatcher() {
  const size_t max_items = static_cast<size_t>(opts_.embeddings.batch_size);
  const size_t max_tokens = static_cast<size_t>(opts_.embeddings.max_batch_tokens);
  EmbedBatch batch;
  size_t tokens = 0;
  auto dispatch = [&] {
    if (batch.items.empty()) return;
    batches_.Push(std::move(batch));
    batch = EmbedBatch{};
    tokens = 0;
  };
  for (;;) {
    std::optional<std::unique_ptr<FileWork>> in = embed_in_.PopFor(std::chrono::milliseconds(20));
    if (!in) {
      if (embed_in_.closed()) break;
      dispatch();
      continue;
    }
    std::unique_ptr<FileWork> file = std::move(*in);
    if (cache_ != nullptr && !file->need_vectors.empty()) DropCachedChunks(file.get());
    if (file->need_vectors.empty()) {
      PushWrite(std::move(file));
      continue;
    }
    // Count this file's batches before any can finish: one per batch it lands in.
    FileWork* raw = file.release();
    // Dry run of the loop below: how many batches will carry this file's chunks.
    int batches = 0;
    size_t items = batch.items.size(), tok = tokens;
    bool in_current = false;
    for (int idx : raw->need_vectors) {
      size_t t = raw->embed_texts[static_cast<size_t>(idx)].size() / 4 + 1;
      if (items > 0 && (items >= max_items || tok + t > max_tokens)) {
        items = 0;
        tok = 0;
        in_current = false;
      }
      if (!in_current) {
        ++batches;
        in_current = true;
      }
      ++items;
      tok += t;
    }
    raw->pending.store(batches);
    for (int idx : raw->need_vectors) {
      size_t t = raw->embed_texts[static_cast<size_t>(idx)].size() / 4 + 1;
      if (!batch.items.empty() && (batch.items.size() >= max_items || tokens + t > max_tokens)) dispatch();
      batch.items.push_back({raw, idx});
      tokens += t;
    }
    if (batch.items.size() >= max_items) dispatch();
  }
  dispatch();
  batches_.Close();
}

// Chunks whose vector the index already holds (same text, same embedder) need no
// request: renamed, copied and unchanged code costs nothing.
void IndexRun::DropCachedChunks(FileWork* file) {
  std::vector<std::string> hashes;
  hashes.reserve(file->need_vectors.size());
  for (int idx : file->need_vectors) hashes.push_back(file->write.chunks[static_cast<size_t>(idx)].content_hash);
  Result<std::unordered_map<std::string, std::vector<float>>> found = cache_->LookupVectors(hashes);
  if (!found.ok() || found->empty()) return;
  std::vector<int> still;
  for (int idx : file->need_vectors) {
    auto& chunk = file->write.chunks[static_cast<size_t>(idx)];
    auto it = found->find(chunk.content_hash);
    if (it == found->end()) {
      still.push_back(idx);
    } else {
      chunk.vector = it->second;
      vectors_cached_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  file->need_vectors = std::move(still);
}

void IndexRun::FinishEmbedItem(FileWork* file) {
  if (file->pending.fetch_sub(1) == 1) PushWrite(std::unique_ptr<FileWork>(file));
}

void IndexRun::EmbedExecutor() {
  while (std::optional<EmbedBatch> batch = batches_.Pop()) {
    std::vector<std::string_view> texts;
    texts.reserve(batch->items.size());
    for (const auto& it : batch->items) texts.push_back(it.file->embed_texts[static_cast<size_t>(it.chunk)]);
    auto t0 = Clock::now();
    const int64_t c0 = ThreadCpuNanos();
    Result<std::vector<Vector>> vectors = Stopping() ? Result<std::vector<Vector>>(Status::Cancelled("stopping"))
                                                     : embedder_->Embed(texts, &stop_);
    stages_[kEmbed].Add(Clock::now() - t0, static_cast<int64_t>(texts.size()), ThreadCpuNanos() - c0);
    embed_requests_.fetch_add(1, std::memory_order_relaxed);
    // FileWork::pending counts batches; this batch may hold several chunks of a file.
    std::vector<FileWork*> touched;
    if (vectors.ok() && vectors->size() == texts.size()) {
      vectors_embedded_.fetch_add(static_cast<int64_t>(texts.size()), std::memory_order_relaxed);
      for (size_t i = 0; i < texts.size(); ++i) {
        const EmbedItem& it = batch->items[i];
        it.file->write.chunks[static_cast<size_t>(it.chunk)].vector = std::move((*vectors)[i]);
        if (touched.empty() || touched.back() != it.file) touched.push_back(it.file);
      }
    } else {
      Status st = vectors.ok() ? Status::Internal("embedder returned a wrong number of vectors")
                               : vectors.status();
      if (st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kFailedPrecondition) {
        Fail(st);  // a fault of the whole run, not of these files
      }
      for (const auto& it : batch->items) {
        {
          MutexLock lock(&it.file->mu);
          if (it.file->embed_error.empty()) it.file->embed_error = "embedding failed: " + st.message();
        }
        if (touched.empty() || touched.back() != it.file) touched.push_back(it.file);
      }
    }
    for (FileWork* f : touched) FinishEmbedItem(f);
  }
}

Status IndexRun::StageFile(FileWork* w) {
  auto t0 = Clock::now();
  const int64_t c0 = ThreadCpuNanos();
  std::string embed_error;
  {
    MutexLock lock(&w->mu);
    embed_error = w->embed_error;
  }
  if (!embed_error.empty()) {
    w->write.file.status = FileStatus::kFailed;
    w->write.file.error = embed_error;
    w->write.chunks.clear();
  }
  Status st;
  if (!w->elsewhere) {
    store_->Prepare(&w->write);  // encodes vectors that arrived from the embed service
    st = store_->Stage(w->write);
  }
  // The rows are in the store's transaction now: the file's memory goes back at once.
  w->staged_chunks = w->write.chunks.size();
  std::vector<ChunkRecord>().swap(w->write.chunks);
  std::vector<std::string>().swap(w->embed_texts);
  ReleaseBudgets(w);
  stages_[kWrite].Add(Clock::now() - t0, 1, ThreadCpuNanos() - c0);
  return st.ok() ? st : st.WithContext("writing the index");
}

Status IndexRun::CommitPending(int partition, std::vector<std::unique_ptr<FileWork>>* pending,
                               std::vector<std::string>* deletes) {
  if (pending->empty() && deletes->empty()) return Status::Ok();
  auto t0 = Clock::now();
  const int64_t c0 = ThreadCpuNanos();
  Status st = store_->CommitPartition(partition, *deletes);
  stages_[kWrite].Add(Clock::now() - t0, 0, ThreadCpuNanos() - c0);
  if (!st.ok()) return st.WithContext("writing the index");
  deletes->clear();
  for (const auto& w : *pending) {
    const FileRecord& f = w->write.file;
    files_done_.fetch_add(1, std::memory_order_relaxed);
    bytes_done_.fetch_add(static_cast<int64_t>(f.size), std::memory_order_relaxed);
    if (w->unit >= 0) UnitFileDone(w->unit, !w->elsewhere);
    if (w->elsewhere) continue;
    if (f.status == FileStatus::kIndexed) {
      files_indexed_.fetch_add(1, std::memory_order_relaxed);
      chunks_.fetch_add(static_cast<int64_t>(w->staged_chunks), std::memory_order_relaxed);
      bytes_.fetch_add(static_cast<int64_t>(f.size), std::memory_order_relaxed);
    } else if (f.status == FileStatus::kSkipped) {
      files_skipped_.fetch_add(1, std::memory_order_relaxed);
    } else {
      files_failed_.fetch_add(1, std::memory_order_relaxed);
      {
        MutexLock lock(&failures_mu_);
        if (failures_.size() < 100) failures_.emplace_back(f.path, f.error);
      }
      IndexProgress ev = Snapshot("file_failed");
      ev.path = f.path;
      ev.error = f.error;
      Emit(ev);
    }
  }
  pending->clear();
  return Status::Ok();
}

void IndexRun::Writer(int partition) {
  // Each file is written into its partition's open transaction as it arrives (the
  // writers' work overlaps the workers', and no commit ends the run with a backlog);
  // the transaction commits after `worker_batch_size` files or `commit_interval_ms`.
  WorkQueue<std::unique_ptr<FileWork>>& in = *write_in_[static_cast<size_t>(partition)];
  std::vector<std::unique_ptr<FileWork>> pending;
  std::vector<std::string> deletes;
  for (const auto& d : deletes_) {
    if (store_->PartitionOf(d) == partition) deletes.push_back(d);
  }
  const auto interval = std::chrono::milliseconds(opts_.indexing.commit_interval_ms);
  const size_t max_files = static_cast<size_t>(opts_.indexing.worker_batch_size);
  Clock::time_point first = Clock::now();
  bool failed = false;
  for (;;) {
    auto wait = pending.empty() ? interval : std::max<Clock::duration>(first + interval - Clock::now(), Clock::duration(0));
    std::optional<std::unique_ptr<FileWork>> w = in.PopFor(wait);
    bool closed = !w && in.closed();
    if (w) {
      if (failed) {
        ReleaseBudgets(w->get());
        continue;
      }
      Status st = StageFile(w->get());
      if (!st.ok()) {
        Fail(st);  // the store rolled back what was staged: the next run redoes it
        failed = true;
        pending.clear();
        continue;
      }
      if (pending.empty()) first = Clock::now();
      pending.push_back(std::move(*w));
    }
    bool due = !pending.empty() && (pending.size() >= max_files || Clock::now() - first >= interval);
    if (!failed && (due || closed || (!deletes.empty() && pending.empty()))) {
      Status st = CommitPending(partition, &pending, &deletes);
      if (!st.ok()) {
        Fail(st);
        failed = true;
        pending.clear();
      }
    }
    if (closed) break;
  }
  RecordThread("writer-" + std::to_string(partition));
}

void IndexRun::Emit(const IndexProgress& p) {
  if (!req_.on_progress) return;
  MutexLock lock(&emit_mu_);
  req_.on_progress(p);
}

IndexProgress IndexRun::Snapshot(const char* event) {
  IndexProgress p;
  p.event = event;
  p.run_id = run_id_;
  p.files_total = static_cast<int64_t>(tasks_.size());
  p.files_done = files_done_.load();
  p.files_unchanged = files_unchanged_;
  p.files_elsewhere = files_elsewhere_.load();
  p.files_deleted = static_cast<int64_t>(deletes_.size());
  p.chunks = chunks_.load();
  p.bytes = bytes_.load();
  p.errors = files_failed_.load();
  p.elapsed_s = Seconds(Clock::now() - started_);
  double cpu_elapsed = cpu_started_ == Clock::time_point{} ? 0 : Seconds(Clock::now() - cpu_started_);
  if (cpu_elapsed > 0) {
    p.files_per_s = static_cast<double>(p.files_done) / cpu_elapsed;
    p.mb_per_s = static_cast<double>(bytes_done_.load()) / cpu_elapsed / 1e6;
    int64_t left = bytes_total_ - bytes_done_.load();
    double rate = static_cast<double>(bytes_done_.load()) / cpu_elapsed;
    if (rate > 0 && p.files_done > 0) p.eta_s = static_cast<double>(std::max<int64_t>(left, 0)) / rate;
  }
  p.stage = cpu_started_ == Clock::time_point{} ? "discover" : "index";
  if (cpu_started_ != Clock::time_point{}) {
    p.bottleneck = BusiestStage();
    for (const auto& w : worker_counters_) p.worker_files.push_back(w->files.load(std::memory_order_relaxed));
  }
  if (embedder_) p.throttled = embedder_->ThrottleState();
  return p;
}

int IndexRun::StageThreads(int stage) const {
  const int threads[kNumStages] = {workers_, 1, workers_, workers_, workers_, embed_threads_, partitions_, partitions_};
  return threads[stage];
}

std::string IndexRun::BusiestStage() const {
  // The streaming stage whose threads were busiest; the CPU workers' three stages count
  // as one (they run on the same threads).
  double worst = -1;
  std::string name;
  for (int i = kRead; i <= kWrite; ++i) {
    double util = static_cast<double>(stages_[i].busy_ns.load()) / 1e9 / StageThreads(i);
    if (i <= kEnrich) {
      util = static_cast<double>(stages_[kRead].busy_ns + stages_[kChunk].busy_ns + stages_[kEnrich].busy_ns) / 1e9 / workers_;
    }
    if (util > worst) {
      worst = util;
      name = i <= kEnrich ? "read+chunk (CPU workers)" : kStageNames[i];
    }
  }
  return name;
}

void IndexRun::Reporter() {
  MutexLock lock(&reporter_mu_);
  while (!reporter_done_) {
    reporter_cv_.WaitFor(&reporter_mu_, std::chrono::milliseconds(req_.progress_interval_ms));
    if (req_.cancel != nullptr && req_.cancel->load()) Stop();
    if (!reporter_done_) Emit(Snapshot("progress"));
  }
}

IndexSummary IndexRun::Summarize(const std::string& state) {
  IndexSummary s;
  s.run_id = run_id_;
  s.state = state;
  {
    MutexLock lock(&fatal_mu_);
    if (!fatal_.ok()) s.error = fatal_.message();
  }
  s.workers = workers_;
  s.files_seen = files_seen_;
  s.files_total = static_cast<int64_t>(tasks_.size());
  s.files_indexed = files_indexed_.load();
  s.files_unchanged = files_unchanged_;
  s.files_elsewhere = files_elsewhere_.load();
  s.files_deleted = static_cast<int64_t>(deletes_.size());
  s.files_failed = files_failed_.load();
  s.files_skipped = files_skipped_.load();
  s.chunks = chunks_.load();
  s.bytes = bytes_.load();
  s.vectors_embedded = vectors_embedded_.load();
  s.vectors_cached = vectors_cached_.load();
  s.embed_requests = embed_requests_.load();
  if (embedder_ && embedder_->IsRemote()) {
    Embedder::Counters c = embedder_->GetCounters();
    s.embed_requests = c.requests;
    s.embed_retries = c.retries;
    s.embed_throttled = c.throttled;
    s.embed_throttled_s = c.throttled_s;
    s.embed_truncated = c.truncated;
  }
  s.peak_inflight_bytes = budget_.peak();
  s.inflight_budget_bytes = budget_.capacity();
  s.elapsed_s = Seconds(Clock::now() - started_);
  double cpu_span = embed_finished_ > cpu_started_ ? Seconds(embed_finished_ - cpu_started_) : 0;
  for (int i = 0; i < kNumStages; ++i) {
    StageSummary st;
    st.name = kStageNames[i];
    st.busy_s = static_cast<double>(stages_[i].busy_ns.load()) / 1e9;
    st.cpu_s = static_cast<double>(stages_[i].cpu_ns.load()) / 1e9;
    st.items = stages_[i].items.load();
    st.threads = StageThreads(i);
    s.stages.push_back(st);
  }
  if (cpu_span > 0) s.bottleneck = BusiestStage();
  if (embed_finished_ > started_) s.workers_done_s = Seconds(embed_finished_ - started_);
  if (writer_finished_ > embed_finished_) s.writer_tail_s = Seconds(writer_finished_ - embed_finished_);
  if (cpu_span > 0) {
    s.embedder_busy_fraction = std::min(1.0, stages_[kEmbed].busy_ns.load() / 1e9 / embed_threads_ / cpu_span);
  }
  for (int i = 0; i < workers_; ++i) {
    const WorkerCounter& w = *worker_counters_[static_cast<size_t>(i)];
    s.worker_stats.push_back({i, w.files.load(), static_cast<double>(w.busy_ns.load()) / 1e9,
                              static_cast<double>(w.cpu_ns.load()) / 1e9});
  }
  {
    // Threads this run started and joined recorded themselves; the ones that outlive
    // it (the caller's, oneTBB's pool: workers, discovery) are measured by the kernel.
    MutexLock lock(&threads_mu_);
    s.threads = thread_cpu_;
  }
  for (const auto& [tid, ns] : TaskCpuNanos()) {
    auto it = tasks_at_start_.find(tid);
    int64_t used = ns - (it == tasks_at_start_.end() ? 0 : it->second);
    if (used <= 0) continue;
    s.threads.push_back({tid == static_cast<int>(::getpid()) ? std::string("main") : "pool-" + std::to_string(tid),
                         static_cast<double>(used) / 1e9});
  }
  MutexLock lock(&failures_mu_);
  s.failures = failures_;
  return s;
}

Result<IndexSummary> IndexRun::Run() {
  tasks_at_start_ = TaskCpuNanos();
  TRAWL_RETURN_IF_ERROR(Prepare());
  for (int i = 0; i < workers_; ++i) worker_counters_.push_back(std::make_unique<WorkerCounter>());
  Emit(Snapshot("started"));

  // Discovery, the git history walk and reading the stored file list run side by side
  // (on a cold cache the walk and the list each wait on the disk: linux's no-op re-run
  // spent 0.87 s walking, then 0.71 s listing).
  auto t0 = Clock::now();
  Result<std::vector<FileRecord>> stored = Status::Internal("the stored file list was not read");
  std::thread list_thread([&] {
    stored = store_->ListFiles();
    RecordThread("list");
  });
  std::thread git_thread;
  if (opts_.indexing.git_metadata) {
    git_thread = std::thread([&] {
      Result<GitHistory> h = GitHistory::Load(opts_.root, &stop_);
      // Not a repository, or an unreadable one: no enrichment, and not an error.
      if (h.ok()) history_.emplace(std::move(h).value());
      RecordThread("git");
    });
  }
  DiscoverOptions dopts;
  dopts.root = opts_.root;
  dopts.use_default_ignores = opts_.ignore.use_defaults;
  dopts.extra_patterns = opts_.ignore.patterns;
  dopts.require_git = opts_.ignore.require_git;
  dopts.max_file_size_bytes = static_cast<uint64_t>(opts_.indexing.max_file_size_kb) * 1024;
  dopts.follow_symlinks = opts_.indexing.follow_symlinks;
  // The walk mostly waits on the disk when the cache is cold: 8 threads however few
  // the workers (linux's cold no-op re-run 1.25-1.42 -> 1.10-1.18 s; warm unchanged).
  dopts.threads = std::max(workers_, 8);
  dopts.check_content = false;
  dopts.report_unreadable = true;
  dopts.exclude_dirs = {opts_.index_dir};
  if (!req_.paths.empty() && !req_.rebuild) {
    dopts.scope = req_.paths;
    scope_.emplace(req_.paths);
  }
  Result<std::vector<FileEntry>> found = Discover(dopts, &stop_);
  if (git_thread.joinable()) git_thread.join();
  list_thread.join();
  stages_[kDiscover].Add(Clock::now() - t0, found.ok() ? static_cast<int64_t>(found->size()) : 0);
  Status st = !found.ok() ? found.status()
              : !stored.ok() ? stored.status()
                             : Plan(std::move(found).value(), std::move(stored).value());
  if (!st.ok()) return st;

  // The reporter starts once the plan is fixed: it reads what Plan wrote, and the
  // stages' thread counts.
  embed_threads_ = std::max(1, opts_.embeddings.max_parallel_batches);
  cpu_started_ = Clock::now();  // before the reporter thread exists: no race
  std::thread reporter([this] {
    Reporter();
    RecordThread("reporter");
  });
  auto stop_reporter = [&] {
    {
      MutexLock lock(&reporter_mu_);
      reporter_done_ = true;
    }
    reporter_cv_.NotifyAll();
    reporter.join();
  };

  // The streaming stages.
  std::vector<std::thread> writers;
  for (int p = 0; p < partitions_; ++p) writers.emplace_back([this, p] { Writer(p); });
  std::thread batcher([this] {
    EmbedBatcher();
    RecordThread("embed-batcher");
  });
  std::vector<std::thread> executors;
  for (int i = 0; i < embed_threads_; ++i) {
    executors.emplace_back([this, i] {
      EmbedExecutor();
      RecordThread("embed-" + std::to_string(i));
    });
  }
  RunCpuStage();
  embed_in_.Close();
  batcher.join();
  for (auto& t : executors) t.join();
  embed_finished_ = Clock::now();
  for (auto& q : write_in_) q->Close();
  for (auto& t : writers) t.join();
  writer_finished_ = Clock::now();

  bool cancelled = Stopping();
  Status fatal;
  {
    MutexLock lock(&fatal_mu_);
    fatal = fatal_;
  }
  if (fatal.ok()) {
    auto tv = Clock::now();
    const int64_t cv = ProcessCpuNanos();  // its helper threads too; nothing else runs now
    Status cp = store_->Checkpoint();
    stages_[kVectorIndex].Add(Clock::now() - tv, 1, ProcessCpuNanos() - cv);
    if (!cp.ok()) {
      MutexLock lock(&fatal_mu_);
      fatal_ = cp;
      fatal = cp;
    }
  }
  if (fatal.ok() && !cancelled) {
    // A rebuild becomes the index only now, complete.
    Status published = store_->Publish();
    if (!published.ok()) {
      MutexLock lock(&fatal_mu_);
      fatal_ = published;
      fatal = published;
    }
  }
  stop_reporter();
  std::string state = !fatal.ok() ? "failed" : (cancelled ? "cancelled" : "finished");
  IndexSummary summary = Summarize(state);
  RunRecord rec;
  rec.id = run_id_;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  rec.finished_at = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  rec.started_at = rec.finished_at - static_cast<int64_t>(summary.elapsed_s);
  rec.state = state;
  rec.summary_json = summary.ToJson();
  (void)store_->SaveRun(rec);  // history only: a failure here loses nothing indexed
  IndexProgress fin = Snapshot("finished");
  fin.stage = "done";
  fin.eta_s = 0;
  Emit(fin);
  return summary;
}

}  // namespace

Result<IndexSummary> RunIndex(const IndexRequest& request) {
  IndexRun run(request);
  return run.Run();
}

}  // namespace trawl
