#pragma once
// Expected failures are values. Result<T> holds either a T or an Error; it is
// the error contract of every interface in ecssd. (std::expected is C++23;
// this is the small subset ecssd needs, on top of std::variant.)
#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace ecssd::common {

enum class ErrorCode {
  kInvalidArgument,   // bad input: the caller or a payload is wrong; do not retry
  kNotFound,          // the thing asked for does not exist
  kUnavailable,       // the peer cannot be reached or refused; retry later
  kTimeout,           // a deadline passed; retry later
  kThrottled,         // the peer asked us to slow down; retry with backoff
  kPermissionDenied,  // credentials missing or rejected
  kConflict,          // the peer's state does not allow the change
  kProtocol,          // the peer answered something we cannot understand
  kTooLarge,          // a payload exceeded its size bound
  kCancelled,         // the operation was stopped (shutdown)
  kInternal,          // a bug or an unexpected failure
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // True when the same request may succeed later (network, throttling, 5xx).
  bool transient = false;

  std::string describe() const;
};

// What an exception caught as an exception_ptr (a coroutine's completion
// handler) says: what() of a std::exception, "unknown exception" otherwise.
std::string exception_message(std::exception_ptr e);

inline Error make_error(ErrorCode code, std::string message, bool transient = false) {
  return Error{code, std::move(message), transient};
}
inline Error transient_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message), true};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  // An error "no result": only so frameworks that default-construct values
  // (asio::co_spawn's completion with an exception) can hold a Result.
  Result() : v_(std::in_place_index<1>, Error{ErrorCode::kInternal, "no result", false}) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace ecssd::common
