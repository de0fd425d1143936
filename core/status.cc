#include "core/status.h"

namespace csim {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kTimeout:
      return "timeout";
    case Code::kNotFound:
      return "not_found";
    case Code::kConflict:
      return "conflict";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kInsufficient:
      return "insufficient";
    case Code::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string text{CodeName(code_)};
  if (!message_.empty()) text += ": " + message_;
  return text;
}

}  // namespace csim
