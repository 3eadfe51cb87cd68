// Status and Result<T>: the error values returned across module boundaries (no exceptions cross
// them).
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace zfan {

// One code per class of failure; the CLI maps them to exit codes (common/exit_codes.h).
enum class ErrorCode {
  kOk = 0,
  kUsage,        // bad command line or option value
  kIo,           // a file or socket could not be used
  kProtocol,     // a peer sent something we cannot accept
  kRemote,       // a remote server (e.g. the Imgur API) refused or failed
  kTimeout,      // waited longer than allowed
  kInterrupted,  // SIGINT/SIGTERM
  kInternal,
};

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status UsageError(std::string m) { return {ErrorCode::kUsage, std::move(m)}; }
inline Status IoError(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Status ProtocolError(std::string m) { return {ErrorCode::kProtocol, std::move(m)}; }

// Either a value or a non-ok Status.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace zfan
