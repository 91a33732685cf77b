// Path filters of searches: gitignore-style globs matched with git's wildmatch.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace trawl::store_internal {

// Whether `path` (relative, '/' separators) is selected by `glob`, with gitignore's
// reading of a pattern: one without a '/' matches a file or directory name at any
// depth ("*.py", "vendor"); one with a '/' is anchored at the root ("src/**/*.cc",
// "/docs"); a directory match selects everything under it ("src/store"); a trailing
// '/' matches directories only.
bool PathMatchesGlob(std::string_view glob, std::string_view path);

}  // namespace trawl::store_internal
