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

// What a lexical index matches for one query term: any of its phrases, each a
// space-separated sequence of tokens (FTS5's phrases). A whole identifier of
// IndexedQueryTerms' form, "parse file", is the phrase of its parts or the joined word
// ("parsefile"); any other term is its one phrase.
struct LexicalExpr {
  std::vector<std::string> phrases;
  static LexicalExpr OfTerm(std::string_view term);
};

// A phrase as FTS5 query syntax: quoted, its quotes doubled.
std::string FtsPhrase(std::string_view phrase);
// An expression as FTS5 query syntax: its phrases OR-ed.
std::string FtsExpr(const LexicalExpr& expr);

// Row count and total tokens of a shard's lexical index, and its chunk count.
struct LexicalTotals {
  int64_t rows = 0;
  int64_t tokens = 0;
  int64_t chunks = 0;
};

// What every shard runs: rows matching any of `terms`, scored by BM25 with one idf per
// phrase (in the order of the terms' phrases, which is FTS5's numbering of the
// expression they make), the index's average row length, and how many rows to return.
struct LexicalPlan {
  std::vector<LexicalExpr> terms;
  std::vector<double> idf;  // one per phrase
  double avgdl = 1;
  bool rank = true;      // false: every term is in half the chunks; take the first matches
  int64_t limit = 0;
};

// The parts of a shard that a lexical query over many of them needs.
class LexicalShard {
 public:
  virtual ~LexicalShard() = default;
  virtual Result<LexicalTotals> LexicalCounts() = 0;
  // Rows matching each expression (cached until the shard's next commit).
  virtual Result<std::vector<int64_t>> MatchCounts(const std::vector<LexicalExpr>& exprs) = 0;
  // The shard's rows for `plan`, best first (scores: higher is better), ids local.
  virtual Result<std::vector<ChunkHit>> RankLexical(const LexicalPlan& plan, const SearchFilter& filter) = 0;
  // The shard's lexical index stems its terms (Porter).
  virtual bool Stems() const = 0;
};

// Registers trawl_bm25(fts, avgdl, idf_blob, w_symbol, w_path, w_body) on `db`.
int RegisterRankFunction(sqlite3* db);

// BM25 of one row as trawl_bm25 computes it (k1 1.2, b 0.75): `freq` the
// column-weighted count of each phrase's instances, `tokens` the row's length.
double Bm25Score(const std::vector<double>& freq, const std::vector<double>& idf, int64_t tokens, double avgdl);

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
