// TaskFeed: the files of a run, handed to the CPU stage one at a time. In order; or,
// when the store shares the work between processes (Store::WorkUnits), unit by unit:
// a unit's files are handed out only once this process has claimed it, and the unit is
// finished once every one of them is committed.
// Thread-safety: Next is for the CPU stage's serial input filter only (one thread at a
// time); StoredElsewhere and FileDone are safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "discover/discover.h"
#include "store/store.h"
#include "trawl/status.h"

namespace trawl {

// A run of consecutive tasks that belong to one unit of shared work.
struct UnitRange {
  int unit;
  size_t begin, end;  // its tasks: [begin, end)
};

// Regroups `tasks` into runs of one unit each (WorkUnitOf, `units` > 0), the units in
// turn from `first` on (so that processes starting together begin on different work),
// each unit's files in their order in `tasks`. Units without a file have no run.
std::vector<UnitRange> GroupByUnit(std::vector<FileEntry>* tasks, int units, int first);

class TaskFeed {
 public:
  // `tasks` in the order to process them. When `store` shares the work, they are
  // regrouped by unit, starting at a unit chosen from `run_id` and the process.
  TaskFeed(Store& store, std::vector<FileEntry> tasks, const std::string& run_id);
  TaskFeed(const TaskFeed&) = delete;
  TaskFeed& operator=(const TaskFeed&) = delete;

  // The next file to process, or nullptr when there is none for now: every file was
  // handed out, or (see Waiting) every unit left is held by another process. Errors:
  // claiming a unit failed (a fault of the whole run).
  Result<FileEntry*> Next();
  // The last Next() returned nullptr because other processes hold every unit left:
  // the caller lets what it has in flight be committed (which finishes its units,
  // another process may wait for them), then asks again.
  bool Waiting() const { return waiting_; }

  size_t size() const { return tasks_.size(); }
  bool shared() const { return !units_.empty(); }
  // The content hash and git commit ("hash\ncommit") the store held for `path` when its
  // unit was claimed, when another process wrote it; "" otherwise.
  std::string StoredElsewhere(const std::string& path) EXCLUDES(mu_);
  // A file of unit `unit` is committed (`own_work`: written by this process, not found
  // done elsewhere).
  void FileDone(int unit, bool own_work) EXCLUDES(mu_);

 private:
  struct UnitProgress {
    int64_t outstanding = 0;  // handed out, not yet committed
    int64_t own = 0;          // files this process wrote
    bool fed = false;         // every file handed out
  };
  // Every file of `unit` has been handed out.
  void UnitFed(int unit) EXCLUDES(mu_);

  Store& store_;
  std::vector<FileEntry> tasks_;
  size_t next_ = 0;                // Next's position in tasks_
  std::vector<UnitRange> units_;   // empty: the work is not shared
  std::vector<size_t> unit_queue_; // units_ not claimed yet, in the order to try them
  int current_unit_ = -1;          // index in units_ of the unit being handed out
  bool waiting_ = false;

  Mutex mu_;
  std::unordered_map<int, UnitProgress> progress_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::string> elsewhere_ GUARDED_BY(mu_);
};

}  // namespace trawl
