#include "discover/ignore.h"

#include <cstring>

#include "base/wildmatch.h"

namespace trawl {
namespace {

bool IsGlobSpecial(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

size_t LiteralLength(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsGlobSpecial(s[i])) return i;
  }
  return s.size();
}

// git's trim_trailing_spaces(): drop trailing ' ' unless escaped with '\'. Tabs stay.
void TrimTrailingSpaces(std::string_view* line) {
  const char* s = line->data();
  size_t n = line->size();
  size_t last_space = std::string_view::npos;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == ' ') {
      if (last_space == std::string_view::npos) last_space = i;
    } else if (s[i] == '\\') {
      ++i;
      if (i >= n) return;  // a trailing '\': nothing is trimmed
      last_space = std::string_view::npos;
    } else {
      last_space = std::string_view::npos;
    }
  }
  if (last_space != std::string_view::npos) *line = line->substr(0, last_space);
}

}  // namespace

std::string IgnoreRule::Describe() const {
  if (source == "config" || source == "default") return source + ": " + text;
  return source + ":" + std::to_string(line) + ": " + text;
}

IgnoreFile IgnoreFile::Parse(std::string_view content, std::string base, std::string source,
                             RuleOrigin origin) {
  IgnoreFile file;
  file.base_ = std::move(base);
  if (content.size() >= 3 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  int line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    // As git's add_patterns_from_buffer: blank lines and '#' comments are skipped
    // before a trailing CR is removed, so a line holding only "\r" is an (empty)
    // pattern. Lines are C strings in git: a NUL ends the pattern.
    if (line.empty() || line[0] == '#') continue;
    if (line.back() == '\r') line.remove_suffix(1);
    if (size_t nul = line.find('\0'); nul != std::string_view::npos) line = line.substr(0, nul);
    TrimTrailingSpaces(&line);

    IgnoreRule rule;
    rule.text = std::string(line);
    std::string_view p = line;
    if (!p.empty() && p[0] == '!') {
      rule.negated = true;
      p.remove_prefix(1);
    }
    if (!p.empty() && p.back() == '/') {
      rule.dir_only = true;
      p.remove_suffix(1);
    }
    // An empty pattern ("", "!", "/") never matches anything in git.
    if (p.empty()) continue;
    rule.anchored = p.find('/') != std::string_view::npos;
    rule.literal_prefix = LiteralLength(p);
    rule.ends_with = p[0] == '*' && LiteralLength(p.substr(1)) == p.size() - 1;
    if (char last = p.back(); !IsGlobSpecial(last) && last != ']') rule.last_literal = last;
    rule.pattern = std::string(p);
    rule.source = source;
    rule.line = line_no;
    rule.origin = origin;
    file.prefilter_.push_back({rule.last_literal, rule.dir_only});
    file.rules_.push_back(std::move(rule));
  }
  return file;
}

bool IgnoreRuleMatches(const IgnoreRule& rule, std::string_view base, std::string_view path,
                       std::string_view basename, bool is_dir) {
  if (rule.dir_only && !is_dir) return false;
  if (rule.last_literal != 0 && (basename.empty() || basename.back() != rule.last_literal)) return false;
  std::string_view pattern = rule.pattern;
  size_t prefix = rule.literal_prefix;
  if (!rule.anchored) {
    // git's match_basename().
    if (prefix == pattern.size()) return pattern == basename;
    if (rule.ends_with) {
      std::string_view suffix = pattern.substr(1);
      return suffix.size() <= basename.size() &&
             basename.substr(basename.size() - suffix.size()) == suffix;
    }
    return WildMatch(pattern, basename);
  }
  // git's match_pathname(): the pattern is relative to `base`.
  if (pattern[0] == '/') {
    pattern.remove_prefix(1);
    --prefix;
  }
  if (!base.empty()) {
    if (path.size() < base.size() || path.substr(0, base.size()) != base) return false;
  } else if (path.empty()) {
    return false;
  }
  std::string_view name = path.substr(base.size());
  if (prefix > 0) {
    // The literal head is compared directly, and the rest is matched on its own,
    // as git does: "foo**/bar" treats "**/" as leading after the "foo" prefix.
    if (prefix > name.size()) return false;
    if (pattern.substr(0, prefix) != name.substr(0, prefix)) return false;
    pattern.remove_prefix(prefix);
    name.remove_prefix(prefix);
    if (pattern.empty() && name.empty()) return true;
  }
  return WildMatch(pattern, name);
}

const IgnoreRule* IgnoreFile::Match(std::string_view rel_path, bool is_dir) const {
  size_t slash = rel_path.rfind('/');
  std::string_view basename = slash == std::string_view::npos ? rel_path : rel_path.substr(slash + 1);
  const char last = basename.empty() ? '\0' : basename.back();
  for (size_t i = rules_.size(); i-- > 0;) {
    const Prefilter& pf = prefilter_[i];
    if (pf.dir_only && !is_dir) continue;
    if (pf.last_literal != 0 && pf.last_literal != last) continue;
    if (IgnoreRuleMatches(rules_[i], base_, rel_path, basename, is_dir)) return &rules_[i];
  }
  return nullptr;
}

}  // namespace trawl
