// The figures of an indexing run: the counters the stages add to as they go, and the
// functions that turn them into progress and the summary (time per stage, the busiest
// stage, rates, when the workers and the writers finished, CPU per thread).
// Thread-safety: RunCounters' counters are atomics and ThreadLog locks: safe from any
// thread. The functions are pure.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "trawl/index.h"

namespace trawl {

enum class Stage { kDiscover, kPlan, kRead, kChunk, kEnrich, kEmbed, kWrite, kVectorIndex };
constexpr int kNumStages = 8;

// Its name in the summary ("vector_index").
const char* StageName(Stage stage);

struct StageCounter {
  std::atomic<int64_t> busy_ns{0};  // wall time, summed over the stage's threads
  std::atomic<int64_t> cpu_ns{0};
  std::atomic<int64_t> items{0};
  void Add(std::chrono::steady_clock::duration busy, int64_t n = 1, int64_t cpu = 0);
};

struct WorkerCounter {
  std::atomic<int64_t> files{0};
  std::atomic<int64_t> busy_ns{0};
  std::atomic<int64_t> cpu_ns{0};
};

// The threads each stage's time is shared by.
struct StageThreads {
  int workers = 1;     // the CPU workers: discover, read, chunk, enrich
  int embed = 1;       // the embed executors
  int partitions = 1;  // the writers: write, vector_index
  int Of(Stage stage) const;
};

// Busy wall time per stage (indexed by Stage), read at one moment.
using StageBusy = std::array<int64_t, kNumStages>;

// The streaming stage (read to write) whose threads have been busiest: its busy time per
// thread. Read, chunk and enrich run on the same threads, the CPU workers, and count as
// one stage, "read+chunk (CPU workers)"; a tie goes to the earlier stage.
std::string BusiestStage(const StageBusy& busy_ns, const StageThreads& threads);

// What the stages count while the run goes on.
struct RunCounters {
  explicit RunCounters(int workers) : workers(static_cast<size_t>(workers)) {}

  StageCounter& stage(Stage s) { return stages[static_cast<size_t>(s)]; }
  StageBusy Busy() const;
  std::vector<StageSummary> StageSummaries(const StageThreads& threads) const;
  std::vector<WorkerSummary> WorkerSummaries() const;
  std::vector<int64_t> WorkerFiles() const;

  std::array<StageCounter, kNumStages> stages;
  std::vector<WorkerCounter> workers;  // one per CPU worker slot
  std::atomic<int64_t> files_done{0}, files_indexed{0}, files_failed{0}, files_skipped{0}, files_elsewhere{0};
  std::atomic<int64_t> chunks{0}, bytes{0}, bytes_done{0}, vectors_embedded{0}, vectors_cached{0},
      embed_requests{0};
};

// Files and megabytes per second over the `elapsed_s` since the CPU stage started, and
// the time left at that rate, into `p` (which holds files_done). Nothing before the
// stage started (elapsed_s 0); no estimate before the first file is done.
void SetRates(int64_t bytes_done, int64_t bytes_total, double elapsed_s, IndexProgress* p);

// When the stages of a run began and ended (a zero time_point: not yet).
struct RunTimes {
  std::chrono::steady_clock::time_point started, cpu_started, embed_finished, writer_finished;
};

// The summary's figures of time and work per stage and worker: stages, worker_stats,
// elapsed_s (to `now`), bottleneck, workers_done_s, writer_tail_s, embedder_busy_fraction.
void SummarizeStages(const RunCounters& counters, const StageThreads& threads, const RunTimes& times,
                     std::chrono::steady_clock::time_point now, IndexSummary* s);

// The CPU each thread used between `before` and `after` (thread id -> CPU ns, as
// TaskCpuNanos reads them), for the threads that used any: "main" for the process's
// own thread (`main_tid`), "pool-<tid>" for the others.
std::vector<ThreadSummary> ThreadsSince(const std::unordered_map<int, int64_t>& before,
                                        const std::unordered_map<int, int64_t>& after, int main_tid);

// The threads a run started and ended, each with the CPU it used.
class ThreadLog {
 public:
  // Called by the thread itself, as it ends.
  void Record(std::string name) EXCLUDES(mu_);
  std::vector<ThreadSummary> threads() EXCLUDES(mu_);

 private:
  Mutex mu_;
  std::vector<ThreadSummary> threads_ GUARDED_BY(mu_);
};

}  // namespace trawl
