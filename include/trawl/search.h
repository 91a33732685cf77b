// Search: query -> candidates (dense from the vector index, lexical from FTS5 BM25)
// -> Reciprocal Rank Fusion -> results, with overlapping chunks of a file collapsed.
// Thread-safety: a Searcher is safe to use from any number of threads; it never
// blocks, and is never blocked by, an indexing run writing the same index.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

struct SearchRequest {
  std::string query;
  int k = 10;
  std::string mode = "hybrid";          // hybrid | semantic | lexical
  std::vector<std::string> languages;   // any of; an entry may be a comma list, any case ("C,cpp")
  std::vector<std::string> path_globs;  // any of (gitignore-style wildmatch)
  std::vector<std::string> repos;       // any of these repositories (a shared store read across several)
  // Answer with files (SearchResponse::files, k of them), each ranked by the evidence of
  // its chunks and carrying its best ones, instead of chunks.
  bool files = false;
};

struct SearchResult {
  std::string repo;  // the repository, when a shared store is searched across several ("" otherwise)
  std::string path;  // relative to the indexed root
  std::string path_hex;  // the path's bytes in hex when they are not UTF-8 (JSON shows `path` with U+FFFD)
  int start_line = 0;
  int end_line = 0;
  std::string language;
  std::string kind;
  std::string symbol;
  double score = 0;
  std::string content;
  std::string context;
  std::string git_commit;
  std::string git_author;
  int64_t git_time = 0;
};

// A file as an answer: its chunks' evidence (its best chunk's score, plus half the
// second's and a quarter of the third's), and those chunks, best first.
struct FileAnswer {
  std::string repo;
  std::string path;
  std::string path_hex;
  std::string language;
  double score = 0;
  std::vector<SearchResult> chunks;
};

// The files of ranked chunks, best first (at most k, each with at most `per_file` chunks).
std::vector<FileAnswer> RankFiles(const std::vector<SearchResult>& chunks, int k, int per_file = 3);

struct SearchResponse {
  std::vector<SearchResult> results;  // empty when files were asked for
  std::vector<FileAnswer> files;      // SearchRequest::files
  int64_t files_indexed = 0;
  int64_t files_known = 0;
  double coverage = 1.0;  // files indexed / files known (< 1 while a run is writing)
  double took_ms = 0;
};

class Searcher {
 public:
  virtual ~Searcher() = default;
  virtual Result<SearchResponse> Search(const SearchRequest& request) = 0;

  // Opens the index at options.index_dir for reading.
  static Result<std::unique_ptr<Searcher>> Open(const Options& options);
};

// Finds the index by walking up from `start` as git finds .git: the first directory
// holding a `.trawl/` index. NotFound when there is none.
Result<std::string> FindIndexDir(const std::string& start);

}  // namespace trawl
