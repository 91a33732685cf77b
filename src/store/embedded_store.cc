// The embedded store: schema, meta, opening (and recovery of a damaged database),
// identity, and the factories. The design is in embedded_store_internal.h.
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
#include "store/embedded_store_internal.h"
#include "store/lexical_query.h"
#include "store/path_filter.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/vector_index.h"
#include "store/writer_lock.h"

namespace trawl::store_internal {

namespace {

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

}  // namespace

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

Result<std::unique_ptr<Db>> OpenDb(const std::string& path, bool read_only, int busy_timeout_ms,
                                   int writer_cache_mb) {
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
        // Pages freed (the vector log emptied by a checkpoint, removed files) can be
        // given back to the file system (Checkpoint's incremental_vacuum); like the page
        // size, set before the database's first page is written (by the WAL switch).
        "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
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

const char* MetaKeyName(MetaKey key) {
  switch (key) {
    case MetaKey::kSchemaVersion: return "schema_version";
    case MetaKey::kEmbedder: return "embedder";
    case MetaKey::kDimensions: return "dimensions";
    case MetaKey::kFtsTokenizer: return "fts_tokenizer";
    case MetaKey::kFilesKnown: return "files_known";
    case MetaKey::kCommitSeq: return "commit_seq";
    case MetaKey::kChunkCount: return "chunk_count";
    case MetaKey::kVectorCount: return "vector_count";
    case MetaKey::kVectorsUnswept: return "vectors_unswept";
    case MetaKey::kVindexGeneration: return "vindex_generation";
    case MetaKey::kVindexFile: return "vindex_file";
    case MetaKey::kVindexHash: return "vindex_hash";
    case MetaKey::kVindexHwm: return "vindex_hwm";
    case MetaKey::kVindexCount: return "vindex_count";
    case MetaKey::kVindexCommitSeq: return "vindex_commit_seq";
    case MetaKey::kVindexStat: return "vindex_stat";
  }
  return "";
}

Result<std::string> GetMeta(Db* db, MetaKey key) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT value FROM meta WHERE key = ?1"));
  st->Bind(1, std::string(MetaKeyName(key)));
  TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Text(0) : std::string();
}

Result<int64_t> GetMetaInt(Db* db, MetaKey key) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT value FROM meta WHERE key = ?1"));
  st->Bind(1, std::string(MetaKeyName(key)));
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

Status SetMeta(Db* db, MetaKey key, const std::string& value) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, std::string(MetaKeyName(key))).Bind(2, value);
  return st->Run();
}

Status SetMetaInt(Db* db, MetaKey key, int64_t value) {
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare(
      "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, std::string(MetaKeyName(key))).Bind(2, value);
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

Status LostVectors(const std::string& path, const Status& why) {
  return Status::Corruption("the vector file " + path + " is missing or damaged (" + why.message() +
                            "), and it holds the only copy of its vectors: `trawl index --rebuild` makes the "
                            "index again");
}

Status SyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::IoError(FileError("cannot open", path));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError(FileError("cannot fsync", path));
  return Status::Ok();
}

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
    TRAWL_ASSIGN_OR_RETURN(int64_t version, GetMetaInt(reader->get(), MetaKey::kSchemaVersion));
    if (version != kSchemaVersion) {
      return Status::FailedPrecondition("index " + dir_ + " has format " + std::to_string(version) +
                                        ", this trawl reads format " + std::to_string(kSchemaVersion) +
                                        ": run `trawl index --rebuild`");
    }
    TRAWL_ASSIGN_OR_RETURN(std::string tokenizer, GetMeta(reader->get(), MetaKey::kFtsTokenizer));
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
  TRAWL_ASSIGN_OR_RETURN(int64_t version, GetMetaInt(writer_.get(), MetaKey::kSchemaVersion));
  if (version == 0) {
    TRAWL_RETURN_IF_ERROR(writer_->Exec(FtsSql(opts_.fts_porter)));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(writer_.get(), MetaKey::kSchemaVersion, kSchemaVersion));
    TRAWL_RETURN_IF_ERROR(SetMeta(writer_.get(), MetaKey::kFtsTokenizer, opts_.fts_porter ? "porter" : "ascii"));
  } else if (version != kSchemaVersion) {
    old_format_ = true;
    return Status::FailedPrecondition("index " + dir_ + " has format " + std::to_string(version) +
                                      ", this trawl writes format " + std::to_string(kSchemaVersion) +
                                      ": run `trawl index --rebuild`");
  }
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  TRAWL_ASSIGN_OR_RETURN(std::string tokenizer, GetMeta(writer_.get(), MetaKey::kFtsTokenizer));
  porter_ = tokenizer == "porter";
  TRAWL_ASSIGN_OR_RETURN(embedder_, GetMeta(writer_.get(), MetaKey::kEmbedder));
  {
    TRAWL_ASSIGN_OR_RETURN(auto dict, writer_->Prepare("SELECT value FROM meta WHERE key = 'text_dict'"));
    TRAWL_ASSIGN_OR_RETURN(bool row, dict->Step());
    dict_wanted_ = !row;
    if (row) {
      TRAWL_ASSIGN_OR_RETURN(auto loaded, TextDictionary::Load(std::string(dict->Blob(0))));
      MutexLock lock(&dict_mu_);
      text_dict_ = std::move(loaded);
    }
  }
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(writer_.get(), MetaKey::kDimensions));
  dims_ = static_cast<int>(dims);
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(writer_.get(), MetaKey::kVindexFile));
  return RemoveStaleVectorFiles(file);
}

