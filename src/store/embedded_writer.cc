// The embedded store's writer: staging and committing files (one transaction per batch),
// runs. The design is in embedded_store_internal.h.
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

// --- writer -------------------------------------------------------------------------

Result<std::unordered_map<std::string, std::vector<float>>> EmbeddedStore::LookupVectors(
    const std::vector<std::string>& content_hashes) {
  std::unordered_map<std::string, std::vector<float>> out;
  if (content_hashes.empty()) return out;
  TRAWL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Db* db = reader->get();
  std::string embedder = embedder_;
  int dim = dims_;
  if (mode_ == OpenMode::kRead) {
    TRAWL_ASSIGN_OR_RETURN(embedder, GetMeta(db, MetaKey::kEmbedder));
    TRAWL_ASSIGN_OR_RETURN(int64_t d, GetMetaInt(db, MetaKey::kDimensions));
    dim = static_cast<int>(d);
  }
  if (embedder.empty()) return out;
  // The log and the vector file from one snapshot.
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(false));
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
  st.reset();
  if (out.size() < content_hashes.size()) {
    // The vector file holds the others, found by content hash (of live chunks and of
    // those deleted since it was written).
    TRAWL_ASSIGN_OR_RETURN(std::shared_ptr<const FlatIndex> file, KeyedFile(db));
    if (file != nullptr && file->dim() == dim) {
      for (const auto& h : content_hashes) {
        if (out.count(h) != 0) continue;
        size_t pos = file->FindKey(VectorKey(h));
        if (pos == FlatIndex::npos) continue;
        std::vector<float> v(static_cast<size_t>(dim));
        if (store_internal::DecodeVector(file->Encoded(pos), dim, v.data())) out.emplace(h, std::move(v));
      }
    }
  }
  TRAWL_RETURN_IF_ERROR(txn.Commit());
  return out;
}

void PrepareWrite(FileWrite* w, const TextDictionary* dict) {
  if (!w->prepared) {
    w->path_terms = PartTermsText(w->file.path);
    for (auto& c : w->chunks) {
      c.prepared.symbol_terms = CodeTermsText(c.symbol);
      c.prepared.body_terms = BodyTerms(c.content, c.context);
      c.prepared.text_blob = PackChunkText(c.context, c.content, dict);
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

void EmbeddedStore::Prepare(FileWrite* w) const {
  std::shared_ptr<const TextDictionary> dict;
  if (!w->prepared) {
    MutexLock lock(&dict_mu_);
    dict = text_dict_;
  }
  PrepareWrite(w, dict.get());
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
    TRAWL_RETURN_IF_ERROR(UnpackText(db, rows->Blob(2), &context, &content)
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
  TRAWL_ASSIGN_OR_RETURN(int64_t chunks, GetMetaInt(db, MetaKey::kChunkCount));
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, MetaKey::kVindexFile));
  if (chunks != 0 || !file.empty() || dims_ <= 0) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, MetaKey::kVindexGeneration));
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
  if (w.file.status != FileStatus::kIndexed) return Status::Ok();
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
  } else {
    // A file that cannot be read only costs the exact bytes of reused vectors here;
    // Checkpoint reports it.
    Result<std::shared_ptr<const FlatIndex>> file = KeyedFile(db);
    if (file.ok() && *file != nullptr && (*file)->dim() == dims_) t->file = std::move(file).value();
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
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, MetaKey::kCommitSeq));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kCommitSeq, seq + 1));
  TRAWL_ASSIGN_OR_RETURN(int64_t chunk_count, GetMetaInt(db, MetaKey::kChunkCount));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kChunkCount, chunk_count + t.added - t.removed));
  if (t.vectors_added > 0) TRAWL_RETURN_IF_ERROR(AddVectorCount(db, t.vectors_added));
  std::shared_ptr<const TextDictionary> trained;
  if (dict_wanted_ && dict_samples_.size() >= opts_.text_dict_samples) TRAWL_RETURN_IF_ERROR(TrainTextDict(&trained));
  if (t.removed > 0) {
    DropStream();  // the file would hold chunks that are gone
    TRAWL_ASSIGN_OR_RETURN(int64_t unswept, GetMetaInt(db, MetaKey::kVectorsUnswept));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorsUnswept, unswept + t.removed));
  }
  Status committed = t.txn.Commit();
  open_txn_.reset();
  if (committed.ok() && trained != nullptr) {
    MutexLock lock(&dict_mu_);
    text_dict_ = std::move(trained);  // the next Prepare compresses with it
  }
  return committed;
}

void EmbeddedStore::SampleText(const FileWrite& w) {
  for (const auto& c : w.chunks) {
    if (dict_samples_.size() >= opts_.text_dict_samples) return;
    if (dict_seen_++ % std::max(opts_.text_dict_stride, 1) != 0) continue;
    size_t before = dict_samples_.size();
    AppendChunkTextInput(c.context, c.content, &dict_samples_);
    dict_sizes_.push_back(dict_samples_.size() - before);
  }
}

