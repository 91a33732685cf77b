// Search: query -> analysis (what the query names: files, code names, messages) ->
// candidates (lexical BM25 and dense nearest neighbours) -> score fusion -> rerank of
// the head -> results, with overlapping chunks of a file collapsed (docs/design.md,
// "Query path").
// Thread-safety: a Searcher is safe to use from any number of threads; it never
// blocks, and is never blocked by, an indexing run writing the same index.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trawl/chunk.h"
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
  // Say how the query was read (SearchResponse::reading) and why each result ranked
  // where it did (SearchResult::explain).
  bool explain = false;
};

// Why a result ranked where it did (SearchRequest::explain).
struct ResultExplanation {
  int lexical_rank = 0;  // 1-based place in the lexical list (0: not in it)
  int dense_rank = 0;    // ... in the dense list
  double first = 0;      // the first-stage (fused) score
  // How it entered the reranked head when the first stage did not put it there: "named
  // file" (the query names its file) or "defines NAME" (it defines a name the query uses).
  std::string joined;
  bool reranked = false;
  // The reranker's score as its weighted parts (non-zero ones): "first", "name",
  // "signature", "path", "header", "file", "mention", "defines", "file_defines", "handles", "message",
  // "prose", "test" (docs/design.md, "Query path").
  std::vector<std::pair<std::string, double>> parts;
  std::string defines;  // the query's name that "defines" counts
};

// How a query was read (SearchRequest::explain).
struct QueryReading {
  std::vector<std::pair<std::string, double>> files;  // indexed files it names, with strength
  std::vector<std::string> modules;                   // dotted names read as modules ("a/b/c")
  std::vector<std::pair<std::string, double>> names;  // identifiers used as code, with salience
  std::vector<std::string> messages;                  // error messages
  bool has_code = false;  // code, a trace or an error message: documentation and tests weigh less
};

// A chunk as an answer: its span, its file and its score.
struct SearchResult : ChunkSpan {
  std::string repo;  // the repository, when a shared store is searched across several ("" otherwise)
  std::string path;  // relative to the indexed root
  std::string path_hex;  // the path's bytes in hex when they are not UTF-8 (JSON shows `path` with U+FFFD)
  std::string language;
  double score = 0;
  std::string git_commit;
  std::string git_author;
  int64_t git_time = 0;
  std::optional<ResultExplanation> explain;  // SearchRequest::explain
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
  std::optional<QueryReading> reading;  // SearchRequest::explain
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
