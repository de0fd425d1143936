#pragma once
// What an output path names, for the commands that write one.

#include <filesystem>
#include <string>
#include <system_error>

namespace csim::cli {

// True when `path` names something that exists and is not a regular file (a device, a pipe):
// such an output is written directly, never replaced through a temporary file and a rename (which
// would turn /dev/null into a regular file).
inline bool IsSpecialFile(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  return !error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
}

}  // namespace csim::cli
