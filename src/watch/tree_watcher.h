// Follows the changes of a tree with inotify: every directory is watched (new ones
// picked up as they appear, removed or moved-out ones dropped), the index folder,
// `.git` internals and directories the caller skips are never entered. Changes come
// out as paths relative to the root; an overflow of the kernel's queue comes out as
// a rescan (the watches are re-synced and the caller re-checks the whole tree).
// Thread-safety: one thread calls Next() and Resync(); Wake() is safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "trawl/status.h"

namespace trawl {

struct TreeChange {
  enum class Kind { kPath, kRescan };
  Kind kind = Kind::kPath;
  std::string path;  // relative to the root, '/' separators; "" for kRescan
};

class TreeWatcher {
 public:
  struct Config {
    std::string root;                       // absolute
    std::vector<std::string> exclude_dirs;  // absolute; never watched nor reported (the index)
    // Directories (relative, no trailing '/') not to watch, e.g. ignored ones. May be null.
    std::function<bool(const std::string& rel_dir)> skip_dir;
  };

  // Watches every directory under config.root. Fails when inotify is unavailable or
  // the root cannot be watched; a subtree that cannot be watched (the kernel's
  // max_user_watches) is reported once on stderr and left out.
  static Result<std::unique_ptr<TreeWatcher>> Open(Config config);
  ~TreeWatcher();
  TreeWatcher(const TreeWatcher&) = delete;
  TreeWatcher& operator=(const TreeWatcher&) = delete;

  // Blocks in poll() until the tree changes or Wake() is called, then appends what
  // changed (a burst read at once) to `out`. Never polls on a timer.
  Status Next(std::vector<TreeChange>* out);

  // Makes a blocked (or the next) Next() return, with or without changes.
  void Wake();

  // Walks the tree again and watches directories not watched yet (after an overflow,
  // or when the skip rules changed); drops watches of directories now skipped.
  void Resync();

  size_t watched_dirs() const { return by_wd_.size(); }

 private:
  TreeWatcher(Config config, int inotify_fd, int wake_fd);
  void AddTree(const std::string& rel);
  void RemoveTree(const std::string& rel);
  bool Excluded(const std::string& rel) const;
  std::string Abs(const std::string& rel) const;
  void HandleEvent(uint32_t mask, int wd, const char* name, std::vector<TreeChange>* out);

  const Config config_;
  const int fd_;
  const int wake_fd_;
  std::unordered_map<int, std::string> by_wd_;  // watch -> relative dir ("" = root)
  std::map<std::string, int> by_path_;          // relative dir -> watch (ordered: subtrees)
  bool warned_limit_ = false;
};

}  // namespace trawl
