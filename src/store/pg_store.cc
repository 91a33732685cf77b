// The PostgreSQL store (pg_store.h).
#include "store/pg_store.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/hash.h"
#include "base/mutex.h"
#include "base/tokenize.h"
#include "base/utf8.h"
#include "store/chunk_text.h"
#include "store/embedded_store.h"
#include "store/embedded_store_internal.h"
#include "store/lexical_query.h"
#include "store/path_filter.h"
#include "store/pg_lexical.h"
#include "store/pg_conn.h"
#include "store/vector_index.h"

namespace trawl::store_internal {
namespace {

constexpr int64_t kSchemaLock = 0x7472617721;  // pg_advisory_xact_lock key: "trawl!"

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

std::string TextArray(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// This process, as other processes see it in claims and runs: host:pid.
std::string MachineName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  return std::string(host) + ":" + std::to_string(getpid());
}


std::string SchemaSql() {
  return R"sql(
CREATE TABLE IF NOT EXISTS trawl_schema(version integer NOT NULL);
CREATE TABLE IF NOT EXISTS trawl_repos(
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  embedder text NOT NULL DEFAULT '',
  dims integer NOT NULL DEFAULT 0,
  files_known bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS trawl_files(
  repo_id bigint NOT NULL REFERENCES trawl_repos(id) ON DELETE CASCADE,
  path bytea NOT NULL,
  language text NOT NULL,
  size bigint NOT NULL,
  mtime_ns bigint NOT NULL,
  inode bigint NOT NULL,
  content_hash text NOT NULL,
  status text NOT NULL,
  error bytea NOT NULL,
  git_commit text NOT NULL,
  git_author bytea NOT NULL,
  git_time bigint NOT NULL,
  git_commits integer NOT NULL,
  chunk_count integer NOT NULL,
  PRIMARY KEY (repo_id, path));
CREATE TABLE IF NOT EXISTS trawl_chunks(
  id bigserial PRIMARY KEY,
  repo_id bigint NOT NULL,
  path bytea NOT NULL,
  start_line integer NOT NULL,
  end_line integer NOT NULL,
  start_byte bigint NOT NULL,
  end_byte bigint NOT NULL,
  kind text NOT NULL,
  symbol bytea NOT NULL,
  text bytea NOT NULL,
  content_hash text NOT NULL,
  tokens integer NOT NULL,
  tsv tsvector NOT NULL,
  FOREIGN KEY (repo_id, path) REFERENCES trawl_files(repo_id, path) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS trawl_chunks_file ON trawl_chunks(repo_id, path);
CREATE INDEX IF NOT EXISTS trawl_chunks_hash ON trawl_chunks(content_hash);
CREATE INDEX IF NOT EXISTS trawl_chunks_tsv ON trawl_chunks USING gin(tsv);
CREATE TABLE IF NOT EXISTS trawl_vectors(
  embedder text NOT NULL,
  content_hash text NOT NULL,
  dim integer NOT NULL,
  vec bytea NOT NULL,
  PRIMARY KEY (embedder, content_hash));
CREATE TABLE IF NOT EXISTS trawl_counters(
  repo_id bigint NOT NULL REFERENCES trawl_repos(id) ON DELETE CASCADE,
  slot integer NOT NULL,
  commits bigint NOT NULL DEFAULT 0,
  chunks bigint NOT NULL DEFAULT 0,
  tokens bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, slot));
CREATE TABLE IF NOT EXISTS trawl_runs(
  repo_id bigint NOT NULL REFERENCES trawl_repos(id) ON DELETE CASCADE,
  id text NOT NULL,
  machine text NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint NOT NULL,
  state text NOT NULL,
  summary_json bytea NOT NULL,
  PRIMARY KEY (repo_id, id));
CREATE TABLE IF NOT EXISTS trawl_leases(
  repo_id bigint NOT NULL REFERENCES trawl_repos(id) ON DELETE CASCADE,
  unit integer NOT NULL,
  owner text NOT NULL,
  state text NOT NULL,
  expires_at timestamptz NOT NULL,
  files bigint NOT NULL DEFAULT 0,
  last_owner text NOT NULL DEFAULT '',  -- who last did work in the unit, and how many files
  last_files bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, unit));
)sql";
}

const char kFileColumns[] =
    "path, language, size, mtime_ns, inode, content_hash, status, error, git_commit, git_author, git_time, "
    "git_commits, chunk_count";

FileRecord ReadFile(const PgResult& r, int row, int at = 0) {
  FileRecord f;
  f.path = r.Str(row, at + 0);
  f.language = r.Str(row, at + 1);
  f.size = static_cast<uint64_t>(r.Int(row, at + 2));
  f.mtime_ns = r.Int(row, at + 3);
  f.inode = static_cast<uint64_t>(r.Int(row, at + 4));
  f.content_hash = r.Str(row, at + 5);
  f.status = ParseFileStatus(r.Str(row, at + 6));
  f.error = r.Str(row, at + 7);
  f.git_commit = r.Str(row, at + 8);
  f.git_author = r.Str(row, at + 9);
  f.git_time = r.Int(row, at + 10);
  f.git_commits = static_cast<int>(r.Int(row, at + 11));
  f.chunk_count = static_cast<int>(r.Int(row, at + 12));
  return f;
}

std::string VectorText(const std::string& blob, int dims) {
  std::vector<float> v(static_cast<size_t>(dims));
  if (!DecodeVector(blob, dims, v.data())) return {};
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%.9g", i ? "," : "", static_cast<double>(v[i]));
    out += buf;
  }
  return out + "]";
}

class PgScan;

class PgStore final : public Store, public LexicalShard {
 public:
  PgStore(StoreConfig config, OpenMode mode)
      : config_(std::move(config)), mode_(mode), pool_(config_.url, config_.pool_size) {}

  Status Open();

  Status BindEmbedder(const std::string& name, int dimensions, bool reset) override;
  void Prepare(FileWrite* write) const override;
  Result<std::vector<FileRecord>> ListFiles() override { return QueryFiles(""); }
  Result<std::unordered_map<std::string, std::vector<float>>> LookupVectors(
      const std::vector<std::string>& content_hashes) override;
  Status Stage(const FileWrite& write) override;
  Status Commit(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes) override;
  Status Checkpoint() override { return Status::Ok(); }
  int WritePartitions() const override { return static_cast<int>(parts_.size()); }
  int PartitionOf(std::string_view path) const override {
    return parts_.size() <= 1 ? 0 : static_cast<int>(Hash64(path) % parts_.size());
  }
  Status CommitPartition(int partition, const std::vector<std::string>& deletes) override;
  Status CheckpointPartition(int) override { return Status::Ok(); }
  Status SetFilesKnown(int64_t n) override;
  Status Verify() override;
  Status SaveRun(const RunRecord& run) override;
  int WorkUnits() const override { return mode_ == OpenMode::kWrite ? kWorkUnits : 0; }
  Result<UnitClaim> ClaimUnit(int unit, const std::vector<std::string>& paths) override;
  Status FinishUnit(int unit, int64_t files) override;
  Status ReleaseUnits() override;
  ~PgStore() override;

  Result<std::vector<ChunkHit>> SearchLexical(const LexicalQuery& query, int k, const SearchFilter& filter) override {
    return SearchLexicalShards({this}, query, k, filter, lexical_opts_, 1);
  }
  Result<std::vector<ChunkHit>> SearchDense(const std::vector<float>& query, int k,
                                            const SearchFilter& filter) override;
  Result<TermStats> DocFrequencies(const std::vector<std::string>& terms) override {
    return ShardDocFrequencies({this}, terms);
  }
  Result<std::vector<ChunkView>> GetChunks(const std::vector<int64_t>& ids) override;
  Result<StoreStats> Stats() override;
  Result<std::vector<FileRecord>> FailedFiles() override { return QueryFiles(" AND status = 'failed'"); }
  Result<std::vector<RunRecord>> Runs(int limit) override;
  Result<std::unique_ptr<StoreScan>> Scan() override;

