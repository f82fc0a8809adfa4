// Errors as values: Status and StatusOr<T>, the only way fallible calls report failure.
//
// Codes mirror the Kubernetes API server's answers kcau must tell apart (404, 409, 429, 5xx,
// 422) so that callers decide on the code, never on message text. Thread-safety: plain values,
// safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kcau {

enum class StatusCode {
  kOk = 0,
  kNotFound,         // 404
  kAlreadyExists,    // 409 on create
  kConflict,         // 409 stale resourceVersion
  kTooManyRequests,  // 429: eviction refused by a PodDisruptionBudget, or throttled
  kUnavailable,      // connection refused, 5xx, timeouts: worth retrying
  kInvalidArgument,  // 400 / 422: the request or the object is wrong
  kGone,             // 410: watch resourceVersion too old, relist
  kUnauthorized,     // 401 / 403
  kInternal,         // a bug or an impossible answer
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Conflict: the object has been modified" — for logs and status messages.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status ConflictError(std::string m) { return Status(StatusCode::kConflict, std::move(m)); }
inline Status TooManyRequestsError(std::string m) {
  return Status(StatusCode::kTooManyRequests, std::move(m));
}
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status GoneError(std::string m) { return Status(StatusCode::kGone, std::move(m)); }
inline Status UnauthorizedError(std::string m) {
  return Status(StatusCode::kUnauthorized, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

// Either a value or a non-OK Status. Accessing the value of an error is a programmer error.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : value_(value) {}             // NOLINT: implicit by design
  StatusOr(T&& value) : value_(std::move(value)) {}       // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr built from an OK status carries no value");
    if (status_.ok()) status_ = InternalError("StatusOr constructed from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace kcau
