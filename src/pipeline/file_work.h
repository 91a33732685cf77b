// FileWork: a file on its way from the CPU stage through the embed service to its
// partition's writer, and FileBudgets, the two bounds on bytes that it holds shares of.
// Thread-safety: a FileWork is owned by exactly one stage at a time; while its chunks
// are being embedded the embed service holds it and only `pending` and `embed_error`
// are touched from several threads. FileBudgets is safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "pipeline/byte_budget.h"
#include "store/store.h"

namespace trawl {

struct FileWork {
  FileWrite write;
  std::vector<std::string> embed_texts;  // per chunk, what the embedder sees
  std::vector<int> need_vectors;         // chunk indexes without a cached vector
  int64_t budget_bytes = 0;
  int64_t backlog_bytes = 0;             // its share of the writers' backlog bound
  size_t staged_chunks = 0;              // chunks written into the open transaction
  int unit = -1;                         // its unit of shared work (-1: not shared)
  bool elsewhere = false;                // another process indexed this content meanwhile: nothing to write
  std::atomic<int> pending{0};           // batches not yet back
  Mutex mu;
  std::string embed_error GUARDED_BY(mu);
};

// The writers' backlog is bounded by this share of the in-flight budget (32 MB of the
// default 256: about a second of a writer's work on C).
constexpr int64_t kWriterBacklogShare = 8;

struct FileBudgets {
  explicit FileBudgets(int64_t inflight_bytes)
      : inflight(inflight_bytes),
        writer_backlog(std::max<int64_t>(int64_t{1} << 20, inflight.capacity() / kWriterBacklogShare)) {}

  // A file leaves the pipeline: its shares of both budgets go back.
  void Release(FileWork* w) {
    inflight.Release(w->budget_bytes);
    w->budget_bytes = 0;
    writer_backlog.Release(w->backlog_bytes);
    w->backlog_bytes = 0;
  }
  // Nobody stays blocked on either budget (the run is stopping).
  void Cancel() {
    inflight.Cancel();
    writer_backlog.Cancel();
  }

  // Every file from before it is read until its rows are staged.
  ByteBudget inflight;
  // What the workers have finished and the writers not yet staged: when the writers fall
  // behind, the workers wait and leave them the cores, instead of building a backlog
  // they would work through alone at the end of the run.
  ByteBudget writer_backlog;
};

}  // namespace trawl