  Result<LexicalTotals> LexicalCounts() override;
  Result<std::vector<int64_t>> MatchCounts(const std::vector<LexicalExpr>& exprs) override;
  Result<std::vector<ChunkHit>> RankLexical(const LexicalPlan& plan, const SearchFilter& filter) override;
  bool Stems() const override { return false; }

 private:
  friend class PgScan;
  struct Part {
    std::optional<PgPool::Lease> conn;  // held while its transaction is open
    int slot = 0;                       // its row of trawl_counters
    int64_t chunks = 0, tokens = 0;     // changes of the open transaction
    std::map<std::string, std::string> vectors;  // content hash -> blob, inserted at commit in order
  };

  Status RequireWriter() const {
    return mode_ == OpenMode::kWrite ? Status::Ok() : Status::FailedPrecondition("store opened for reading");
  }
  Status EnsureSchema(PgConn* c);
  Result<std::vector<FileRecord>> QueryFiles(const std::string& where);
  std::string RepoParam() const { return IdArray(repo_ids_); }
  // The repositories a search reads: those of the filter, or every one opened.
  Result<std::string> SearchRepos(const SearchFilter& filter) const {
    if (filter.repos.empty()) return RepoParam();
    std::vector<int64_t> ids;
    for (const auto& name : filter.repos) {
      auto it = std::find_if(repo_names_.begin(), repo_names_.end(), [&](const auto& r) { return r.second == name; });
      if (it == repo_names_.end()) return Status::NotFound("the store holds no repository named '" + name + "'");
      ids.push_back(it->first);
    }
    return IdArray(ids);
  }
  Status Begin(Part* p);
  void Abort(Part* p);
  Status WriteFile(Part* p, const FileWrite& w);
  Status DeleteFile(Part* p, const std::string& path);
  Status FinishCommit(Part* p);

  // Keeps this process's claims alive (every lease_seconds / 3) until stopped.
  void RenewClaims();
  static constexpr int kWorkUnits = 256;

  const StoreConfig config_;
  const OpenMode mode_;
  PgPool pool_;
  const std::string owner_ = MachineName();
  Mutex renew_mu_;
  CondVar renew_cv_;
  bool renew_stop_ GUARDED_BY(renew_mu_) = false;
  std::thread renewer_;  // started by the first claim
  EmbeddedStoreOptions lexical_opts_;
  std::vector<int64_t> repo_ids_;  // what readers see (one repository when writing)
  std::unordered_map<int64_t, std::string> repo_names_;
  int64_t repo_id_ = 0;            // the repository written
  std::string embedder_;
  int dims_ = 0;
  bool has_vector_ = false;        // pgvector is installed in the database
  std::vector<Part> parts_;        // one per write partition, each used by its thread only

  Mutex df_mu_;
  std::unordered_map<std::string, int64_t> df_cache_ GUARDED_BY(df_mu_);
  int64_t df_cache_seq_ GUARDED_BY(df_mu_) = -1;
};

Status PgStore::EnsureSchema(PgConn* c) {
  TRAWL_RETURN_IF_ERROR(c->ExecScript("BEGIN"));
  Status st = [&]() -> Status {
    TRAWL_RETURN_IF_ERROR(c->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLock) + ")").status());
    TRAWL_ASSIGN_OR_RETURN(PgResult t, c->Exec("SELECT to_regclass('trawl_schema') IS NOT NULL"));
    int version = 0;
    if (t.Bool(0, 0)) {
      TRAWL_ASSIGN_OR_RETURN(PgResult v, c->Exec("SELECT max(version) FROM trawl_schema"));
      version = static_cast<int>(v.Int(0, 0));
    }
    if (version > kPgSchemaVersion) {
      return Status::FailedPrecondition("the store " + RedactStoreUrl(config_.url) + " has schema version " +
                                        std::to_string(version) + ", made by a newer trawl (this one knows " +
                                        std::to_string(kPgSchemaVersion) + "): upgrade trawl");
    }
    if (version < kPgSchemaVersion) {
      if (mode_ != OpenMode::kWrite) return Status::NotFound("the store " + RedactStoreUrl(config_.url) +
                                                             " holds no trawl index yet (run `trawl index --store URL`)");
      // Migrations from older versions go here, each in this transaction.
      TRAWL_RETURN_IF_ERROR(c->ExecScript(SchemaSql()));
      TRAWL_RETURN_IF_ERROR(c->Exec("DELETE FROM trawl_schema").status());
      TRAWL_RETURN_IF_ERROR(
          c->Exec("INSERT INTO trawl_schema(version) VALUES ($1)", {PgParam::Int(kPgSchemaVersion)}).status());
    }
    if (mode_ == OpenMode::kWrite) {
      // pgvector, when the server has it and we may install it (a missing one is said
      // when semantic search is asked for).
      TRAWL_ASSIGN_OR_RETURN(PgResult avail,
                             c->Exec("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"));
      if (avail.Int(0, 0) > 0) {
        TRAWL_RETURN_IF_ERROR(c->ExecScript("SAVEPOINT ext"));
        if (!c->ExecScript("CREATE EXTENSION IF NOT EXISTS vector").ok()) {
          TRAWL_RETURN_IF_ERROR(c->ExecScript("ROLLBACK TO SAVEPOINT ext"));
        }
      }
    }
    TRAWL_ASSIGN_OR_RETURN(PgResult ext, c->Exec("SELECT count(*) FROM pg_extension WHERE extname = 'vector'"));
    has_vector_ = ext.Int(0, 0) > 0;
    if (has_vector_ && mode_ == OpenMode::kWrite) {
      TRAWL_RETURN_IF_ERROR(c->ExecScript("ALTER TABLE trawl_vectors ADD COLUMN IF NOT EXISTS embedding vector"));
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    (void)c->ExecScript("ROLLBACK");
    return st;
  }
  return c->ExecScript("COMMIT");
}

Status PgStore::Open() {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire(std::chrono::seconds(10)));
  TRAWL_RETURN_IF_ERROR(EnsureSchema(c.get()));
  if (mode_ == OpenMode::kWrite) {
    if (config_.repo.empty()) return Status::InvalidArgument("writing to a shared store needs a repository name (--repo)");
    if (!IsValidUtf8(config_.repo)) return Status::InvalidArgument("a repository name must be UTF-8");
    TRAWL_RETURN_IF_ERROR(c->Exec("INSERT INTO trawl_repos(name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                                  {PgParam::Text(config_.repo)})
                              .status());
  }
  std::string sql = "SELECT id, name, embedder, dims FROM trawl_repos";
  std::vector<PgParam> params;
  if (!config_.repo.empty()) {
    sql += " WHERE name = $1";
    params.push_back(PgParam::Text(config_.repo));
  }
  TRAWL_ASSIGN_OR_RETURN(PgResult repos, c->Exec(sql + " ORDER BY id", params));
  if (repos.rows() == 0) {
    return Status::NotFound(config_.repo.empty()
                                ? "the store " + RedactStoreUrl(config_.url) + " holds no repository yet (run `trawl index --store URL`)"
                                : "the store " + RedactStoreUrl(config_.url) + " holds no repository named '" + config_.repo +
                                      "' (run `trawl index --store URL --repo NAME`)");
  }
  for (int i = 0; i < repos.rows(); ++i) {
    repo_ids_.push_back(repos.Int(i, 0));
    repo_names_[repos.Int(i, 0)] = repos.Str(i, 1);
    if (embedder_.empty()) {
      embedder_ = repos.Str(i, 2);
      dims_ = static_cast<int>(repos.Int(i, 3));
    }
  }
  repo_id_ = repo_ids_[0];
  if (mode_ == OpenMode::kWrite) {
    // Writers share the pool with this process's readers: half of it writes.
    int n = std::max(1, config_.pool_size / 2);
    parts_.resize(static_cast<size_t>(n));
    std::string machine = MachineName();
    for (int i = 0; i < n; ++i) {
      parts_[static_cast<size_t>(i)].slot = static_cast<int>(Hash64(machine + "/" + std::to_string(i)) % 4096);
    }
  }
  return Status::Ok();
}

