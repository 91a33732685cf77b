// The embedded store's vector file (Checkpoint keeps, rewrites or drops it) and dense
// search over it and the rows above it. The design is in embedded_store_internal.h.
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
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, MetaKey::kCommitSeq));
  TRAWL_ASSIGN_OR_RETURN(int64_t done_seq, GetMetaInt(db, MetaKey::kVindexCommitSeq));
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, MetaKey::kVindexGeneration));
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, MetaKey::kVindexFile));
  TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, MetaKey::kVindexHash));
  TRAWL_ASSIGN_OR_RETURN(std::string stamp, GetMeta(db, MetaKey::kVindexStat));
  TRAWL_ASSIGN_OR_RETURN(int64_t hwm, GetMetaInt(db, MetaKey::kVindexHwm));
  TRAWL_ASSIGN_OR_RETURN(int64_t file_count, GetMetaInt(db, MetaKey::kVindexCount));
  if (seq == done_seq) {
    // Nothing committed since: done, unless the file was lost or damaged meanwhile
    // (its layout is checked here; its hash when a change next reuses it).
    if (file.empty()) return Status::Ok();
    Status loaded = FlatIndex::Load(dir_ + "/" + file, dims_).status();
    if (loaded.ok()) return Status::Ok();
    return LostVectors(dir_ + "/" + file, loaded);
  }
  if (dims_ == 0) return Status::Ok();  // no embedder, no vectors

  // What decides the file's fate is read from meta and the rowid b-tree only: a join of
  // every chunk with its vector took 2.9 s over linux's 853k chunks, paid by every
  // watch-mode edit. Every chunk of an indexed file has a vector of the bound embedder
  // (a file whose embedding failed keeps no chunks), so chunks stand for vectors here;
  // the rewrite below appends only the rows that have one.
  TRAWL_ASSIGN_OR_RETURN(int64_t live, GetMetaInt(db, MetaKey::kChunkCount));
  TRAWL_ASSIGN_OR_RETURN(auto top, db->Prepare("SELECT coalesce(max(id), 0) FROM chunks"));
  TRAWL_ASSIGN_OR_RETURN(bool row, top->Step());
  int64_t max_id = row ? top->Int(0) : 0;
  top->Reset();

  // The current file holds the only copy of the vectors up to the hwm: hashed whatever
  // its stamp (every run checks the file readers take on trust), and never written
  // around when it cannot be read.
  std::unique_ptr<FlatIndex> current;
  std::string new_file = file, new_hash = hash, new_stamp = stamp;
  if (!file.empty()) {
    TRAWL_ASSIGN_OR_RETURN(current, LoadVectorFile(db, dims_, file, hash, /*stamp=*/""));
    new_stamp = StatStamp(dir_ + "/" + file);  // as verified just now
  }
  int64_t new_hwm = hwm, new_gen = gen, new_count = file_count;
  bool replaced = false;  // the file changed (or went): tombstones start afresh
  bool dropped = live < opts_.exact_search_limit;  // no file: every vector in the table
  if (dropped) {
    replaced = true;
    new_file.clear();
    new_hash.clear();
    new_stamp.clear();
    new_hwm = 0;
    new_gen = gen + 1;
    new_count = 0;
  } else {
    // Keep the file while what it lacks (the tail, scored from the log) and what it
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
            "SELECT c.id, c.content_hash, v.vec FROM chunks c LEFT JOIN vectors v ON v.embedder = ?1 AND "
            "v.content_hash = c.content_hash ORDER BY c.id"));
        rows->Bind(1, embedder_);
        std::unique_ptr<FlatIndexRows> old;
        if (current != nullptr) old = std::make_unique<FlatIndexRows>(current.get());
        for (;;) {
          TRAWL_ASSIGN_OR_RETURN(bool more, rows->Step());
          if (!more) break;
          int64_t id = rows->Int(0);
          size_t pos = current != nullptr && id <= hwm ? current->Find(id) : FlatIndex::npos;
          std::string from_file = pos != FlatIndex::npos ? old->Encoded(pos) : std::string();
          std::string_view blob = pos != FlatIndex::npos ? std::string_view(from_file) : rows->Blob(2);
          if (blob.empty()) continue;  // a chunk without a vector
          Status st = out->Append(id, blob, VectorKey(rows->Text(1)));
          // A vector of another shape is never searched (nor was it ever).
          if (!st.ok() && st.code() != StatusCode::kInvalidArgument) return st;
        }
      }
      new_count = static_cast<int64_t>(out->size());
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

  // A replaced file is removed once this transaction commits, and with it may go the
  // only copy of its vectors: the commit is made durable first.
  if (replaced) TRAWL_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  Status committed = CommitVectorFile(current.get(), hwm, dropped, replaced, new_gen, new_file, new_hash,
                                      new_stamp, new_hwm, new_count, seq, live);
  if (replaced) {
    Status normal = db->Exec("PRAGMA synchronous=NORMAL");
    if (committed.ok()) committed = normal;
  }
  TRAWL_RETURN_IF_ERROR(committed);
  TRAWL_RETURN_IF_ERROR(RemoveStaleVectorFiles(new_file));
  TRAWL_RETURN_IF_ERROR(ReleaseFreePages());
  MutexLock lock(&dense_mu_);
  dense_.reset();  // the next search maps the current file and catches up from the rows
  return Status::Ok();
}

