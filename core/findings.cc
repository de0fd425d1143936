#include "core/findings.h"

namespace csim {

std::string Profile::Name() const {
  if (fixed_.all()) return "fixed";
  if (fixed_.none()) return "as-reviewed";
  std::string name = "fixed+as-reviewed:";
  bool first = true;
  for (std::size_t i = 0; i < kFindingCount; ++i) {
    if (fixed_.test(i)) continue;
    if (!first) name += ",";
    name += kFindings[i].id;
    first = false;
  }
  return name;
}

std::string ValidFindingIds() {
  std::string ids;
  for (const auto& finding : kFindings) {
    if (!ids.empty()) ids += ", ";
    ids += finding.id;
    std::string_view aliases = finding.aliases;
    while (!aliases.empty()) {
      std::size_t space = aliases.find(' ');
      ids += ", ";
      ids += aliases.substr(0, space);
      if (space == std::string_view::npos) break;
      aliases.remove_prefix(space + 1);
    }
  }
  return ids;
}

}  // namespace csim
