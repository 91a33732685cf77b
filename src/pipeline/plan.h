// The plan of an indexing run: which files of the tree to index, which of the index's
// files are gone from it, and which are unchanged. Pure: the walk's entries and the
// stored records in, the plan out.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "discover/discover.h"
#include "store/store.h"

namespace trawl {

struct PlanInput {
  bool rebuild = false;              // every file found is indexed again
  const PathScope* scope = nullptr;  // a run over some paths: only stored files under them are compared
  // The last commit touching a path ("" when none), when the tree is a git work tree: a
  // file whose bytes are unchanged is indexed again when its commit changed (its git
  // fields). Null outside git.
  std::function<std::string(std::string_view path)> commit_of;
};

struct RunPlan {
  std::vector<FileEntry> tasks;      // to index, in path order
  std::vector<std::string> deletes;  // stored, and gone from the tree (or ignored now)
  int64_t files_seen = 0;            // the entries found, less the unreadable ones
  int64_t unchanged = 0;             // stored alike, or kept beneath an unreadable folder
  int64_t known_elsewhere = 0;       // stored outside the scope (they stay as they are)
  int64_t bytes = 0;                 // the tasks' sizes
  // Unreadable entries (a folder without permission) beneath which stored files are
  // kept instead of taken for deleted: (path, reason with the count kept).
  std::vector<std::pair<std::string, std::string>> kept_unreadable;
};

// `found`: the walk's entries (skipped ones other than unreadable are left out of the
// plan); `stored`: the index's file records. Neither needs to be sorted.
RunPlan PlanRun(std::vector<FileEntry> found, std::vector<FileRecord> stored, const PlanInput& input);

}  // namespace trawl
