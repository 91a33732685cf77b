#include "store/path_filter.h"

#include "base/wildmatch.h"

namespace trawl::store_internal {

bool PathMatchesGlob(std::string_view glob, std::string_view path) {
  if (glob.substr(0, 2) == "./") glob.remove_prefix(2);
  bool anchored = false;
  if (!glob.empty() && glob.front() == '/') {
    anchored = true;
    glob.remove_prefix(1);
  }
  bool dir_only = false;
  if (!glob.empty() && glob.back() == '/') {
    dir_only = true;
    glob.remove_suffix(1);
  }
  if (glob.empty()) return !dir_only;
  if (glob.find('/') != std::string_view::npos) anchored = true;

  // Walk the components: [start, end) is the current one; [0, end) the prefix.
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    bool last = end == std::string_view::npos;
    if (last) end = path.size();
    if (!(dir_only && last)) {
      std::string_view candidate = anchored ? path.substr(0, end) : path.substr(start, end - start);
      if (WildMatch(glob, candidate)) return true;
    }
    if (last) break;
    start = end + 1;
  }
  return false;
}

}  // namespace trawl::store_internal
