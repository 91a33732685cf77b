// The embedded store's class and the helpers its parts share; private to src/store (the
// rest of trawl opens an index through OpenStore, store.h). Its parts:
//   embedded_store.cc    schema, meta, opening and recovery, identity, the factories
//   embedded_writer.cc   the writer: staging and committing files, runs
//   embedded_vectors.cc  the vector file (Checkpoint) and dense search
//   embedded_lexical.cc  the lexical index's part of a query over shards
//   embedded_readers.cc  files, chunks, stats, runs, scans, Verify
// The design: SQLite (WAL + FTS5) is the source of truth for everything but the vectors
// a checkpoint has written to the vector file, which holds the only copy of them; the
// database's `vectors` table is the log of the vectors added since (by content hash).
//
// On disk, in the index folder:
//   .gitignore            "*", so the folder never shows in git status
//   index.db (+ -wal/-shm) the database
//   lock                  the writer lock (flock), holding the writer's pid
//   vectors-<gen>.flat    the quantised vectors of checkpoint generation <gen>, column-major
//                         in dense or sparse blocks, by chunk id and by content hash
//                         (vector_index.h; only at exact_search_limit vectors or more)
//
// Chunk text is a zstd frame per chunk (chunk_text.h), compressed with the database's
// text dictionary (meta key text_dict) once the writer has trained one.
//
// The lexical index is a contentless FTS5 table over pre-tokenised text (Code/PartTermsText,
// computed on the pipeline's workers by Prepare): it stores postings only, and a delete
// passes the same terms again, recomputed from the chunk row.
//
// Each vector is stored once. The vector file holds the vector of every chunk up to
// meta.vindex_hwm (ids are AUTOINCREMENT, never reused), also after the chunk is deleted
// (tombstoned) until the file is next written; the `vectors` table (embedder, content
// hash) holds the vectors committed since, a log. Commit never touches the file; a
// vector committed for content the file holds is logged as the file's bytes, so every
// chunk of a content has the same vector wherever it is read from. Checkpoint (writer
// only) keeps the current file while the chunks committed since (ids above the hwm) and
// the deleted ones (the tombstones) stay small; otherwise it writes every live chunk's
// vector (from the current file up to the hwm, from the log above it) into
// vectors-<gen+1>.flat via tmp + fsync + rename, and then, in one transaction
// (synchronous=FULL: it is durable before the old file goes), points meta at it
// (generation, file, xxhash of the file, high-water mark), clears the tombstones and
// empties the log. A crash before that transaction leaves meta pointing at the old
// file and the log whole (the orphan is removed by the next writer); a crash after it
// leaves only an old orphan. Below exact_search_limit chunks the file goes, its live
// vectors moved back into the table in the same transaction. A vector file that is
// missing, fails its hash, or does not parse has lost vectors that exist nowhere else:
// dense search, scans, Checkpoint and Verify fail with a Corruption that says to run
// `trawl index --rebuild`. Readers map the file named by meta, apply tombstones, and
// search every chunk above the high-water mark exactly from the log, merging both.
// Candidates are then checked against the chunks table, so a deleted chunk is never
// returned even before its tombstone is applied.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "store/chunk_text.h"
#include "store/embedded_store.h"
#include "store/lexical_query.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/vector_index.h"
#include "store/writer_lock.h"

