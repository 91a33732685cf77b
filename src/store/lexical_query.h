// The lexical query of the embedded store, over one shard or many: the query's terms
// as an FTS5 expression, pruned and weighted with the statistics of the whole index,
// so that every shard scores a chunk exactly as a single database holding every chunk
// would (same BM25 formula as FTS5's bm25(), but with the global row count, average
// length and document frequencies handed in).
// Thread-safety: free functions; SearchLexicalShards calls the shards from several
// threads at once (their readers are thread-safe).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace trawl {
struct EmbeddedStoreOptions;

namespace store_internal {

// A term as an FTS5 query phrase: quoted, its quotes doubled.
std::string FtsPhrase(std::string_view term);
// A query term (IndexedQueryTerms' form) as an FTS5 expression: a whole identifier,
// "parse file", is the phrase of its parts or the joined word ("parsefile").
std::string FtsTerm(std::string_view term);

// Row count and total tokens of a shard's lexical index, and its chunk count.
struct LexicalTotals {
  int64_t rows = 0;
  int64_t tokens = 0;
  int64_t chunks = 0;
};

// What every shard runs: `match` with one idf per phrase of it (in the order FTS5
// numbers them), the index's average row length, and how many rows to return.
struct LexicalPlan {
  std::string match;
  std::string idf_blob;  // the idfs as raw doubles (bound as one blob)
  double avgdl = 1;
  bool rank = true;      // false: every term is in half the chunks; take the first matches
  int64_t limit = 0;
};

// The parts of a shard that a lexical query over many of them needs.
class LexicalShard {
 public:
  virtual ~LexicalShard() = default;
  virtual Result<LexicalTotals> LexicalCounts() = 0;
  // Rows matching each FTS5 expression (cached until the shard's next commit).
  virtual Result<std::vector<int64_t>> MatchCounts(const std::vector<std::string>& exprs) = 0;
  // The shard's rows for `plan`, best first (scores: higher is better), ids local.
  virtual Result<std::vector<ChunkHit>> RankLexical(const LexicalPlan& plan, const SearchFilter& filter) = 0;
  // The shard's lexical index stems its terms (Porter).
  virtual bool Stems() const = 0;
};

// Registers trawl_bm25(fts, avgdl, idf_blob, w_symbol, w_path, w_body) on `db`.
int RegisterRankFunction(sqlite3* db);

// The k best chunks of `query` over `shards` (each hit's id: local id * id_stride +
// shard index), then any more of the k-th's score (at most k more).
Result<std::vector<ChunkHit>> SearchLexicalShards(const std::vector<LexicalShard*>& shards,
                                                  const LexicalQuery& query, int k,
                                                  const SearchFilter& filter,
                                                  const EmbeddedStoreOptions& options, int64_t id_stride);

// Document frequencies of IndexedQueryTerms-form terms summed over `shards`.
Result<TermStats> ShardDocFrequencies(const std::vector<LexicalShard*>& shards,
                                      const std::vector<std::string>& terms);

// Runs fn(i) for i in [0, n), in parallel when n > 1; the first error wins.
Status ForEachShard(size_t n, const std::function<Status(size_t)>& fn);

}  // namespace store_internal
}  // namespace trawl
