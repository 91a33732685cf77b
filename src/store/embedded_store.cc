// The embedded store: SQLite (WAL + FTS5) is the source of truth; the vector index file
// is derived from it and only ever trusted after checking it against the rows.
//
// On disk, in the index folder:
//   .gitignore            "*", so the folder never shows in git status
//   index.db (+ -wal/-shm) the database
//   lock                  the writer lock (flock), holding the writer's pid
//   vectors-<gen>.flat    the quantised column-major vectors of checkpoint generation
//                         <gen> (only at exact_search_limit vectors or more)
//
// The lexical index is a contentless FTS5 table over pre-tokenised text (Code/PartTermsText,
// computed on the pipeline's workers by Prepare): it stores postings only, and a delete
// passes the same terms again, recomputed from the chunk row.
//
// Derived vector file, crash safety. Commit never touches the file. Checkpoint (writer
// only) keeps the current file while the chunks committed since (ids above
// meta.vindex_hwm; ids are AUTOINCREMENT, never reused) and the deleted ones (the
// tombstones) stay small; otherwise it streams every vector into
// vectors-<gen+1>.flat via tmp + fsync + rename, and then, in one transaction, points
// meta at it (generation, file, xxhash of the file, high-water mark) and clears the
// tombstones. A crash before that transaction leaves meta pointing at the old file
// (the orphan is removed by the next writer); a crash after it leaves only an old
// orphan. A file that is missing, fails its hash, or does not parse is rebuilt from
// the vectors table by the next Checkpoint, and meanwhile searched around: readers
// map the file named by meta, apply tombstones, and search every chunk above the
// high-water mark exactly from the rows, merging both. Candidates are then checked
// against the chunks table, so a deleted chunk is never returned even before its
// tombstone is applied.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/mutex.h"
#include "base/tokenize.h"
#include "store/chunk_text.h"
#include "store/embedded_store.h"
#include "store/lexical_query.h"
#include "store/path_filter.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/vector_index.h"
#include "store/writer_lock.h"

namespace trawl {
namespace {

using store_internal::Db;
using store_internal::FlatIndex;
using store_internal::FlatIndexWriter;
using store_internal::LexicalPlan;
using store_internal::LexicalShard;
using store_internal::LexicalTotals;
using store_internal::Scored;
using store_internal::Stmt;
using store_internal::TopK;
using store_internal::Transaction;
using store_internal::VectorBlock;

// 3 (session 8): whole identifiers with parts are no longer in the lexical index.
// 4: chunk text (context and content) in one zstd frame (store/chunk_text.h).
constexpr int kSchemaVersion = 4;
constexpr char kDbName[] = "index.db";

std::string SchemaSql() {
  return R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  language TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  mtime_ns INTEGER NOT NULL DEFAULT 0,
  inode INTEGER NOT NULL DEFAULT 0,
  content_hash TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'indexed',
  error TEXT NOT NULL DEFAULT '',
  git_commit TEXT NOT NULL DEFAULT '',
  git_author TEXT NOT NULL DEFAULT '',
  git_time INTEGER NOT NULL DEFAULT 0,
  git_commits INTEGER NOT NULL DEFAULT 0,
  chunk_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS files_status ON files(status);
CREATE TABLE IF NOT EXISTS chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id INTEGER NOT NULL REFERENCES files(id),
  start_line INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  start_byte INTEGER NOT NULL,
  end_byte INTEGER NOT NULL,
  kind TEXT NOT NULL,
  symbol TEXT NOT NULL,
  text BLOB NOT NULL,
  content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id);
CREATE TABLE IF NOT EXISTS vectors(
  embedder TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  dim INTEGER NOT NULL,
  vec BLOB NOT NULL,
  PRIMARY KEY(embedder, content_hash));
CREATE TABLE IF NOT EXISTS tombstones(chunk_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS runs(
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  summary_json TEXT NOT NULL);
)sql";
}

std::string FtsSql(bool porter) {
  // The columns hold CodeTermsText() (symbol) and PartTermsText() (path, body) output,
  // already split by spaces, so the plain `ascii` tokenizer suffices; rowid = chunk id.
  // Contentless: postings only; deletes go through the 'delete' command with the
  // original terms (contentless_delete needs SQLite 3.43).
  return std::string("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(symbol, path, body, "
                     "content='', tokenize='") +
         (porter ? "porter ascii" : "ascii") + "');" +
         // Bulk-friendly merging: a 16 MB in-memory term buffer per flush (default 1 MB)
         // and merges of 8 segments at a time (default 4) rewrite postings fewer times;
         // the linux tree's writer went from 175 to 146 busy seconds.
         "INSERT INTO chunk_fts(chunk_fts, rank) VALUES('hashsize', 16777216);"
         "INSERT INTO chunk_fts(chunk_fts, rank) VALUES('automerge', 8);"
         "INSERT INTO chunk_fts(chunk_fts, rank) VALUES('crisismerge', 32);"
         // Segment pages that fill the database's 16 KiB pages (default 4050 bytes).
         "INSERT INTO chunk_fts(chunk_fts, rank) VALUES('pgsz', 16000);";
}

// The text of a chunk's FTS5 body column: its terms, then its header's.
std::string BodyTerms(const std::string& content, const std::string& context) {
  std::string body = PartTermsText(content);
  if (!context.empty()) {
    body += ' ';
    body += PartTermsText(context);
  }
  return body;
}

std::string JsonIds(const std::vector<int64_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

std::string JsonStrings(const std::vector<std::string>& v) {
  return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// trawl_path_match(globs, path): `globs` is '\n'-separated; true if any matches. The
// parsed list is cached per statement with sqlite3_set_auxdata (the argument is a
// bound parameter, constant for the statement's run).
void PathMatchFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 2) return sqlite3_result_error(ctx, "trawl_path_match takes 2 arguments", -1);
  auto* globs = static_cast<std::vector<std::string>*>(sqlite3_get_auxdata(ctx, 0));
  if (globs == nullptr) {
    auto parsed = std::make_unique<std::vector<std::string>>();
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    std::string_view all = text ? text : "";
    while (!all.empty()) {
      size_t nl = all.find('\n');
      std::string_view one = all.substr(0, nl);
      if (!one.empty()) parsed->emplace_back(one);
      if (nl == std::string_view::npos) break;
      all.remove_prefix(nl + 1);
    }
    globs = parsed.get();
    sqlite3_set_auxdata(ctx, 0, parsed.release(),
                        [](void* p) { delete static_cast<std::vector<std::string>*>(p); });
    // set_auxdata may have destroyed it already (out of memory): re-fetch.
    globs = static_cast<std::vector<std::string>*>(sqlite3_get_auxdata(ctx, 0));
    if (globs == nullptr) return sqlite3_result_error_nomem(ctx);
  }
  const auto* path_text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  std::string_view path = path_text ? path_text : "";
  for (const auto& g : *globs) {
    if (store_internal::PathMatchesGlob(g, path)) return sqlite3_result_int(ctx, 1);
  }
  sqlite3_result_int(ctx, 0);
}

Result<std::unique_ptr<Db>> OpenDb(const std::string& path, bool read_only, int busy_timeout_ms,
                                   int writer_cache_mb = 256) {
  TRAWL_ASSIGN_OR_RETURN(auto db, Db::Open(path, read_only, busy_timeout_ms));
  int rc = sqlite3_create_function_v2(db->raw(), "trawl_path_match", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      PathMatchFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db->LastError("registering trawl_path_match");
  if (store_internal::RegisterRankFunction(db->raw()) != SQLITE_OK) return db->LastError("registering trawl_bm25");
  if (read_only) {
    TRAWL_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;"));
  } else {
    TRAWL_RETURN_IF_ERROR(db->Exec(
        // 16 KiB pages for a new database (an existing one keeps its own): the writer
        // spends 11% less CPU (fewer, fuller pages of FTS5 segments and chunk rows), the
        // database is 10% smaller, searches as fast (drivers/net/ethernet, bench/).
        "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "PRAGMA temp_store=MEMORY;"
        // A bounded page cache (used as a large index grows), no mapping: the writer's
        // memory stays bounded.
        "PRAGMA cache_size=-" + std::to_string(int64_t{writer_cache_mb} * 1024) + "; PRAGMA mmap_size=0;"));
  }
  return db;
}

// The filter as SQL over `f` (files): language any-of (?lang: JSON array) and path
// globs any-of (?glob: '\n'-joined). Empty when the filter is empty.
std::string FilterClause(const SearchFilter& filter, int lang_param, int glob_param) {
  std::string sql;
  if (!filter.languages.empty()) {
    sql += " AND f.language IN (SELECT value FROM json_each(?" + std::to_string(lang_param) + "))";
  }
  if (!filter.path_globs.empty()) {
    sql += " AND trawl_path_match(?" + std::to_string(glob_param) + ", f.path)";
  }
  return sql;
}

void BindFilter(Stmt* stmt, const SearchFilter& filter, int lang_param, int glob_param) {
  if (!filter.languages.empty()) stmt->Bind(lang_param, JsonStrings(filter.languages));
  if (!filter.path_globs.empty()) {
    std::string globs;
    for (const auto& g : filter.path_globs) {
      if (!globs.empty()) globs += '\n';
      globs += g;
    }
    stmt->Bind(glob_param, globs);
  }
}

Result<std::string> GetMeta(Db* db, const std::string& key) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT value FROM meta WHERE key = ?1"));
  st->Bind(1, key);
  TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Text(0) : std::string();
}

Result<int64_t> GetMetaInt(Db* db, const std::string& key) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT value FROM meta WHERE key = ?1"));
  st->Bind(1, key);
  TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : int64_t{0};
}

