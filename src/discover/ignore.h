// Git's ignore rules (gitignore(5)) with git's exact semantics, for .gitignore,
// .git/info/exclude, .trawlignore, config patterns and trawl's default ignores.
// Thread-safety: an IgnoreFile is immutable after Parse and may be shared by threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trawl {

struct IgnoreRule {
  std::string pattern;    // after unescaping/trim, without '!' and trailing '/'
  std::string source;     // "web/.gitignore" or "config" or "default"
  int line = 0;           // 1-based line in source
  std::string text;       // the original line, for reporting
  bool negated = false;
  bool dir_only = false;
  bool anchored = false;  // contains a '/' other than a trailing one
};

// The rules of one file, scoped to the directory that holds it (`base`, relative to
// the walk root, "" for the root, otherwise ending with '/').
class IgnoreFile {
 public:
  static IgnoreFile Parse(std::string_view content, std::string base, std::string source);
  const std::vector<IgnoreRule>& rules() const { return rules_; }
  const std::string& base() const { return base_; }
  // Last matching rule for `rel_path` (relative to the walk root, no trailing '/'),
  // or nullptr. The caller checks `negated`.
  const IgnoreRule* Match(std::string_view rel_path, bool is_dir) const;

 private:
  std::string base_;
  std::vector<IgnoreRule> rules_;
};



// WildMatch: see base/wildmatch.h.

}  // namespace trawl