Status PgStore::BindEmbedder(const std::string& name, int dimensions, bool reset) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  if (name.empty() || dimensions <= 0) return Status::InvalidArgument("an embedder needs a name and a positive dimension");
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_RETURN_IF_ERROR(c->ExecScript("BEGIN"));
  Status st = [&]() -> Status {
    PgParam repo = PgParam::Int(repo_id_);
    TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT embedder, dims FROM trawl_repos WHERE id = $1 FOR UPDATE", {repo}));
    std::string old_name = r.rows() ? r.Str(0, 0) : "";
    int old_dims = r.rows() ? static_cast<int>(r.Int(0, 1)) : 0;
    if (!reset && !old_name.empty() && (old_name != name || old_dims != dimensions)) {
      TRAWL_ASSIGN_OR_RETURN(PgResult n, c->Exec("SELECT count(*) FROM trawl_chunks WHERE repo_id = $1", {repo}));
      if (n.Int(0, 0) > 0) {
        return Status::FailedPrecondition("repository " + config_.repo + " was indexed with embedder " + old_name +
                                          " (dim " + std::to_string(old_dims) + "); this run uses " + name + " (dim " +
                                          std::to_string(dimensions) + "): run `trawl index --rebuild` to re-embed");
      }
    }
    if (reset) {
      TRAWL_RETURN_IF_ERROR(c->Exec("DELETE FROM trawl_files WHERE repo_id = $1", {repo}).status());
      TRAWL_RETURN_IF_ERROR(c->Exec("DELETE FROM trawl_counters WHERE repo_id = $1", {repo}).status());
    }
    TRAWL_RETURN_IF_ERROR(c->Exec("UPDATE trawl_repos SET embedder = $2, dims = $3 WHERE id = $1",
                                  {repo, PgParam::Text(name), PgParam::Int(dimensions)})
                              .status());
    if (has_vector_) {
      // One HNSW index per dimension (pgvector indexes a column of one dimension: here
      // an expression over the rows of that dimension). halfvec above 2000 dimensions.
      std::string d = std::to_string(dimensions);
      std::string type = dimensions > 2000 ? "halfvec(" + d + ")" : "vector(" + d + ")";
      std::string ops = dimensions > 2000 ? "halfvec_ip_ops" : "vector_ip_ops";
      TRAWL_RETURN_IF_ERROR(c->ExecScript("CREATE INDEX IF NOT EXISTS trawl_vectors_hnsw_" + d +
                                          " ON trawl_vectors USING hnsw ((embedding::" + type + ") " + ops +
                                          ") WHERE dim = " + d));
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    (void)c->ExecScript("ROLLBACK");
    return st;
  }
  TRAWL_RETURN_IF_ERROR(c->ExecScript("COMMIT"));
  embedder_ = name;
  dims_ = dimensions;
  return Status::Ok();
}

void PgStore::Prepare(FileWrite* w) const { PrepareWrite(w, nullptr); }

Result<std::vector<FileRecord>> PgStore::QueryFiles(const std::string& where) {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec(std::string("SELECT ") + kFileColumns +
                                                  " FROM trawl_files WHERE repo_id = ANY($1::bigint[])" + where +
                                                  " ORDER BY path, repo_id",
                                              {PgParam::Text(RepoParam())}));
  std::vector<FileRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadFile(r, i));
  return out;
}

Result<std::unordered_map<std::string, std::vector<float>>> PgStore::LookupVectors(
    const std::vector<std::string>& hashes) {
  std::unordered_map<std::string, std::vector<float>> out;
  if (hashes.empty() || embedder_.empty() || dims_ <= 0) return out;
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT content_hash, vec FROM trawl_vectors WHERE embedder = $1 AND "
                                             "content_hash = ANY($2::text[])",
                                             {PgParam::Text(embedder_), PgParam::Text(TextArray(hashes))}));
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<float> v(static_cast<size_t>(dims_));
    if (DecodeVector(r.Bytes(i, 1), dims_, v.data())) out.emplace(r.Str(i, 0), std::move(v));
  }
  return out;
}

Status PgStore::Begin(Part* p) {
  if (p->conn.has_value()) return Status::Ok();
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_RETURN_IF_ERROR(c->ExecScript("BEGIN"));
  p->conn.emplace(std::move(c));
  p->chunks = p->tokens = 0;
  p->vectors.clear();
  return Status::Ok();
}

void PgStore::Abort(Part* p) {
  if (p->conn.has_value()) {
    (void)(*p->conn)->ExecScript("ROLLBACK");
    p->conn.reset();
  }
  p->vectors.clear();
  p->chunks = p->tokens = 0;
}

Status PgStore::DeleteFile(Part* p, const std::string& path) {
  PgConn* c = p->conn->get();
  TRAWL_ASSIGN_OR_RETURN(PgResult d, c->Exec("WITH d AS (DELETE FROM trawl_chunks WHERE repo_id = $1 AND path = $2 "
                                             "RETURNING tokens) SELECT count(*), coalesce(sum(tokens), 0)::bigint FROM d",
                                             {PgParam::Int(repo_id_), PgParam::Bytes(path)}));
  p->chunks -= d.Int(0, 0);
  p->tokens -= d.Int(0, 1);
  return Status::Ok();
}

