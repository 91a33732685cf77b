// ReindexService: keeps an index up to date while a process runs (`trawl watch`,
// `trawl serve`). Changes come from a TreeWatcher (inotify), from callers (the HTTP
// API's POST /v1/changes, git hooks) or as explicit run requests; they are debounced
// (watch.debounce_ms of quiet), coalesced (a path changed ten times is one entry) and
// handled in batches by one incremental RunIndex each: the same code path as
// `trawl index`, where an unchanged file costs one stat and ignore files are
// re-evaluated on every run. One run at a time; changes arriving during a run make
// the next batch.
// Thread-safety: every public method is safe from any thread. Callbacks are called
// from the service's threads (never under its lock): on_event from the run thread, the
// pipeline's reporter thread and the watcher thread; on_run_finished from the run
// thread, before the next run starts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/mutex.h"
#include "trawl/index.h"
#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

class TreeWatcher;

// One run of the service, as GET /v1/runs/{id} shows it.
struct ReindexRun {
  std::string id;            // "r1", "r2", ... (the service's; known before the run starts)
  std::string trigger;       // "startup", "watch", "changes", "api", "rescan"
  RunState state = RunState::kQueued;
  std::string index_run_id;  // the pipeline's run id, once started
  int64_t changed_paths = 0; // distinct paths the batch was made of
  bool whole_tree = true;    // walked the whole tree (else only the changed paths)
  double queued_at = 0;      // unix seconds
  double started_at = 0;
  double finished_at = 0;
  std::string error;
  std::optional<IndexProgress> progress;  // the last one while running
  int64_t progress_updates = 0;
  std::optional<IndexSummary> summary;    // when done
  bool done() const { return state != RunState::kQueued && state != RunState::kRunning; }
  nlohmann::ordered_json JsonValue() const;
  std::string ToJson() const;  // JsonValue(), printed
};

struct ReindexStats {
  int64_t pending_paths = 0;  // queued for the next run
  bool run_queued = false;
  bool running = false;
  int64_t runs_finished = 0, runs_failed = 0, runs_cancelled = 0;
  int64_t files_indexed = 0, files_deleted = 0, files_failed = 0, chunks = 0;  // summed over runs
  int64_t embed_requests = 0, embed_retries = 0;
  double run_seconds = 0;       // summed
  double last_run_seconds = 0;
  int64_t watch_events = 0;     // paths reported by the watcher
  int64_t watch_rescans = 0;
  int64_t watched_dirs = 0;
};

class ReindexService {
 public:
  using EventSink = std::function<void(const std::string& type, const std::string& json)>;

  struct Config {
    Options options;
    bool watch = false;           // follow the tree with inotify
    bool index_at_start = false;  // queue a run at once (no debounce)
    int progress_interval_ms = 100;
    // A steady stream of changes still gets a run at least this often.
    int max_delay_ms = 2000;
    // Events: "run_started", "progress" (IndexProgress JSON), "run_finished",
    // "files_reindexed" (docs/api.md). May be null.
    EventSink on_event;
    std::function<void(const ReindexRun&)> on_run_finished;  // may be null
  };

  // Starts the run thread and, with config.watch, the watcher (its watches are in
  // place when Start returns, so no change after it is missed).
  static Result<std::unique_ptr<ReindexService>> Start(Config config);
  ~ReindexService();  // Stop()
  ReindexService(const ReindexService&) = delete;
  ReindexService& operator=(const ReindexService&) = delete;

  // Queues paths (relative to the root) for the next run, debounced. Returns the id
  // of the run that will pick them up.
  std::string QueueChanges(const std::vector<std::string>& paths, const std::string& trigger);

  // Asks for a run now (no debounce). Returns {true, id of the queued run}, or
  // {false, id of the running run} when one is running.
  std::pair<bool, std::string> RequestRun(const std::string& trigger);

  // Queues a run now (no debounce), after the running one if there is one (then every
  // change made before this call is in it). Returns its id.
  std::string RequestRunNext(const std::string& trigger);

  // Cancels run `id`: a running run stops (what is complete is committed: state
  // "cancelled"), a queued one is dropped (its changes go to the next run). False when
  // the run is neither running nor queued.
  bool CancelRun(const std::string& id);

  // Waits until run `id` has ended, its progress has changed, or `timeout` passes; the
  // run as it is then (nullopt: no such run).
  std::optional<ReindexRun> WaitRun(const std::string& id, std::chrono::milliseconds timeout) const;

  std::optional<ReindexRun> GetRun(const std::string& id) const;  // by service or pipeline id
  std::vector<ReindexRun> RecentRuns() const;                    // newest first
  ReindexStats Stats() const;
  const Options& options() const { return config_.options; }

  // Blocks until no run is queued or running, or `timeout` passes. True when idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

  // Cancels a running run (it commits what is complete), stops the threads, waits.
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;
  explicit ReindexService(Config config);
  void RunLoop();
  void WatchLoop();
  void Emit(const std::string& type, const std::string& json);
  ReindexRun* FindLocked(const std::string& id) REQUIRES(mu_);
  std::string QueueLocked(const std::vector<std::string>& paths, const std::string& trigger) REQUIRES(mu_);
  void RefreshSkippedDirs();
  // `paths`: what changed; `whole`: walk the whole tree (a rescan, an ignore file
  // changed, a run asked for by hand, too many paths), else only `paths`.
  void ExecuteRun(const std::string& id, std::vector<std::string> paths, bool whole);

  const Config config_;
  // The running run's cancel flag: set by Stop() and CancelRun(), cleared (under mu_)
  // as each run starts unless stopping.
  std::atomic<bool> cancel_{false};
  std::unique_ptr<TreeWatcher> watcher_;  // used by the watch thread only (after Start)
  // Ignored directories (relative): not watched. Read by the watcher's callback on the
  // watch thread, replaced by the same thread.
  std::unordered_set<std::string> skipped_dirs_;

  mutable Mutex mu_;
  CondVar cv_;      // the run thread: new work, stop
  mutable CondVar idle_cv_; // WaitIdle, WaitRun: a run ended
  bool stopping_ GUARDED_BY(mu_) = false;
  std::unordered_set<std::string> pending_ GUARDED_BY(mu_);
  // The next run walks the whole tree (see ExecuteRun), whatever pending_ holds.
  bool whole_next_ GUARDED_BY(mu_) = true;
  std::string queued_id_ GUARDED_BY(mu_);     // the next run's id, "" when nothing is queued
  bool run_now_ GUARDED_BY(mu_) = false;      // skip the debounce
  Clock::time_point first_change_ GUARDED_BY(mu_);
  Clock::time_point last_change_ GUARDED_BY(mu_);
  Clock::time_point not_before_ GUARDED_BY(mu_);  // retry delay after a busy index
  std::string running_id_ GUARDED_BY(mu_);
  int64_t next_id_ GUARDED_BY(mu_) = 1;
  std::deque<ReindexRun> runs_ GUARDED_BY(mu_);  // newest last; bounded
  ReindexStats stats_ GUARDED_BY(mu_);

  std::thread run_thread_;
  std::thread watch_thread_;
  std::atomic<bool> watch_stop_{false};
};

}  // namespace trawl
