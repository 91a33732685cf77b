// File discovery: a parallel walk of a tree that applies git's ignore rules exactly,
// plus trawl's own (.trawlignore, config patterns, default ignores), and classifies
// every file as to index or to skip with a reason.
// Thread-safety: Discover() is reentrant; it runs its own workers and returns when done.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/status.h"

namespace trawl {

struct DiscoverOptions {
  std::string root;                       // absolute or relative path of the tree
  bool use_default_ignores = true;        // VCS dirs, node_modules, build dirs, lock files, minified...
  std::vector<std::string> extra_patterns;  // ignore.patterns from config (gitignore syntax, root-anchored scope)
  // .gitignore files apply only when the root is inside a git work tree (as in git and
  // ripgrep); false: everywhere.
  bool require_git = true;
  uint64_t max_file_size_bytes = 1024 * 1024;
  bool follow_symlinks = false;
  int threads = 0;                        // 0: hardware concurrency
  bool report_skipped = false;            // also return skipped files (trawl files --why)
  // Also return what exists but cannot be read (a directory without permission, an I/O
  // error), whatever report_skipped says: the indexer keeps what it knows beneath it
  // instead of taking it for deleted. Things gone while walked are not reported.
  bool report_unreadable = false;
  // Read the first 8 KiB of every candidate to detect binary files and shebangs. The
  // indexing pipeline sets this false and does the binary check on the bytes it reads
  // anyway, so a no-op re-run costs one stat per file.
  bool check_content = true;
  // Absolute paths of directories never entered nor reported (the index folder).
  std::vector<std::string> exclude_dirs;
  // Only these paths (relative to the root, '/' separators, files or folders; see
  // PathScope): the walk enters just the folders on the way to them, applying every
  // ignore file it passes as a whole walk would. Empty: the whole tree.
  std::vector<std::string> scope;
};

// Paths of a tree a walk is limited to (DiscoverOptions::scope).
class PathScope {
 public:
  // `paths` relative to the root; empty ones, ".", ".." and absolute ones are left out
  // (an empty scope holds nothing, not everything).
  explicit PathScope(std::vector<std::string> paths);
  // `rel` ("a/b.py", or "a/" for a folder) is one of the paths or under one.
  bool Holds(std::string_view rel) const;
  // ... or a folder on the way to one (to be entered).
  bool Reaches(std::string_view rel, bool is_dir) const;
  bool empty() const { return paths_.empty(); }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;  // sorted, distinct, no trailing '/'
};

enum class SkipReason { kNone, kIgnored, kBinary, kTooLarge, kUnsupported, kUnreadable, kSymlink };

struct FileEntry {
  std::string path;        // relative to root, '/' separators; directories end with '/'
  std::string abs_path;
  std::string language;    // "python", "cpp", ..., "markdown", "text"; empty when skipped
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  SkipReason skip = SkipReason::kNone;
  std::string reason;      // "ignored: web/.gitignore:12: dist/", "binary", "too_large: 2.1 MB > 1 MB" ...
  bool skipped() const { return skip != SkipReason::kNone; }
};

// Returns the files under options.root sorted by path (skipped ones only when
// report_skipped). `cancel` may be null. Errors only when the root itself is unusable.
Result<std::vector<FileEntry>> Discover(const DiscoverOptions& options,
                                        const std::atomic<bool>* cancel = nullptr);

// Language from the file name (extension, well-known names like Makefile,
// Dockerfile, CMakeLists.txt) and, when given, the first bytes (shebang; C++ in a
// ".h" file).
// Returns "" for names known not to be text (images, archives, objects...).
// Unknown text files are "text".
std::string DetectLanguage(std::string_view rel_path, std::string_view head = {});

// A ".h" file whose first bytes (`head`, 8 KiB) hold C++: a namespace or template, a
// class with a body or bases, an access specifier, a standard header without ".h"
// (`#include <vector>`). Such headers are "cpp", other ".h" files "c" (DetectLanguage
// applies this when given the head; `trawl index` always does).
bool IsCppHeader(std::string_view rel_path, std::string_view head);

// True if the bytes look binary (a NUL byte in the first 8 KiB).
bool LooksBinary(std::string_view head);

// Every language name DetectLanguage can return (and "text"), sorted.
const std::set<std::string_view>& KnownLanguages();
// Ok for a known language; else InvalidArgument naming the known ones (for --language
// and --lang, where a misspelt name would otherwise just match nothing).
Status CheckLanguage(std::string_view language);

}  // namespace trawl