Status PgStore::WriteFile(Part* p, const FileWrite& original) {
  const FileRecord& f = original.file;
  if (f.path.empty()) return Status::InvalidArgument("a file write without a path");
  bool failed = f.status != FileStatus::kIndexed;
  FileWrite local;
  const FileWrite* w = &original;
  bool unprepared = !original.prepared || std::any_of(original.chunks.begin(), original.chunks.end(),
                                                      [](const ChunkRecord& c) { return !c.vector.empty(); });
  if (unprepared && !failed) {
    local = original;
    Prepare(&local);
    w = &local;
  }
  if (!failed) {
    for (const auto& c : w->chunks) {
      if (c.prepared.vector_blob.empty()) continue;
      if (dims_ == 0) return Status::FailedPrecondition("Commit of vectors before BindEmbedder");
      if (c.prepared.vector_dims != dims_) {
        return Status::InvalidArgument("file " + f.path + ": a chunk vector has dimension " +
                                       std::to_string(c.prepared.vector_dims) + ", the index has " + std::to_string(dims_));
      }
    }
  }
  PgConn* c = p->conn->get();
  PgParam repo = PgParam::Int(repo_id_), path = PgParam::Bytes(f.path);
  if (f.status == FileStatus::kFailed) {
    // A failure keeps the file's last chunks, marked failed (as the embedded store).
    TRAWL_ASSIGN_OR_RETURN(PgResult u, c->Exec("UPDATE trawl_files SET status = 'failed', error = $3 WHERE repo_id = $1 "
                                               "AND path = $2", {repo, path, PgParam::Bytes(f.error)}));
    if (u.affected() > 0) return Status::Ok();
  }
  // The upsert locks the file's row first, so that a concurrent writer of the same
  // file (another machine) waits, then sees and replaces what this one wrote.
  TRAWL_RETURN_IF_ERROR(
      c->Exec("INSERT INTO trawl_files(repo_id, path, language, size, mtime_ns, inode, content_hash, status, error, "
              "git_commit, git_author, git_time, git_commits, chunk_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
              "$10, $11, $12, $13, $14) ON CONFLICT (repo_id, path) DO UPDATE SET language = excluded.language, "
              "size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode, content_hash = "
              "excluded.content_hash, status = excluded.status, error = excluded.error, git_commit = "
              "excluded.git_commit, git_author = excluded.git_author, git_time = excluded.git_time, git_commits = "
              "excluded.git_commits, chunk_count = excluded.chunk_count",
              {repo, path, PgParam::Text(f.language), PgParam::Int(static_cast<int64_t>(f.size)),
               PgParam::Int(f.mtime_ns), PgParam::Int(static_cast<int64_t>(f.inode)), PgParam::Text(f.content_hash),
               PgParam::Text(std::string(FileStatusName(f.status))), PgParam::Bytes(f.error),
               PgParam::Text(f.git_commit), PgParam::Bytes(f.git_author), PgParam::Int(f.git_time),
               PgParam::Int(f.git_commits), PgParam::Int(failed ? 0 : static_cast<int64_t>(w->chunks.size()))})
          .status());
  TRAWL_RETURN_IF_ERROR(DeleteFile(p, f.path));
  if (failed) return Status::Ok();
  // Rows in batches of one statement each (PostgreSQL takes at most 65535 parameters).
  constexpr size_t kBatch = 256;
  constexpr int kCols = 12;
  for (size_t at = 0; at < w->chunks.size(); at += kBatch) {
    size_t end = std::min(w->chunks.size(), at + kBatch);
    std::string sql =
        "INSERT INTO trawl_chunks(repo_id, path, start_line, end_line, start_byte, end_byte, kind, symbol, text, "
        "content_hash, tokens, tsv) VALUES ";
    std::vector<PgParam> params;
    params.reserve((end - at) * kCols);
    for (size_t i = at; i < end; ++i) {
      const ChunkRecord& ch = w->chunks[i];
      PgTerms terms = MakePgTerms(ch.prepared.symbol_terms, w->path_terms, ch.prepared.body_terms);
      int base = static_cast<int>(params.size());
      sql += i == at ? "(" : ",(";
      for (int k = 1; k <= kCols; ++k) {
        sql += "$" + std::to_string(base + k) + (k == kCols ? "::tsvector)" : ",");
      }
      params.push_back(repo);
      params.push_back(path);
      params.push_back(PgParam::Int(ch.start_line));
      params.push_back(PgParam::Int(ch.end_line));
      params.push_back(PgParam::Int(ch.start_byte));
      params.push_back(PgParam::Int(ch.end_byte));
      params.push_back(PgParam::Text(ch.kind));
      params.push_back(PgParam::Bytes(ch.symbol));
      params.push_back(PgParam::Bytes(ch.prepared.text_blob));
      params.push_back(PgParam::Text(ch.content_hash));
      params.push_back(PgParam::Int(terms.tokens));
      params.push_back(PgParam::Text(terms.tsvector));
      p->chunks += 1;
      p->tokens += terms.tokens;
      if (!ch.prepared.vector_blob.empty()) p->vectors.emplace(ch.content_hash, ch.prepared.vector_blob);
    }
    TRAWL_RETURN_IF_ERROR(c->Exec(sql, params).status());
  }
  return Status::Ok();
}

Status PgStore::Stage(const FileWrite& write) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  Part* p = &parts_[static_cast<size_t>(PartitionOf(write.file.path))];
  Status st = Begin(p);
  if (st.ok()) st = WriteFile(p, write);
  if (!st.ok()) Abort(p);
  return st.WithContext(write.file.path);
}

Status PgStore::FinishCommit(Part* p) {
  PgConn* c = p->conn->get();
  // Vectors last and in content-hash order: two writers inserting the same content
  // take its key in the same order, so they wait for each other but never deadlock.
  // In statements of many rows (one round trip per row cost more than the rows).
  constexpr size_t kBatch = 500;
  const int cols = has_vector_ ? 5 : 4;
  auto it = p->vectors.begin();
  while (it != p->vectors.end()) {
    std::string sql = std::string("INSERT INTO trawl_vectors(embedder, content_hash, dim, vec") +
                      (has_vector_ ? ", embedding" : "") + ") VALUES ";
    std::vector<PgParam> params;
    for (size_t n = 0; n < kBatch && it != p->vectors.end(); ++n, ++it) {
      int base = static_cast<int>(params.size());
      sql += n ? ",(" : "(";
      for (int k = 1; k <= cols; ++k) {
        sql += "$" + std::to_string(base + k) + (k == 5 ? "::vector" : "") + (k == cols ? ")" : ",");
      }
      params.push_back(PgParam::Text(embedder_));
      params.push_back(PgParam::Text(it->first));
      params.push_back(PgParam::Int(dims_));
      params.push_back(PgParam::Bytes(it->second));
      if (has_vector_) params.push_back(PgParam::Text(VectorText(it->second, dims_)));
    }
    TRAWL_RETURN_IF_ERROR(c->Exec(sql + " ON CONFLICT DO NOTHING", params).status());
  }
  TRAWL_RETURN_IF_ERROR(c->Exec("INSERT INTO trawl_counters(repo_id, slot, commits, chunks, tokens) VALUES ($1, $2, 1, $3, "
                                "$4) ON CONFLICT (repo_id, slot) DO UPDATE SET commits = trawl_counters.commits + 1, "
                                "chunks = trawl_counters.chunks + excluded.chunks, tokens = trawl_counters.tokens + "
                                "excluded.tokens",
                                {PgParam::Int(repo_id_), PgParam::Int(p->slot), PgParam::Int(p->chunks),
                                 PgParam::Int(p->tokens)})
                            .status());
  TRAWL_RETURN_IF_ERROR(c->ExecScript("COMMIT"));
  p->conn.reset();
  p->vectors.clear();
  p->chunks = p->tokens = 0;
  return Status::Ok();
}

Status PgStore::CommitPartition(int partition, const std::vector<std::string>& deletes) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  if (partition < 0 || static_cast<size_t>(partition) >= parts_.size()) {
    return Status::InvalidArgument("no write partition " + std::to_string(partition));
  }
  Part* p = &parts_[static_cast<size_t>(partition)];
  Status st = Begin(p);
  for (size_t i = 0; st.ok() && i < deletes.size(); ++i) {
    st = DeleteFile(p, deletes[i]);
    if (st.ok()) {
      st = p->conn.value()->Exec("DELETE FROM trawl_files WHERE repo_id = $1 AND path = $2",
                                  {PgParam::Int(repo_id_), PgParam::Bytes(deletes[i])})
               .status();
    }
  }
  if (st.ok()) st = FinishCommit(p);
  if (!st.ok()) Abort(p);
  return st;
}

Status PgStore::Commit(const std::vector<FileWrite>& writes, const std::vector<std::string>& deletes) {
  for (const auto& w : writes) TRAWL_RETURN_IF_ERROR(Stage(w));
  for (size_t i = 0; i < parts_.size(); ++i) {
    std::vector<std::string> mine;
    for (const auto& d : deletes) {
      if (PartitionOf(d) == static_cast<int>(i)) mine.push_back(d);
    }
    TRAWL_RETURN_IF_ERROR(CommitPartition(static_cast<int>(i), mine));
  }
  return Status::Ok();
}