// The stored vectors, kept in meta (key vector_count) by every change to the table. The
// first change in an index made before the count existed counts the table once.
Status AddVectorCount(Db* db, int64_t delta) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "INSERT INTO meta(key, value) VALUES('vector_count', (SELECT count(*) FROM vectors)) "
      "ON CONFLICT(key) DO UPDATE SET value = value + ?1"));
  st->Bind(1, delta);
  return st->Run();
}

Status SetMeta(Db* db, const std::string& key, const std::string& value) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, key).Bind(2, value);
  return st->Run();
}

Status SetMetaInt(Db* db, const std::string& key, int64_t value) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, key).Bind(2, value);
  return st->Run();
}

// A file's size, modification time and inode: what says it is the file a writer made,
// as for the source files (empty if it cannot be read).
std::string StatStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 ":%" PRIu64, static_cast<int64_t>(st.st_size),
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                static_cast<uint64_t>(st.st_ino));
  return buf;
}

std::string FileError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Status SyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::IoError(FileError("cannot open", path));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError(FileError("cannot fsync", path));
  return Status::Ok();
}

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
  Result<std::vector<int64_t>> MatchCounts(const std::vector<std::string>& exprs) override;
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
                                                    const std::string& hash, const std::string& stamp);
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

  Mutex pool_mu_;
  std::vector<std::unique_ptr<Db>> pool_ GUARDED_BY(pool_mu_);

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

void EmbeddedStore::DropStream() {
  if (stream_ == nullptr) return;
  std::string tmp = stream_->tmp;
  stream_.reset();  // closes the file
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
}

Status EmbeddedStore::RequireWriter() const {
  if (mode_ != OpenMode::kWrite) return Status::FailedPrecondition("the index " + dir_ + " is open read-only");
  return Status::Ok();
}

Status EmbeddedStore::Open(bool wait) {
  Status st = OpenDatabase(wait);
  // --rebuild makes a damaged index again, and one of another format.
  if ((st.code() == StatusCode::kCorruption || old_format_) && mode_ == OpenMode::kWrite && opts_.discard_damaged) {
    old_format_ = false;
    // Still holding the writer lock: nobody else writes while the files go.
    writer_.reset();
    {
      MutexLock lock(&pool_mu_);
      pool_.clear();
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind(kDbName, 0) == 0 || name.rfind("vectors-", 0) == 0) fs::remove(entry.path(), ec);
    }
    st = OpenDatabase(wait);
  }
  if (st.code() == StatusCode::kCorruption) {
    return Status::Corruption("the index at " + dir_ + " is damaged or is not a trawl index (" + st.message() +
                              "): `trawl index --rebuild` makes it again");
  }
  return st;
}

Status EmbeddedStore::OpenDatabase(bool wait) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (mode_ == OpenMode::kRead) {
    if (!fs::exists(db_path_, ec)) {
      return Status::NotFound("no index at " + dir_ + ": run `trawl index` first");
    }
    TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    TRAWL_ASSIGN_OR_RETURN(auto has_meta, reader->get()->Prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"));
    TRAWL_ASSIGN_OR_RETURN(bool row, has_meta->Step());
    if (!row || has_meta->Int(0) == 0) return Status::Corruption("an empty database, or not trawl's: no meta table");
    has_meta.reset();
    TRAWL_ASSIGN_OR_RETURN(int64_t version, GetMetaInt(reader->get(), "schema_version"));
    if (version != kSchemaVersion) {
      return Status::FailedPrecondition("index " + dir_ + " has format " + std::to_string(version) +
                                        ", this trawl reads format " + std::to_string(kSchemaVersion) +
                                        ": run `trawl index --rebuild`");
    }
    TRAWL_ASSIGN_OR_RETURN(std::string tokenizer, GetMeta(reader->get(), "fts_tokenizer"));
    porter_ = tokenizer == "porter";
    return Status::Ok();
  }

  fs::create_directories(dir_, ec);
  if (ec) return Status::IoError("cannot create " + dir_ + ": " + ec.message());
  std::string gitignore = dir_ + "/.gitignore";
  if (!fs::exists(gitignore, ec)) TRAWL_RETURN_IF_ERROR(WriteFileAtomic(gitignore, "*\n"));
  if (lock_ == nullptr) {
    TRAWL_ASSIGN_OR_RETURN(lock_, store_internal::WriterLock::Acquire(dir_, wait));
  }
  TRAWL_ASSIGN_OR_RETURN(writer_, OpenDb(db_path_, /*read_only=*/false, opts_.busy_timeout_ms, opts_.writer_cache_mb));

  Transaction txn(writer_.get());
  TRAWL_RETURN_IF_ERROR(txn.Begin(true));
  TRAWL_RETURN_IF_ERROR(writer_->Exec(SchemaSql()));
  TRAWL_ASSIGN_OR_RETURN(int64_t version, GetMetaInt(writer_.get(), "schema_version"));
  if (version == 0) {
    TRAWL_RETURN_IF_ERROR(writer_->Exec(FtsSql(opts_.fts_porter)));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(writer_.get(), "schema_version", kSchemaVersion));
    TRAWL_RETURN_IF_ERROR(SetMeta(writer_.get(), "fts_tokenizer", opts_.fts_porter ? "porter" : "ascii"));
  } else if (version != kSchemaVersion) {
    old_format_ = true;
    return Status::FailedPrecondition("index " + dir_ + " has format " + std::to_string(version) +
                                      ", this trawl writes format " + std::to_string(kSchemaVersion) +
                                      ": run `trawl index --rebuild`");
  }
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  TRAWL_ASSIGN_OR_RETURN(std::string tokenizer, GetMeta(writer_.get(), "fts_tokenizer"));
  porter_ = tokenizer == "porter";
  TRAWL_ASSIGN_OR_RETURN(embedder_, GetMeta(writer_.get(), "embedder"));
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(writer_.get(), "dimensions"));
  dims_ = static_cast<int>(dims);
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(writer_.get(), "vindex_file"));
  return RemoveStaleVectorFiles(file);
}

Status EmbeddedStore::RemoveStaleVectorFiles(const std::string& keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("vectors-", 0) == 0 && name != keep) fs::remove(entry.path(), ec);
  }
  return Status::Ok();
}

Result<std::unique_ptr<EmbeddedStore::Reader>> EmbeddedStore::AcquireReader() {
  {
    MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      auto db = std::move(pool_.back());
      pool_.pop_back();
      return std::make_unique<Reader>(this, std::move(db));
    }
  }
  TRAWL_ASSIGN_OR_RETURN(auto db, OpenDb(db_path_, /*read_only=*/true, opts_.busy_timeout_ms));
  return std::make_unique<Reader>(this, std::move(db));
}

void EmbeddedStore::Release(std::unique_ptr<Db> db) {
  MutexLock lock(&pool_mu_);
  if (pool_.size() < 16) pool_.push_back(std::move(db));
}

// --- identity -----------------------------------------------------------------------

