#pragma once
// Port calls report failure through Status / Result<T>, never by throwing through the caller
// (exceptions are reserved for CSIM_CHECK, i.e. bugs). Every port, fake or real, maps its own
// failures to these codes in one place.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/check.h"

namespace csim {

enum class Code {
  kOk = 0,
  kUnavailable,         // the call failed before any effect; safe to retry
  kTimeout,             // no answer: the effect may or may not have been applied
  kNotFound,            // the entity does not exist
  kConflict,            // a unique constraint, version check or lock held by someone else
  kInvalidArgument,     // the request itself is wrong (e.g. an empty warehouse id)
  kFailedPrecondition,  // the entity is in a state that forbids the call (e.g. promo expired)
  kInsufficient,        // not enough stock, budget, points or funds
  kRejected,            // a business refusal (fraud, payment declined, totals changed)
};

inline constexpr int kCodeCount = static_cast<int>(Code::kRejected) + 1;

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status{}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like expected<T>
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    CSIM_CHECK(!status_.ok(), "a Result without a value needs an error status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  Code code() const { return status_.code(); }
  T& value() & {
    CSIM_CHECK(ok(), "value() of a failed Result");
    return *value_;
  }
  const T& value() const& {
    CSIM_CHECK(ok(), "value() of a failed Result");
    return *value_;
  }
  T&& value() && {
    CSIM_CHECK(ok(), "value() of a failed Result");
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace csim
