// Git metadata for the files of a tree: the last commit that touched each file, its
// author and time, and how many commits touched it. Built from ONE walk of the history
// per run (never `git blame`, which costs ~150 ms per file).
// Thread-safety: a GitHistory is immutable once Load() returns; const lookups are safe
// from any number of threads. Load() itself is reentrant.
//
// Attribution rules (documented because they differ slightly from `git log -- path`):
// - Commits are walked from HEAD in topological + time order (children before parents,
//   newest first among the rest: git's --date-order); every reachable commit is visited,
//   not just the first-parent chain. The first (newest) commit seen changing a
//   path gives commit/author/time; every commit changing it adds to `commits`.
// - A non-merge commit changes a path when the path's blob id or mode differs from its
//   parent's tree (added, modified, deleted, mode change). A root commit adds all paths.
// - A merge commit changes a path only when it differs from EVERY parent, i.e. the merge
//   itself authored the content (a conflict resolution, an "evil" merge). A change that a
//   merge merely brings in from a branch is attributed to the branch commit that made it.
//   For ordinary merges this gives the same commit and count as `git log -- path`; they
//   differ when a merge kept one side's version of a file the other side also changed
//   (git's history simplification hides the discarded side, this walk counts it).
// - No rename detection: a renamed file starts a fresh history at its new path.
// - Only files present in HEAD are reported; deleted files are absent. Submodules
//   (gitlinks) are not files of this repository and are absent too.
// - A commit whose parent object is missing (the boundary of a shallow clone) is treated
//   as a root commit: it adds every path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "trawl/status.h"

namespace trawl {

struct GitFileInfo {
  std::string commit;  // hex id of the last commit touching the file
  std::string author;  // "name <email>", or "name" when the email is empty
  int64_t time = 0;    // committer time of that commit, unix seconds (when it landed)
  int commits = 0;     // number of commits touching the file (>= 1)
};

class GitHistory {
 public:
  // Walks the history of the repository containing `root`, searching upward from it.
  // `root` may be a subdirectory of a work tree: paths are then relative to `root`.
  // When `root` is in no work tree (no repository, or a bare one), or HEAD has no
  // commit yet, the history is empty and that is not an error.
  // `cancel` (may be null) is checked between commits: Cancelled when set.
  // `max_commits` > 0 stops after that many commits in walk order (the commit graph is
  // still read whole, which is cheap: ~100k commits/s); files untouched by them are
  // absent and the counts cover only those commits.
  // Errors: NotFound when `root` does not exist, FailedPrecondition when the repository
  // is owned by another user (git's safe.directory), IoError for an unreadable repository.
  static Result<GitHistory> Load(const std::string& root, const std::atomic<bool>* cancel = nullptr,
                                 int max_commits = 0);

  // Git data of the file at `rel_path` (relative to root, '/' separators), or nullptr
  // when the file is not tracked in HEAD or there is no repository.
  const GitFileInfo* Find(std::string_view rel_path) const;

  // True when root is inside a git work tree (even one without commits).
  bool in_repo() const { return in_repo_; }
  // Number of files with git data.
  size_t size() const { return files_.size(); }
  // HEAD commit id in hex, "" without a repository or commit.
  std::string head() const { return head_; }

 private:
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using FileMap = std::unordered_map<std::string, GitFileInfo, PathHash, std::equal_to<>>;
  friend class HistoryWalk;

  GitHistory() = default;

  bool in_repo_ = false;
  std::string head_;
  FileMap files_;
};

}  // namespace trawl
