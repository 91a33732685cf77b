// A writer of an indexing run: one thread per write partition of the store
// (Store::WritePartitions). Each finished file is written into the partition's open
// transaction as it arrives (Store::Stage), and its budgets go back at once; the
// transaction commits (Store::CommitPartition) after `max_files` files or `interval`,
// with the partition's deletes in the first commit.
// Thread-safety: Run on one thread per partition.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/file_work.h"
#include "pipeline/run_control.h"
#include "pipeline/run_stats.h"
#include "pipeline/work_queue.h"
#include "store/store.h"

namespace trawl {

// When a writer commits: indexing.worker_batch_size and indexing.commit_interval_ms.
struct CommitPolicy {
  size_t max_files = 100;
  std::chrono::milliseconds interval{1000};
};

// The files of one transaction, once it committed.
using CommittedFiles = std::vector<std::unique_ptr<FileWork>>;

class PartitionWriter {
 public:
  // `deletes`: the run's paths gone from the tree (the partition's are deleted here).
  // `committed` is called on this writer's thread after each commit.
  PartitionWriter(Store& store, int partition, const std::vector<std::string>& deletes, CommitPolicy policy,
                  FileBudgets& budgets, RunControl& control, StageCounter& write_stage,
                  std::function<void(const CommittedFiles&)> committed);

  // Writes the files of `in` until it is closed and empty. A failed write or commit
  // fails the run (the store rolled back what was staged: the next run redoes it);
  // files arriving after it only give their budgets back.
  void Run(WorkQueue<std::unique_ptr<FileWork>>& in);

 private:
  // Writes a finished file into the store's open transaction and gives its memory back.
  Status StageFile(FileWork* w);
  Status CommitPending();

  Store& store_;
  const int partition_;
  const CommitPolicy policy_;
  FileBudgets& budgets_;
  RunControl& control_;
  StageCounter& write_stage_;
  const std::function<void(const CommittedFiles&)> committed_;
  CommittedFiles pending_;  // staged in the open transaction
  std::vector<std::string> deletes_;
};

}  // namespace trawl
