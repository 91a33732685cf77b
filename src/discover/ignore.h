// Git's ignore rules (gitignore(5)) with git's exact semantics, for .gitignore,
// .git/info/exclude, .trawlignore, config patterns and trawl's default ignores.
// Thread-safety: an IgnoreFile is immutable after Parse and may be shared by threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trawl {

// Who wrote a rule. Inside a git work tree, files git tracks are kept even when a
// kGit rule (a .gitignore, .git/info/exclude) or a directory-only kDefault rule
// (build/, target/: a tracked build/ folder is source) ignores them, as git does.
// kTrawl rules (.trawlignore, config) and default file rules (lock files, minified
// bundles, which are usually tracked) ignore tracked files too.
enum class RuleOrigin { kGit, kTrawl, kDefault };

struct IgnoreRule {
  // As git keeps it: without the leading '!' and one trailing '/'; '\' escapes and a
  // leading '/' are kept (the matcher reads them).
  std::string pattern;
  std::string source;     // "web/.gitignore" or "config" or "default"
  int line = 0;           // 1-based line in source
  std::string text;       // the line after trimming, for reporting
  bool negated = false;
  bool dir_only = false;
  bool anchored = false;  // contains a '/' other than a trailing one
  RuleOrigin origin = RuleOrigin::kGit;
  // Precomputed for cheap matching (git's nowildcardlen and PATTERN_FLAG_ENDSWITH).
  size_t literal_prefix = 0;  // leading bytes without '*', '?', '[', '\'
  bool ends_with = false;     // "*literal": a suffix compare of the basename
  // The pattern's last byte when it can only match itself there (not a glob
  // character): every path the rule matches ends with it, a one-byte reject test.
  char last_literal = 0;

  // "web/.gitignore:12: dist/", "config: *.log", "default: node_modules/".
  std::string Describe() const;
};

// The rules of one file, scoped to the directory that holds it (`base`, relative to
// the directory the matched paths are relative to, "" for it, otherwise ending
// with '/').
class IgnoreFile {
 public:
  static IgnoreFile Parse(std::string_view content, std::string base, std::string source,
                          RuleOrigin origin = RuleOrigin::kGit);
  const std::vector<IgnoreRule>& rules() const { return rules_; }
  const std::string& base() const { return base_; }
  bool empty() const { return rules_.empty(); }
  // Last matching rule for `rel_path` (no trailing '/'), or nullptr. The caller
  // checks `negated`. Paths outside `base` never match an anchored rule.
  const IgnoreRule* Match(std::string_view rel_path, bool is_dir) const;

 private:
  // The two one-byte reject tests of each rule, packed apart from the rules so that
  // the usual case (no rule matches) scans a few cache lines, not every IgnoreRule.
  struct Prefilter {
    char last_literal;
    bool dir_only;
  };
  std::string base_;
  std::vector<IgnoreRule> rules_;
  std::vector<Prefilter> prefilter_;  // parallel to rules_
};

// True if `rule` matches `path` (relative to the same directory as base), following
// git's match_basename / match_pathname. `base` ends with '/' or is empty.
bool IgnoreRuleMatches(const IgnoreRule& rule, std::string_view base, std::string_view path,
                       std::string_view basename, bool is_dir);

// WildMatch: see base/wildmatch.h.

}  // namespace trawl
