// A thin RAII layer over the SQLite C API for the embedded store: one connection,
// its cached prepared statements, and errors turned into Status.
// Thread-safety: a Db (and its statements) is used by one thread at a time; the
// store hands connections to threads through a pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "trawl/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trawl::store_internal {

// A borrowed cached statement; resets itself (and clears bindings) when it goes out
// of scope, so a half-stepped read never holds a WAL snapshot open.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, uint64_t v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view v);  // copied (SQLITE_TRANSIENT)
  // Not copied (SQLITE_STATIC): `v` must stay valid until the statement is reset. For
  // the writer's row inserts, where copying every chunk's text was measurable.
  Stmt& BindStatic(int i, std::string_view v);
  Stmt& BindBlobStatic(int i, std::string_view v);
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& BindBlob(int i, const void* data, size_t size);

  // True when a row is available, false when done.
  Result<bool> Step();
  // Steps until done (for statements without rows), then resets.
  Status Run();
  void Reset();

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step
  std::string_view Blob(int col) const;      // valid until the next Step
  bool IsNull(int col) const;

 private:
  Status Error() const;
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  Status bind_error_;
};

class Db {
 public:
  // Opens (and for !read_only, creates) the database at `path`.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool read_only,
                                          int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(std::string_view sql);
  // A cached statement for `sql` (prepared on first use).
  Result<std::unique_ptr<Stmt>> Prepare(const std::string& sql);
  sqlite3* raw() { return db_; }
  Status LastError(std::string_view what) const;
  int64_t LastInsertId() const;
  int64_t Changes() const;  // rows changed by the last statement

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Maps an SQLite result code to a Status code.
Status SqliteStatus(int rc, std::string message);

// BEGIN on construction, ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db* db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // `immediate` takes the write lock at once (writers); deferred for read snapshots.
  Status Begin(bool immediate);
  Status Commit();

 private:
  Db* db_;
  bool open_ = false;
};

}  // namespace trawl::store_internal