Status EmbeddedStore::BindEmbedder(const std::string& name, int dimensions, bool reset) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  if (name.empty() || dimensions <= 0) {
    return Status::InvalidArgument("an embedder needs a name and a positive dimension");
  }
  Db* db = writer_.get();
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(true));
  TRAWL_ASSIGN_OR_RETURN(std::string old_name, GetMeta(db, "embedder"));
  TRAWL_ASSIGN_OR_RETURN(int64_t old_dims, GetMetaInt(db, "dimensions"));
  bool same = old_name == name && old_dims == dimensions;
  if (!reset && !same && !old_name.empty()) {
    TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT (SELECT count(*) FROM chunks) + (SELECT count(*) FROM vectors)"));
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->Int(0) > 0) {
      return Status::FailedPrecondition("index was built with embedder " + old_name + " (dim " +
                                        std::to_string(old_dims) + "); this run uses " + name + " (dim " +
                                        std::to_string(dimensions) + "): run `trawl index --rebuild` to re-embed");
    }
  }
  std::string old_file;
  if (reset) {
    TRAWL_ASSIGN_OR_RETURN(old_file, GetMeta(db, "vindex_file"));
    TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, "vindex_generation"));
    TRAWL_RETURN_IF_ERROR(db->Exec(
        "DELETE FROM chunks; DELETE FROM files; DELETE FROM vectors; DELETE FROM tombstones;"
        "DROP TABLE IF EXISTS chunk_fts;"));
    TRAWL_RETURN_IF_ERROR(db->Exec(FtsSql(opts_.fts_porter)));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, "fts_tokenizer", opts_.fts_porter ? "porter" : "ascii"));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_generation", gen + 1));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_file", ""));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_hash", ""));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_stat", ""));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_hwm", 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_commit_seq", -1));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "chunk_count", 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vectors_unswept", 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vector_count", 0));
    TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, "commit_seq"));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "commit_seq", seq + 1));
  }
  TRAWL_RETURN_IF_ERROR(SetMeta(db, "embedder", name));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "dimensions", dimensions));
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  embedder_ = name;
  dims_ = dimensions;
  if (reset) {
    DropStream();
    stream_tried_ = false;
    porter_ = opts_.fts_porter;
    {
      MutexLock lock(&df_mu_);
      df_cache_.clear();
      df_cache_seq_ = -1;
    }
    TRAWL_RETURN_IF_ERROR(RemoveStaleVectorFiles(""));
    MutexLock lock(&dense_mu_);
    dense_.reset();
  }
  return Status::Ok();
}

// --- writer -------------------------------------------------------------------------

// The kFileColumns of a row, from column `at` on.
FileRecord ReadFileRecord(const Stmt& st, int at = 0) {
  FileRecord f;
  f.path = st.Text(at + 0);
  f.language = st.Text(at + 1);
  f.size = static_cast<uint64_t>(st.Int(at + 2));
  f.mtime_ns = st.Int(at + 3);
  f.inode = static_cast<uint64_t>(st.Int(at + 4));
  f.content_hash = st.Text(at + 5);
  f.status = st.Text(at + 6);
  f.error = st.Text(at + 7);
  f.git_commit = st.Text(at + 8);
  f.git_author = st.Text(at + 9);
  f.git_time = st.Int(at + 10);
  f.git_commits = static_cast<int>(st.Int(at + 11));
  f.chunk_count = static_cast<int>(st.Int(at + 12));
  return f;
}

constexpr char kFileColumns[] =
    "f.path, f.language, f.size, f.mtime_ns, f.inode, f.content_hash, f.status, f.error, "
    "f.git_commit, f.git_author, f.git_time, f.git_commits, f.chunk_count";

Result<std::vector<FileRecord>> EmbeddedStore::QueryFiles(const char* where) {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  TRAWL_ASSIGN_OR_RETURN(auto st, (*reader)->Prepare(std::string("SELECT ") + kFileColumns + " FROM files f " +
                                                     where + " ORDER BY f.path"));
  std::vector<FileRecord> out;
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadFileRecord(*st));
  }
  return out;
}

Result<std::vector<FileRecord>> EmbeddedStore::ListFiles() { return QueryFiles(""); }

Result<std::unordered_map<std::string, std::vector<float>>> EmbeddedStore::LookupVectors(
    const std::vector<std::string>& content_hashes) {
  std::unordered_map<std::string, std::vector<float>> out;
  if (content_hashes.empty()) return out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  std::string embedder = embedder_;
  int dim = dims_;
  if (mode_ == OpenMode::kRead) {
    TRAWL_ASSIGN_OR_RETURN(embedder, GetMeta(db, "embedder"));
    TRAWL_ASSIGN_OR_RETURN(int64_t d, GetMetaInt(db, "dimensions"));
    dim = static_cast<int>(d);
  }
  if (embedder.empty()) return out;
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "SELECT content_hash, vec FROM vectors WHERE embedder = ?1 AND content_hash IN "
      "(SELECT value FROM json_each(?2))"));
  st->Bind(1, embedder).Bind(2, JsonStrings(content_hashes));
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    std::vector<float> v(static_cast<size_t>(dim));
    if (!store_internal::DecodeVector(st->Blob(1), dim, v.data())) continue;
    out.emplace(st->Text(0), std::move(v));
  }
  return out;
}

void EmbeddedStore::Prepare(FileWrite* w) const {
  if (!w->prepared) {
    w->path_terms = PartTermsText(w->file.path);
    for (auto& c : w->chunks) {
      c.prepared.symbol_terms = CodeTermsText(c.symbol);
      c.prepared.body_terms = BodyTerms(c.content, c.context);
      c.prepared.text_blob = store_internal::PackChunkText(c.context, c.content);
    }
    w->prepared = true;
  }
  for (auto& c : w->chunks) {
    if (c.vector.empty()) continue;
    c.prepared.vector_dims = static_cast<int>(c.vector.size());
    c.prepared.vector_blob = store_internal::EncodeVector(std::move(c.vector));
    c.vector = {};
  }
}

Status EmbeddedStore::RemoveFileRows(int64_t file_id, const std::string& path, bool delete_file_row,
                                     int64_t* removed) {
  Db* db = writer_.get();
  // Chunks the vector file may hold are tombstoned so the next load drops them.
  TRAWL_ASSIGN_OR_RETURN(auto tomb, db->Prepare(
      "INSERT OR IGNORE INTO tombstones(chunk_id) SELECT id FROM chunks WHERE file_id = ?1 AND "
      "id <= (SELECT coalesce((SELECT value FROM meta WHERE key = 'vindex_hwm'), 0))"));
  TRAWL_RETURN_IF_ERROR(tomb->Bind(1, file_id).Run());
  // The contentless FTS table forgets a row when told the terms it was given.
  TRAWL_ASSIGN_OR_RETURN(auto rows, db->Prepare(
      "SELECT id, symbol, text FROM chunks WHERE file_id = ?1"));
  TRAWL_ASSIGN_OR_RETURN(auto fts, db->Prepare(
      "INSERT INTO chunk_fts(chunk_fts, rowid, symbol, path, body) VALUES('delete', ?1, ?2, ?3, ?4)"));
  std::string path_terms = PartTermsText(path);
  rows->Bind(1, file_id);
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, rows->Step());
    if (!row) break;
    std::string context, content;
    TRAWL_RETURN_IF_ERROR(store_internal::UnpackChunkText(rows->Blob(2), &context, &content)
                              .WithContext("chunk " + std::to_string(rows->Int(0)) + " of " + path));
    fts->Bind(1, rows->Int(0)).Bind(2, CodeTermsText(rows->Text(1))).Bind(3, path_terms)
        .Bind(4, BodyTerms(content, context));
    TRAWL_RETURN_IF_ERROR(fts->Run());
  }
  TRAWL_ASSIGN_OR_RETURN(auto chunks, db->Prepare("DELETE FROM chunks WHERE file_id = ?1"));
  TRAWL_RETURN_IF_ERROR(chunks->Bind(1, file_id).Run());
  *removed += db->Changes();
  if (delete_file_row) {
    TRAWL_ASSIGN_OR_RETURN(auto file, db->Prepare("DELETE FROM files WHERE id = ?1"));
    TRAWL_RETURN_IF_ERROR(file->Bind(1, file_id).Run());
  }
  return Status::Ok();
}

