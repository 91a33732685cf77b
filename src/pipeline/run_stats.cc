#include "pipeline/run_stats.h"

#include <algorithm>

#include "base/cpu_time.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double NanosToSeconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

constexpr const char* kStageNames[kNumStages] = {"discover", "plan", "read", "chunk",
                                                 "enrich", "embed", "write", "vector_index"};

size_t Index(Stage s) { return static_cast<size_t>(s); }

}  // namespace

const char* StageName(Stage stage) { return kStageNames[Index(stage)]; }

void StageCounter::Add(Clock::duration busy, int64_t n, int64_t cpu) {
  busy_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(busy).count(), std::memory_order_relaxed);
  cpu_ns.fetch_add(cpu, std::memory_order_relaxed);
  items.fetch_add(n, std::memory_order_relaxed);
}

int StageThreads::Of(Stage stage) const {
  switch (stage) {
    case Stage::kPlan:
      return 1;
    case Stage::kEmbed:
      return embed;
    case Stage::kWrite:
    case Stage::kVectorIndex:
      return partitions;
    case Stage::kDiscover:
    case Stage::kRead:
    case Stage::kChunk:
    case Stage::kEnrich:
      return workers;
  }
  return 1;
}

std::string BusiestStage(const StageBusy& busy_ns, const StageThreads& threads) {
  const int64_t cpu_workers_ns = busy_ns[Index(Stage::kRead)] + busy_ns[Index(Stage::kChunk)] +
                                 busy_ns[Index(Stage::kEnrich)];
  double worst = -1;
  std::string name;
  for (Stage s : {Stage::kRead, Stage::kChunk, Stage::kEnrich, Stage::kEmbed, Stage::kWrite}) {
    const bool cpu_workers = s <= Stage::kEnrich;
    const double per_thread = cpu_workers ? NanosToSeconds(cpu_workers_ns) / threads.workers
                                          : NanosToSeconds(busy_ns[Index(s)]) / threads.Of(s);
    if (per_thread > worst) {
      worst = per_thread;
      name = cpu_workers ? "read+chunk (CPU workers)" : StageName(s);
    }
  }
  return name;
}

StageBusy RunCounters::Busy() const {
  StageBusy busy{};
  for (size_t i = 0; i < busy.size(); ++i) busy[i] = stages[i].busy_ns.load();
  return busy;
}

std::vector<StageSummary> RunCounters::StageSummaries(const StageThreads& threads) const {
  std::vector<StageSummary> out;
  for (int i = 0; i < kNumStages; ++i) {
    const StageCounter& c = stages[static_cast<size_t>(i)];
    StageSummary st;
    st.name = StageName(static_cast<Stage>(i));
    st.busy_s = NanosToSeconds(c.busy_ns.load());
    st.cpu_s = NanosToSeconds(c.cpu_ns.load());
    st.items = c.items.load();
    st.threads = threads.Of(static_cast<Stage>(i));
    out.push_back(st);
  }
  return out;
}

std::vector<WorkerSummary> RunCounters::WorkerSummaries() const {
  std::vector<WorkerSummary> out;
  for (size_t i = 0; i < workers.size(); ++i) {
    const WorkerCounter& w = workers[i];
    out.push_back({static_cast<int>(i), w.files.load(), NanosToSeconds(w.busy_ns.load()),
                   NanosToSeconds(w.cpu_ns.load())});
  }
  return out;
}

std::vector<int64_t> RunCounters::WorkerFiles() const {
  std::vector<int64_t> out;
  for (const auto& w : workers) out.push_back(w.files.load(std::memory_order_relaxed));
  return out;
}

void SetRates(int64_t bytes_done, int64_t bytes_total, double elapsed_s, IndexProgress* p) {
  if (elapsed_s <= 0) return;
  p->files_per_s = static_cast<double>(p->files_done) / elapsed_s;
  p->mb_per_s = static_cast<double>(bytes_done) / elapsed_s / 1e6;
  const double rate = static_cast<double>(bytes_done) / elapsed_s;
  if (rate > 0 && p->files_done > 0) {
    p->eta_s = static_cast<double>(std::max<int64_t>(bytes_total - bytes_done, 0)) / rate;
  }
}

void SummarizeStages(const RunCounters& counters, const StageThreads& threads, const RunTimes& times,
                     Clock::time_point now, IndexSummary* s) {
  s->elapsed_s = Seconds(now - times.started);
  const double cpu_span =
      times.embed_finished > times.cpu_started ? Seconds(times.embed_finished - times.cpu_started) : 0;
  s->stages = counters.StageSummaries(threads);
  if (cpu_span > 0) s->bottleneck = BusiestStage(counters.Busy(), threads);
  if (times.embed_finished > times.started) s->workers_done_s = Seconds(times.embed_finished - times.started);
  if (times.writer_finished > times.embed_finished) {
    s->writer_tail_s = Seconds(times.writer_finished - times.embed_finished);
  }
  if (cpu_span > 0) {
    const int64_t embed_ns = counters.stages[Index(Stage::kEmbed)].busy_ns.load();
    s->embedder_busy_fraction = std::min(1.0, static_cast<double>(embed_ns) / 1e9 / threads.embed / cpu_span);
  }
  s->worker_stats = counters.WorkerSummaries();
}

std::vector<ThreadSummary> ThreadsSince(const std::unordered_map<int, int64_t>& before,
                                        const std::unordered_map<int, int64_t>& after, int main_tid) {
  std::vector<ThreadSummary> out;
  for (const auto& [tid, ns] : after) {
    auto it = before.find(tid);
    const int64_t used = ns - (it == before.end() ? 0 : it->second);
    if (used <= 0) continue;
    out.push_back({tid == main_tid ? std::string("main") : "pool-" + std::to_string(tid), NanosToSeconds(used)});
  }
  return out;
}

void ThreadLog::Record(std::string name) {
  const double cpu = NanosToSeconds(ThreadCpuNanos());
  MutexLock lock(&mu_);
  threads_.push_back({std::move(name), cpu});
}

std::vector<ThreadSummary> ThreadLog::threads() {
  MutexLock lock(&mu_);
  return threads_;
}

}  // namespace trawl
