#include "discover/ignore_stack.h"

#include <algorithm>
#include <string>
#include <utility>

namespace trawl {

TrackedPaths::TrackedPaths(std::vector<std::string_view> paths) : paths_(std::move(paths)) {
  if (!std::is_sorted(paths_.begin(), paths_.end())) std::sort(paths_.begin(), paths_.end());
}

bool TrackedPaths::Contains(std::string_view path) const {
  return std::binary_search(paths_.begin(), paths_.end(), path);
}

bool TrackedPaths::AnyUnder(std::string_view dir) const {
  auto it = std::lower_bound(paths_.begin(), paths_.end(), dir);
  return it != paths_.end() && it->starts_with(dir);
}

bool TrackedOverrides(const IgnoreRule& rule) {
  return rule.origin == RuleOrigin::kGit || (rule.origin == RuleOrigin::kDefault && rule.dir_only);
}

const IgnoreRule* IgnoreStack::Decide(const IgnoreLevel* level, std::string_view match_path, bool is_dir) const {
  for (const IgnoreLevel* l = level; l != nullptr; l = l->parent) {
    for (auto it = l->files.rbegin(); it != l->files.rend(); ++it) {
      if (const IgnoreRule* r = it->Match(match_path, is_dir)) return r;
    }
  }
  if (info_exclude_) {
    if (const IgnoreRule* r = info_exclude_->Match(match_path, is_dir)) return r;
  }
  if (defaults_) {
    if (const IgnoreRule* r = defaults_->Match(match_path, is_dir)) return r;
  }
  return nullptr;
}

IgnoreVerdict IgnoreStack::Judge(const IgnoreLevel* level, const IgnoreRule* dir_ignored_by,
                                 std::string_view match_path, bool is_dir) const {
  IgnoreVerdict v;
  if (dir_ignored_by != nullptr) {
    v.rule = dir_ignored_by;
    if (is_dir) {
      v.tracked_exception = tracked_.AnyUnder(std::string(match_path) + "/");
    } else if (tracked_.Contains(match_path)) {
      // Tracked files inside still answer to trawl's own rules.
      const IgnoreRule* own = Decide(level, match_path, false);
      if (own != nullptr && !own->negated && !TrackedOverrides(*own)) {
        v.rule = own;
      } else {
        v.tracked_exception = true;
      }
    }
    return v;
  }
  const IgnoreRule* r = Decide(level, match_path, is_dir);
  if (r != nullptr && !r->negated) {
    v.rule = r;
    if (TrackedOverrides(*r)) {
      v.tracked_exception = is_dir ? tracked_.AnyUnder(std::string(match_path) + "/") : tracked_.Contains(match_path);
    }
  }
  return v;
}

}  // namespace trawl