Status EmbeddedStore::Stage(const FileWrite& write) {
  Status st = RequireWriter();
  if (st.ok()) st = ValidateWrite(write);
  if (st.ok()) st = BeginTransaction();
  if (st.ok()) st = WriteFileRows(write);
  if (!st.ok()) AbortTransaction();  // all or nothing: what was staged goes too
  return st;
}

Status EmbeddedStore::Commit(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes) {
  Status st = CommitTransaction(writes, deletes);
  if (!st.ok()) AbortTransaction();
  return st;
}

void EmbeddedStore::AbortTransaction() {
  open_txn_.reset();
  DropStream();  // it may hold vectors of the rows rolled back
}

Status EmbeddedStore::StartStream(Db* db) {
  stream_tried_ = true;
  TRAWL_ASSIGN_OR_RETURN(int64_t chunks, GetMetaInt(db, "chunk_count"));
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, "vindex_file"));
  if (chunks != 0 || !file.empty() || dims_ <= 0) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, "vindex_generation"));
  auto stream = std::make_unique<VectorStream>();
  stream->generation = gen + 1;
  stream->tmp = dir_ + "/vectors-" + std::to_string(stream->generation) + ".flat.tmp";
  auto out = FlatIndexWriter::Create(stream->tmp, dims_);
  if (!out.ok()) return Status::Ok();  // Checkpoint reads the rows instead
  stream->out = std::move(out).value();
  stream_ = std::move(stream);
  return Status::Ok();
}

Status EmbeddedStore::ValidateWrite(const FileWrite& w) const {
  if (w.file.path.empty()) return Status::InvalidArgument("a file write without a path");
  if (!w.file.status.empty() && w.file.status != "indexed" && w.file.status != "failed" &&
      w.file.status != "skipped") {
    return Status::InvalidArgument("file " + w.file.path + ": unknown status '" + w.file.status + "'");
  }
  if (w.file.status == "failed" || w.file.status == "skipped") return Status::Ok();
  for (const auto& c : w.chunks) {
    if (c.vector.empty() && c.prepared.vector_blob.empty()) continue;
    if (dims_ == 0) return Status::FailedPrecondition("Commit of vectors before BindEmbedder");
    size_t dim = c.vector.empty() ? static_cast<size_t>(c.prepared.vector_dims) : c.vector.size();
    if (dim != static_cast<size_t>(dims_)) {
      return Status::InvalidArgument("file " + w.file.path + ": a chunk vector has dimension " +
                                     std::to_string(dim) + ", the index has " + std::to_string(dims_));
    }
  }
  return Status::Ok();
}

Status EmbeddedStore::BeginTransaction() {
  if (open_txn_ != nullptr) return Status::Ok();
  Db* db = writer_.get();
  auto t = std::make_unique<OpenTransaction>(db);
  TRAWL_RETURN_IF_ERROR(t->txn.Begin(true));
  if (!stream_tried_) TRAWL_RETURN_IF_ERROR(StartStream(db));
  TRAWL_ASSIGN_OR_RETURN(t->find_file, db->Prepare("SELECT id FROM files WHERE path = ?1"));
  TRAWL_ASSIGN_OR_RETURN(t->upsert_file, db->Prepare(
      "INSERT INTO files(path, language, size, mtime_ns, inode, content_hash, status, error, "
      "git_commit, git_author, git_time, git_commits, chunk_count) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
      "ON CONFLICT(path) DO UPDATE SET language = excluded.language, size = excluded.size, "
      "mtime_ns = excluded.mtime_ns, inode = excluded.inode, content_hash = excluded.content_hash, "
      "status = excluded.status, error = excluded.error, git_commit = excluded.git_commit, "
      "git_author = excluded.git_author, git_time = excluded.git_time, git_commits = excluded.git_commits, "
      "chunk_count = excluded.chunk_count RETURNING id"));
  TRAWL_ASSIGN_OR_RETURN(t->mark_failed, db->Prepare("UPDATE files SET status = 'failed', error = ?1 WHERE id = ?2"));
  TRAWL_ASSIGN_OR_RETURN(t->insert_chunk, db->Prepare(
      "INSERT INTO chunks(file_id, start_line, end_line, start_byte, end_byte, kind, symbol, text, "
      "content_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  TRAWL_ASSIGN_OR_RETURN(t->insert_fts, db->Prepare(
      "INSERT INTO chunk_fts(rowid, symbol, path, body) VALUES(?1, ?2, ?3, ?4)"));
  TRAWL_ASSIGN_OR_RETURN(t->insert_vector, db->Prepare(
      "INSERT OR IGNORE INTO vectors(embedder, content_hash, dim, vec) VALUES(?1, ?2, ?3, ?4)"));
  if (stream_ != nullptr) {
    TRAWL_ASSIGN_OR_RETURN(t->find_vector, db->Prepare(
        "SELECT vec FROM vectors WHERE embedder = ?1 AND content_hash = ?2"));
  }
  open_txn_ = std::move(t);
  return Status::Ok();
}

Result<int64_t> EmbeddedStore::LookupFile(const std::string& path) {
  Stmt* find_file = open_txn_->find_file.get();
  find_file->Bind(1, path);
  TRAWL_ASSIGN_OR_RETURN(bool row, find_file->Step());
  int64_t id = row ? find_file->Int(0) : 0;
  find_file->Reset();
  return id;
}

Status EmbeddedStore::CommitTransaction(const std::vector<FileWrite>& writes,
                                        const std::vector<std::string>& deletes) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  // Validate everything first: a commit is all or nothing.
  for (const auto& w : writes) TRAWL_RETURN_IF_ERROR(ValidateWrite(w));
  TRAWL_RETURN_IF_ERROR(BeginTransaction());
  OpenTransaction& t = *open_txn_;
  for (const auto& path : deletes) {
    TRAWL_ASSIGN_OR_RETURN(int64_t id, LookupFile(path));
    if (id != 0) TRAWL_RETURN_IF_ERROR(RemoveFileRows(id, path, /*delete_file_row=*/true, &t.removed));
  }
  for (const auto& w : writes) TRAWL_RETURN_IF_ERROR(WriteFileRows(w));
  Db* db = writer_.get();
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, "commit_seq"));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "commit_seq", seq + 1));
  TRAWL_ASSIGN_OR_RETURN(int64_t chunk_count, GetMetaInt(db, "chunk_count"));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "chunk_count", chunk_count + t.added - t.removed));
  if (t.vectors_added > 0) TRAWL_RETURN_IF_ERROR(AddVectorCount(db, t.vectors_added));
  if (t.removed > 0) {
    DropStream();  // the file would hold chunks that are gone
    TRAWL_ASSIGN_OR_RETURN(int64_t unswept, GetMetaInt(db, "vectors_unswept"));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vectors_unswept", unswept + t.removed));
  }
  Status committed = t.txn.Commit();
  open_txn_.reset();
  return committed;
}