Status EmbeddedStore::ReleaseFreePages() {
  // The log a checkpoint empties was a fifth of linux's database: its pages go back to
  // the file system once the free ones are an eighth of the file (moving pages costs
  // writes, so not for the few a watch-mode edit frees).
  Db* db = writer_.get();
  TRAWL_ASSIGN_OR_RETURN(auto counts, db->Prepare(
      "SELECT (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_count FROM pragma_page_count)"));
  TRAWL_ASSIGN_OR_RETURN(bool row, counts->Step());
  if (!row || counts->Int(0) * 8 < counts->Int(1)) return Status::Ok();
  counts.reset();
  return db->Exec("PRAGMA incremental_vacuum");
}

Status EmbeddedStore::CommitVectorFile(const FlatIndex* current, int64_t hwm, bool dropped, bool replaced,
                                       int64_t new_gen, const std::string& new_file, const std::string& new_hash,
                                       const std::string& new_stamp, int64_t new_hwm, int64_t new_count,
                                       int64_t seq, int64_t live) {
  Db* db = writer_.get();
  Transaction txn(db);
  TRAWL_RETURN_IF_ERROR(txn.Begin(true));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexGeneration, new_gen));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexFile, new_file));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexHash, new_hash));
  TRAWL_RETURN_IF_ERROR(SetMeta(db, MetaKey::kVindexStat, new_stamp));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexHwm, new_hwm));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexCount, new_count));
  TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVindexCommitSeq, seq));
  if (replaced) TRAWL_RETURN_IF_ERROR(db->Exec("DELETE FROM tombstones"));
  TRAWL_ASSIGN_OR_RETURN(int64_t unswept, GetMetaInt(db, MetaKey::kVectorsUnswept));
  if (dropped && current != nullptr) {
    // The file goes: the vectors of its live chunks move back into the table.
    TRAWL_ASSIGN_OR_RETURN(auto rows, db->Prepare(
        "SELECT id, content_hash FROM chunks WHERE id <= ?1 ORDER BY id"));
    TRAWL_ASSIGN_OR_RETURN(auto insert, db->Prepare(
        "INSERT OR IGNORE INTO vectors(embedder, content_hash, dim, vec) VALUES(?1, ?2, ?3, ?4)"));
    rows->Bind(1, hwm);
    FlatIndexRows from(current);
    int64_t moved = 0;
    for (;;) {
      TRAWL_ASSIGN_OR_RETURN(bool more, rows->Step());
      if (!more) break;
      size_t pos = current->Find(rows->Int(0));
      if (pos == FlatIndex::npos) continue;
      std::string blob = from.Encoded(pos);
      insert->Bind(1, embedder_).Bind(2, rows->Text(1)).Bind(3, dims_).BindBlobStatic(4, blob);
      TRAWL_RETURN_IF_ERROR(insert->Run());
      moved += db->Changes();
    }
    TRAWL_RETURN_IF_ERROR(AddVectorCount(db, moved));
  }
  if (replaced && !new_file.empty()) {
    // Every live chunk's vector is in the new file: the log is empty again.
    TRAWL_RETURN_IF_ERROR(db->Exec("DELETE FROM vectors"));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorCount, 0));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorsUnswept, 0));
  } else if (unswept > 0 && (dropped || unswept * 10 >= live)) {
    // Logged vectors no chunk above the hwm uses (those below it are in the file) are
    // dropped once the chunks removed since the last sweep reach a tenth of the index;
    // until then they serve as a cache (an undone edit re-embeds nothing).
    TRAWL_ASSIGN_OR_RETURN(auto sweep, db->Prepare(
        "DELETE FROM vectors WHERE content_hash NOT IN (SELECT content_hash FROM chunks WHERE id > ?1)"));
    TRAWL_RETURN_IF_ERROR(sweep->Bind(1, new_hwm).Run());
    TRAWL_RETURN_IF_ERROR(AddVectorCount(db, -db->Changes()));
    TRAWL_RETURN_IF_ERROR(SetMetaInt(db, MetaKey::kVectorsUnswept, 0));
  }
  return txn.Commit();
}