Status EmbeddedStore::TrainTextDict(std::shared_ptr<const TextDictionary>* trained) {
  // A sixteenth of the samples at most (zstd wants ~100 times the dictionary's size).
  size_t capacity = std::min(kDictCapacity, dict_samples_.size() / 16);
  std::string bytes = TextDictionary::Train(dict_samples_, dict_sizes_, capacity);
  dict_samples_ = std::string();
  dict_sizes_ = std::vector<size_t>();
  dict_wanted_ = false;  // one try per writer: a failure (too few distinct samples) costs no more
  if (bytes.empty()) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(auto dict, TextDictionary::Load(bytes));
  TRAWL_ASSIGN_OR_RETURN(auto st, writer_->Prepare(
      "INSERT INTO meta(key, value) VALUES('text_dict', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  TRAWL_RETURN_IF_ERROR(st->BindBlob(1, bytes.data(), bytes.size()).Run());
  *trained = std::move(dict);
  return Status::Ok();
}

Status EmbeddedStore::WriteFileRows(const FileWrite& original) {
  OpenTransaction& t = *open_txn_;
  Db* db = writer_.get();
  FileWrite local;  // a write that arrived unprepared, prepared here
  const FileWrite* w = &original;
  bool unprepared = !original.prepared || std::any_of(original.chunks.begin(), original.chunks.end(),
                                                      [](const ChunkRecord& c) { return !c.vector.empty(); });
  if (unprepared && original.file.status == FileStatus::kIndexed) {
    local = original;
    Prepare(&local);
    w = &local;
  }
  const FileRecord& f = w->file;
  TRAWL_ASSIGN_OR_RETURN(int64_t old_id, LookupFile(f.path));
  if (old_id != 0 && f.status == FileStatus::kFailed) {
    // A failure (the embedder down, the file unreadable for a moment) must not lose
    // what was indexed: the file keeps its last chunks, is marked failed with the
    // reason, and the next run retries it (a failed file never passes the stat check).
    t.mark_failed->Bind(1, f.error).Bind(2, old_id);
    return t.mark_failed->Run();
  }
  if (old_id != 0) TRAWL_RETURN_IF_ERROR(RemoveFileRows(old_id, f.path, /*delete_file_row=*/false, &t.removed));
  // "skipped": binary or too large, found when read; recorded so the next run's stat
  // check skips it too. Skipped files, and failed files new to the index, hold no chunks.
  bool failed = f.status != FileStatus::kIndexed;
  Stmt* upsert_file = t.upsert_file.get();
  upsert_file->Bind(1, f.path).Bind(2, f.language).Bind(3, f.size).Bind(4, f.mtime_ns)
      .Bind(5, f.inode).Bind(6, f.content_hash).Bind(7, FileStatusName(f.status))
      .Bind(8, f.error).Bind(9, f.git_commit).Bind(10, f.git_author).Bind(11, f.git_time)
      .Bind(12, f.git_commits).Bind(13, failed ? int64_t{0} : static_cast<int64_t>(w->chunks.size()));
  TRAWL_ASSIGN_OR_RETURN(bool row, upsert_file->Step());
  if (!row) return Status::Internal("upserting file " + f.path + " returned no id");
  int64_t file_id = upsert_file->Int(0);
  upsert_file->Reset();
  if (failed) return Status::Ok();
  if (dict_wanted_) SampleText(*w);

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
    const std::string& given = c.prepared.vector_blob;
    bool stored = false;  // this content's vector was already there (and is what is searched)
    if (!given.empty()) {
      // Content the vector file holds is logged with the file's bytes (a reused vector
      // comes back decoded and quantised again, and may differ in its last bits).
      std::string from_file;
      size_t pos = t.file != nullptr ? t.file->FindKey(VectorKey(c.content_hash)) : FlatIndex::npos;
      if (pos != FlatIndex::npos) from_file = t.file->Encoded(pos);
      const std::string& blob = pos != FlatIndex::npos ? from_file : given;
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
        if (found) appended = stream_->out->Append(chunk_id, t.find_vector->Blob(0), VectorKey(c.content_hash));
        t.find_vector->Reset();
      } else if (!given.empty()) {
        appended = stream_->out->Append(chunk_id, given, VectorKey(c.content_hash));
      }
      if (!appended.ok()) DropStream();
    }
  }
  return Status::Ok();
}

Status EmbeddedStore::SetFilesKnown(int64_t n) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  return SetMetaInt(writer_.get(), MetaKey::kFilesKnown, n);
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

}  // namespace trawl::store_internal
