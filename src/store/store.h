// The Store: where an index lives. The pipeline writes through it (one writer at a
// time), search reads through it. Narrow and free of SQLite details so that a server
// database (PostgreSQL + pgvector) fits behind the same interface later.
// Thread-safety: a Store opened for writing has one writer thread; a Store opened for
// reading may be used from any number of threads concurrently (search). Readers are
// never blocked by a writer in another process or thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "trawl/status.h"

namespace trawl {

struct FileRecord {
  std::string path;          // relative to the indexed root, '/' separators
  std::string language;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string content_hash;  // HashHex of the raw bytes
  std::string status;        // "indexed", "failed" or "skipped" (binary / too large when read)
  std::string error;         // failure reason when status == "failed"
  std::string git_commit;    // last commit touching the file ("" outside git)
  std::string git_author;
  int64_t git_time = 0;      // unix seconds
  int git_commits = 0;       // number of commits touching the file
  int chunk_count = 0;       // filled by ListFiles
};

struct ChunkRecord {
  int start_line = 0;
  int end_line = 0;
  uint32_t start_byte = 0;
  uint32_t end_byte = 0;
  std::string kind;
  std::string symbol;
  std::string content;
  std::string context;       // header: path and enclosing definitions
  std::string content_hash;  // key of the chunk's vector: hash of the embedded text
  std::vector<float> vector; // the chunk's embedding (dimension of the store's embedder)
  // Filled by Store::Prepare (store-specific derived data; empty otherwise).
  struct Prepared {
    std::string symbol_terms;
    std::string body_terms;
    std::string vector_blob;  // the stored form of `vector`, which Prepare then releases
    int vector_dims = 0;      // the dimension `vector` had
  } prepared;
};

// A file's new state: its old chunks are replaced by `chunks` atomically. A failed file
// has status "failed": it keeps the chunks it had (none if it is new), marked failed with
// the reason, until a later write replaces them.
struct FileWrite {
  FileRecord file;
  std::vector<ChunkRecord> chunks;
  bool prepared = false;     // Store::Prepare ran on it
  std::string path_terms;    // filled by Store::Prepare
};

struct SearchFilter {
  std::vector<std::string> languages;   // any of (empty: all)
  std::vector<std::string> path_globs;  // any of, gitignore-style wildmatch on the path (empty: all)
  bool empty() const { return languages.empty() && path_globs.empty(); }
};

struct ChunkHit {
  int64_t chunk_id = 0;
  double score = 0;  // higher is better; the scale depends on the retriever
};

struct ChunkView {
  int64_t chunk_id = 0;
  std::string path;
  std::string language;
  int start_line = 0;
  int end_line = 0;
  uint32_t start_byte = 0;
  uint32_t end_byte = 0;
  std::string kind;
  std::string symbol;
  std::string content;
  std::string context;
  std::string content_hash;
  std::string git_commit;
  std::string git_author;
  int64_t git_time = 0;
};

// Document frequencies of terms of the code-aware tokeniser (base/tokenize.h): in how
// many of the index's `chunks` each term occurs.
struct TermStats {
  int64_t chunks = 0;
  std::vector<int64_t> doc_freq;  // one per term asked, in order
};

struct StoreStats {
  int64_t files = 0;
  int64_t files_failed = 0;
  int64_t files_skipped = 0;  // binary or too large when read
  int64_t chunks = 0;
  int64_t vectors = 0;
  std::unordered_map<std::string, int64_t> languages;  // files per language
  std::string embedder;
  int dimensions = 0;
  int64_t files_known = 0;  // files the last (or running) run planned to index: coverage denominator
};

struct RunRecord {
  std::string id;
  int64_t started_at = 0;   // unix seconds
  int64_t finished_at = 0;
  std::string state;        // "running", "finished", "cancelled", "failed"
  std::string summary_json; // the run summary
};

class Store {
 public:
  virtual ~Store() = default;

