// Status and Result<T>: errors as values across every module boundary.
// Thread-safety: value types; a const Status/Result may be read from any thread.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trawl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input from the user (config, flags, query)
  kNotFound,
  kIoError,           // a file or the store could not be read or written
  kCorruption,        // stored data is not what we wrote
  kUnavailable,       // transient: a remote service or a busy lock; retry may help
  kCancelled,         // the run was asked to stop
  kFailedPrecondition,// e.g. index made by another embedder
  kPermissionDenied,
  kDeadlineExceeded,
  kResourceExhausted, // rate limited, out of budget
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

// Free on success: an OK status holds no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "IoError: cannot open x" or "OK".
  std::string ToString() const;
  // Prefix the message with context: "reading a.py: cannot open".
  Status WithContext(std::string_view context) const;

  Status(const Status& other) : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace trawl

#define TRAWL_CONCAT_INNER(a, b) a##b
#define TRAWL_CONCAT(a, b) TRAWL_CONCAT_INNER(a, b)

// Return the status from the enclosing function if it is not OK.
#define TRAWL_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::trawl::Status _st = (expr);          \
    if (!_st.ok()) return _st;             \
  } while (0)

// TRAWL_ASSIGN_OR_RETURN(auto x, MakeX()): unwraps a Result or returns its status.
#define TRAWL_ASSIGN_OR_RETURN(lhs, expr) \
  TRAWL_ASSIGN_OR_RETURN_IMPL(TRAWL_CONCAT(_res_, __LINE__), lhs, expr)
#define TRAWL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
