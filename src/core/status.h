// Core value types shared by every area: Status (ok or an error message) and Result<T>
// (a value or an error). No exceptions cross module boundaries; libraries that throw
// (nlohmann::json, yaml-cpp) are caught inside their wrappers and turned into these.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace akg {

// Why an operation failed; the CLI maps kinds to exit codes (kUsage/kInput/kConfig -> 2).
enum class ErrorKind {
  kUsage,      // bad flags or unsupported combination
  kConfig,     // bad YAML, unknown key, wrong type
  kInput,      // missing task file, task without Model, reference raises
  kInternal,   // the agent itself failed (I/O, harness protocol)
  kUnsupported,// a feature or operator this build cannot handle
  kCancelled,  // interrupted by the user
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorKind kind, std::string message) {
    Status s;
    s.error_ = std::make_pair(kind, std::move(message));
    return s;
  }
  bool ok() const { return !error_.has_value(); }
  ErrorKind kind() const { return error_ ? error_->first : ErrorKind::kInternal; }
  const std::string& message() const {
    static const std::string kEmpty;
    return error_ ? error_->second : kEmpty;
  }

 private:
  std::optional<std::pair<ErrorKind, std::string>> error_;
};

template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}     // NOLINT: must be an error
  bool ok() const { return std::holds_alternative<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

inline Status UsageError(std::string m) { return Status::Error(ErrorKind::kUsage, std::move(m)); }
inline Status ConfigError(std::string m) { return Status::Error(ErrorKind::kConfig, std::move(m)); }
inline Status InputError(std::string m) { return Status::Error(ErrorKind::kInput, std::move(m)); }
inline Status InternalError(std::string m) {
  return Status::Error(ErrorKind::kInternal, std::move(m));
}
inline Status UnsupportedError(std::string m) {
  return Status::Error(ErrorKind::kUnsupported, std::move(m));
}

}  // namespace akg

// Early return on error; keeps call sites straight-line.
#define AKG_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::akg::Status akg_status_ = (expr);    \
    if (!akg_status_.ok()) return akg_status_; \
  } while (0)

#define AKG_CONCAT_INNER(a, b) a##b
#define AKG_CONCAT(a, b) AKG_CONCAT_INNER(a, b)
#define AKG_ASSIGN_OR_RETURN(lhs, expr) \
  AKG_ASSIGN_OR_RETURN_IMPL(AKG_CONCAT(akg_result_, __LINE__), lhs, expr)
#define AKG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
