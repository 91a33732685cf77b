// The indexing run: what runs when, on which threads, and what it adds up to.
//   discover (parallel walk, its own workers) + git history (one thread) + the stored
//   file list (one thread), then the plan (plan.h), then the streaming stages, each in
//   a unit of its own: the CPU stage (cpu_stage.h: a oneTBB parallel_pipeline in an
//   arena of `workers` threads, fed by task_feed.h), the embed service (embed_service.h:
//   its own I/O threads, batching chunks from every file), one writer thread per write
//   partition (partition_writer.h); a reporter thread sends progress (run_stats.h).
// Memory: every file holds a share of one ByteBudget from the moment it is read
// until its rows are staged, so what is in flight never exceeds the budget.
// The same code runs for 1 and for N workers; only the arena size differs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/cpu_time.h"
#include "base/mutex.h"
#include "discover/discover.h"
#include "embed/embedder.h"
#include "enrich/git_history.h"
#include "pipeline/cpu_stage.h"
#include "pipeline/embed_service.h"
#include "pipeline/file_work.h"
#include "pipeline/partition_writer.h"
#include "pipeline/plan.h"
#include "pipeline/run_control.h"
#include "pipeline/run_stats.h"
#include "pipeline/schedule.h"
#include "pipeline/task_feed.h"
#include "pipeline/work_queue.h"
#include "store/store.h"
#include "trawl/index.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class IndexRun {
 public:
  explicit IndexRun(const IndexRequest& request)
      : req_(request), opts_(request.options), workers_(std::max(1, opts_.EffectiveWorkers())),
        budgets_(static_cast<int64_t>(opts_.indexing.max_inflight_mb) << 20), control_(request.cancel, &budgets_),
        counters_(workers_) {
    times_.started = Clock::now();
  }

  Result<IndexSummary> Run();

 private:
  Status Prepare();
  Status Plan(std::vector<FileEntry> found, std::vector<FileRecord> stored);
  // A writer committed `files`: what the run counts and reports of them.
  void Committed(const CommittedFiles& files) EXCLUDES(failures_mu_);
  // A file is ready for its partition's writer.
  void PushWrite(std::unique_ptr<FileWork> w) {
    write_in_[static_cast<size_t>(store_->PartitionOf(w->write.file.path))]->Push(std::move(w));
  }
  StageThreads Threads() const { return {workers_, embed_threads_, partitions_}; }
  void Reporter();
  void Emit(const IndexProgress& p) EXCLUDES(emit_mu_);
  IndexProgress Snapshot(const char* event);
  IndexSummary Summarize(RunState state) EXCLUDES(failures_mu_);

  const IndexRequest& req_;
  std::optional<PathScope> scope_;  // IndexRequest::paths, when given
  const Options& opts_;
  std::string run_id_;
  const int workers_;

  std::unique_ptr<Store> store_;
  int partitions_ = 1;  // the store's write partitions: one writer thread each
  std::unique_ptr<Store> cache_;  // read connection for vector lookups (remote embedders)
  std::unique_ptr<Embedder> embedder_;
  std::optional<GitHistory> history_;  // empty when git metadata is off or unavailable

  std::optional<TaskFeed> feed_;  // made by Plan
  std::vector<std::string> deletes_;
  int64_t files_seen_ = 0;
  int64_t files_unchanged_ = 0;
  int64_t bytes_total_ = 0;

  FileBudgets budgets_;
  RunControl control_;
  // The queues between the streaming stages: the CPU stage's finished files, and one
  // queue per write partition (its writer thread's).
  WorkQueue<std::unique_ptr<FileWork>> embed_in_;
  std::vector<std::unique_ptr<WorkQueue<std::unique_ptr<FileWork>>>> write_in_;

  RunCounters counters_;
  RunTimes times_;
  int embed_threads_ = 1;
  ThreadLog thread_log_;  // the threads this run started and ended
  std::unordered_map<int, int64_t> tasks_at_start_;  // CPU of the process's threads when the run began

  Mutex emit_mu_;
  Mutex failures_mu_;
  std::vector<std::pair<std::string, std::string>> failures_ GUARDED_BY(failures_mu_);
  Mutex reporter_mu_;
  CondVar reporter_cv_;
  bool reporter_done_ GUARDED_BY(reporter_mu_) = false;
};