Status EmbeddedStore::WriteFileRows(const FileWrite& original) {
  OpenTransaction& t = *open_txn_;
  Db* db = writer_.get();
  FileWrite local;  // a write that arrived unprepared, prepared here
  const FileWrite* w = &original;
  bool unprepared = !original.prepared || std::any_of(original.chunks.begin(), original.chunks.end(),
                                                      [](const ChunkRecord& c) { return !c.vector.empty(); });
  if (unprepared && original.file.status != "failed" && original.file.status != "skipped") {
    local = original;
    Prepare(&local);
    w = &local;
  }
  const FileRecord& f = w->file;
  TRAWL_ASSIGN_OR_RETURN(int64_t old_id, LookupFile(f.path));
  if (old_id != 0 && f.status == "failed") {
    // A failure (the embedder down, the file unreadable for a moment) must not lose
    // what was indexed: the file keeps its last chunks, is marked failed with the
    // reason, and the next run retries it (a failed file never passes the stat check).
    t.mark_failed->Bind(1, f.error).Bind(2, old_id);
    return t.mark_failed->Run();
  }
  if (old_id != 0) TRAWL_RETURN_IF_ERROR(RemoveFileRows(old_id, f.path, /*delete_file_row=*/false, &t.removed));
  // "skipped": binary or too large, found when read; recorded so the next run's stat
  // check skips it too. Skipped files, and failed files new to the index, hold no chunks.
  bool failed = f.status == "failed" || f.status == "skipped";
  Stmt* upsert_file = t.upsert_file.get();
  upsert_file->Bind(1, f.path).Bind(2, f.language).Bind(3, f.size).Bind(4, f.mtime_ns)
      .Bind(5, f.inode).Bind(6, f.content_hash).Bind(7, f.status.empty() ? "indexed" : f.status)
      .Bind(8, f.error).Bind(9, f.git_commit).Bind(10, f.git_author).Bind(11, f.git_time)
      .Bind(12, f.git_commits).Bind(13, failed ? int64_t{0} : static_cast<int64_t>(w->chunks.size()));
  TRAWL_ASSIGN_OR_RETURN(bool row, upsert_file->Step());
  if (!row) return Status::Internal("upserting file " + f.path + " returned no id");
  int64_t file_id = upsert_file->Int(0);
  upsert_file->Reset();
  if (failed) return Status::Ok();

  // The chunk's text and terms are bound without a copy (they outlive each Run(),
  // which resets the statement): the text of every chunk passes here twice.
  for (const auto& c : w->chunks) {
    t.insert_chunk->Bind(1, file_id).Bind(2, c.start_line).Bind(3, c.end_line)
        .Bind(4, static_cast<int64_t>(c.start_byte)).Bind(5, static_cast<int64_t>(c.end_byte))
        .BindStatic(6, c.kind).BindStatic(7, c.symbol).BindBlobStatic(8, c.prepared.text_blob)
        .BindStatic(9, c.content_hash);
    TRAWL_RETURN_IF_ERROR(t.insert_chunk->Run());
    int64_t chunk_id = db->LastInsertId();
    ++t.added;
    t.insert_fts->Bind(1, chunk_id).BindStatic(2, c.prepared.symbol_terms).BindStatic(3, w->path_terms)
        .BindStatic(4, c.prepared.body_terms);
    TRAWL_RETURN_IF_ERROR(t.insert_fts->Run());
    const std::string& blob = c.prepared.vector_blob;
    bool stored = false;  // this content's vector was already there (and is what is searched)
    if (!blob.empty()) {
      t.insert_vector->BindStatic(1, embedder_).BindStatic(2, c.content_hash).Bind(3, dims_)
          .BindBlobStatic(4, blob);
      TRAWL_RETURN_IF_ERROR(t.insert_vector->Run());
      stored = db->Changes() == 0;
      t.vectors_added += stored ? 0 : 1;
    }
    if (stream_ != nullptr) {
      Status appended = Status::FailedPrecondition("a chunk without a vector");
      if (stored) {
        // A vector reused by content hash came back decoded and quantised again: its
        // bytes may differ from the stored ones, which the rows would give.
        t.find_vector->Bind(1, embedder_).Bind(2, c.content_hash);
        TRAWL_ASSIGN_OR_RETURN(bool found, t.find_vector->Step());
        if (found) appended = stream_->out->Append(chunk_id, t.find_vector->Blob(0));
        t.find_vector->Reset();
      } else if (!blob.empty()) {
        appended = stream_->out->Append(chunk_id, blob);
      }
      if (!appended.ok()) DropStream();
    }
  }
  return Status::Ok();
}

Status EmbeddedStore::SetFilesKnown(int64_t n) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  return SetMetaInt(writer_.get(), "files_known", n);
}

Status EmbeddedStore::SaveRun(const RunRecord& run) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  TRAWL_ASSIGN_OR_RETURN(auto st, writer_->Prepare(
      "INSERT INTO runs(id, started_at, finished_at, state, summary_json) VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, "
      "state = excluded.state, summary_json = excluded.summary_json"));
  st->Bind(1, run.id).Bind(2, run.started_at).Bind(3, run.finished_at).Bind(4, run.state)
      .Bind(5, run.summary_json);
  return st->Run();
}

Result<VectorBlock> EmbeddedStore::LoadVectors(Db* db, const std::string& embedder, int dim,
                                               int64_t above_id) {
  VectorBlock block;
  block.dim = dim;
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "SELECT c.id, v.vec FROM chunks c JOIN vectors v ON v.embedder = ?1 AND v.content_hash = c.content_hash "
      "WHERE c.id > ?2 ORDER BY c.id"));
  st->Bind(1, embedder).Bind(2, above_id);
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    size_t at = block.q.size();
    block.q.resize(at + static_cast<size_t>(dim));
    float scale = 0;
    if (!store_internal::DecodeQuantized(st->Blob(1), dim, &scale, block.q.data() + at)) {
      block.q.resize(at);  // not this embedder's shape: never searched
      continue;
    }
    block.scales.push_back(scale);
    block.ids.push_back(st->Int(0));
  }
  return block;
}

Status EmbeddedStore::Checkpoint() {
  Status st = WriteVectorFile();
  DropStream();  // unless WriteVectorFile used it: a stream covers one fill from empty
  return st;
}

