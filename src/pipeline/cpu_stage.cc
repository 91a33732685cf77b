#include "pipeline/cpu_stage.h"

#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <latch>
#include <thread>

#include "base/cpu_time.h"
#include "base/file_util.h"
#include "base/hash.h"
#include "discover/discover.h"
#include "pipeline/chunk_options.h"
#include "pipeline/embed_text.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

// How much nicer than the writers the CPU workers run (see CpuStage::Run).
constexpr int kWorkerNice = 5;

int64_t Nanos(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

}  // namespace

CpuStage::CpuStage(const Options& options, Store& store, Embedder& embedder, const GitHistory* history,
                   TaskFeed& feed, RunControl& control, RunCounters& counters)
    : opts_(options), store_(store), embedder_(embedder), history_(history), feed_(feed), control_(control),
      counters_(counters) {}

std::unique_ptr<FileWork> CpuStage::ProcessFile(const FileEntry& entry, Chunker& chunker, int worker) {
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
  counters_.stage(Stage::kRead).Add(t1 - t0, 1, c1 - c0);
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
  if (feed_.shared()) {
    work->unit = WorkUnitOf(entry.path, store_.WorkUnits());
    // Another process sharing the work has indexed this very content since the plan.
    const GitFileInfo* g = GitInfo(entry.path);
    std::string stored = feed_.StoredElsewhere(entry.path);
    if (!stored.empty() && stored == rec.content_hash + "\n" + (g ? g->commit : std::string())) {
      work->elsewhere = true;
      counters_.files_elsewhere.fetch_add(1, std::memory_order_relaxed);
      return finish(FileStatus::kIndexed, "");
    }
  }
  if (text.size() > max_bytes) return finish(FileStatus::kSkipped, "too_large");
  if (LooksBinary(std::string_view(text).substr(0, 8192))) return finish(FileStatus::kSkipped, "binary");
  // Discovery named the language from the file name alone; a C++ header is known by its
  // content (as `trawl files` and `trawl chunk`, which read it, see it).
  if (rec.language == "c" && IsCppHeader(entry.path, text)) rec.language = "cpp";

  Result<ChunkedFile> chunked = chunker.ChunkFile(entry.path, text, rec.language, control_.stop_flag());
  auto t2 = Clock::now();
  int64_t c2 = ThreadCpuNanos();
  counters_.stage(Stage::kChunk).Add(t2 - t1, 1, c2 - c1);
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
    ChunkRecord cr{std::move(c.span())};
    std::string embed = EmbedText(entry.path, cr.context, cr.content);
    cr.content_hash = HashHex(embed);
    work->embed_texts.push_back(std::move(embed));
    work->need_vectors.push_back(static_cast<int>(chunks.size()));
    chunks.push_back(std::move(cr));
  }
  auto t3 = Clock::now();
  int64_t c3 = ThreadCpuNanos();
  if (!embedder_.IsRemote() && !work->need_vectors.empty()) {
    // A local embedder is CPU work: it runs here, on the worker, like parsing. Only
    // embedders that wait on the network go through the shared embed service.
    std::vector<std::string_view> texts(work->embed_texts.begin(), work->embed_texts.end());
    Result<std::vector<Vector>> vectors = embedder_.Embed(texts, control_.stop_flag());
    counters_.stage(Stage::kEmbed).Add(Clock::now() - t3, static_cast<int64_t>(texts.size()), ThreadCpuNanos() - c3);
    if (!vectors.ok() && vectors.status().code() == StatusCode::kCancelled) return nullptr;
    if (!vectors.ok() || vectors->size() != chunks.size()) {
      return finish(FileStatus::kFailed, "embedding failed: " + (vectors.ok() ? std::string("wrong number of vectors")
                                                                   : vectors.status().message()));
    }
    for (size_t i = 0; i < chunks.size(); ++i) chunks[i].vector = std::move((*vectors)[i]);
    counters_.vectors_embedded.fetch_add(static_cast<int64_t>(chunks.size()), std::memory_order_relaxed);
    work->need_vectors.clear();
    work->embed_texts.clear();
  }
  auto t4 = Clock::now();
  int64_t c4 = ThreadCpuNanos();
  // Index terms and the stored form of the vectors, computed here rather than on the
  // writers.
  store_.Prepare(&work->write);
  int64_t c5 = ThreadCpuNanos();
  counters_.stage(Stage::kEnrich).Add((t3 - t2) + (Clock::now() - t4), 1, (c3 - c2) + (c5 - c4));
  WorkerCounter& w = counters_.workers[static_cast<size_t>(worker)];
  w.files.fetch_add(1, std::memory_order_relaxed);
  w.busy_ns.fetch_add(Nanos(Clock::now() - t0), std::memory_order_relaxed);
  w.cpu_ns.fetch_add(c5 - c0, std::memory_order_relaxed);
  return work;
}

