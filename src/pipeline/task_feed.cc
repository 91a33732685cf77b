#include "pipeline/task_feed.h"

#include <unistd.h>

#include "base/hash.h"

namespace trawl {

std::vector<UnitRange> GroupByUnit(std::vector<FileEntry>* tasks, int units, int first) {
  std::vector<UnitRange> ranges;
  if (units <= 0 || tasks->empty()) return ranges;
  std::vector<std::vector<FileEntry>> by_unit(static_cast<size_t>(units));
  for (auto& t : *tasks) by_unit[static_cast<size_t>(WorkUnitOf(t.path, units))].push_back(std::move(t));
  tasks->clear();
  for (int i = 0; i < units; ++i) {
    int u = (first + i) % units;
    auto& files = by_unit[static_cast<size_t>(u)];
    if (files.empty()) continue;
    ranges.push_back({u, tasks->size(), tasks->size() + files.size()});
    for (auto& f : files) tasks->push_back(std::move(f));
  }
  return ranges;
}

TaskFeed::TaskFeed(Store& store, std::vector<FileEntry> tasks, const std::string& run_id)
    : store_(store), tasks_(std::move(tasks)) {
  const int units = store_.WorkUnits();
  if (units <= 0 || tasks_.empty()) return;
  const int first = static_cast<int>(Hash64(run_id + std::to_string(getpid())) % static_cast<uint64_t>(units));
  units_ = GroupByUnit(&tasks_, units, first);
  for (size_t i = 0; i < units_.size(); ++i) unit_queue_.push_back(i);
}

Result<FileEntry*> TaskFeed::Next() {
  waiting_ = false;
  if (units_.empty()) return next_ < tasks_.size() ? &tasks_[next_++] : nullptr;
  for (;;) {
    if (current_unit_ >= 0) {
      const UnitRange& u = units_[static_cast<size_t>(current_unit_)];
      if (next_ < u.end) {
        MutexLock lock(&mu_);
        ++progress_[u.unit].outstanding;
        return &tasks_[next_++];
      }
      current_unit_ = -1;
      UnitFed(u.unit);
    }
    if (unit_queue_.empty()) return nullptr;
    for (size_t i = 0; i < unit_queue_.size() && current_unit_ < 0; ++i) {
      const UnitRange& u = units_[unit_queue_[i]];
      std::vector<std::string> paths;
      for (size_t t = u.begin; t < u.end; ++t) paths.push_back(tasks_[t].path);
      Result<Store::UnitClaim> claim = store_.ClaimUnit(u.unit, paths);
      if (!claim.ok()) return claim.status().WithContext("claiming work");
      if (!claim->claimed) continue;
      {
        MutexLock lock(&mu_);
        for (const auto& f : claim->stored) {
          if (f.status == FileStatus::kIndexed) elsewhere_[f.path] = f.content_hash + "\n" + f.git_commit;
        }
      }
      current_unit_ = static_cast<int>(unit_queue_[i]);
      next_ = u.begin;
      unit_queue_.erase(unit_queue_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (current_unit_ >= 0) continue;
    waiting_ = true;
    return nullptr;
  }
}

std::string TaskFeed::StoredElsewhere(const std::string& path) {
  MutexLock lock(&mu_);
  auto it = elsewhere_.find(path);
  return it == elsewhere_.end() ? std::string() : it->second;
}

void TaskFeed::UnitFed(int unit) {
  int64_t own = 0;
  {
    MutexLock lock(&mu_);
    UnitProgress& p = progress_[unit];
    p.fed = true;
    if (p.outstanding > 0) return;
    own = p.own;
  }
  (void)store_.FinishUnit(unit, own);  // not finishing only delays others: the claim lapses
}

void TaskFeed::FileDone(int unit, bool own_work) {
  int64_t own = 0;
  {
    MutexLock lock(&mu_);
    UnitProgress& p = progress_[unit];
    --p.outstanding;
    if (own_work) ++p.own;
    if (!p.fed || p.outstanding > 0) return;
    own = p.own;
  }
  (void)store_.FinishUnit(unit, own);
}

}  // namespace trawl