Status EmbeddedStore::WriteVectorFile() {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  Db* db = writer_.get();
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, "commit_seq"));
  TRAWL_ASSIGN_OR_RETURN(int64_t done_seq, GetMetaInt(db, "vindex_commit_seq"));
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, "vindex_generation"));
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, "vindex_file"));
  TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, "vindex_hash"));
  TRAWL_ASSIGN_OR_RETURN(std::string stamp, GetMeta(db, "vindex_stat"));
  TRAWL_ASSIGN_OR_RETURN(int64_t hwm, GetMetaInt(db, "vindex_hwm"));
  if (seq == done_seq) {
    // Nothing committed since: done, unless the file was lost or damaged meanwhile
    // (its layout is checked here; its hash when a change next reuses it).
    if (file.empty()) return Status::Ok();
    if (FlatIndex::Load(dir_ + "/" + file, dims_).ok()) return Status::Ok();
  }
  if (dims_ == 0) return Status::Ok();  // no embedder, no vectors

  // What decides the file's fate is read from meta and the rowid b-tree only: a join of
  // every chunk with its vector took 2.9 s over linux's 853k chunks, paid by every
  // watch-mode edit. Every chunk of an indexed file has a vector of the bound embedder
  // (a file whose embedding failed keeps no chunks), so chunks stand for vectors here;
  // the rewrite below appends only the rows that have one.
  TRAWL_ASSIGN_OR_RETURN(int64_t live, GetMetaInt(db, "chunk_count"));
  TRAWL_ASSIGN_OR_RETURN(auto top, db->Prepare("SELECT coalesce(max(id), 0) FROM chunks"));
  TRAWL_ASSIGN_OR_RETURN(bool row, top->Step());
  int64_t max_id = row ? top->Int(0) : 0;
  top->Reset();

  std::string new_file = file, new_hash = hash, new_stamp = stamp;
  int64_t new_hwm = hwm, new_gen = gen;
  bool replaced = false;  // the file changed (or went): tombstones start afresh
  if (live < opts_.exact_search_limit) {
    replaced = true;
    new_file.clear();
    new_hash.clear();
    new_stamp.clear();
    new_hwm = 0;
    new_gen = gen + 1;
  } else {
    std::unique_ptr<FlatIndex> current;
    if (!file.empty()) {
      // Hashed whatever its stamp: every run checks the file readers take on trust, and
      // writes it again if it was damaged in place.
      auto loaded = LoadVectorFile(db, dims_, file, hash, /*stamp=*/"");
      if (loaded.ok()) {
        current = std::move(loaded).value();
        new_stamp = StatStamp(dir_ + "/" + file);  // as verified just now
      }
    }
    // Keep the file while what it lacks (the tail, scored from the rows) and what it
    // holds in vain (deleted chunks) stay small: watch-mode edits cost no rewrite.
    int64_t tail = 0;  // chunks the file lacks: a range of the rowid b-tree
    if (current != nullptr) {
      TRAWL_ASSIGN_OR_RETURN(auto newer, db->Prepare("SELECT count(*) FROM chunks WHERE id > ?1"));
      newer->Bind(1, hwm);
      TRAWL_ASSIGN_OR_RETURN(bool got, newer->Step());
      tail = got ? newer->Int(0) : 0;
    }
    replaced = current == nullptr ||
               static_cast<double>(tail) > opts_.max_tail_fraction * static_cast<double>(current->size()) ||
               static_cast<double>(current->deleted()) >
                   opts_.max_deleted_fraction * static_cast<double>(current->size());
    if (replaced) {
      new_gen = gen + 1;
      new_file = "vectors-" + std::to_string(new_gen) + ".flat";
      std::string final_path = dir_ + "/" + new_file;
      std::string tmp = final_path + ".tmp";
      std::unique_ptr<FlatIndexWriter> out;
      // The file written as the rows were committed holds exactly what the join below
      // would read when it covers every chunk (each with a vector) and nothing since.
      if (stream_ != nullptr && stream_->generation == new_gen && stream_->out->last_id() == max_id &&
          static_cast<int64_t>(stream_->out->size()) == live &&
          ::rename(stream_->tmp.c_str(), tmp.c_str()) == 0) {
        out = std::move(stream_->out);
        stream_.reset();
      } else {
        DropStream();
        TRAWL_ASSIGN_OR_RETURN(out, FlatIndexWriter::Create(tmp, dims_));
        TRAWL_ASSIGN_OR_RETURN(auto rows, db->Prepare(
            "SELECT c.id, v.vec FROM chunks c JOIN vectors v ON v.embedder = ?1 AND "
            "v.content_hash = c.content_hash ORDER BY c.id"));
        rows->Bind(1, embedder_);
        for (;;) {
          TRAWL_ASSIGN_OR_RETURN(bool more, rows->Step());
          if (!more) break;
          Status st = out->Append(rows->Int(0), rows->Blob(1));
          // A vector of another shape is never searched (nor was it ever).
          if (!st.ok() && st.code() != StatusCode::kInvalidArgument) return st;
        }
      }
      TRAWL_RETURN_IF_ERROR(out->Finish());
      TRAWL_RETURN_IF_ERROR(FlatIndex::Load(tmp, dims_).status());
      TRAWL_ASSIGN_OR_RETURN(new_hash, HashFileHex(tmp));
      if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        return Status::IoError(FileError("cannot rename to", final_path));
      }
      TRAWL_RETURN_IF_ERROR(SyncPath(dir_, true));
      new_stamp = StatStamp(final_path);
      new_hwm = max_id;
    }
  }

  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(true));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_generation", new_gen));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_file", new_file));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_hash", new_hash));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, "vindex_stat", new_stamp));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_hwm", new_hwm));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vindex_commit_seq", seq));
  if (replaced) TRAWL_RETURN_IF_ERROR(db->Exec("DELETE FROM tombstones"));
  // Vectors no chunk uses any more are dropped once the chunks removed since the last
  // sweep reach a tenth of the index: the sweep reads every chunk (3.9 s over linux's
  // 853k), so each removed chunk pays a constant share of it, and a watch-mode edit
  // pays nothing. Until then they serve as a cache (an undone edit re-embeds nothing).
  TRAWL_ASSIGN_OR_RETURN(int64_t unswept, GetMetaInt(db, "vectors_unswept"));
  if (unswept > 0 && (live < opts_.exact_search_limit || unswept * 10 >= live)) {
    TRAWL_RETURN_IF_ERROR(db->Exec(
        "DELETE FROM vectors WHERE content_hash NOT IN (SELECT content_hash FROM chunks)"));
    TRAWL_RETURN_IF_ERROR(AddVectorCount(db, -db->Changes()));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, "vectors_unswept", 0));
  }
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  TRAWL_RETURN_IF_ERROR(RemoveStaleVectorFiles(new_file));
  MutexLock lock(&dense_mu_);
  dense_.reset();  // the next search maps the current file and catches up from the rows
  return Status::Ok();
}

// --- readers --------------------------------------------------------------------------

Result<std::unique_ptr<FlatIndex>> EmbeddedStore::LoadVectorFile(Db* db, int dim, const std::string& file,
                                                                 const std::string& hash,
                                                                 const std::string& stamp) {
  std::string path = dir_ + "/" + file;
  TRAWL_ASSIGN_OR_RETURN(auto index, FlatIndex::Load(path, dim));
  // Hashing the file is half of a one-off semantic search over linux's 885 MB file
  // (0.17 of 0.34 s): like a source file, a file whose size, time and inode are those
  // recorded when it was written is taken as written; any other is hashed (read, not
  // mapped, so that the columns a search never needs stay out of memory). Damage that
  // keeps all three (bit rot) is found by the next index run, which always hashes.
  if (stamp.empty() || StatStamp(path) != stamp) {
    TRAWL_ASSIGN_OR_RETURN(std::string actual, HashFileHex(path));
    if (actual != hash) return Status::Corruption(path + ": checksum mismatch");
  }
  TRAWL_ASSIGN_OR_RETURN(auto tombs, db->Prepare("SELECT chunk_id FROM tombstones"));
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool more, tombs->Step());
    if (!more) break;
    index->MarkDeleted(tombs->Int(0));
  }
  return index;
}

Result<std::shared_ptr<const DenseState>> EmbeddedStore::LoadDense(Db* db, const DenseState* previous) {
  // One read transaction: meta, tombstones and rows from the same snapshot.
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(false));
  auto state = std::make_shared<DenseState>();
  TRAWL_ASSIGN_OR_RETURN(state->commit_seq, GetMetaInt(db, "commit_seq"));
  TRAWL_ASSIGN_OR_RETURN(state->generation, GetMetaInt(db, "vindex_generation"));
  TRAWL_ASSIGN_OR_RETURN(state->embedder, GetMeta(db, "embedder"));
  TRAWL_ASSIGN_OR_RETURN(int64_t dim, GetMetaInt(db, "dimensions"));
  state->dim = static_cast<int>(dim);
  if (state->embedder.empty() || state->dim <= 0) {
    TRAWL_RETURN_IF_ERROR(txn.Commit());
    return std::shared_ptr<const DenseState>(std::move(state));
  }
  bool incremental = previous != nullptr && previous->generation == state->generation &&
                     previous->embedder == state->embedder && previous->dim == state->dim;
  int64_t above = 0;
  state->all_live = !incremental;
  if (incremental) {
    state->file = previous->file;
    state->blocks = previous->blocks;
    above = previous->max_id;
  } else {
    TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, "vindex_file"));
    TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, "vindex_hash"));
    TRAWL_ASSIGN_OR_RETURN(std::string stamp, GetMeta(db, "vindex_stat"));
    TRAWL_ASSIGN_OR_RETURN(int64_t hwm, GetMetaInt(db, "vindex_hwm"));
    if (!file.empty()) {
      // A missing or damaged file is derived data: search the rows exactly instead.
      auto loaded = LoadVectorFile(db, state->dim, file, hash, stamp);
      if (loaded.ok()) {
        state->file = std::move(loaded).value();
        above = hwm;
      }
    }
  }
  TRAWL_ASSIGN_OR_RETURN(VectorBlock rows, LoadVectors(db, state->embedder, state->dim, above));
  state->max_id = rows.ids.empty() ? above : std::max(above, rows.ids.back());
  if (rows.size() > 0) state->blocks.push_back(std::make_shared<const VectorBlock>(std::move(rows)));
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  return std::shared_ptr<const DenseState>(std::move(state));
}

Result<std::shared_ptr<const DenseState>> EmbeddedStore::CurrentDense(Db* db, bool* up_to_date) {
  std::shared_ptr<const DenseState> current;
  {
    MutexLock lock(&dense_mu_);
    current = dense_;
  }
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, "commit_seq"));
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, "vindex_generation"));
  *up_to_date = true;
  if (current && current->commit_seq == seq && current->generation == gen) return current;
  if (current) {
    // Someone is already catching up: search what we have (candidates are verified
    // against the rows, so it is never wrong, only possibly missing the newest chunks).
    if (!refresh_mu_.TryLock()) {
      *up_to_date = false;
      return current;
    }
  } else {
    refresh_mu_.Lock();
  }
  auto refreshed = RefreshDense(db, seq, gen);
  refresh_mu_.Unlock();
  return refreshed;
}

Result<std::shared_ptr<const DenseState>> EmbeddedStore::RefreshDense(Db* db, int64_t seq, int64_t gen) {
  std::shared_ptr<const DenseState> current;
  {
    MutexLock lock(&dense_mu_);
    current = dense_;
  }
  if (current && current->commit_seq == seq && current->generation == gen) return current;
  TRAWL_ASSIGN_OR_RETURN(auto loaded, LoadDense(db, current.get()));
  MutexLock lock(&dense_mu_);
  // Keep the newer of the two if a writer's Checkpoint published meanwhile.
  if (!dense_ || dense_->commit_seq <= loaded->commit_seq) dense_ = loaded;
  return loaded;
}