namespace trawl::store_internal {

// Schema and meta (embedded_store.cc).
// 4: chunk text in one zstd frame (chunk_text.h); 5: each vector stored once (the
// vector file, keyed by content hash too, and the table as its log).
inline constexpr int kSchemaVersion = 5;
inline constexpr char kDbName[] = "index.db";
// The text dictionary's capacity, zstd's default; trained from
// options.text_dict_samples (8 MB: ~70 times that, zstd's advice) of chunk text.
inline constexpr size_t kDictCapacity = 112640;
std::string SchemaSql();
// The FTS5 table; `porter`: stemmed.
std::string FtsSql(bool porter);
// The text of a chunk's FTS5 body column: its terms, then its header's.
std::string BodyTerms(const std::string& content, const std::string& context);
// Store::Prepare of both stores: terms, the chunk text's stored form (compressed with
// `dict` if not null) and the vectors' (embedded_writer.cc).
void PrepareWrite(FileWrite* w, const TextDictionary* dict);
std::string JsonIds(const std::vector<int64_t>& ids);
std::string JsonStrings(const std::vector<std::string>& v);
// A connection with trawl's SQL functions (trawl_path_match, trawl_bm25) registered.
Result<std::unique_ptr<Db>> OpenDb(const std::string& path, bool read_only, int busy_timeout_ms,
                                   int writer_cache_mb = 256);
// The filter as SQL over `f` (files): language any-of (?lang: JSON array) and path
// globs any-of (?glob: '\n'-joined). Empty when the filter is empty.
std::string FilterClause(const SearchFilter& filter, int lang_param, int glob_param);
void BindFilter(Stmt* stmt, const SearchFilter& filter, int lang_param, int glob_param);
// The keys of the `meta` table (docs/design.md, "meta keys"). The SQL that reads or
// writes one inside a larger statement (vector_count, vindex_count, vindex_hwm,
// text_dict) names it there.
enum class MetaKey {
  kSchemaVersion,
  kEmbedder,         // identity: the embedder's name
  kDimensions,       // identity: its vectors' dimensions
  kFtsTokenizer,
  kFilesKnown,       // files the last run planned: the coverage denominator
  kCommitSeq,        // commit counter
  kChunkCount,       // kept by the writer, so Stats reads no table
  kVectorCount,      // kept by the writer
  kVectorsUnswept,   // chunks removed since the last sweep of unused vectors
  kVindexGeneration, // the vector file: its generation,
  kVindexFile,       //   name,
  kVindexHash,       //   xxhash,
  kVindexHwm,        //   high-water mark (highest vector id it holds),
  kVindexCount,      //   rows,
  kVindexCommitSeq,  //   the commit it reflects,
  kVindexStat,       //   size, mtime and inode when last verified
};
const char* MetaKeyName(MetaKey key);

Result<std::string> GetMeta(Db* db, MetaKey key);
Result<int64_t> GetMetaInt(Db* db, MetaKey key);
// The stored vectors, kept in meta (key vector_count) by every change to the table.
Status AddVectorCount(Db* db, int64_t delta);
Status SetMeta(Db* db, MetaKey key, const std::string& value);
Status SetMetaInt(Db* db, MetaKey key, int64_t value);
// A file's size, modification time and inode: what says it is the file a writer made.
std::string StatStamp(const std::string& path);
std::string FileError(const std::string& what, const std::string& path);
// The vector file at `path` cannot be read (`why`): its vectors are lost, and the way out.
Status LostVectors(const std::string& path, const Status& why);
Status SyncPath(const std::string& path, bool directory);
// Files (embedded_readers.cc): the columns of a files row, and a record from them.
extern const char kFileColumns[];
FileRecord ReadFileRecord(const Stmt& st, int at = 0);

// What dense search works from: an immutable view, replaced (never modified) when the
// database moves on. Shared by concurrent searches.
struct DenseState {
  int64_t commit_seq = -1;
  int64_t generation = -1;
  std::string embedder;
  int dim = 0;
  std::shared_ptr<const FlatIndex> file;                    // null: rows only
  std::vector<std::shared_ptr<const VectorBlock>> blocks;   // chunks above the file's hwm
  int64_t max_id = 0;                                       // highest chunk id covered
  // Loaded whole at commit_seq: every element not marked deleted is a live chunk of
  // that commit. False after an incremental catch-up, which keeps the elements
  // loaded before (some may have been deleted since).
  bool all_live = false;
  size_t elements() const {
    size_t n = file ? file->size() : 0;
    for (const auto& b : blocks) n += b->size();
    return n;
  }
};

class EmbeddedStore final : public store_internal::EmbeddedShard {
 public:
  EmbeddedStore(std::string dir, OpenMode mode, const EmbeddedStoreOptions& options)
      : dir_(std::move(dir)), db_path_(dir_ + "/" + kDbName), mode_(mode), opts_(options) {}
  ~EmbeddedStore() override { DropStream(); }

  Status Open(bool wait);
  Status OpenDatabase(bool wait);  // Open without the recovery of a damaged database