  // --- identity -----------------------------------------------------------------
  // Binds the index to an embedder. A new index records it; an index made by another
  // embedder (name or dimension differ) fails FailedPrecondition, unless `reset`, which
  // drops every file, chunk and vector first (trawl index --rebuild).
  virtual Status BindEmbedder(const std::string& name, int dimensions, bool reset) = 0;

  // --- writer ---------------------------------------------------------------------
  // Derives what Commit will store from a write (tokenised text, encoded vectors), so
  // that this CPU work runs on the pipeline's workers instead of the single writer.
  // Thread-safe (const, touches only `write`); optional: Commit prepares what was not.
  virtual void Prepare(FileWrite* write) const { (void)write; }
  virtual Result<std::vector<FileRecord>> ListFiles() = 0;
  // Vectors already stored for these content hashes (for the bound embedder).
  virtual Result<std::unordered_map<std::string, std::vector<float>>> LookupVectors(
      const std::vector<std::string>& content_hashes) = 0;
  // Writes `write` into the open transaction (opening one) as soon as it is ready, so
  // that the work is done while other files are still being made; it is neither
  // visible nor durable until Commit. An error rolls back everything staged.
  virtual Status Stage(const FileWrite& write) = 0;
  // One transaction: what was staged, then every write replaces its file and every path
  // in `deletes` leaves the index. All or nothing.
  virtual Status Commit(const std::vector<FileWrite>& writes,
                        const std::vector<std::string>& deletes) = 0;
  // Makes the vector index durable and consistent with the committed rows (called at
  // the end of a run; after a crash the next open catches up from the rows).
  virtual Status Checkpoint() = 0;
  virtual Status SetFilesKnown(int64_t n) = 0;
  virtual Status SaveRun(const RunRecord& run) = 0;

  // --- readers --------------------------------------------------------------------
  // `query` is raw user text; the store applies the code-aware tokenisation. The k best,
  // best first, then any more of the k-th's score (at most k more), so that the list
  // does not end inside a group of equal scores (whose order is not content's).
  virtual Result<std::vector<ChunkHit>> SearchLexical(const std::string& query, int k,
                                                      const SearchFilter& filter) = 0;
  virtual Result<std::vector<ChunkHit>> SearchDense(const std::vector<float>& query, int k,
                                                    const SearchFilter& filter) = 0;
  // Term statistics for query weighting (e.g. idf of the terms of a dense query): in how
  // many chunks each term occurs; a term of several space-separated words is a phrase
  // (IndexedQueryTerms' form of a whole identifier: "parse file").
  virtual Result<TermStats> DocFrequencies(const std::vector<std::string>& terms) = 0;
  // Rows for these ids, in the same order; ids no longer present are left out.
  virtual Result<std::vector<ChunkView>> GetChunks(const std::vector<int64_t>& ids) = 0;
  virtual Result<StoreStats> Stats() = 0;
  virtual Result<std::vector<FileRecord>> FailedFiles() = 0;
  virtual Result<std::vector<RunRecord>> Runs(int limit) = 0;
  // Files, chunks and vectors in a stable order, as JSON lines, with nothing that
  // differs between two indexes of the same content (no ids, times or paths of the index).
  virtual Status Export(std::string* out) = 0;
};

enum class OpenMode { kRead, kWrite };

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
  int busy_timeout_ms = 10000;
  // kWrite: an index whose database is damaged (or is not trawl's) is deleted and made
  // again, under the writer lock, instead of failing (what `trawl index --rebuild` asks).
  bool discard_damaged = false;
};

// The embedded store: SQLite (WAL, FTS5) in `dir` (created for kWrite) plus a vector
// index file derived from it. kWrite takes the index's writer lock: if another
// process holds it, fails kUnavailable ("index <dir> is being written by another trawl
// process (pid N)"), or waits when `wait` is true. kRead of a
// folder without an index fails NotFound. A damaged database fails kCorruption with a
// message that says how to recover.
Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode,
                                                 bool wait = false);
Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait,
                                                 const EmbeddedStoreOptions& options);

}  // namespace trawl
