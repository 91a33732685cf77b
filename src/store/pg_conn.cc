#include "store/pg_conn.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstring>
#include <thread>

#include "store/store.h"

namespace trawl::store_internal {
namespace {

// Type oids of the built-in types read here (pg_type.h).
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700, kFloat8Oid = 701;

uint64_t BigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

PgResult::~PgResult() {
  if (res_ != nullptr) PQclear(res_);
}

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (res_ != nullptr) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const { return res_ ? PQntuples(res_) : 0; }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

int64_t PgResult::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  const char* p = PQgetvalue(res_, row, col);
  switch (PQftype(res_, col)) {
    case kInt8Oid: return static_cast<int64_t>(BigEndian(p, 8));
    case kInt4Oid: return static_cast<int32_t>(BigEndian(p, 4));
    case kInt2Oid: return static_cast<int16_t>(BigEndian(p, 2));
    default: return 0;
  }
}

double PgResult::Double(int row, int col) const {
  if (IsNull(row, col)) return 0;
  const char* p = PQgetvalue(res_, row, col);
  if (PQftype(res_, col) == kFloat8Oid) {
    uint64_t bits = BigEndian(p, 8);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  if (PQftype(res_, col) == kFloat4Oid) {
    uint32_t bits = static_cast<uint32_t>(BigEndian(p, 4));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  return 0;
}

bool PgResult::Bool(int row, int col) const {
  return !IsNull(row, col) && PQftype(res_, col) == kBoolOid && PQgetvalue(res_, row, col)[0] != 0;
}

std::string_view PgResult::Bytes(int row, int col) const {
  if (IsNull(row, col)) return {};
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

int64_t PgResult::affected() const {
  const char* n = res_ ? PQcmdTuples(res_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  // The url as libpq's expanded form, with application_name and a connect timeout
  // unless it sets them.
  const char* keys[] = {"dbname", "application_name", "connect_timeout", nullptr};
  const char* values[] = {url.c_str(), "trawl", "10", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) return Status::ResourceExhausted("libpq could not allocate a connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    PQfinish(c);
    return Status::Unavailable("cannot connect to the PostgreSQL store " + RedactStoreUrl(url) + ": " + why);
  }
  auto conn = std::unique_ptr<PgConn>(new PgConn(c));
  // Messages in English whatever the server's locale; trawl's own statements only.
  TRAWL_RETURN_IF_ERROR(conn->ExecScript("SET client_min_messages = warning; SET lc_messages = 'C'"));
  return conn;
}

PgConn::~PgConn() { PQfinish(conn_); }

bool PgConn::InTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
bool PgConn::Broken() const { return PQstatus(conn_) != CONNECTION_OK; }

Status PgConn::Error(pg_result* res, std::string_view sql) const {
  std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  std::string head(sql.substr(0, 60));
  message = "PostgreSQL: " + message + " (in: " + head + (sql.size() > 60 ? "..." : "") + ")";
  if (Broken() || code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" || code == "57P03" ||
      code == "40001" || code == "40P01" || code == "53300") {
    // Connection lost, server shutting down or starting, serialization failure or
    // deadlock, too many connections: another try may succeed.
    return Status::Unavailable(message);
  }
  if (code == "23505" || code == "23503") return Status::FailedPrecondition(message);
  if (code == "42501") return Status::PermissionDenied(message);
  return Status::Internal(message);
}

Result<PgResult> PgConn::Exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const PgParam& p = params[i];
    values[i] = p.kind == PgParam::Kind::kNull ? nullptr : p.value.data();
    lengths[i] = static_cast<int>(p.value.size());
    formats[i] = p.kind == PgParam::Kind::kBinary ? 1 : 0;
  }
  std::string text(sql);
  PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), /*resultFormat=*/1);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status err = Error(res, sql);
    if (res) PQclear(res);
    return err;
  }
  return PgResult(res);
}

Status PgConn::ExecScript(std::string_view sql) {
  std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status out = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? Status::Ok() : Error(res, sql);
  if (res) PQclear(res);
  return out;
}

Result<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds patience) {
  {
    MutexLock lock(&mu_);
    for (;;) {
      if (!idle_.empty()) {
        std::unique_ptr<PgConn> c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(c));
      }
      if (open_ < size_) {
        ++open_;
        break;
      }
      cv_.Wait(&mu_);
    }
  }
  // A new connection, outside the lock; a server restarting is waited for.
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto delay = std::chrono::milliseconds(50);
  for (;;) {
    auto conn = PgConn::Connect(url_);
    if (conn.ok()) return Lease(this, std::move(conn).value());
    if (std::chrono::steady_clock::now() + delay > deadline) {
      MutexLock lock(&mu_);
      --open_;
      cv_.NotifyOne();
      return conn.status();
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

void PgPool::Release(std::unique_ptr<PgConn> conn) {
  MutexLock lock(&mu_);
  if (conn == nullptr || conn->Broken() || conn->InTransaction()) {
    // A connection left inside a transaction (an error path) is not handed out again.
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.NotifyOne();
}

std::string PgQuote(std::string_view s) {
  bool backslash = s.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace trawl::store_internal