void CpuStage::Run(int workers, FileBudgets& budgets, WorkQueue<std::unique_ptr<FileWork>>& out) {
  std::vector<std::unique_ptr<Chunker>> chunkers;
  ChunkOptions copts = ChunkOptionsFor(opts_);
  for (int i = 0; i < workers; ++i) chunkers.push_back(std::make_unique<Chunker>(copts));

  // The pipeline runs on oneTBB worker threads only (this thread waits), at a lower
  // priority than the writers: when both want a core, a writer, the stage that bounds
  // the run, gets it, and the workers take what is left instead of time-slicing with it
  // (linux drivers/net/ethernet on 2 cores: 5% faster, four runs side by side). The niceness stays with those
  // pool threads, which only ever run indexing work in trawl.
  tbb::global_control pool(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(workers) + 1);
  tbb::task_arena arena(workers, /*reserved_for_masters=*/0);
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
        tbb::parallel_pipeline(
            static_cast<size_t>(workers) * 4,
            tbb::make_filter<void, FileEntry*>(
                tbb::filter_mode::serial_in_order,
                [&](tbb::flow_control& fc) -> FileEntry* {
                  FileEntry* e = nullptr;
                  if (!control_.Stopping()) {
                    Result<FileEntry*> next = feed_.Next();
                    if (next.ok()) {
                      e = *next;
                    } else {
                      control_.Fail(next.status());
                    }
                  }
                  if (e == nullptr) {
                    fc.stop();
                    return nullptr;
                  }
                  if (!budgets.inflight.Acquire(InflightCost(e->size))) {
                    fc.stop();
                    return nullptr;
                  }
                  return e;
                }) &
                tbb::make_filter<FileEntry*, FileWork*>(
                    tbb::filter_mode::parallel,
                    [&](FileEntry* e) -> FileWork* {
                      lower_priority();
                      int worker = std::clamp(tbb::this_task_arena::current_thread_index(), 0, workers - 1);
                      std::unique_ptr<FileWork> w = ProcessFile(*e, *chunkers[static_cast<size_t>(worker)], worker);
                      int64_t cost = InflightCost(e->size);
                      if (!w) {
                        budgets.inflight.Release(cost);
                        return nullptr;
                      }
                      w->budget_bytes = cost;
                      return w.release();
                    }) &
                tbb::make_filter<FileWork*, void>(
                    tbb::filter_mode::serial_out_of_order, [&](FileWork* w) {
                      if (w == nullptr) return;
                      // Cancelled: the file goes on unaccounted (complete files are written).
                      if (budgets.writer_backlog.Acquire(w->budget_bytes)) w->backlog_bytes = w->budget_bytes;
                      out.Push(std::unique_ptr<FileWork>(w));
                    }));
        again = feed_.Waiting() && !control_.Stopping();
        for (int i = 0; again && i < 5 && !control_.Stopping(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    } catch (const std::exception& e) {
      control_.Fail(Status::Internal(std::string("indexing worker: ") + e.what()));
    }
    finished.count_down();
  });
  finished.wait();
}

}  // namespace trawl