Result<std::shared_ptr<const TextDictionary>> EmbeddedStore::TextDict(Db* db, uint32_t id) {
  {
    MutexLock lock(&dict_mu_);
    if (text_dict_ != nullptr && text_dict_->id() == id) return text_dict_;
  }
  TRAWL_ASSIGN_OR_RETURN(auto st, db->Prepare("SELECT value FROM meta WHERE key = 'text_dict'"));
  TRAWL_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::Corruption("a chunk's text needs a text dictionary, and the index has none");
  TRAWL_ASSIGN_OR_RETURN(auto dict, TextDictionary::Load(std::string(st->Blob(0))));
  if (dict->id() != id) {
    return Status::Corruption("a chunk's text needs text dictionary " + std::to_string(id) + ", the index has " +
                              std::to_string(dict->id()));
  }
  MutexLock lock(&dict_mu_);
  if (text_dict_ == nullptr) text_dict_ = dict;
  return dict;
}

Status EmbeddedStore::UnpackText(Db* db, std::string_view blob, std::string* context, std::string* content) {
  uint32_t id = ChunkTextDictionary(blob);
  std::shared_ptr<const TextDictionary> dict;
  if (id != 0) {
    TRAWL_ASSIGN_OR_RETURN(dict, TextDict(db, id));
  }
  return UnpackChunkText(blob, context, content, dict.get());
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
  TRAWL_ASSIGN_OR_RETURN(std::string old_name, GetMeta(db, MetaKey::kEmbedder));
  TRAWL_ASSIGN_OR_RETURN(int64_t old_dims, GetMetaInt(db, MetaKey::kDimensions));
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
    TRAWL_ASSIGN_OR_RETURN(old_file, GetMeta(db, MetaKey::kVindexFile));
    TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, MetaKey::kVindexGeneration));
    TRAWL_RETURN_IF_ERROR(db->Exec(
        "DELETE FROM chunks; DELETE FROM files; DELETE FROM vectors; DELETE FROM tombstones;"
        "DROP TABLE IF EXISTS chunk_fts;"));
    TRAWL_RETURN_IF_ERROR(db->Exec(FtsSql(opts_.fts_porter)));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kFtsTokenizer, opts_.fts_porter ? "porter" : "ascii"));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexGeneration, gen + 1));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexFile, ""));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexHash, ""));
    TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexStat, ""));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexHwm, 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexCommitSeq, -1));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kChunkCount, 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorsUnswept, 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorCount, 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexCount, 0));
    TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, MetaKey::kCommitSeq));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kCommitSeq, seq + 1));
  }
  TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kEmbedder, name));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kDimensions, dimensions));
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

Result<std::unique_ptr<EmbeddedShard>> OpenEmbeddedShard(const std::string& dir, OpenMode mode, bool wait,
                                                         const EmbeddedStoreOptions& options) {
  auto store = std::make_unique<EmbeddedStore>(dir, mode, options);
  TRAWL_RETURN_IF_ERROR(store->Open(wait));
  return std::unique_ptr<EmbeddedShard>(std::move(store));
}

}  // namespace trawl::store_internal

namespace trawl {

Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait,
                                                 const EmbeddedStoreOptions& options) {
  TRAWL_ASSIGN_OR_RETURN(auto shard, store_internal::OpenEmbeddedShard(dir, mode, wait, options));
  return std::unique_ptr<Store>(std::move(shard));
}

Result<std::unique_ptr<Store>> OpenEmbeddedStore(const std::string& dir, OpenMode mode, bool wait) {
  return OpenEmbeddedStore(dir, mode, wait, EmbeddedStoreOptions());
}

}  // namespace trawl
