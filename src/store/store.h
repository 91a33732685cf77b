// The Store: where an index lives. The pipeline writes through it (one writer thread
// per write partition), search reads through it. Narrow and free of SQLite details so that a server
// database (PostgreSQL + pgvector) fits behind the same interface later.
// Thread-safety: a Store opened for writing has one writer thread per partition; a Store opened for
// reading may be used from any number of threads concurrently (search). Readers are
// never blocked by a writer in another process or thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trawl/chunk.h"
#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

// What the last run that saw a file made of it.
enum class FileStatus {
  kIndexed,  // its chunks are in the index
  kFailed,   // indexing it failed (`error` says why); it keeps the chunks it had
  kSkipped,  // binary or too large when read
};

// The stored (and shown) form: "indexed", "failed", "skipped".
inline std::string_view FileStatusName(FileStatus s) {
  switch (s) {
    case FileStatus::kIndexed: return "indexed";
    case FileStatus::kFailed: return "failed";
    case FileStatus::kSkipped: return "skipped";
  }
  return "failed";
}

// The stored form back. Anything else reads as kFailed: the next run indexes the file again.
inline FileStatus ParseFileStatus(std::string_view name) {
  if (name == "indexed") return FileStatus::kIndexed;
  if (name == "skipped") return FileStatus::kSkipped;
  return FileStatus::kFailed;
}

struct FileRecord {
  std::string path;          // relative to the indexed root, '/' separators
  std::string language;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string content_hash;  // HashHex of the raw bytes
  FileStatus status = FileStatus::kIndexed;
  std::string error;         // failure reason when kFailed
  std::string git_commit;    // last commit touching the file ("" outside git)
  std::string git_author;
  int64_t git_time = 0;      // unix seconds
  int git_commits = 0;       // number of commits touching the file
  int chunk_count = 0;       // filled by ListFiles
};

// A chunk as a file's write stores it (its file's language is in FileRecord).
struct ChunkRecord : ChunkSpan {
  std::string content_hash;  // key of the chunk's vector: hash of the embedded text
  std::vector<float> vector; // the chunk's embedding (dimension of the store's embedder)
  // Filled by Store::Prepare (store-specific derived data; empty otherwise).
  struct Prepared {
    std::string symbol_terms;
    std::string body_terms;
    std::string text_blob;    // the stored form of context and content
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
  // Any of these repositories of a shared store (empty: every one it was opened for); a
  // store of one tree refuses it (InvalidArgument).
  std::vector<std::string> repos;
  bool empty() const { return languages.empty() && path_globs.empty() && repos.empty(); }
};

struct ChunkHit {
  int64_t chunk_id = 0;
  double score = 0;  // higher is better; the scale depends on the retriever
};

// A stored chunk as a reader gets it, with its file's path, language and git fields.
struct ChunkView : ChunkSpan {
  int64_t chunk_id = 0;
  std::string repo;  // the repository, when a shared store is read across several ("" otherwise)
  std::string path;
  std::string language;
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

// One repository of a store that holds several, as StoreStats counts it.
struct RepoStats {
  std::string name;
  int64_t files = 0;
  int64_t files_failed = 0;
  int64_t files_skipped = 0;
  int64_t files_known = 0;
  int64_t chunks = 0;
  std::string last_run_state;  // "" when it has no run yet
  int64_t last_run_finished = 0;  // unix seconds (0: running or none)
};

struct StoreStats {
  // Each repository, by name, when the store holds several and is read across them
  // (the totals below sum them); empty otherwise.
  std::vector<RepoStats> repos;
  // Files of the last work shared among processes, by the process that did them
  // ("host:pid" -> files), most first; empty for a store one process writes.
  std::vector<std::pair<std::string, int64_t>> shares;
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

// One file as a scan of the index returns it.
struct ScannedFile {
  FileRecord file;
  std::vector<ChunkRecord> chunks;  // `vector` decoded; `prepared` empty
};

// A lexical query as the searcher analysed it, handed to the backend as is: its terms in
// the form the lexical index matches (IndexedQueryTerms: a whole identifier as the
// space-separated phrase of its parts, "parse file"), distinct, in the query's order.
struct LexicalQuery {
  std::vector<std::string> terms;
  // The searcher's analysis of raw text (for tools and tests that start from text).
  static LexicalQuery FromText(std::string_view text);
};

// A scan in progress: holds its snapshot until destroyed. One thread at a time.
class StoreScan {
 public:
  virtual ~StoreScan() = default;
  // The next file (false: no more).
  virtual Result<bool> Next(ScannedFile* out) = 0;
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
  // Writes are partitioned by path: the calls for one partition (Stage for its files,
  // CommitPartition, CheckpointPartition) come from one thread at a time, and
  // different partitions may be written from different threads at once. Commit and
  // Checkpoint cover every partition (no partition's thread may be writing then);
  // a Commit is all or nothing within each partition, and each file's write always is.
  virtual int WritePartitions() const { return 1; }
  virtual int PartitionOf(std::string_view path) const {
    (void)path;
    return 0;
  }
  virtual Status CommitPartition(int partition, const std::vector<std::string>& deletes) {
    (void)partition;
    return Commit({}, deletes);
  }
  virtual Status CheckpointPartition(int partition) {
    (void)partition;
    return Checkpoint();
  }
  // Index-wide records (outside the writing of files: before a run's writers start or
  // after they end).
  virtual Status SetFilesKnown(int64_t n) = 0;
  // Makes what a run wrote the index readers see, where the backend builds a rebuild
  // beside the current index (the embedded store does): called once a run has finished
  // (not when it failed or was cancelled, which leaves the current index as it was).
  virtual Status Publish() { return Status::Ok(); }
  // Checks the backend's own structures (pages, b-trees, its files against their
  // checksums): kCorruption naming what is damaged. Content is checked above the
  // store, from a Scan (chunk texts against their hashes).
  virtual Status Verify() = 0;
  virtual Status SaveRun(const RunRecord& run) = 0;

