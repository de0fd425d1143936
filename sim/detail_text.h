#pragma once
// Text built by appending its parts: `DetailText("sku=", sku, " qty=", qty)` is the same text as
// fmt::format("sku={} qty={}", sku, qty), in a fraction of the instructions (fmt parses its format
// string at every call; a trace detail is built at every faulty call, ids at every customer).
// Only text and integers are parts, the two whose `{}` form is plain: a bool, a char, an enum or a
// floating point value does not compile, so no part can silently print otherwise than fmt did.

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace csim::sim {

namespace detail_text {

// One part as text: a string's own characters, or an integer's digits written into the piece.
// Built in place (never copied: `text` may point into `digits`).
struct Piece {
  Piece(std::string_view part) : text(part) {}  // NOLINT(google-explicit-constructor)
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>)
      Piece(T part)  // NOLINT(google-explicit-constructor)
      : text(digits, static_cast<std::size_t>(
                         std::to_chars(digits, digits + sizeof digits, part).ptr - digits)) {}
  Piece(const Piece&) = delete;
  Piece& operator=(const Piece&) = delete;

  char digits[24];  // a 64-bit integer and its sign need 20
  std::string_view text;
};

}  // namespace detail_text

// Room reserved by a caller that appends several details' worth to one string.
inline constexpr std::size_t kDetailTextReserve = 64;

// The parts' text in one allocation of its exact size (none for up to 15 characters).
template <class... Parts>
std::string DetailText(const Parts&... parts) {
  if constexpr (sizeof...(Parts) == 0) {
    return {};
  } else {
    const detail_text::Piece pieces[] = {detail_text::Piece(parts)...};
    std::size_t size = 0;
    for (const detail_text::Piece& piece : pieces) size += piece.text.size();
    std::string out;
    out.reserve(size);
    for (const detail_text::Piece& piece : pieces) out.append(piece.text);
    return out;
  }
}

// Appends the parts to `out` (several details' worth in one string).
template <class... Parts>
void AppendDetailText(std::string& out, const Parts&... parts) {
  if constexpr (sizeof...(Parts) > 0) {
    const detail_text::Piece pieces[] = {detail_text::Piece(parts)...};
    for (const detail_text::Piece& piece : pieces) out.append(piece.text);
  }
}

}  // namespace csim::sim
