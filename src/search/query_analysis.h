// What a pasted query says beyond its words: the source files it names (traceback
// frames, paths in prose or logs), in the order it names them. Issue texts and stack
// traces name the file to look at more often than any word does.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trawl {

// The paths of source files named in `query` ("sympy/core/add.py",
// "C:\\proj\\src\\main.c" as "C:/proj/src/main.c", "./lib/x.js:12" as "lib/x.js"),
// '/'-separated, distinct, ordered by their last mention. Only names with a source
// file extension count; at most `max` (the last mentioned).
std::vector<std::string> MentionedPaths(std::string_view query, size_t max = 16);

// The indexed files, by file name, to find the ones a mention names.
class PathIndex {
 public:
  explicit PathIndex(std::vector<std::string> paths);
  // The files (sorted) that `mention` names: those whose path ends with the mention's
  // longest component-aligned suffix ("/usr/lib/python3/site-packages/sympy/core/add.py"
  // names "sympy/core/add.py"), at least its file name and one folder when it has one.
  // Empty when nothing matches or the name is ambiguous (more than `max_matches` files).
  std::vector<std::string> Resolve(std::string_view mention, size_t max_matches = 2) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> by_name_;  // paths sorted
};

}  // namespace trawl