  Status BindEmbedder(const std::string& name, int dimensions, bool reset) override;
  Result<std::vector<FileRecord>> ListFiles() override;
  // Files matching `where` (SQL over alias f), ordered by path.
  Result<std::vector<FileRecord>> QueryFiles(const char* where);
  Result<std::unordered_map<std::string, std::vector<float>>> LookupVectors(
      const std::vector<std::string>& content_hashes) override;
  void Prepare(FileWrite* write) const override;
  Status Stage(const FileWrite& write) override;
  Status Commit(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes) override;
  Status Checkpoint() override;
  Status SetFilesKnown(int64_t n) override;
  Status SaveRun(const RunRecord& run) override;
  Result<std::vector<ChunkHit>> SearchLexical(const LexicalQuery& query, int k,
                                              const SearchFilter& filter) override;
  Result<std::vector<ChunkHit>> SearchDense(const std::vector<float>& query, int k,
                                            const SearchFilter& filter) override;
  Result<std::vector<ChunkView>> GetChunks(const std::vector<int64_t>& ids) override;
  Result<StoreStats> Stats() override;
  Result<std::vector<FileRecord>> FailedFiles() override;
  Result<std::vector<RunRecord>> Runs(int limit) override;
  Result<std::unique_ptr<StoreScan>> Scan() override;
  Status Verify() override;

  Result<LexicalTotals> LexicalCounts() override;
  Result<std::vector<int64_t>> MatchCounts(const std::vector<LexicalExpr>& exprs) override;
  Result<std::vector<ChunkHit>> RankLexical(const LexicalPlan& plan, const SearchFilter& filter) override;
  bool Stems() const override { return porter_; }

 public:
  // A pooled read-only connection, returned to the pool when it goes out of scope.
  class Reader {
   public:
    Reader(EmbeddedStore* store, std::unique_ptr<Db> db) : store_(store), db_(std::move(db)) {}
    ~Reader() { store_->Release(std::move(db_)); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Db* operator->() { return db_.get(); }
    Db* get() { return db_.get(); }

   private:
    EmbeddedStore* store_;
    std::unique_ptr<Db> db_;
  };

  Result<std::unique_ptr<Reader>> AcquireReader();

 private:
  void Release(std::unique_ptr<Db> db);
  Status RequireWriter() const;
  Status RemoveStaleVectorFiles(const std::string& keep);
  // Removes a file's chunks (tombstoning those the vector file may hold) and, if
  // asked, its row; adds the number of chunks removed to *removed.
  Status RemoveFileRows(int64_t file_id, const std::string& path, bool delete_file_row, int64_t* removed);
  Result<TermStats> DocFrequencies(const std::vector<std::string>& terms) override;

 public:
  // The vector file named by meta as `db` sees it (its stamp or hash checked, no
  // tombstones marked), shared and kept while meta names it; null when there is none;
  // LostVectors when it cannot be read.
  Result<std::shared_ptr<const FlatIndex>> KeyedFile(Db* db);
  // A chunk's text from its stored frame, with the index's text dictionary (read from
  // meta through `db` the first time a frame needs it).
  Status UnpackText(Db* db, std::string_view blob, std::string* context, std::string* content);

 private:
  // Dense search state, refreshed when the database has moved on.
  // `*up_to_date`: false when the state returned lags the database (another thread is
  // loading the new one), so its candidates may include chunks deleted since.
  Result<std::shared_ptr<const DenseState>> CurrentDense(Db* db, bool* up_to_date);
  Result<std::shared_ptr<const DenseState>> RefreshDense(Db* db, int64_t seq, int64_t gen)
      REQUIRES(refresh_mu_);
  Result<std::shared_ptr<const DenseState>> LoadDense(Db* db, const DenseState* previous);
  // The vector file named by meta, checked against its recorded hash unless its
  // StatStamp is the one recorded with it, with the tombstoned chunks marked deleted.
  Result<std::unique_ptr<FlatIndex>> LoadVectorFile(Db* db, int dim, const std::string& file,
                                                    const std::string& hash, const std::string& stamp,
                                                    bool mark_tombstones = true);
  Result<VectorBlock> LoadVectors(Db* db, const std::string& embedder, int dim, int64_t above_id);
  // Keeps the candidates (best first) that still exist and pass the filter.
  Result<std::vector<Scored>> VerifyCandidates(Db* db, const std::vector<Scored>& cands,
                                               const SearchFilter& filter);

  const std::string dir_;
  const std::string db_path_;
  const OpenMode mode_;
  const EmbeddedStoreOptions opts_;