Status PgStore::SetFilesKnown(int64_t n) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  return c->Exec("UPDATE trawl_repos SET files_known = $2 WHERE id = $1", {PgParam::Int(repo_id_), PgParam::Int(n)})
      .status();
}

Status PgStore::SaveRun(const RunRecord& run) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  return c->Exec("INSERT INTO trawl_runs(repo_id, id, machine, started_at, finished_at, state, summary_json) VALUES ($1, "
                 "$2, $3, $4, $5, $6, $7) ON CONFLICT (repo_id, id) DO UPDATE SET started_at = excluded.started_at, "
                 "finished_at = excluded.finished_at, state = excluded.state, summary_json = excluded.summary_json",
                 {PgParam::Int(repo_id_), PgParam::Text(run.id), PgParam::Text(MachineName()),
                  PgParam::Int(run.started_at), PgParam::Int(run.finished_at), PgParam::Text(run.state),
                  PgParam::Bytes(run.summary_json)})
      .status();
}

Status PgStore::Verify() {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult v, c->Exec("SELECT max(version) FROM trawl_schema"));
  if (v.Int(0, 0) != kPgSchemaVersion) {
    return Status::Corruption("the store's schema version is " + std::to_string(v.Int(0, 0)) + ", expected " +
                              std::to_string(kPgSchemaVersion));
  }
  // Each file's chunk count against its rows.
  TRAWL_ASSIGN_OR_RETURN(PgResult bad, c->Exec("SELECT count(*) FROM trawl_files f WHERE f.repo_id = ANY($1::bigint[]) AND "
                                               "f.status = 'indexed' AND f.chunk_count <> (SELECT count(*) FROM trawl_chunks c "
                                               "WHERE c.repo_id = f.repo_id AND c.path = f.path)",
                                               {PgParam::Text(RepoParam())}));
  if (bad.Int(0, 0) > 0) {
    return Status::Corruption(std::to_string(bad.Int(0, 0)) + " file(s) of the store hold another number of chunks "
                              "than recorded");
  }
  return Status::Ok();
}

PgStore::~PgStore() {
  {
    MutexLock lock(&renew_mu_);
    renew_stop_ = true;
  }
  renew_cv_.NotifyAll();
  if (renewer_.joinable()) renewer_.join();
  for (auto& p : parts_) Abort(&p);
  if (mode_ == OpenMode::kWrite) (void)ReleaseUnits();
}

Result<Store::UnitClaim> PgStore::ClaimUnit(int unit, const std::vector<std::string>& paths) {
  TRAWL_RETURN_IF_ERROR(RequireWriter());
  UnitClaim out;
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  // Taken when free, finished, lapsed, or already this process's.
  TRAWL_ASSIGN_OR_RETURN(
      PgResult r,
      c->Exec("INSERT INTO trawl_leases(repo_id, unit, owner, state, expires_at, files) VALUES ($1, $2, $3, 'working', "
              "now() + $4 * interval '1 second', 0) ON CONFLICT (repo_id, unit) DO UPDATE SET owner = excluded.owner, "
              "state = 'working', expires_at = excluded.expires_at, files = 0 WHERE trawl_leases.state <> 'working' OR "
              "trawl_leases.expires_at < now() OR trawl_leases.owner = excluded.owner RETURNING unit",
              {PgParam::Int(repo_id_), PgParam::Int(unit), PgParam::Text(owner_), PgParam::Int(config_.lease_seconds)}));
  out.claimed = r.rows() > 0;
  if (!out.claimed) return out;
  {
    MutexLock lock(&renew_mu_);
    if (!renewer_.joinable()) renewer_ = std::thread([this] { RenewClaims(); });
  }
  // What the store holds for these paths now (another process may have written them).
  constexpr size_t kBatch = 1000;
  for (size_t at = 0; at < paths.size(); at += kBatch) {
    std::string list = "{";
    for (size_t i = at; i < std::min(paths.size(), at + kBatch); ++i) {
      list += (i > at ? ",\"\\\\x" : "\"\\\\x") + HexBytes(paths[i]) + "\"";
    }
    list += "}";
    TRAWL_ASSIGN_OR_RETURN(PgResult f, c->Exec(std::string("SELECT ") + kFileColumns +
                                                   " FROM trawl_files WHERE repo_id = $1 AND path = ANY($2::bytea[])",
                                               {PgParam::Int(repo_id_), PgParam::Text(list)}));
    for (int i = 0; i < f.rows(); ++i) out.stored.push_back(ReadFile(f, i));
  }
  return out;
}

Status PgStore::FinishUnit(int unit, int64_t files) {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  // A process that found the unit's files done by another leaves the credit with it.
  return c->Exec("UPDATE trawl_leases SET state = 'done', files = $4::bigint, expires_at = now(), last_owner = CASE WHEN "
                 "$4::bigint > 0 THEN owner ELSE last_owner END, last_files = CASE WHEN $4::bigint > 0 THEN $4::bigint "
                 "ELSE last_files END WHERE "
                 "repo_id = $1 AND unit = $2 AND owner = $3",
                 {PgParam::Int(repo_id_), PgParam::Int(unit), PgParam::Text(owner_), PgParam::Int(files)})
      .status();
}

Status PgStore::ReleaseUnits() {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire(std::chrono::seconds(2)));
  return c->Exec("DELETE FROM trawl_leases WHERE repo_id = $1 AND owner = $2 AND state = 'working'",
                 {PgParam::Int(repo_id_), PgParam::Text(owner_)})
      .status();
}

void PgStore::RenewClaims() {
  const auto every = std::chrono::milliseconds(std::max(500, config_.lease_seconds * 1000 / 3));
  for (;;) {
    {
      MutexLock lock(&renew_mu_);
      if (!renew_stop_) renew_cv_.WaitFor(&renew_mu_, every);
      if (renew_stop_) return;
    }
    // A failure here (the server restarting) is retried next time; claims that lapse
    // meanwhile may be taken over, which costs work, never correctness.
    auto c = pool_.Acquire(std::chrono::seconds(1));
    if (!c.ok()) continue;
    (void)(*c)->Exec("UPDATE trawl_leases SET expires_at = now() + $3 * interval '1 second' WHERE repo_id = $1 AND "
                     "owner = $2 AND state = 'working'",
                     {PgParam::Int(repo_id_), PgParam::Text(owner_), PgParam::Int(config_.lease_seconds)});
  }
}

Result<LexicalTotals> PgStore::LexicalCounts() {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT coalesce(sum(chunks), 0)::bigint, coalesce(sum(tokens), 0)::bigint "
                                             "FROM trawl_counters WHERE repo_id = ANY($1::bigint[])",
                                             {PgParam::Text(RepoParam())}));
  LexicalTotals t;
  t.rows = t.chunks = r.Int(0, 0);
  t.tokens = r.Int(0, 1);
  return t;
}

