// The CPU stage of an indexing run: a oneTBB parallel_pipeline in an arena of `workers`
// threads that turns each file the TaskFeed hands out into a FileWork: read -> hash ->
// binary/size -> chunk -> enrich (git fields) [-> embed, local embedders] -> Prepare.
// Thread-safety: Run is called once, from one thread; ProcessFile from any number of
// workers at once, each with its own Chunker.
#pragma once

#include <memory>

#include "chunk/chunker.h"
#include "embed/embedder.h"
#include "enrich/git_history.h"
#include "pipeline/file_work.h"
#include "pipeline/run_control.h"
#include "pipeline/run_stats.h"
#include "pipeline/task_feed.h"
#include "pipeline/work_queue.h"
#include "store/store.h"
#include "trawl/options.h"

namespace trawl {

class CpuStage {
 public:
  // `history` may be null (no git metadata). Everything must outlive the stage.
  CpuStage(const Options& options, Store& store, Embedder& embedder, const GitHistory* history,
           TaskFeed& feed, RunControl& control, RunCounters& counters);

  // Processes the feed's files on `workers` threads (niced below the writers) until the
  // feed has none left or the run stops. A file takes its share of `budgets.inflight`
  // before it is read and of `budgets.writer_backlog` once it is done (waiting while
  // the writers are behind), then goes to `out`. A fault of the stage fails the run.
  void Run(int workers, FileBudgets& budgets, WorkQueue<std::unique_ptr<FileWork>>& out);

  // One file, by CPU worker slot `worker`: its record and chunks, failed or skipped with
  // the reason, or, when another process indexed it meanwhile, marked `elsewhere`.
  // nullptr when the run was cancelled during it.
  std::unique_ptr<FileWork> ProcessFile(const FileEntry& entry, Chunker& chunker, int worker);

 private:
  const GitFileInfo* GitInfo(std::string_view path) const { return history_ ? history_->Find(path) : nullptr; }

  const Options& opts_;
  Store& store_;
  Embedder& embedder_;
  const GitHistory* const history_;
  TaskFeed& feed_;
  RunControl& control_;
  RunCounters& counters_;
};

// A file's share of the in-flight budget: its text, chunks and vectors, about three
// times the file.
inline int64_t InflightCost(uint64_t file_size) { return static_cast<int64_t>(file_size) * 3 + 4096; }

}  // namespace trawl