Status IndexRun::Prepare() {
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
  rec.state = RunStateName(RunState::kRunning);
  return store_->SaveRun(rec);
}

Status IndexRun::Plan(std::vector<FileEntry> found, std::vector<FileRecord> stored) {
  auto t0 = Clock::now();
  PlanInput input;
  input.rebuild = req_.rebuild;
  input.scope = scope_ ? &*scope_ : nullptr;
  if (history_ && history_->in_repo()) {
    input.commit_of = [this](std::string_view path) {
      const GitFileInfo* g = history_->Find(path);
      return g ? g->commit : std::string();
    };
  }
  RunPlan plan = PlanRun(std::move(found), std::move(stored), input);
  files_seen_ = plan.files_seen;
  files_unchanged_ += plan.unchanged;
  bytes_total_ += plan.bytes;
  deletes_ = std::move(plan.deletes);
  for (auto& [path, reason] : plan.kept_unreadable) {
    counters_.files_failed.fetch_add(1, std::memory_order_relaxed);
    MutexLock lock(&failures_mu_);
    failures_.emplace_back(std::move(path), std::move(reason));
  }
  const int64_t known_elsewhere = plan.known_elsewhere;
  // Largest files first, mixed with the smallest (BalancedOrder): the workers finish
  // together, and the writers' share of the work (small files are mostly rows) is
  // spread over the run instead of piling up at its end. The index does not depend on
  // the order.
  std::vector<uint64_t> sizes;
  sizes.reserve(plan.tasks.size());
  for (const auto& t : plan.tasks) sizes.push_back(t.size);
  std::vector<FileEntry> ordered;
  ordered.reserve(plan.tasks.size());
  for (size_t i : BalancedOrder(sizes)) ordered.push_back(std::move(plan.tasks[i]));
  feed_.emplace(*store_, std::move(ordered), run_id_);
  counters_.stage(Stage::kPlan).Add(Clock::now() - t0, files_seen_);
  return store_->SetFilesKnown(files_seen_ + known_elsewhere);
}

