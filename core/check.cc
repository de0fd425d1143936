#include "core/check.h"

namespace csim {

void FailCheck(const char* condition, const char* file, int line, const std::string& why) {
  std::string message =
      std::string{"check failed: "} + condition + " at " + file + ":" + std::to_string(line);
  if (!why.empty()) message += " (" + why + ")";
  throw CheckFailure(message);
}

}  // namespace csim