Result<std::vector<int64_t>> PgStore::MatchCounts(const std::vector<LexicalExpr>& exprs) {
  std::vector<int64_t> out(exprs.size(), -1);
  std::vector<std::string> queries(exprs.size());
  for (size_t i = 0; i < exprs.size(); ++i) {
    std::vector<std::vector<std::string>> groups;
    for (const auto& p : exprs[i].phrases) groups.push_back(FtsTokens(p));
    queries[i] = PgTsQuery(groups);
  }
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult seq, c->Exec("SELECT coalesce(sum(commits), 0)::bigint FROM trawl_counters WHERE "
                                               "repo_id = ANY($1::bigint[])", {PgParam::Text(RepoParam())}));
  int64_t commits = seq.Int(0, 0);
  {
    MutexLock lock(&df_mu_);
    if (df_cache_seq_ != commits || df_cache_.size() > 200000) {
      df_cache_.clear();
      df_cache_seq_ = commits;
    }
    for (size_t i = 0; i < queries.size(); ++i) {
      auto it = df_cache_.find(queries[i]);
      if (it != df_cache_.end()) out[i] = it->second;
    }
  }
  std::vector<std::pair<std::string, int64_t>> counted;
  std::vector<std::string> ask;
  std::vector<size_t> where;
  for (size_t i = 0; i < queries.size(); ++i) {
    if (out[i] >= 0) continue;
    if (queries[i].empty()) {
      out[i] = 0;
      continue;
    }
    ask.push_back(queries[i]);
    where.push_back(i);
  }
  if (!ask.empty()) {
    // Every count in one round trip.
    TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT (SELECT count(*) FROM trawl_chunks WHERE repo_id = "
                                               "ANY($1::bigint[]) AND tsv @@ q::tsquery) FROM unnest($2::text[]) WITH "
                                               "ORDINALITY AS t(q, n) ORDER BY n",
                                               {PgParam::Text(RepoParam()), PgParam::Text(TextArray(ask))}));
    for (int i = 0; i < r.rows() && static_cast<size_t>(i) < where.size(); ++i) {
      out[where[static_cast<size_t>(i)]] = r.Int(i, 0);
      counted.emplace_back(ask[static_cast<size_t>(i)], r.Int(i, 0));
    }  }
  MutexLock lock(&df_mu_);
  if (df_cache_seq_ == commits) {
    for (auto& [q, n] : counted) df_cache_[std::move(q)] = n;
  }
  return out;
}

Result<std::vector<ChunkHit>> PgStore::RankLexical(const LexicalPlan& plan, const SearchFilter& filter) {
  std::vector<ChunkHit> out;
  std::vector<std::vector<std::string>> phrases;  // every phrase's tokens, in the plan's numbering
  for (const auto& t : plan.terms) {
    for (const auto& p : t.phrases) phrases.push_back(FtsTokens(p));
  }
  std::string query = PgTsQuery(phrases);
  if (query.empty()) return out;
  const PgQueryLexemes lexemes = PgQueryLexemes::Of(phrases);
  TRAWL_ASSIGN_OR_RETURN(std::string repos, SearchRepos(filter));
  std::vector<PgParam> params = {PgParam::Text(repos), PgParam::Text(query)};
  // Ranked, a row comes with its positions of the query's lexemes (and its text when
  // PostgreSQL's limits may have cut its positions short).
  std::string sql = "SELECT c.id, c.path";
  if (plan.rank) {
    sql += ", c.symbol, c.tokens, ts_filter(setweight(c.tsv, 'C', $3::text[]), '{c}')::text, CASE WHEN c.tokens + 2 >= " +
           std::to_string(kPgMaxPosition) + " THEN c.text END";
    params.push_back(PgParam::Text(TextArray(lexemes.lexemes)));
  }
  sql += " FROM trawl_chunks c";
  // The file's row only for its language.
  if (!filter.languages.empty()) sql += " JOIN trawl_files f ON f.repo_id = c.repo_id AND f.path = c.path";
  sql += " WHERE c.repo_id = ANY($1::bigint[]) AND c.tsv @@ $2::tsquery";
  if (!filter.languages.empty()) {
    sql += " AND f.language = ANY($" + std::to_string(params.size() + 1) + "::text[])";
    params.push_back(PgParam::Text(TextArray(filter.languages)));
  }
  if (!plan.rank && filter.path_globs.empty()) {
    sql += " ORDER BY c.id LIMIT " + std::to_string(plan.limit);
  }
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec(sql, params));
  const double weights[3] = {lexical_opts_.bm25_symbol_weight, lexical_opts_.bm25_path_weight,
                             lexical_opts_.bm25_content_weight};
  std::unordered_map<std::string, std::vector<std::string>> path_tokens;
  auto tokens_of_path = [&](const std::string& path) -> const std::vector<std::string>& {
    auto it = path_tokens.find(path);
    if (it == path_tokens.end()) it = path_tokens.emplace(path, FtsTokens(PartTermsText(path))).first;
    return it->second;
  };
  // The text way: the row's columns tokenised again, each phrase counted in them.
  auto freq_from_text = [&](std::string_view symbol, std::string_view text, const std::string& path,
                            std::vector<double>* freq) -> Status {
    std::string context, content;
    TRAWL_RETURN_IF_ERROR(UnpackChunkText(text, &context, &content).WithContext(path));
    const std::vector<std::string> columns[3] = {FtsTokens(CodeTermsText(symbol)), tokens_of_path(path),
                                                 FtsTokens(BodyTerms(content, context))};
    freq->assign(phrases.size(), 0.0);
    for (size_t ph = 0; ph < phrases.size(); ++ph) {
      for (int col = 0; col < 3; ++col) (*freq)[ph] += weights[col] * CountPhrase(columns[col], phrases[ph]);
    }
    return Status::Ok();
  };
  std::vector<ChunkHit> scored;
  std::vector<int64_t> cut;  // rows to score from their text
  std::vector<double> freq;
  std::vector<std::vector<int>> positions;
  for (int i = 0; i < r.rows(); ++i) {
    std::string path = r.Str(i, 1);
    if (!filter.path_globs.empty() &&
        std::none_of(filter.path_globs.begin(), filter.path_globs.end(),
                     [&](const std::string& g) { return PathMatchesGlob(g, path); })) {
      continue;
    }
    double score = 0;
    if (plan.rank) {
      const int64_t tokens = r.Int(i, 3);
      if (!r.IsNull(i, 5)) {
        TRAWL_RETURN_IF_ERROR(freq_from_text(r.Bytes(i, 2), r.Bytes(i, 5), path, &freq));
      } else {
        if (!ParseQueryPositions(r.Bytes(i, 4), lexemes, &positions)) {
          return Status::Corruption("the lexical index of chunk " + std::to_string(r.Int(i, 0)) + " (" + path +
                                    ") does not read as a tsvector: run `trawl index --rebuild`");
        }
        if (PositionsMayBeCut(tokens, positions)) {
          cut.push_back(r.Int(i, 0));
          continue;
        }
        const int64_t symbol_tokens = static_cast<int64_t>(FtsTokens(CodeTermsText(r.Bytes(i, 2))).size());
        PhraseFrequencies(lexemes, positions, symbol_tokens, static_cast<int64_t>(tokens_of_path(path).size()),
                          weights, &freq);
      }
      score = Bm25Score(freq, plan.idf, tokens, plan.avgdl);
    }
    scored.push_back({r.Int(i, 0), score});
  }
  if (!cut.empty()) {
    TRAWL_ASSIGN_OR_RETURN(PgResult t, c->Exec("SELECT id, path, symbol, tokens, text FROM trawl_chunks WHERE id = "
                                               "ANY($1::bigint[])",
                                               {PgParam::Text(IdArray(cut))}));
    for (int i = 0; i < t.rows(); ++i) {
      TRAWL_RETURN_IF_ERROR(freq_from_text(t.Bytes(i, 2), t.Bytes(i, 4), t.Str(i, 1), &freq));
      scored.push_back({t.Int(i, 0), Bm25Score(freq, plan.idf, t.Int(i, 3), plan.avgdl)});
    }
  }
  // Best first; equal scores by id, as the embedded store's rows come.
  std::sort(scored.begin(), scored.end(), [](const ChunkHit& a, const ChunkHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  });
  const size_t k = static_cast<size_t>(plan.rank ? plan.limit / 2 : plan.limit);
  for (const auto& h : scored) {
    if (out.size() >= static_cast<size_t>(plan.limit)) break;
    if (out.size() >= k && h.score != out.back().score) break;
    out.push_back(h);
  }
  return out;
}