void IndexRun::Committed(const CommittedFiles& files) {
  for (const auto& w : files) {
    const FileRecord& f = w->write.file;
    counters_.files_done.fetch_add(1, std::memory_order_relaxed);
    counters_.bytes_done.fetch_add(static_cast<int64_t>(f.size), std::memory_order_relaxed);
    if (w->unit >= 0) feed_->FileDone(w->unit, !w->elsewhere);
    if (w->elsewhere) continue;
    if (f.status == FileStatus::kIndexed) {
      counters_.files_indexed.fetch_add(1, std::memory_order_relaxed);
      counters_.chunks.fetch_add(static_cast<int64_t>(w->staged_chunks), std::memory_order_relaxed);
      counters_.bytes.fetch_add(static_cast<int64_t>(f.size), std::memory_order_relaxed);
    } else if (f.status == FileStatus::kSkipped) {
      counters_.files_skipped.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters_.files_failed.fetch_add(1, std::memory_order_relaxed);
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
  p.files_total = feed_ ? static_cast<int64_t>(feed_->size()) : 0;
  p.files_done = counters_.files_done.load();
  p.files_unchanged = files_unchanged_;
  p.files_elsewhere = counters_.files_elsewhere.load();
  p.files_deleted = static_cast<int64_t>(deletes_.size());
  p.chunks = counters_.chunks.load();
  p.bytes = counters_.bytes.load();
  p.errors = counters_.files_failed.load();
  p.elapsed_s = Seconds(Clock::now() - times_.started);
  const bool indexing = times_.cpu_started != Clock::time_point{};
  SetRates(counters_.bytes_done.load(), bytes_total_, indexing ? Seconds(Clock::now() - times_.cpu_started) : 0, &p);
  p.stage = indexing ? "index" : "discover";
  if (indexing) {
    p.bottleneck = BusiestStage(counters_.Busy(), Threads());
    p.worker_files = counters_.WorkerFiles();
  }
  if (embedder_) p.throttled = embedder_->ThrottleState();
  return p;
}

void IndexRun::Reporter() {
  MutexLock lock(&reporter_mu_);
  while (!reporter_done_) {
    reporter_cv_.WaitFor(&reporter_mu_, std::chrono::milliseconds(req_.progress_interval_ms));
    if (control_.Cancelled()) control_.Stop();
    if (!reporter_done_) Emit(Snapshot("progress"));
  }
}

IndexSummary IndexRun::Summarize(RunState state) {
  IndexSummary s;
  s.run_id = run_id_;
  s.state = state;
  if (Status fatal = control_.fatal(); !fatal.ok()) s.error = fatal.message();
  s.workers = workers_;
  s.files_seen = files_seen_;
  s.files_total = feed_ ? static_cast<int64_t>(feed_->size()) : 0;
  s.files_indexed = counters_.files_indexed.load();
  s.files_unchanged = files_unchanged_;
  s.files_elsewhere = counters_.files_elsewhere.load();
  s.files_deleted = static_cast<int64_t>(deletes_.size());
  s.files_failed = counters_.files_failed.load();
  s.files_skipped = counters_.files_skipped.load();
  s.chunks = counters_.chunks.load();
  s.bytes = counters_.bytes.load();
  s.vectors_embedded = counters_.vectors_embedded.load();
  s.vectors_cached = counters_.vectors_cached.load();
  s.embed_requests = counters_.embed_requests.load();
  if (embedder_ && embedder_->IsRemote()) {
    Embedder::Counters c = embedder_->GetCounters();
    s.embed_requests = c.requests;
    s.embed_retries = c.retries;
    s.embed_throttled = c.throttled;
    s.embed_throttled_s = c.throttled_s;
    s.embed_truncated = c.truncated;
  }
  s.peak_inflight_bytes = budgets_.inflight.peak();
  s.inflight_budget_bytes = budgets_.inflight.capacity();
  SummarizeStages(counters_, Threads(), times_, Clock::now(), &s);
  // Threads this run started and joined recorded themselves; the ones that outlive it
  // (the caller's, oneTBB's pool: workers, discovery) are measured by the kernel.
  s.threads = thread_log_.threads();
  for (ThreadSummary& t : ThreadsSince(tasks_at_start_, TaskCpuNanos(), static_cast<int>(::getpid()))) {
    s.threads.push_back(std::move(t));
  }
  MutexLock lock(&failures_mu_);
  s.failures = failures_;
  return s;
}

Result<IndexSummary> IndexRun::Run() {
  tasks_at_start_ = TaskCpuNanos();
  TRAWL_RETURN_IF_ERROR(Prepare());
  Emit(Snapshot("started"));

  // Discovery, the git history walk and reading the stored file list run side by side
  // (on a cold cache the walk and the list each wait on the disk: linux's no-op re-run
  // spent 0.87 s walking, then 0.71 s listing).
  auto t0 = Clock::now();
  Result<std::vector<FileRecord>> stored = Status::Internal("the stored file list was not read");
  std::thread list_thread([&] {
    stored = store_->ListFiles();
    thread_log_.Record("list");
  });
  std::thread git_thread;
  if (opts_.indexing.git_metadata) {
    git_thread = std::thread([&] {
      Result<GitHistory> h = GitHistory::Load(opts_.root, control_.stop_flag());
      // Not a repository, or an unreadable one: no enrichment, and not an error.
      if (h.ok()) history_.emplace(std::move(h).value());
      thread_log_.Record("git");
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
  Result<std::vector<FileEntry>> found = Discover(dopts, control_.stop_flag());
  if (git_thread.joinable()) git_thread.join();
  list_thread.join();
  counters_.stage(Stage::kDiscover).Add(Clock::now() - t0, found.ok() ? static_cast<int64_t>(found->size()) : 0);
  Status st = !found.ok() ? found.status()
              : !stored.ok() ? stored.status()
                             : Plan(std::move(found).value(), std::move(stored).value());
  if (!st.ok()) return st;

  // The reporter starts once the plan is fixed: it reads what Plan wrote, and the
  // stages' thread counts.
  embed_threads_ = std::max(1, opts_.embeddings.max_parallel_batches);
  times_.cpu_started = Clock::now();  // before the reporter thread exists: no race
  std::thread reporter([this] {
    Reporter();
    thread_log_.Record("reporter");
  });
  auto stop_reporter = [&] {
    {
      MutexLock lock(&reporter_mu_);
      reporter_done_ = true;
    }
    reporter_cv_.NotifyAll();
    reporter.join();
  };

  // The streaming stages, downstream first.
  CommitPolicy policy;
  policy.max_files = static_cast<size_t>(opts_.indexing.worker_batch_size);
  policy.interval = std::chrono::milliseconds(opts_.indexing.commit_interval_ms);
  std::vector<std::thread> writers;
  for (int p = 0; p < partitions_; ++p) {
    writers.emplace_back([this, p, policy] {
      PartitionWriter writer(*store_, p, deletes_, policy, budgets_, control_, counters_.stage(Stage::kWrite),
                             [this](const CommittedFiles& files) { Committed(files); });
      writer.Run(*write_in_[static_cast<size_t>(p)]);
      thread_log_.Record("writer-" + std::to_string(p));
    });
  }
  BatchLimits limits;
  limits.max_items = static_cast<size_t>(opts_.embeddings.batch_size);
  limits.max_tokens = static_cast<size_t>(opts_.embeddings.max_batch_tokens);
  EmbedService embed(*embedder_, cache_.get(), limits, control_, counters_,
                     [this](std::unique_ptr<FileWork> w) { PushWrite(std::move(w)); });
  std::thread batcher([this, &embed] {
    embed.RunBatcher(embed_in_);
    thread_log_.Record("embed-batcher");
  });
  std::vector<std::thread> executors;
  for (int i = 0; i < embed_threads_; ++i) {
    executors.emplace_back([this, &embed, i] {
      embed.RunExecutor();
      thread_log_.Record("embed-" + std::to_string(i));
    });
  }
  CpuStage cpu(opts_, *store_, *embedder_, history_ ? &*history_ : nullptr, *feed_, control_, counters_);
  cpu.Run(workers_, budgets_, embed_in_);
  embed_in_.Close();
  batcher.join();
  for (auto& t : executors) t.join();
  times_.embed_finished = Clock::now();
  for (auto& q : write_in_) q->Close();
  for (auto& t : writers) t.join();
  times_.writer_finished = Clock::now();

  bool cancelled = control_.Stopping();
  Status fatal = control_.fatal();
  if (fatal.ok()) {
    auto tv = Clock::now();
    const int64_t cv = ProcessCpuNanos();  // its helper threads too; nothing else runs now
    Status cp = store_->Checkpoint();
    counters_.stage(Stage::kVectorIndex).Add(Clock::now() - tv, 1, ProcessCpuNanos() - cv);
    if (!cp.ok()) {
      control_.SetFatal(cp);
      fatal = cp;
    }
  }
  if (fatal.ok() && !cancelled) {
    // A rebuild becomes the index only now, complete.
    Status published = store_->Publish();
    if (!published.ok()) {
      control_.SetFatal(published);
      fatal = published;
    }
  }
  stop_reporter();
  RunState state = !fatal.ok() ? RunState::kFailed : (cancelled ? RunState::kCancelled : RunState::kFinished);
  IndexSummary summary = Summarize(state);
  RunRecord rec;
  rec.id = run_id_;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  rec.finished_at = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  rec.started_at = rec.finished_at - static_cast<int64_t>(summary.elapsed_s);
  rec.state = RunStateName(state);
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
