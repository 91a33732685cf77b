// A thin layer over libpq for the PostgreSQL store: one connection, statements with
// parameters (text, or binary for bytea), results read in binary form, and errors
// turned into Status (connection loss and serialization failures as kUnavailable, so
// that callers may retry).
// Thread-safety: a PgConn is used by one thread at a time; PgPool hands them out.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "trawl/status.h"

struct pg_conn;
struct pg_result;

namespace trawl::store_internal {

// One parameter of a statement: text (SQL's text input of the parameter's type), binary
// (raw bytes: a bytea), or NULL.
struct PgParam {
  enum class Kind { kText, kBinary, kNull };
  Kind kind = Kind::kNull;
  std::string value;
  static PgParam Text(std::string_view v) { return {Kind::kText, std::string(v)}; }
  static PgParam Bytes(std::string_view v) { return {Kind::kBinary, std::string(v)}; }
  static PgParam Int(int64_t v) { return {Kind::kText, std::to_string(v)}; }
  static PgParam Null() { return {Kind::kNull, {}}; }
};

// A result: rows of columns in binary form. Accessors check the column's type.
class PgResult {
 public:
  explicit PgResult(pg_result* res) : res_(res) {}
  ~PgResult();
  PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  bool IsNull(int row, int col) const;
  int64_t Int(int row, int col) const;   // int2, int4, int8 (0 for anything else)
  double Double(int row, int col) const; // float4, float8
  bool Bool(int row, int col) const;
  std::string_view Bytes(int row, int col) const;  // text, bytea, ... (raw)
  std::string Str(int row, int col) const { return std::string(Bytes(row, col)); }
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE touched

 private:
  pg_result* res_;
};

class PgConn {
 public:
  // Connects (libpq URI or key=value text); application_name "trawl". A failure
  // says where (the url without its password) and why.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One statement (extended protocol: a single command) with parameters $1...
  Result<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Several statements, no parameters (simple protocol; schema scripts).
  Status ExecScript(std::string_view sql);
  bool InTransaction() const;
  bool Broken() const;  // the connection is gone (the server restarted, the network)

 private:
  explicit PgConn(pg_conn* c) : conn_(c) {}
  Status Error(pg_result* res, std::string_view sql) const;
  pg_conn* conn_;
};

// Connections to one server, at most `size`, made on demand; Acquire waits for one
// when all are in use. A connection handed back broken is dropped.
class PgPool {
 public:
  PgPool(std::string url, int size) : url_(std::move(url)), size_(size < 1 ? 1 : size) {}

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() {
      if (pool_ != nullptr) pool_->Release(std::move(conn_));
    }
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) { o.pool_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PgConn* operator->() { return conn_.get(); }
    PgConn* get() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> conn_;
  };

  // A connection; a new one is retried with backoff for up to `patience` (the server
  // restarting), then fails kUnavailable.
  Result<Lease> Acquire(std::chrono::milliseconds patience = std::chrono::seconds(30));
  const std::string& url() const { return url_; }

 private:
  void Release(std::unique_ptr<PgConn> conn);
  const std::string url_;
  const int size_;
  Mutex mu_;
  CondVar cv_;
  std::vector<std::unique_ptr<PgConn>> idle_ GUARDED_BY(mu_);
  int open_ GUARDED_BY(mu_) = 0;  // connections made and not dropped (idle or leased)
};

// `s` as a quoted SQL literal ('...' with quotes doubled, E'' when it holds a backslash).
std::string PgQuote(std::string_view s);

}  // namespace trawl::store_internal