Result<std::vector<ChunkHit>> PgStore::SearchDense(const std::vector<float>& query, int k, const SearchFilter& filter) {
  std::vector<ChunkHit> out;
  if (k <= 0 || dims_ <= 0) return out;
  if (!has_vector_) {
    return Status::FailedPrecondition(
        "the PostgreSQL store has no pgvector extension, which semantic and hybrid search need: install pgvector on "
        "the server (Debian/Ubuntu: apt install postgresql-<version>-pgvector; see "
        "https://github.com/pgvector/pgvector), run `trawl index` once more, or search with --mode lexical");
  }
  if (static_cast<int>(query.size()) != dims_) {
    return Status::InvalidArgument("a query vector of dimension " + std::to_string(query.size()) + " for an index of " +
                                   std::to_string(dims_));
  }
  std::string qtext = "[";
  char buf[32];
  for (size_t i = 0; i < query.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%.9g", i ? "," : "", static_cast<double>(query[i]));
    qtext += buf;
  }
  qtext += "]";
  TRAWL_ASSIGN_OR_RETURN(std::string repos_text, SearchRepos(filter));
  const std::string* repos = &repos_text;
  // Nearest content first (HNSW), then the chunks of the repositories read that hold it.
  int fetch = std::max(config_.ef_search, 4 * k);
  if (!filter.empty()) fetch = std::max(fetch, 40 * k);
  fetch = std::min(fetch, 1000);
  std::string d = std::to_string(dims_);
  std::string type = dims_ > 2000 ? "halfvec(" + d + ")" : "vector(" + d + ")";
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_RETURN_IF_ERROR(c->ExecScript("BEGIN"));
  Status st = c->ExecScript("SET LOCAL hnsw.ef_search = " + std::to_string(fetch));
  Result<PgResult> r = Status::Ok();
  if (st.ok()) {
    std::string sql =
        "WITH nn AS MATERIALIZED (SELECT content_hash, (embedding::" + type + " <#> $2::" + type +
        ") AS d FROM trawl_vectors WHERE embedder = $1 AND dim = " + d + " ORDER BY embedding::" + type + " <#> $2::" +
        type + " LIMIT $3) SELECT c.id, -nn.d, c.path, f.language FROM nn JOIN trawl_chunks c ON c.content_hash = "
        "nn.content_hash JOIN trawl_files f ON f.repo_id = c.repo_id AND f.path = c.path WHERE c.repo_id = "
        "ANY($4::bigint[]) ORDER BY nn.d, c.id";
    r = c->Exec(sql, {PgParam::Text(embedder_), PgParam::Text(qtext), PgParam::Int(fetch), PgParam::Text(*repos)});
  }
  (void)c->ExecScript("COMMIT");
  TRAWL_RETURN_IF_ERROR(st);
  TRAWL_RETURN_IF_ERROR(r.status());
  for (int i = 0; i < r->rows() && static_cast<int>(out.size()) < k; ++i) {
    if (!filter.languages.empty() &&
        std::find(filter.languages.begin(), filter.languages.end(), r->Str(i, 3)) == filter.languages.end()) {
      continue;
    }
    std::string path = r->Str(i, 2);
    if (!filter.path_globs.empty() &&
        std::none_of(filter.path_globs.begin(), filter.path_globs.end(),
                     [&](const std::string& g) { return PathMatchesGlob(g, path); })) {
      continue;
    }
    out.push_back({r->Int(i, 0), r->Double(i, 1)});
  }
  return out;
}

Result<std::vector<ChunkView>> PgStore::GetChunks(const std::vector<int64_t>& ids) {
  std::vector<ChunkView> out;
  if (ids.empty()) return out;
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(
      PgResult r,
      c->Exec("SELECT c.id, c.path, f.language, c.start_line, c.end_line, c.start_byte, c.end_byte, c.kind, c.symbol, "
              "c.text, c.content_hash, f.git_commit, f.git_author, f.git_time, c.repo_id FROM trawl_chunks c JOIN "
              "trawl_files f ON f.repo_id = c.repo_id AND f.path = c.path WHERE c.id = ANY($1::bigint[]) AND c.repo_id = "
              "ANY($2::bigint[])",
              {PgParam::Text(IdArray(ids)), PgParam::Text(RepoParam())}));
  std::unordered_map<int64_t, ChunkView> by_id;
  for (int i = 0; i < r.rows(); ++i) {
    ChunkView v;
    v.chunk_id = r.Int(i, 0);
    v.path = r.Str(i, 1);
    v.language = r.Str(i, 2);
    v.start_line = static_cast<int>(r.Int(i, 3));
    v.end_line = static_cast<int>(r.Int(i, 4));
    v.start_byte = static_cast<uint32_t>(r.Int(i, 5));
    v.end_byte = static_cast<uint32_t>(r.Int(i, 6));
    v.kind = r.Str(i, 7);
    v.symbol = r.Str(i, 8);
    TRAWL_RETURN_IF_ERROR(UnpackChunkText(r.Bytes(i, 9), &v.context, &v.content).WithContext(v.path));
    v.content_hash = r.Str(i, 10);
    v.git_commit = r.Str(i, 11);
    v.git_author = r.Str(i, 12);
    v.git_time = r.Int(i, 13);
    if (repo_ids_.size() > 1) v.repo = repo_names_[r.Int(i, 14)];
    by_id.emplace(v.chunk_id, std::move(v));
  }
  for (int64_t id : ids) {
    auto it = by_id.find(id);
    if (it != by_id.end()) out.push_back(it->second);
  }
  return out;
}