Result<std::vector<Scored>> EmbeddedStore::VerifyCandidates(Db* db, const std::vector<Scored>& cands,
                                                            const SearchFilter& filter) {
  std::vector<Scored> kept;
  if (cands.empty()) return kept;
  std::vector<int64_t> ids;
  ids.reserve(cands.size());
  for (const auto& c : cands) ids.push_back(c.id);
  std::string sql = filter.empty()
                        ? "SELECT id FROM chunks WHERE id IN (SELECT value FROM json_each(?1))"
                        : "SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id "
                          "WHERE c.id IN (SELECT value FROM json_each(?1))" + FilterClause(filter, 2, 3);
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(sql));
  st->Bind(1, JsonIds(ids));
  BindFilter(st.get(), filter, 2, 3);
  std::unordered_set<int64_t> ok;
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ok.insert(st->Int(0));
  }
  for (const auto& c : cands) {
    if (ok.count(c.id)) kept.push_back(c);
  }
  return kept;
}

Result<std::vector<ChunkHit>> EmbeddedStore::SearchDense(const std::vector<float>& query, int k,
                                                         const SearchFilter& filter) {
  std::vector<ChunkHit> out;
  if (k <= 0) return out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  bool up_to_date = false;
  TRAWL_ASSIGN_OR_RETURN(auto state, CurrentDense(db, &up_to_date));
  if (state->dim <= 0) return out;
  if (query.size() != static_cast<size_t>(state->dim)) {
    return Status::InvalidArgument("query vector has dimension " + std::to_string(query.size()) +
                                   ", the index has " + std::to_string(state->dim));
  }
  std::vector<float> q = query;
  store_internal::Normalize(&q);
  size_t total = state->elements();
  if (total == 0) return out;
  size_t want = filter.empty() ? static_cast<size_t>(k) : static_cast<size_t>(k) * 4;
  for (;;) {
    want = std::min(want, total);
    TopK top(want);
    if (state->file) state->file->Search(q.data(), &top);
    for (const auto& block : state->blocks) store_internal::ExactSearch(*block, q.data(), &top);
    std::vector<Scored> cands = top.Take();
    // A state loaded whole at the current commit holds live chunks only (deleted ones
    // are tombstoned or were never loaded): no need to look them up, unless filtering.
    std::vector<Scored> kept;
    if (up_to_date && state->all_live && filter.empty()) {
      kept = std::move(cands);
    } else {
      TRAWL_ASSIGN_OR_RETURN(kept, VerifyCandidates(db, cands, filter));
    }
    if (kept.size() >= static_cast<size_t>(k) || want >= total) {
      for (const auto& s : kept) {
        if (out.size() >= static_cast<size_t>(k)) break;
        out.push_back({s.id, static_cast<double>(s.score)});
      }
      return out;
    }
    want *= 4;
  }
}

Result<std::vector<ChunkHit>> EmbeddedStore::SearchLexical(const LexicalQuery& query, int k,
                                                           const SearchFilter& filter) {
  return store_internal::SearchLexicalShards({this}, query, k, filter, opts_, 1);
}

Result<TermStats> EmbeddedStore::DocFrequencies(const std::vector<std::string>& terms) {
  return store_internal::ShardDocFrequencies({this}, terms);
}

Result<LexicalTotals> EmbeddedStore::LexicalCounts() {
  LexicalTotals out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(false));
  TRAWL_ASSIGN_OR_RETURN(out.chunks, GetMetaInt(db, "chunk_count"));
  // The totals FTS5 keeps for bm25 (any row of a scan carries them).
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT trawl_fts_totals(chunk_fts) FROM chunk_fts LIMIT 1"));
  TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
  if (row) {
    std::string text = st->Text(0);
    if (std::sscanf(text.c_str(), "%" SCNd64 " %" SCNd64, &out.rows, &out.tokens) != 2) {
      return Status::Corruption("the lexical index of " + dir_ + " reports no totals");
    }
  }
  st->Reset();
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<std::vector<int64_t>> EmbeddedStore::MatchCounts(const std::vector<std::string>& exprs) {
  std::vector<int64_t> out(exprs.size(), -1);
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, "commit_seq"));
  {
    MutexLock lock(&df_mu_);
    // Counts hold until the next commit: exact, so that shards and a single database
    // give the same idf.
    if (df_cache_seq_ != seq || df_cache_.size() > 200000) {
      df_cache_.clear();
      df_cache_seq_ = seq;
    }
    for (size_t i = 0; i < exprs.size(); ++i) {
      auto it = df_cache_.find(exprs[i]);
      if (it != df_cache_.end()) out[i] = it->second;
    }
  }
  // Counting the matches skips their position lists, which the vocabulary table
  // decodes: half the time (4.7 -> 2.0 ms for a term in 37k of 108k chunks).
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH ?1"));
  std::vector<std::pair<std::string, int64_t>> counted;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (out[i] >= 0) continue;
    st->Bind(1, exprs[i]);
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    out[i] = row ? st->Int(0) : 0;
    st->Reset();
    counted.emplace_back(exprs[i], out[i]);
  }
  if (!counted.empty()) {
    MutexLock lock(&df_mu_);
    if (df_cache_seq_ == seq) {
      for (auto& [e, n] : counted) df_cache_[std::move(e)] = n;
    }
  }
  return out;
}

Result<std::vector<ChunkHit>> EmbeddedStore::RankLexical(const LexicalPlan& plan, const SearchFilter& filter) {
  std::vector<ChunkHit> out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  char weights[96];
  std::snprintf(weights, sizeof(weights), "%g, %g, %g", opts_.bm25_symbol_weight, opts_.bm25_path_weight,
                opts_.bm25_content_weight);
  std::string score = std::string("trawl_bm25(chunk_fts, ?5, ?6, ") + weights + ")";
  std::string sql;
  if (filter.empty()) {
    sql = "SELECT rowid, " + score + " AS s FROM chunk_fts WHERE chunk_fts MATCH ?1" +
          (plan.rank ? " ORDER BY s" : "") + " LIMIT ?2";
  } else {
    sql = "SELECT chunk_fts.rowid, " + score +
          " AS s FROM chunk_fts JOIN chunks c ON c.id = chunk_fts.rowid JOIN files f ON f.id = c.file_id "
          "WHERE chunk_fts MATCH ?1" + FilterClause(filter, 3, 4) + (plan.rank ? " ORDER BY s" : "") + " LIMIT ?2";
  }
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(sql));
  st->Bind(1, plan.match).Bind(2, plan.limit).Bind(5, plan.avgdl);
  st->BindBlob(6, plan.idf_blob.data(), plan.idf_blob.size());
  BindFilter(st.get(), filter, 3, 4);
  const size_t k = static_cast<size_t>(plan.rank ? plan.limit / 2 : plan.limit);
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    double s = -st->Double(1);
    if (out.size() >= k && s != out.back().score) break;
    out.push_back({st->Int(0), s});
  }
  return out;
}

Result<std::vector<ChunkView>> EmbeddedStore::GetChunks(const std::vector<int64_t>& ids) {
  std::vector<ChunkView> out;
  if (ids.empty()) return out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  TRAWL_ASSIGN_OR_RETURN(auto st, (*reader)->Prepare(
      "SELECT c.id, f.path, f.language, c.start_line, c.end_line, c.start_byte, c.end_byte, c.kind, "
      "c.symbol, c.text, c.content_hash, f.git_commit, f.git_author, f.git_time "
      "FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id IN (SELECT value FROM json_each(?1))"));
  st->Bind(1, JsonIds(ids));
  std::unordered_map<int64_t, ChunkView> by_id;
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ChunkView v;
    v.chunk_id = st->Int(0);
    v.path = st->Text(1);
    v.language = st->Text(2);
    v.start_line = static_cast<int>(st->Int(3));
    v.end_line = static_cast<int>(st->Int(4));
    v.start_byte = static_cast<uint32_t>(st->Int(5));
    v.end_byte = static_cast<uint32_t>(st->Int(6));
    v.kind = st->Text(7);
    v.symbol = st->Text(8);
    TRAWL_RETURN_IF_ERROR(store_internal::UnpackChunkText(st->Blob(9), &v.context, &v.content)
                              .WithContext("chunk " + std::to_string(v.chunk_id) + " of " + v.path));
    v.content_hash = st->Text(10);
    v.git_commit = st->Text(11);
    v.git_author = st->Text(12);
    v.git_time = st->Int(13);
    by_id.emplace(v.chunk_id, std::move(v));
  }
  out.reserve(ids.size());
  for (int64_t id : ids) {
    auto it = by_id.find(id);
    if (it != by_id.end()) out.push_back(it->second);
  }
  return out;
}

