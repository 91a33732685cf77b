#include "store/sqlite_db.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include <sqlite3.h>

namespace trawl::store_internal {

Status SqliteStatus(int rc, std::string message) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return Status::Ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status::IoError(std::move(message));
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(message));
    case SQLITE_NOMEM:
      return Status::ResourceExhausted(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

Stmt::~Stmt() { Reset(); }

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Status Stmt::Error() const {
  return SqliteStatus(sqlite3_errcode(db_),
                      std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sqlite3_sql(stmt_));
}

Stmt& Stmt::Bind(int i, int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Stmt& Stmt::Bind(int i, double v) {
  if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Stmt& Stmt::BindStatic(int i, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Stmt& Stmt::BindBlobStatic(int i, std::string_view v) {
  int rc = sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Stmt& Stmt::BindBlob(int i, const void* data, size_t size) {
  int rc = sqlite3_bind_blob64(stmt_, i, size ? data : "", size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = Error();
  return *this;
}

Result<bool> Stmt::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error();
}

Status Stmt::Run() {
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return Status::Ok();
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::Double(int col) const { return sqlite3_column_double(stmt_, col); }
bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string_view Stmt::TextView(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

std::string Stmt::Text(int col) const { return std::string(TextView(col)); }

std::string_view Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

namespace {

// Whether this process may create files in the folder holding `path`.
bool CanWriteBeside(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  return ::access(dir.c_str(), W_OK) == 0;
}

// "file:<path, percent-escaped>?immutable=1".
std::string ImmutableUri(const std::string& path) {
  std::string out = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "?immutable=1";
}

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool read_only, int busy_timeout_ms) {
  // Once, before SQLite initialises: no allocation statistics, whose global mutex every
  // sqlite3_malloc takes (3% of a search, and the writer allocates as much). Fails
  // harmlessly if the process initialised SQLite already.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::string name = path;
  if (read_only && !CanWriteBeside(path)) {
    // A reader of a WAL database writes its -shm file. In a folder this process cannot
    // write (a read-only mount, another user's index) the database is opened as
    // immutable instead: nobody can be writing it from here.
    name = ImmutableUri(path);
    flags |= SQLITE_OPEN_URI;
  }
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close(raw);
    return SqliteStatus(rc, std::move(msg));
  }
  sqlite3_extended_result_codes(raw, 0);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Db::LastError(std::string_view what) const {
  return SqliteStatus(sqlite3_errcode(db_),
                      "sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

int64_t Db::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Db::Changes() const { return sqlite3_changes64(db_); }

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = std::string("sqlite: ") + (err ? err : sqlite3_errstr(rc)) + " in: " + s;
    sqlite3_free(err);
    return SqliteStatus(rc, std::move(msg));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Stmt>> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteStatus(rc, std::string("sqlite: ") + sqlite3_errmsg(db_) + " preparing: " + sql);
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return std::make_unique<Stmt>(it->second, db_);
}

Transaction::~Transaction() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Begin(bool immediate) {
  TRAWL_RETURN_IF_ERROR(db_->Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  TRAWL_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace trawl::store_internal