Result<StoreStats> PgStore::Stats() {
  StoreStats s;
  s.embedder = embedder_;
  s.dimensions = dims_;
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  PgParam repos = PgParam::Text(RepoParam());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT status, language, count(*) FROM trawl_files WHERE repo_id = "
                                             "ANY($1::bigint[]) GROUP BY status, language", {repos}));
  for (int i = 0; i < r.rows(); ++i) {
    std::string status = r.Str(i, 0);
    int64_t n = r.Int(i, 2);
    if (status == "indexed") {
      s.files += n;
      s.languages[r.Str(i, 1)] += n;
    } else if (status == "failed") {
      s.files_failed += n;
    } else if (status == "skipped") {
      s.files_skipped += n;
    }
  }
  TRAWL_ASSIGN_OR_RETURN(PgResult t, c->Exec("SELECT coalesce(sum(chunks), 0)::bigint FROM trawl_counters WHERE repo_id "
                                             "= ANY($1::bigint[])", {repos}));
  s.chunks = t.Int(0, 0);
  TRAWL_ASSIGN_OR_RETURN(PgResult k, c->Exec("SELECT coalesce(sum(files_known), 0)::bigint, (SELECT embedder FROM "
                                             "trawl_repos WHERE id = $2), (SELECT dims FROM trawl_repos WHERE id = $2) "
                                             "FROM trawl_repos WHERE id = ANY($1::bigint[])",
                                             {repos, PgParam::Int(repo_id_)}));
  s.files_known = k.Int(0, 0);
  if (!k.IsNull(0, 1)) {
    s.embedder = k.Str(0, 1);
    s.dimensions = static_cast<int>(k.Int(0, 2));
  }
  // Vectors are shared by every repository of the store: those of this embedder.
  TRAWL_ASSIGN_OR_RETURN(PgResult v, c->Exec("SELECT count(*) FROM trawl_vectors WHERE embedder = $1",
                                             {PgParam::Text(s.embedder)}));
  s.vectors = v.Int(0, 0);
  TRAWL_ASSIGN_OR_RETURN(PgResult sh, c->Exec("SELECT last_owner, sum(last_files)::bigint FROM trawl_leases WHERE "
                                              "repo_id = ANY($1::bigint[]) AND last_files > 0 GROUP BY last_owner ORDER BY 2 "
                                              "DESC, 1",
                                              {repos}));
  for (int i = 0; i < sh.rows(); ++i) s.shares.emplace_back(sh.Str(i, 0), sh.Int(i, 1));
  if (repo_ids_.size() > 1) {
    // Read across several repositories: each one's counts, in one statement.
    TRAWL_ASSIGN_OR_RETURN(
        PgResult per,
        c->Exec("SELECT r.id, r.files_known, "
                "(SELECT count(*) FROM trawl_files f WHERE f.repo_id = r.id AND f.status = 'indexed'), "
                "(SELECT count(*) FROM trawl_files f WHERE f.repo_id = r.id AND f.status = 'failed'), "
                "(SELECT count(*) FROM trawl_files f WHERE f.repo_id = r.id AND f.status = 'skipped'), "
                "(SELECT coalesce(sum(chunks), 0)::bigint FROM trawl_counters k WHERE k.repo_id = r.id), "
                "(SELECT state FROM trawl_runs u WHERE u.repo_id = r.id ORDER BY started_at DESC, id DESC LIMIT 1), "
                "(SELECT finished_at FROM trawl_runs u WHERE u.repo_id = r.id ORDER BY started_at DESC, id DESC LIMIT 1) "
                "FROM trawl_repos r WHERE r.id = ANY($1::bigint[])",
                {repos}));
    for (int i = 0; i < per.rows(); ++i) {
      RepoStats rs;
      rs.name = repo_names_[per.Int(i, 0)];
      rs.files_known = per.Int(i, 1);
      rs.files = per.Int(i, 2);
      rs.files_failed = per.Int(i, 3);
      rs.files_skipped = per.Int(i, 4);
      rs.chunks = per.Int(i, 5);
      if (!per.IsNull(i, 6)) rs.last_run_state = per.Str(i, 6);
      if (!per.IsNull(i, 7)) rs.last_run_finished = per.Int(i, 7);
      s.repos.push_back(std::move(rs));
    }
    std::sort(s.repos.begin(), s.repos.end(), [](const RepoStats& a, const RepoStats& b) { return a.name < b.name; });
  }
  return s;
}

Result<std::vector<RunRecord>> PgStore::Runs(int limit) {
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  TRAWL_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT id, started_at, finished_at, state, summary_json FROM trawl_runs "
                                             "WHERE repo_id = ANY($1::bigint[]) ORDER BY started_at DESC, id DESC LIMIT $2",
                                             {PgParam::Text(RepoParam()), limit < 0 ? PgParam::Null() : PgParam::Int(limit)}));
  std::vector<RunRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    RunRecord run;
    run.id = r.Str(i, 0);
    run.started_at = r.Int(i, 1);
    run.finished_at = r.Int(i, 2);
    run.state = r.Str(i, 3);
    run.summary_json = r.Str(i, 4);
    out.push_back(std::move(run));
  }
  return out;
}

// A scan: one repeatable-read transaction; files by path, their chunks read a batch of
// files at a time, in the embedded store's order.
class PgScan final : public StoreScan {
 public:
  PgScan(PgPool::Lease conn, int64_t repo, std::string embedder, int dims)
      : conn_(std::move(conn)), repo_(repo), embedder_(std::move(embedder)), dims_(dims) {}
  ~PgScan() override { (void)conn_->ExecScript("COMMIT"); }

  Status Start() {
    TRAWL_RETURN_IF_ERROR(conn_->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    TRAWL_ASSIGN_OR_RETURN(files_, conn_->Exec(std::string("SELECT ") + kFileColumns +
                                                   " FROM trawl_files WHERE repo_id = $1 ORDER BY path",
                                               {PgParam::Int(repo_)}));
    return Status::Ok();
  }

  Result<bool> Next(ScannedFile* out) override {
    if (next_ >= files_.rows()) return false;
    if (next_ >= batch_end_) TRAWL_RETURN_IF_ERROR(LoadBatch());
    out->file = ReadFile(files_, next_);
    out->chunks.clear();
    while (chunk_row_ < chunks_.rows() && chunks_.Bytes(chunk_row_, 0) == files_.Bytes(next_, 0)) {
      const int i = chunk_row_++;
      ChunkRecord c;
      c.start_line = static_cast<int>(chunks_.Int(i, 1));
      c.end_line = static_cast<int>(chunks_.Int(i, 2));
      c.start_byte = static_cast<uint32_t>(chunks_.Int(i, 3));
      c.end_byte = static_cast<uint32_t>(chunks_.Int(i, 4));
      c.kind = chunks_.Str(i, 5);
      c.symbol = chunks_.Str(i, 6);
      TRAWL_RETURN_IF_ERROR(UnpackChunkText(chunks_.Bytes(i, 7), &c.context, &c.content).WithContext(out->file.path));
      c.content_hash = chunks_.Str(i, 8);
      c.vector.resize(static_cast<size_t>(std::max(dims_, 0)));
      if (!DecodeVector(chunks_.Bytes(i, 9), dims_, c.vector.data())) c.vector.clear();
      out->chunks.push_back(std::move(c));
    }
    ++next_;
    return true;
  }

 private:
  Status LoadBatch() {
    constexpr int kFiles = 256;
    batch_end_ = std::min(files_.rows(), next_ + kFiles);
    chunk_row_ = 0;
    TRAWL_ASSIGN_OR_RETURN(
        chunks_,
        conn_->Exec("SELECT c.path, c.start_line, c.end_line, c.start_byte, c.end_byte, c.kind, c.symbol, c.text, "
                    "c.content_hash, v.vec FROM trawl_chunks c LEFT JOIN trawl_vectors v ON v.embedder = $2 AND "
                    "v.content_hash = c.content_hash WHERE c.repo_id = $1 AND c.path >= $3 AND c.path <= $4 ORDER BY "
                    "c.path, c.start_byte, c.end_byte, c.start_line, c.end_line, c.kind COLLATE \"C\", c.symbol, "
                    "c.content_hash COLLATE \"C\", c.text",
                    {PgParam::Int(repo_), PgParam::Text(embedder_), PgParam::Bytes(files_.Bytes(next_, 0)),
                     PgParam::Bytes(files_.Bytes(batch_end_ - 1, 0))}));
    return Status::Ok();
  }

  PgPool::Lease conn_;
  const int64_t repo_;
  const std::string embedder_;
  const int dims_;
  PgResult files_{nullptr};
  PgResult chunks_{nullptr};
  int next_ = 0, batch_end_ = 0, chunk_row_ = 0;
};

Result<std::unique_ptr<StoreScan>> PgStore::Scan() {
  if (repo_ids_.size() != 1) {
    return Status::FailedPrecondition("the store holds " + std::to_string(repo_ids_.size()) +
                                      " repositories: name one with --repo");
  }
  TRAWL_ASSIGN_OR_RETURN(PgPool::Lease c, pool_.Acquire());
  auto scan = std::make_unique<PgScan>(std::move(c), repo_id_, embedder_, dims_);
  TRAWL_RETURN_IF_ERROR(scan->Start());
  return std::unique_ptr<StoreScan>(std::move(scan));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(const StoreConfig& config, OpenMode mode) {
  auto store = std::make_unique<PgStore>(config, mode);
  TRAWL_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace trawl::store_internal