Result<StoreStats> EmbeddedStore::Stats() {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(false));
  StoreStats s;
  // Chunks and vectors are counted by the writer as it commits: counting the tables
  // reads every page of them (0.1 s per call over the linux index, twice per one-off
  // search). An index from before the vector count was kept counts its table.
  TRAWL_ASSIGN_OR_RETURN(auto counts, db->Prepare(
      "SELECT (SELECT count(*) FROM files WHERE status = 'indexed'), (SELECT count(*) FROM files WHERE status = 'failed'), "
      "(SELECT count(*) FROM files WHERE status = 'skipped'), "
      "coalesce((SELECT value FROM meta WHERE key = 'vector_count'), (SELECT count(*) FROM vectors))"));
  TRAWL_ASSIGN_OR_RETURN(bool row, counts->Step());
  if (row) {
    s.files = counts->Int(0);
    s.files_failed = counts->Int(1);
    s.files_skipped = counts->Int(2);
    s.vectors = counts->Int(3);
  }
  counts->Reset();
  TRAWL_ASSIGN_OR_RETURN(s.chunks, GetMetaInt(db, "chunk_count"));
  TRAWL_ASSIGN_OR_RETURN(auto langs, db->Prepare(
      "SELECT language, count(*) FROM files WHERE status = 'indexed' GROUP BY language"));
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool more, langs->Step());
    if (!more) break;
    s.languages[langs->Text(0)] = langs->Int(1);
  }
  langs->Reset();
  TRAWL_ASSIGN_OR_RETURN(s.embedder, GetMeta(db, "embedder"));
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, "dimensions"));
  s.dimensions = static_cast<int>(dims);
  TRAWL_ASSIGN_OR_RETURN(s.files_known, GetMetaInt(db, "files_known"));
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  return s;
}

Result<std::vector<FileRecord>> EmbeddedStore::FailedFiles() { return QueryFiles("WHERE f.status = 'failed'"); }

Result<std::vector<RunRecord>> EmbeddedStore::Runs(int limit) {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  TRAWL_ASSIGN_OR_RETURN(auto st, (*reader)->Prepare(
      "SELECT id, started_at, finished_at, state, summary_json FROM runs "
      "ORDER BY started_at DESC, id DESC LIMIT ?1"));
  st->Bind(1, limit < 0 ? int64_t{-1} : int64_t{limit});
  std::vector<RunRecord> out;
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    RunRecord r;
    r.id = st->Text(0);
    r.started_at = st->Int(1);
    r.finished_at = st->Int(2);
    r.state = st->Text(3);
    r.summary_json = st->Text(4);
    out.push_back(std::move(r));
  }
  return out;
}

// A scan: one read transaction over a pooled connection, files by path merged with
// their chunks (and vectors) by position.
class EmbeddedScan final : public StoreScan {
 public:
  EmbeddedScan(std::unique_ptr<EmbeddedStore::Reader> reader) : reader_(std::move(reader)), txn_(reader_->get()) {}
  ~EmbeddedScan() override {
    files_.reset();
    chunks_.reset();
  }

  Status Start() {
    Db* db = reader_->get();
    TRAWL_RETURN_IF_ERROR(txn_.Begin(false));
    TRAWL_ASSIGN_OR_RETURN(embedder_, GetMeta(db, "embedder"));
    TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, "dimensions"));
    dims_ = static_cast<int>(std::max<int64_t>(dims, 0));
    TRAWL_ASSIGN_OR_RETURN(files_, db->Prepare(std::string("SELECT f.id, ") + kFileColumns +
                                               " FROM files f ORDER BY f.path"));
    TRAWL_ASSIGN_OR_RETURN(chunks_, db->Prepare(
        "SELECT c.start_line, c.end_line, c.start_byte, c.end_byte, c.kind, c.symbol, c.text, "
        "c.content_hash, v.vec FROM chunks c LEFT JOIN vectors v ON v.embedder = ?2 AND "
        "v.content_hash = c.content_hash WHERE c.file_id = ?1 "
        "ORDER BY c.start_byte, c.end_byte, c.start_line, c.end_line, c.kind, c.symbol, c.content_hash, c.text"));
    return Status::Ok();
  }

  Result<bool> Next(ScannedFile* out) override {
    TRAWL_ASSIGN_OR_RETURN(bool row, files_->Step());
    if (!row) return false;
    out->file = ReadFileRecord(*files_, 1);
    out->chunks.clear();
    chunks_->Bind(1, files_->Int(0)).Bind(2, embedder_);
    for (;;) {
      TRAWL_ASSIGN_OR_RETURN(bool more, chunks_->Step());
      if (!more) break;
      ChunkRecord c;
      c.start_line = static_cast<int>(chunks_->Int(0));
      c.end_line = static_cast<int>(chunks_->Int(1));
      c.start_byte = static_cast<uint32_t>(chunks_->Int(2));
      c.end_byte = static_cast<uint32_t>(chunks_->Int(3));
      c.kind = chunks_->Text(4);
      c.symbol = chunks_->Text(5);
      TRAWL_RETURN_IF_ERROR(store_internal::UnpackChunkText(chunks_->Blob(6), &c.context, &c.content)
                                .WithContext(out->file.path));
      c.content_hash = chunks_->Text(7);
      c.vector.resize(static_cast<size_t>(dims_));
      if (!store_internal::DecodeVector(chunks_->Blob(8), dims_, c.vector.data())) c.vector.clear();
      out->chunks.push_back(std::move(c));
    }
    chunks_->Reset();
    return true;
  }

 private:
  std::unique_ptr<EmbeddedStore::Reader> reader_;
  Transaction txn_;
  std::string embedder_;
  int dims_ = 0;
  std::unique_ptr<Stmt> files_, chunks_;
};

Status EmbeddedStore::Verify() {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  {
    TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("PRAGMA quick_check(10)"));
    std::string problems;
    for (;;) {
      TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      std::string line = st->Text(0);
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!problems.empty()) return Status::Corruption(db_path_ + ": " + problems);
  }
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, "vindex_file"));
  if (file.empty()) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, "vindex_hash"));
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, "dimensions"));
  std::string path = dir_ + "/" + file;
  Status loaded = FlatIndex::Load(path, static_cast<int>(dims)).status();
  if (!loaded.ok()) return Status::Corruption(path + ": " + loaded.message());
  TRAWL_ASSIGN_OR_RETURN(std::string actual, HashFileHex(path));
  if (actual != hash) return Status::Corruption(path + ": checksum mismatch");
  return Status::Ok();
}

Result<std::unique_ptr<StoreScan>> EmbeddedStore::Scan() {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  auto scan = std::make_unique<EmbeddedScan>(std::move(reader));
  TRAWL_RETURN_IF_ERROR(scan->Start());
  return std::unique_ptr<StoreScan>(std::move(scan));
}

}  // namespace

namespace store_internal {

Result<std::unique_ptr<EmbeddedShard>> OpenEmbeddedShard(const std::string& dir, OpenMode mode, bool wait,
                                                         const EmbeddedStoreOptions& options) {
  auto store = std::make_unique<EmbeddedStore>(dir, mode, options);
  TRAWL_RETURN_IF_ERROR(store->Open(wait));
  return std::unique_ptr<EmbeddedShard>(std::move(store));
}

}  // namespace store_internal

Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait,
                                                 const EmbeddedStoreOptions& options) {
  TRAWL_ASSIGN_OR_RETURN(auto shard, store_internal::OpenEmbeddedShard(dir, mode, wait, options));
  return std::unique_ptr<Store>(std::move(shard));
}

Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait) {
  return OpenEmbeddedStore(dir, mode, wait, EmbeddedStoreOptions());
}

}  // namespace trawl
