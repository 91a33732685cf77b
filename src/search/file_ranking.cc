// Files as answers (RankFiles, trawl/search.h): what an agent localising an issue asks
// first. A file's evidence is its best chunk, then less and less of its next ones, so a
// file with several good chunks passes one with a single slightly better chunk, but
// many weak chunks never outweigh one strong one.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "trawl/search.h"

namespace trawl {

std::vector<FileAnswer> RankFiles(const std::vector<SearchResult>& chunks, int k, int per_file) {
  constexpr double kWeights[] = {1.0, 0.5, 0.25};
  std::vector<FileAnswer> files;
  std::vector<size_t> seen;                    // chunks of each file so far (kept or not)
  std::unordered_map<std::string, size_t> at;  // repo '\n' path -> index in files
  for (const SearchResult& c : chunks) {  // best first: a file's chunks arrive in rank order
    std::string key = c.repo + '\n' + c.path;
    auto [it, added] = at.emplace(key, files.size());
    if (added) {
      FileAnswer f;
      f.repo = c.repo;
      f.path = c.path;
      f.path_hex = c.path_hex;
      f.language = c.language;
      files.push_back(std::move(f));
      seen.push_back(0);
    }
    FileAnswer& f = files[it->second];
    size_t n = seen[it->second]++;
    if (n < std::size(kWeights)) f.score += kWeights[n] * c.score;
    if (static_cast<int>(n) < per_file) f.chunks.push_back(c);
  }
  // Equal evidence: the file whose best chunk came first.
  std::stable_sort(files.begin(), files.end(), [](const FileAnswer& a, const FileAnswer& b) { return a.score > b.score; });
  if (k >= 0 && files.size() > static_cast<size_t>(k)) files.resize(static_cast<size_t>(k));
  return files;
}

}  // namespace trawl
