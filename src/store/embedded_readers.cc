// The embedded store's readers: files, chunks, stats, runs, scans, Verify.
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

// The kFileColumns of a row, from column `at` on.
FileRecord ReadFileRecord(const Stmt& st, int at) {
  FileRecord f;
  f.path = st.Text(at + 0);
  f.language = st.Text(at + 1);
  f.size = static_cast<uint64_t>(st.Int(at + 2));
  f.mtime_ns = st.Int(at + 3);
  f.inode = static_cast<uint64_t>(st.Int(at + 4));
  f.content_hash = st.Text(at + 5);
  f.status = ParseFileStatus(st.Text(at + 6));
  f.error = st.Text(at + 7);
  f.git_commit = st.Text(at + 8);
  f.git_author = st.Text(at + 9);
  f.git_time = st.Int(at + 10);
  f.git_commits = static_cast<int>(st.Int(at + 11));
  f.chunk_count = static_cast<int>(st.Int(at + 12));
  return f;
}

const char kFileColumns[] =
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
    TRAWL_RETURN_IF_ERROR(UnpackText(reader->get(), st->Blob(9), &v.context, &v.content)
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
  // search). The vectors: those of the vector file's live chunks and the log's.
  TRAWL_ASSIGN_OR_RETURN(auto counts, db->Prepare(
      "SELECT (SELECT count(*) FROM files WHERE status = 'indexed'), (SELECT count(*) FROM files WHERE status = 'failed'), "
      "(SELECT count(*) FROM files WHERE status = 'skipped'), "
      "coalesce((SELECT value FROM meta WHERE key = 'vector_count'), 0) + "
      "coalesce((SELECT value FROM meta WHERE key = 'vindex_count'), 0) - "
      "(SELECT count(*) FROM tombstones)"));
  TRAWL_ASSIGN_OR_RETURN(bool row, counts->Step());
  if (row) {
    s.files = counts->Int(0);
    s.files_failed = counts->Int(1);
    s.files_skipped = counts->Int(2);
    s.vectors = counts->Int(3);
  }
  counts->Reset();
  TRAWL_ASSIGN_OR_RETURN(s.chunks, GetMetaInt(db, MetaKey::kChunkCount));
  TRAWL_ASSIGN_OR_RETURN(auto langs, db->Prepare(
      "SELECT language, count(*) FROM files WHERE status = 'indexed' GROUP BY language"));
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool more, langs->Step());
    if (!more) break;
    s.languages[langs->Text(0)] = langs->Int(1);
  }
  langs->Reset();
  TRAWL_ASSIGN_OR_RETURN(s.embedder, GetMeta(db, MetaKey::kEmbedder));
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, MetaKey::kDimensions));
  s.dimensions = static_cast<int>(dims);
  TRAWL_ASSIGN_OR_RETURN(s.files_known, GetMetaInt(db, MetaKey::kFilesKnown));
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

namespace {

// A scan: one read transaction over a pooled connection, files by path merged with
// their chunks (and vectors) by position.
class EmbeddedScan final : public StoreScan {
 public:
  EmbeddedScan(std::unique_ptr<EmbeddedStore::Reader> reader) : reader_(std::move(reader)), txn_(reader_->get()) {}
  ~EmbeddedScan() override {
    files_.reset();
    chunks_.reset();
  }

  Status Start(EmbeddedStore* store) {
    store_ = store;
    Db* db = reader_->get();
    TRAWL_RETURN_IF_ERROR(txn_.Begin(false));
    // Vectors of chunks up to the high-water mark are in the vector file, the others
    // in the log.
    TRAWL_ASSIGN_OR_RETURN(file_, store->KeyedFile(db));
    TRAWL_ASSIGN_OR_RETURN(hwm_, GetMetaInt(db, MetaKey::kVindexHwm));
    if (file_ != nullptr) rows_ = std::make_unique<FlatIndexRows>(file_.get());
    TRAWL_ASSIGN_OR_RETURN(embedder_, GetMeta(db, MetaKey::kEmbedder));
    TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, MetaKey::kDimensions));
    dims_ = static_cast<int>(std::max<int64_t>(dims, 0));
    TRAWL_ASSIGN_OR_RETURN(files_, db->Prepare(std::string("SELECT f.id, ") + kFileColumns +
                                               " FROM files f ORDER BY f.path"));
    TRAWL_ASSIGN_OR_RETURN(chunks_, db->Prepare(
        "SELECT c.start_line, c.end_line, c.start_byte, c.end_byte, c.kind, c.symbol, c.text, "
        "c.content_hash, v.vec, c.id FROM chunks c LEFT JOIN vectors v ON v.embedder = ?2 AND "
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
      TRAWL_RETURN_IF_ERROR(store_->UnpackText(reader_->get(), chunks_->Blob(6), &c.context, &c.content)
                                .WithContext(out->file.path));
      c.content_hash = chunks_->Text(7);
      c.vector.resize(static_cast<size_t>(dims_));
      int64_t id = chunks_->Int(9);
      size_t pos = file_ != nullptr && id <= hwm_ ? file_->Find(id) : FlatIndex::npos;
      std::string from_file = pos != FlatIndex::npos ? rows_->Encoded(pos) : std::string();
      std::string_view blob = pos != FlatIndex::npos ? std::string_view(from_file) : chunks_->Blob(8);
      if (!store_internal::DecodeVector(blob, dims_, c.vector.data())) c.vector.clear();
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
  EmbeddedStore* store_ = nullptr;
  std::shared_ptr<const FlatIndex> file_;
  std::unique_ptr<FlatIndexRows> rows_;
  int64_t hwm_ = 0;
  std::unique_ptr<Stmt> files_, chunks_;
};

}  // namespace

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
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, MetaKey::kVindexFile));
  if (file.empty()) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, MetaKey::kVindexHash));
  TRAWL_ASSIGN_OR_RETURN(int64_t dims, GetMetaInt(db, MetaKey::kDimensions));
  std::string path = dir_ + "/" + file;
  Status loaded = FlatIndex::Load(path, static_cast<int>(dims)).status();
  if (!loaded.ok()) return LostVectors(path, loaded);
  Result<std::string> actual = HashFileHex(path);
  if (!actual.ok()) return LostVectors(path, actual.status());
  if (*actual != hash) return LostVectors(path, Status::Corruption("checksum mismatch"));
  return Status::Ok();
}

Result<std::unique_ptr<StoreScan>> EmbeddedStore::Scan() {
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  auto scan = std::make_unique<EmbeddedScan>(std::move(reader));
  TRAWL_RETURN_IF_ERROR(scan->Start(this));
  return std::unique_ptr<StoreScan>(std::move(scan));
}

}  // namespace trawl::store_internal