  // --- shared work ------------------------------------------------------------------
  // A backend that several processes (machines) write at once shares a run's files out
  // among them: files fall into WorkUnits() units (WorkUnitOf), and a process works on
  // a unit's files only while it holds the unit's claim, renewed while the process
  // lives and lapsing `lease_seconds` after it stops (a crash). Claiming returns the
  // records the store holds for the unit's paths, so that files another process has
  // indexed since this one planned (same content) are not indexed again.
  // WorkUnits() 0: no sharing (one writer per index, the embedded store).
  struct UnitClaim {
    bool claimed = false;  // false: another process holds it; ask again later
    std::vector<FileRecord> stored;
  };
  virtual int WorkUnits() const { return 0; }
  virtual Result<UnitClaim> ClaimUnit(int unit, const std::vector<std::string>& paths) {
    (void)unit;
    (void)paths;
    return UnitClaim{true, {}};
  }
  // The unit's files are committed (`files` of them were this process's work).
  virtual Status FinishUnit(int unit, int64_t files) {
    (void)unit;
    (void)files;
    return Status::Ok();
  }
  // Gives up the claims this process has not finished (a run that stops early).
  virtual Status ReleaseUnits() { return Status::Ok(); }

  // --- readers --------------------------------------------------------------------
  // The k best chunks for the analysed query, best first, then any more of the k-th's
  // score (at most k more), so that the list does not end inside a group of equal
  // scores (whose order is not content's).
  virtual Result<std::vector<ChunkHit>> SearchLexical(const LexicalQuery& query, int k,
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
  // Every file, in path order (byte order), each with its chunks in a stable order
  // (position, then content) and their vectors (empty where none is stored), from one
  // snapshot of the index. What `trawl export` is built from.
  virtual Result<std::unique_ptr<StoreScan>> Scan() = 0;
};

enum class OpenMode { kRead, kWrite };

// Where an index lives and how it is laid out: what OpenStore needs, whatever the backend.
struct StoreConfig {
  std::string index_dir;  // the embedded index's folder
  // A PostgreSQL store (postgres:// or postgresql:// URI, or libpq key=value text): the
  // index is `repo` within it; index_dir and shards do not apply. kRead with repo "":
  // every repository the store holds.
  std::string url;
  std::string repo;
  int pool_size = 4;       // connections (writers: write partitions share them)
  int ef_search = 100;     // hnsw.ef_search
  int lease_seconds = 60;
  // Shards of the embedded index (each its own database and vector file, written by its
  // own thread). 0: the existing index's count, or DefaultShards() for a new one. A
  // count other than an existing index's fails FailedPrecondition unless `rebuild`.
  int shards = 0;
  bool wait = false;     // kWrite: wait for another writer instead of failing kUnavailable
  // kWrite: the index is made again from empty (trawl index --rebuild), beside the
  // current one, whatever state that one is in (damaged, an older format, another
  // shard count); readers see it once Publish() is called.
  bool rebuild = false;
};

constexpr int kMaxShards = 64;

// The unit of shared work a path belongs to (Store::WorkUnits).
int WorkUnitOf(std::string_view path, int units);

// The StoreConfig `options` name (index folder or store url, repository, pool).
StoreConfig StoreConfigFor(const Options& options);
// `url` with any password replaced by "***" (for messages and logs).
std::string RedactStoreUrl(const std::string& url);
// The url names a PostgreSQL store.
bool IsPostgresUrl(const std::string& url);

// Shards of a new index: half the cores (at least 1, at most 16). The writers' share of
// a run's CPU is about a third (linux-source), so half as many writer threads as CPU
// workers keeps either from bounding the other; on 2 cores a second writer thread only
// competes with the workers (drivers/net: 4 shards +17% CPU, 2 shards as 1).
int DefaultShards();

// Opens the index `config` names. kWrite takes the index's writer lock: if another
// process holds it, fails kUnavailable ("index <dir> is being written by another trawl
// process (pid N)"), or waits when `wait` is true. kRead of a folder without an index
// fails NotFound. A damaged index fails kCorruption with a message that says how to
// recover.
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config, OpenMode mode);

// The index `options` name, for reading; NotFound ("run `trawl index` first") when there
// is none.
Result<std::unique_ptr<Store>> OpenIndexForReading(const Options& options);

}  // namespace trawl
