#include "pipeline/plan.h"

#include <algorithm>

namespace trawl {

RunPlan PlanRun(std::vector<FileEntry> found, std::vector<FileRecord> stored, const PlanInput& input) {
  RunPlan plan;
  plan.files_seen = static_cast<int64_t>(found.size());
  // Both lists are sorted by path (byte order): one merge pass, no hashing (a no-op
  // run over linux's 78k files is mostly this and the walk).
  auto sort_by_path = [](auto& files) {
    auto less = [](const auto& a, const auto& b) { return a.path < b.path; };
    if (!std::is_sorted(files.begin(), files.end(), less)) std::sort(files.begin(), files.end(), less);
  };
  sort_by_path(found);
  sort_by_path(stored);
  // A run over some paths compares only what the index holds of them; the rest stays,
  // and still counts as known.
  if (input.scope != nullptr) {
    auto outside = std::remove_if(stored.begin(), stored.end(),
                                  [&](const FileRecord& r) { return !input.scope->Holds(r.path); });
    plan.known_elsewhere = static_cast<int64_t>(stored.end() - outside);
    stored.erase(outside, stored.end());
  }
  // What exists but cannot be read (a directory without permission): the files the
  // index knows beneath it are kept, not taken for deleted, and the run reports it.
  std::vector<const FileEntry*> unreadable;
  for (const auto& f : found) {
    if (f.skip == SkipReason::kUnreadable) unreadable.push_back(&f);
  }
  std::vector<int64_t> kept_under(unreadable.size(), 0);
  plan.files_seen -= static_cast<int64_t>(unreadable.size());
  auto drop_or_keep = [&](FileRecord& r) {
    // The last unreadable entry at or before the path is the only one that can hold it.
    auto it = std::upper_bound(unreadable.begin(), unreadable.end(), r.path,
                               [](const std::string& p, const FileEntry* e) { return p < e->path; });
    if (it != unreadable.begin()) {
      const std::string& u = (*(it - 1))->path;
      if (r.path == u || (u.back() == '/' && r.path.compare(0, u.size(), u) == 0)) {
        ++kept_under[static_cast<size_t>(it - 1 - unreadable.begin())];
        ++plan.unchanged;
        return;
      }
    }
    plan.deletes.push_back(std::move(r.path));
  };
  size_t s = 0;
  for (auto& f : found) {
    if (f.skipped()) continue;
    while (s < stored.size() && stored[s].path < f.path) drop_or_keep(stored[s++]);
    const FileRecord* r = s < stored.size() && stored[s].path == f.path ? &stored[s++] : nullptr;
    bool unchanged = false;
    if (r != nullptr && !input.rebuild) {
      unchanged = r->status != FileStatus::kFailed && r->size == f.size && r->mtime_ns == f.mtime_ns &&
                  r->inode == f.inode;
      // Same bytes, but a commit since may have changed the git fields.
      if (unchanged && input.commit_of) unchanged = input.commit_of(f.path) == r->git_commit;
    }
    if (unchanged) {
      ++plan.unchanged;
    } else {
      plan.bytes += static_cast<int64_t>(f.size);
      plan.tasks.push_back(std::move(f));
    }
  }
  while (s < stored.size()) drop_or_keep(stored[s++]);
  for (size_t i = 0; i < unreadable.size(); ++i) {
    if (kept_under[i] == 0) continue;
    plan.kept_unreadable.emplace_back(unreadable[i]->path, unreadable[i]->reason + " (its " +
                                                               std::to_string(kept_under[i]) +
                                                               " indexed file(s) are kept as they were)");
  }
  return plan;
}

}  // namespace trawl
