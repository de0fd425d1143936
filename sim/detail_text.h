#pragma once
// Trace details built by appending their parts: `DetailText("sku=", sku, " qty=", qty)` is the
// same text as fmt::format("sku={} qty={}", sku, qty), in a fraction of the instructions (fmt
// parses its format string at every call, and a detail is built at every faulty call). Only text
// and integers are parts, the two whose `{}` form is plain: a bool, a char, an enum or a floating
// point value does not compile, so no part can silently print otherwise than fmt did.

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace csim::sim {

namespace detail_text {

inline void Append(std::string& out, std::string_view text) {
  out.append(text);
}

template <std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) void Append(std::string& out, T value) {
  char digits[24];  // a 64-bit integer and its sign need 20
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace detail_text

// Room for most details in one allocation (they average under 50 bytes).
inline constexpr std::size_t kDetailTextReserve = 64;

template <class... Parts>
std::string DetailText(const Parts&... parts) {
  std::string out;
  out.reserve(kDetailTextReserve);
  (detail_text::Append(out, parts), ...);
  return out;
}

// Appends each part to `out` (several details' worth in one string).
template <class... Parts>
void AppendDetailText(std::string& out, const Parts&... parts) {
  (detail_text::Append(out, parts), ...);
}

}  // namespace csim::sim
