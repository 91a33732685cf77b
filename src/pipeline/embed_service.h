// The embed service of an indexing run (remote embedders): a batcher thread gathers the
// chunks that still need a vector from every file into batches, executor threads send
// them, and a file goes on to its writer when its last batch is back. Before asking the
// network, chunks are looked up by content hash in the index (renamed, copied and
// unchanged code costs no request).
// Thread-safety: RunBatcher on one thread, RunExecutor on any number; the rest pure.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "embed/embedder.h"
#include "pipeline/file_work.h"
#include "pipeline/run_control.h"
#include "pipeline/run_stats.h"
#include "pipeline/work_queue.h"
#include "store/store.h"

namespace trawl {

// The bounds of one request: embeddings.batch_size and embeddings.max_batch_tokens.
struct BatchLimits {
  size_t max_items = 64;
  size_t max_tokens = 8192;
};

// What the embedder is estimated to count as tokens in `text`: about four bytes each.
inline size_t EstimatedTokens(std::string_view text) { return text.size() / 4 + 1; }

// What the batch being filled holds.
struct BatchFill {
  size_t items = 0;
  size_t tokens = 0;
};

// Where items go when they are appended, in order, to an open batch holding `open`:
// an item that would take the batch past either limit starts a new one (an item alone
// over max_tokens still goes, alone).
struct BatchPlan {
  std::vector<size_t> breaks;  // the items (indexes into `tokens`) that start a new batch
  int batches = 0;             // the batches that carry any of the items
  BatchFill fill;              // what the last batch holds after them
  bool full = false;           // the last batch holds max_items: it leaves at once
};
BatchPlan PlanBatches(BatchFill open, const std::vector<size_t>& tokens, const BatchLimits& limits);

class EmbedService {
 public:
  // `cache` (may be null): a read connection to look vectors up by content hash.
  // `done` takes each file once its chunks all have a vector or it failed.
  EmbedService(Embedder& embedder, Store* cache, BatchLimits limits, RunControl& control, RunCounters& counters,
               std::function<void(std::unique_ptr<FileWork>)> done);

  // Gathers the files of `in` into batches until `in` is closed and empty; a partial
  // batch leaves when no file arrived for a moment, so the tail of a run is not held
  // back. Files with nothing to embed go straight on. Closes the executors' queue.
  void RunBatcher(WorkQueue<std::unique_ptr<FileWork>>& in);
  // Sends batches until the batcher is done. A batch that fails fails its files; one
  // refused for good (bad key, wrong model) fails the run.
  void RunExecutor();

 private:
  struct Item {
    FileWork* file;
    int chunk;
  };
  struct Batch {
    std::vector<Item> items;
  };
  // Drops from `file->need_vectors` the chunks whose vector the index holds already.
  void DropCachedChunks(FileWork* file);
  // One of `file`'s batches is back.
  void FinishBatchOf(FileWork* file);

  Embedder& embedder_;
  Store* const cache_;
  const BatchLimits limits_;
  RunControl& control_;
  RunCounters& counters_;
  const std::function<void(std::unique_ptr<FileWork>)> done_;
  WorkQueue<Batch> batches_;
};

}  // namespace trawl
