// Whether the walk ignores a path (internal to src/discover): the ignore files of the
// directories above it, then .git/info/exclude, then trawl's defaults, with git's
// index keeping the tracked files that git's own rules ignore. ignore.h matches one
// file's rules; this decides over all of them.
// Thread-safety: immutable once the walk starts; its threads share it without a lock.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "discover/ignore.h"

namespace trawl {

// The ignore files of one directory, chained to its parent's. Directories without
// ignore files share their parent's level.
struct IgnoreLevel {
  const IgnoreLevel* parent = nullptr;
  std::vector<IgnoreFile> files;  // later files take precedence: .trawlignore over .gitignore
};

// The paths git tracks, relative to the work tree's top ("src/a.c"). The views point
// into storage that outlives this (libgit2's index).
class TrackedPaths {
 public:
  TrackedPaths() = default;
  explicit TrackedPaths(std::vector<std::string_view> paths);  // any order
  bool Contains(std::string_view path) const;
  // Some tracked path starts with `dir` (which ends with '/').
  bool AnyUnder(std::string_view dir) const;

 private:
  std::vector<std::string_view> paths_;  // sorted
};

// True if git's index overrides `rule` for tracked files: git's own rules do, and
// trawl's directory-only defaults (a tracked build/ folder is source); .trawlignore,
// config patterns and default file rules (lock files, minified bundles) do not.
bool TrackedOverrides(const IgnoreRule& rule);

// What the rules say about one entry.
struct IgnoreVerdict {
  const IgnoreRule* rule = nullptr;  // the rule that ignores the entry, if any
  bool tracked_exception = false;    // ignored by `rule`, but git tracks it (or files below it)
  bool ignored() const { return rule != nullptr && !tracked_exception; }
};

class IgnoreStack {
 public:
  void set_info_exclude(IgnoreFile file) { info_exclude_ = std::move(file); }
  void set_defaults(IgnoreFile file) { defaults_ = std::move(file); }
  void set_tracked(TrackedPaths tracked) { tracked_ = std::move(tracked); }

  // The rule that decides `match_path` (relative to the work tree's top, no trailing
  // '/'): the last match of the innermost level that has one, else of
  // .git/info/exclude, else of the defaults. May be a negated rule (not ignored).
  const IgnoreRule* Decide(const IgnoreLevel* level, std::string_view match_path, bool is_dir) const;

  // Whether the entry `match_path` of a directory whose rules are `level` is ignored.
  // `dir_ignored_by`: the rule that ignores the directory itself, when the walk
  // entered it only for the files git tracks below it; then everything in it is
  // ignored by that rule except tracked files (unless trawl's own rules ignore them)
  // and the directories that hold some.
  IgnoreVerdict Judge(const IgnoreLevel* level, const IgnoreRule* dir_ignored_by, std::string_view match_path,
                      bool is_dir) const;

 private:
  std::optional<IgnoreFile> info_exclude_;
  std::optional<IgnoreFile> defaults_;
  TrackedPaths tracked_;
};

}  // namespace trawl
