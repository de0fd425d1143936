#include "reports/format.h"

namespace csim::reports {
namespace {

// `magnitude` with a comma between groups of three digits.
std::string GroupThousands(std::uint64_t magnitude) {
  std::string digits = std::to_string(magnitude);
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

// |value| without overflow, also for the most negative int64.
std::uint64_t Magnitude(std::int64_t value) {
  return value < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(value)
                   : static_cast<std::uint64_t>(value);
}

}  // namespace

std::string FormatCount(std::int64_t count) {
  return (count < 0 ? "-" : "") + GroupThousands(Magnitude(count));
}

std::string FormatVnd(Money amount) {
  constexpr auto kUnit = static_cast<std::uint64_t>(kVnd);
  static_assert(kUnit == 100, "the fraction below is printed as two digits");
  const std::uint64_t magnitude = Magnitude(amount);
  std::string text = (amount < 0 ? "-" : "") + GroupThousands(magnitude / kUnit);
  if (const std::uint64_t fraction = magnitude % kUnit; fraction != 0) {
    text += '.';
    text += static_cast<char>('0' + fraction / 10);
    text += static_cast<char>('0' + fraction % 10);
  }
  return text + " VND";
}

}  // namespace csim::reports
