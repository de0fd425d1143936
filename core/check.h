#pragma once
// Assertions that stay on in every build type. A broken assumption stops the run with a message
// (the exception unwinds to the simulation driver, which reports it with the seed); it is never
// ignored and never continues quietly.

#include <stdexcept>
#include <string>

namespace csim {

// Thrown when a CSIM_CHECK fails: a bug in checkout-sim or in the model, never a business error.
class CheckFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void FailCheck(const char* condition, const char* file, int line,
                            const std::string& why);

}  // namespace csim

// CSIM_CHECK(cond) or CSIM_CHECK(cond, "why"): split compound conditions so a failure says which
// part broke.
#define CSIM_CHECK(cond, ...)                                                    \
  do {                                                                           \
    if (!(cond)) [[unlikely]]                                                    \
      ::csim::FailCheck(#cond, __FILE__, __LINE__, std::string{"" __VA_ARGS__}); \
  } while (false)
