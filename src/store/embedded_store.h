// The embedded store: one SQLite database (WAL, FTS5) and its vector file per
// shard; OpenStore (sharded_store.cc) puts shards together. Only src/store includes
// this header: everything above the store opens an index through OpenStore.
// Thread-safety: as Store.
#pragma once

#include <memory>
#include <string>

#include "store/lexical_query.h"
#include "store/store.h"

namespace trawl {

// Tuning of the embedded store; the defaults are the shipped settings.
struct EmbeddedStoreOptions {
  // bm25 weight of each FTS column (lexical scores are -bm25). The symbol column (the
  // chunk's own definition name) is short and decisive.
  double bm25_symbol_weight = 10.0;
  double bm25_path_weight = 2.0;
  double bm25_content_weight = 1.0;  // content and context
  // Porter stemming of the lexical index. Fixed when the index is created (or reset by
  // BindEmbedder(reset=true)); an existing index keeps the tokenizer it was built with.
  bool fts_porter = false;
  // Lexical query pruning: terms are taken rarest first while the sum of their document
  // frequencies stays within this budget (the rarest term is always taken); terms in
  // half the chunks or more (bm25 idf <= 0) are dropped. Bounds the rows FTS5 scores
  // (~1 us each), so long natural-language queries stay fast. 0: no pruning.
  int64_t lexical_max_postings = 3000;
  // Below this many vectors readers score the rows themselves and no vector index file
  // is kept (writing and mapping a file costs more than it saves).
  int64_t exact_search_limit = 10000;
  // Checkpoint rewrites the vector index file when the chunks added since it was
  // written exceed this fraction of it (they are scored from the rows meanwhile), or
  // when more than `max_deleted_fraction` of it is deleted.
  double max_tail_fraction = 0.1;
  double max_deleted_fraction = 0.3;
  // The chunk text a writer samples, one chunk in `text_dict_stride` of what it commits
  // into an index without a text dictionary, before training one, which compresses the
  // text committed after. A dictionary from linux's first 8 MB (its first 8000 chunks,
  // mostly small files) made its text 2% larger at level 3 than level 1 without one; from
  // one chunk in 6 of its first 50000, 16.5% smaller; from a random sample, 21%.
  size_t text_dict_samples = size_t{8} << 20;
  int text_dict_stride = 8;
  int busy_timeout_ms = 10000;
  // The writer's SQLite page cache. The shards of an index share 256 MB.
  int writer_cache_mb = 256;
  // kWrite: an index whose database is damaged (or is not trawl's) is deleted and made
  // again, under the writer lock, instead of failing (what `trawl index --rebuild` asks).
  bool discard_damaged = false;
};

namespace store_internal {

// One database: a Store, and the parts of it a lexical query over many shards needs.
class EmbeddedShard : public Store, public LexicalShard {};

Result<std::unique_ptr<EmbeddedShard>> OpenEmbeddedShard(const std::string& dir, OpenMode mode, bool wait,
                                                         const EmbeddedStoreOptions& options);

}  // namespace store_internal

// One database in `dir` (no shards): what the store's own tests and benchmarks open.
// kWrite takes the folder's writer lock (kUnavailable if held, or waits when `wait`).
Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode,
                                                 bool wait = false);
Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait,
                                                 const EmbeddedStoreOptions& options);

}  // namespace trawl