  // Writer state: used by the one writer thread only.
  std::unique_ptr<store_internal::WriterLock> lock_;
  std::unique_ptr<Db> writer_;
  std::string embedder_;
  int dims_ = 0;
  // The vector file of an index filled from empty, written as its commits land so that
  // Checkpoint need not read every vector back (a join of chunks and vectors: 7 of the
  // 8.4 s it took over linux's 853k chunks). Given up (and Checkpoint reads the rows)
  // as soon as a commit removes a chunk or stores one without a vector.
  struct VectorStream {
    std::unique_ptr<FlatIndexWriter> out;
    std::string tmp;         // vectors-<generation>.flat.tmp
    int64_t generation = 0;  // the generation the file will have
  };
  std::unique_ptr<VectorStream> stream_;
  bool stream_tried_ = false;  // streams only from this store's first commit
  void DropStream();
  // Starts stream_ if the index is empty and has no vector file.
  Status StartStream(Db* db);
  Status CommitTransaction(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes);
  // The transaction Stage fills and Commit closes (the writer's thread only).
  struct OpenTransaction {
    explicit OpenTransaction(Db* db) : txn(db) {}
    Transaction txn;  // declared first: the statements below are reset before it ends
    std::unique_ptr<Stmt> find_file, upsert_file, mark_failed, insert_chunk, insert_fts, insert_vector;
    std::unique_ptr<Stmt> find_vector;  // only while a vector file is being written
    std::shared_ptr<const FlatIndex> file;  // the vector file, for content it holds
    int64_t removed = 0, added = 0, vectors_added = 0;
  };
  Status ValidateWrite(const FileWrite& w) const;
  Status BeginTransaction();  // unless one is open
  void AbortTransaction();    // rolls back what was staged
  Result<int64_t> LookupFile(const std::string& path);
  Status WriteFileRows(const FileWrite& w);
  std::unique_ptr<OpenTransaction> open_txn_;
  // Checkpoint's work: keeps, rewrites or drops the vector file.
  Status WriteVectorFile();
  // Gives the database's free pages back to the file system when there are many.
  Status ReleaseFreePages();
  // WriteVectorFile's transaction: meta names the new file (or none), and the table
  // keeps what the file does not hold (`current`: the file before, up to `hwm`).
  Status CommitVectorFile(const FlatIndex* current, int64_t hwm, bool dropped, bool replaced, int64_t new_gen,
                          const std::string& new_file, const std::string& new_hash, const std::string& new_stamp,
                          int64_t new_hwm, int64_t new_count, int64_t seq, int64_t live);

  Mutex pool_mu_;
  std::vector<std::unique_ptr<Db>> pool_ GUARDED_BY(pool_mu_);

  // The text dictionary: the one Prepare compresses with (the writer's), or the one
  // frames have needed so far (a reader's).
  mutable Mutex dict_mu_;
  std::shared_ptr<const TextDictionary> text_dict_ GUARDED_BY(dict_mu_);
  Result<std::shared_ptr<const TextDictionary>> TextDict(Db* db, uint32_t id);
  // Writer: chunk text sampled (PackChunkText's input form) until there is a dictionary,
  // trained from them as a commit ends once there are enough.
  std::string dict_samples_;
  std::vector<size_t> dict_sizes_;
  int64_t dict_seen_ = 0;  // chunks committed while sampling
  bool dict_wanted_ = false;  // no dictionary yet, none given up on
  void SampleText(const FileWrite& w);
  // Trains the dictionary inside the commit's transaction; *trained is published once
  // it commits.
  Status TrainTextDict(std::shared_ptr<const TextDictionary>* trained);

  Mutex keyed_mu_;
  std::string keyed_name_ GUARDED_BY(keyed_mu_);  // file name + hash of keyed_file_
  std::shared_ptr<const FlatIndex> keyed_file_ GUARDED_BY(keyed_mu_);

  Mutex dense_mu_;
  std::shared_ptr<const DenseState> dense_ GUARDED_BY(dense_mu_);
  // Held while one thread loads a new DenseState, so others do not load it too.
  Mutex refresh_mu_;

  // The database has another format (OpenDatabase), which --rebuild replaces.
  bool old_format_ = false;
  // The lexical index stems (document frequencies of raw terms are then unknown).
  std::atomic<bool> porter_{false};
  Mutex df_mu_;
  // Rows matching an FTS5 expression, as of commit df_cache_seq_.
  std::unordered_map<std::string, int64_t> df_cache_ GUARDED_BY(df_mu_);
  int64_t df_cache_seq_ GUARDED_BY(df_mu_) = -1;
};

}  // namespace trawl::store_internal
