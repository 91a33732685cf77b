#include "pipeline/partition_writer.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/cpu_time.h"

namespace trawl {

using Clock = std::chrono::steady_clock;

PartitionWriter::PartitionWriter(Store& store, int partition, const std::vector<std::string>& deletes,
                                 CommitPolicy policy, FileBudgets& budgets, RunControl& control,
                                 StageCounter& write_stage, std::function<void(const CommittedFiles&)> committed)
    : store_(store), partition_(partition), policy_(policy), budgets_(budgets), control_(control),
      write_stage_(write_stage), committed_(std::move(committed)) {
  for (const auto& d : deletes) {
    if (store_.PartitionOf(d) == partition_) deletes_.push_back(d);
  }
}

Status PartitionWriter::StageFile(FileWork* w) {
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
    store_.Prepare(&w->write);  // encodes vectors that arrived from the embed service
    st = store_.Stage(w->write);
  }
  // The rows are in the store's transaction now: the file's memory goes back at once.
  w->staged_chunks = w->write.chunks.size();
  std::vector<ChunkRecord>().swap(w->write.chunks);
  std::vector<std::string>().swap(w->embed_texts);
  budgets_.Release(w);
  write_stage_.Add(Clock::now() - t0, 1, ThreadCpuNanos() - c0);
  return st.ok() ? st : st.WithContext("writing the index");
}

Status PartitionWriter::CommitPending() {
  if (pending_.empty() && deletes_.empty()) return Status::Ok();
  auto t0 = Clock::now();
  const int64_t c0 = ThreadCpuNanos();
  Status st = store_.CommitPartition(partition_, deletes_);
  write_stage_.Add(Clock::now() - t0, 0, ThreadCpuNanos() - c0);
  if (!st.ok()) return st.WithContext("writing the index");
  deletes_.clear();
  committed_(pending_);
  pending_.clear();
  return Status::Ok();
}

void PartitionWriter::Run(WorkQueue<std::unique_ptr<FileWork>>& in) {
  Clock::time_point first = Clock::now();
  bool failed = false;
  for (;;) {
    auto wait = pending_.empty() ? Clock::duration(policy_.interval)
                                 : std::max<Clock::duration>(first + policy_.interval - Clock::now(), Clock::duration(0));
    std::optional<std::unique_ptr<FileWork>> w = in.PopFor(wait);
    bool closed = !w && in.closed();
    if (w) {
      if (failed) {
        budgets_.Release(w->get());
        continue;
      }
      Status st = StageFile(w->get());
      if (!st.ok()) {
        control_.Fail(st);  // the store rolled back what was staged: the next run redoes it
        failed = true;
        pending_.clear();
        continue;
      }
      if (pending_.empty()) first = Clock::now();
      pending_.push_back(std::move(*w));
    }
    bool due = !pending_.empty() && (pending_.size() >= policy_.max_files || Clock::now() - first >= policy_.interval);
    if (!failed && (due || closed || (!deletes_.empty() && pending_.empty()))) {
      Status st = CommitPending();
      if (!st.ok()) {
        control_.Fail(st);
        failed = true;
        pending_.clear();
      }
    }
    if (closed) break;
  }
}

}  // namespace trawl
