#include "search/query_analysis.h"

#include <algorithm>
#include <array>

namespace trawl {
namespace {

constexpr std::array<std::string_view, 22> kSourceExtensions = {
    "py", "pyx", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "java", "go",
    "rs", "js", "jsx", "ts", "tsx", "rb", "php", "cs", "kt", "scala"};

bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == '\\' || c == ':' || c == '+' || c == '@';
}

// `token` (a run of path characters) as a source path, or "" when it is not one.
std::string AsSourcePath(std::string_view token) {
  // A line (and column) suffix: "x.py:12", "x.c:12:5".
  while (!token.empty()) {
    size_t colon = token.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == token.size()) break;
    std::string_view tail = token.substr(colon + 1);
    if (!std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; })) break;
    token = token.substr(0, colon);
  }
  while (!token.empty() && (token.back() == '.' || token.back() == ':' || token.back() == '/')) token.remove_suffix(1);
  size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string_view ext = token.substr(dot + 1);
  if (std::find(kSourceExtensions.begin(), kSourceExtensions.end(), ext) == kSourceExtensions.end()) return "";
  std::string path(token);
  std::replace(path.begin(), path.end(), '\\', '/');
  // A drive letter or scheme stays in front; what matters is the suffix.
  size_t name = path.rfind('/');
  std::string_view base = name == std::string::npos ? std::string_view(path) : std::string_view(path).substr(name + 1);
  if (base.size() <= ext.size() + 1) return "";  // ".py" alone
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  return path;
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> MentionedPaths(std::string_view query, size_t max) {
  std::vector<std::string> order;  // by last mention
  size_t i = 0;
  while (i < query.size()) {
    if (!PathChar(query[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < query.size() && PathChar(query[j])) ++j;
    std::string path = AsSourcePath(query.substr(i, j - i));
    if (!path.empty()) {
      order.erase(std::remove(order.begin(), order.end(), path), order.end());
      order.push_back(std::move(path));
    }
    i = j;
  }
  if (order.size() > max) order.erase(order.begin(), order.end() - static_cast<std::ptrdiff_t>(max));
  return order;
}

PathIndex::PathIndex(std::vector<std::string> paths) {
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths) {
    size_t slash = p.rfind('/');
    std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    by_name_[std::move(name)].push_back(std::move(p));
  }
}

std::vector<std::string> PathIndex::Resolve(std::string_view mention, size_t max_matches) const {
  std::vector<std::string_view> parts = Components(mention);
  if (parts.empty()) return {};
  auto named = by_name_.find(std::string(parts.back()));
  if (named == by_name_.end()) return {};
  // Longest suffix first: the more folders agree, the surer the match.
  for (size_t take = std::min<size_t>(parts.size(), 6); take >= 1; --take) {
    if (take == 1 && parts.size() > 1) break;  // "x/add.py" must not name every add.py
    std::string suffix;
    for (size_t p = parts.size() - take; p < parts.size(); ++p) {
      if (!suffix.empty()) suffix += '/';
      suffix.append(parts[p]);
    }
    std::vector<std::string> found;
    for (const auto& path : named->second) {
      if (path.size() < suffix.size()) continue;
      if (path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      if (path.size() > suffix.size() && path[path.size() - suffix.size() - 1] != '/') continue;
      found.push_back(path);
      if (found.size() > max_matches) break;
    }
    if (found.size() > max_matches) return {};  // ambiguous: a longer suffix did not match
    if (!found.empty()) return found;
  }
  return {};
}

}  // namespace trawl