// --- dense search ------------------------------------------------------------------

Result<std::shared_ptr<const FlatIndex>> EmbeddedStore::KeyedFile(Db* db) {
  TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, MetaKey::kVindexFile));
  if (file.empty()) return std::shared_ptr<const FlatIndex>();
  TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, MetaKey::kVindexHash));
  TRAWL_ASSIGN_OR_RETURN(std::string stamp, GetMeta(db, MetaKey::kVindexStat));
  TRAWL_ASSIGN_OR_RETURN(int64_t dim, GetMetaInt(db, MetaKey::kDimensions));
  std::string name = file + ":" + hash;
  {
    MutexLock lock(&keyed_mu_);
    if (keyed_file_ != nullptr && keyed_name_ == name) return keyed_file_;
  }
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<FlatIndex> loaded,
                         LoadVectorFile(db, static_cast<int>(dim), file, hash, stamp, /*mark_tombstones=*/false));
  std::shared_ptr<const FlatIndex> shared = std::move(loaded);
  MutexLock lock(&keyed_mu_);
  keyed_name_ = name;
  keyed_file_ = shared;
  return shared;
}

Result<std::unique_ptr<FlatIndex>> EmbeddedStore::LoadVectorFile(Db* db, int dim, const std::string& file,
                                                                 const std::string& hash,
                                                                 const std::string& stamp, bool mark_tombstones) {
  std::string path = dir_ + "/" + file;
  auto loaded = FlatIndex::Load(path, dim);
  if (!loaded.ok()) return LostVectors(path, loaded.status());
  std::unique_ptr<FlatIndex> index = std::move(loaded).value();
  // Hashing the file is half of a one-off semantic search over linux's 885 MB file
  // (0.17 of 0.34 s): like a source file, a file whose size, time and inode are those
  // recorded when it was written is taken as written; any other is hashed (read, not
  // mapped, so that the columns a search never needs stay out of memory). Damage that
  // keeps all three (bit rot) is found by the next index run, which always hashes.
  if (stamp.empty() || StatStamp(path) != stamp) {
    Result<std::string> actual = HashFileHex(path);
    if (!actual.ok()) return LostVectors(path, actual.status());
    if (*actual != hash) return LostVectors(path, Status::Corruption("checksum mismatch"));
  }
  if (!mark_tombstones) return index;
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
  TRAWL_ASSIGN_OR_RETURN(state->commit_seq, GetMetaInt(db, MetaKey::kCommitSeq));
  TRAWL_ASSIGN_OR_RETURN(state->generation, GetMetaInt(db, MetaKey::kVindexGeneration));
  TRAWL_ASSIGN_OR_RETURN(state->embedder, GetMeta(db, MetaKey::kEmbedder));
  TRAWL_ASSIGN_OR_RETURN(int64_t dim, GetMetaInt(db, MetaKey::kDimensions));
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
    TRAWL_ASSIGN_OR_RETURN(std::string file, GetMeta(db, MetaKey::kVindexFile));
    TRAWL_ASSIGN_OR_RETURN(std::string hash, GetMeta(db, MetaKey::kVindexHash));
    TRAWL_ASSIGN_OR_RETURN(std::string stamp, GetMeta(db, MetaKey::kVindexStat));
    TRAWL_ASSIGN_OR_RETURN(int64_t hwm, GetMetaInt(db, MetaKey::kVindexHwm));
    if (!file.empty()) {
      // The only copy of the vectors up to the hwm: a file that cannot be read fails
      // the search (LostVectors says what to do).
      TRAWL_ASSIGN_OR_RETURN(state->file, LoadVectorFile(db, state->dim, file, hash, stamp));
      above = hwm;
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
  TRAWL_ASSIGN_OR_RETURN(int64_t seq, GetMetaInt(db, MetaKey::kCommitSeq));
  TRAWL_ASSIGN_OR_RETURN(int64_t gen, GetMetaInt(db, MetaKey::kVindexGeneration));
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

}  // namespace trawl::store_internal
