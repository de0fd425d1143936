#include "fakes/storable_text.h"

#include <cstdint>
#include <cstring>

#include "core/check.h"

namespace csim::fakes {
namespace {

// The length of the UTF-8 sequence at text[i], or 0 if it is not a valid one (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as PostgreSQL holds them).
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[i + k]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t low = 0;  // the smallest code point this length may encode
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, low = 0x80, code = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, low = 0x800, code = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, low = 0x10000, code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(k) & 0x3Fu);
  }
  if (code < low || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// The length of text's first run of plain ASCII bytes (1 to 0x7F: a byte b is one iff b - 1 <
// 0x7F, unsigned). Eight bytes at a time first: a word holds only such bytes iff no byte has its
// high bit set and none is zero (the classic exact zero-byte test); the byte loop finishes.
std::size_t PlainAsciiPrefix(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  std::size_t ascii = 0;
  while (ascii + sizeof(std::uint64_t) <= text.size()) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + ascii, sizeof word);
    if (((word | ((word - kOnes) & ~word)) & kHighs) != 0) break;
    ascii += sizeof word;
  }
  while (ascii < text.size() && static_cast<std::uint8_t>(text[ascii]) - 1u < 0x7Fu) ++ascii;
  return ascii;
}

}  // namespace

Status CheckStorableText(std::string_view text, std::string_view what) {
  // Ids, names and codes are ASCII without NUL as a rule: skip those bytes without decoding, and
  // decode from the first other byte on (the decoding loop checks every byte from there, so where
  // the skip stops changes nothing but the speed; byte by byte it was 2 % of a run).
  const std::size_t ascii = PlainAsciiPrefix(text);
  for (std::size_t i = ascii; i < text.size();) {
    if (text[i] == '\0') {
      return Status{Code::kInvalidArgument, std::string{what} + " holds a NUL byte"};
    }
    const std::size_t length = SequenceLength(text, i);
    if (length == 0) {
      return Status{Code::kInvalidArgument, std::string{what} + " is not valid UTF-8"};
    }
    i += length;
    CSIM_CHECK(i <= text.size());
  }
  return Status::Ok();
}

namespace {

// The first refusal of `texts`, each named by its field.
Status CheckAll(std::initializer_list<std::pair<std::string_view, std::string_view>> texts) {
  for (const auto& [what, text] : texts) {
    if (PlainAsciiPrefix(text) == text.size()) continue;  // the rule: no Status built for it
    if (Status status = CheckStorableText(text, what); !status.ok()) return status;
  }
  return Status::Ok();
}

// An event's fields (EventFields) or a compensation's (a map): name and value pairs.
template <typename Fields>
Status CheckFields(const Fields& fields, std::string_view what) {
  for (const auto& [key, value] : fields) {
    if (Status status = CheckAll({{what, key}, {what, value}}); !status.ok()) return status;
  }
  return Status::Ok();
}

Status CheckList(const std::vector<std::string>& texts, std::string_view what) {
  for (const std::string& text : texts) {
    if (Status status = CheckStorableText(text, what); !status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status CheckStorable(const Cart& cart) {
  if (Status status = CheckAll({{"cart id", cart.id},
                                {"cart session_id", cart.session_id},
                                {"cart customer_id", cart.customer_id},
                                {"cart order_id", cart.order_id}});
      !status.ok()) {
    return status;
  }
  for (const CartItem& item : cart.items) {
    if (Status status = CheckAll({{"cart item sku", item.sku},
                                  {"cart item warehouse_id", item.warehouse_id.value_or("")}});
        !status.ok()) {
      return status;
    }
  }
  return CheckList(cart.checkout_promo_codes, "cart promo code");
}

Status CheckStorable(const Order& order) {
  if (Status status = CheckAll({{"order id", order.id},
                                {"order cart_session_id", order.cart_session_id},
                                {"order checkout_attempt", order.checkout_attempt},
                                {"order customer_id", order.customer_id},
                                {"order authorization_id", order.authorization_id}});
      !status.ok()) {
    return status;
  }
  for (const OrderItem& item : order.items) {
    if (Status status = CheckAll({{"order item sku", item.sku},
                                  {"order item warehouse_id", item.warehouse_id},
                                  {"order item reservation_id", item.reservation_id}});
        !status.ok()) {
      return status;
    }
  }
  return CheckList(order.promo_codes, "order promo code");
}

Status CheckStorable(const Event& event) {
  if (Status status = CheckAll(
          {{"event id", event.id}, {"event topic", event.topic}, {"event subject", event.subject}});
      !status.ok()) {
    return status;
  }
  return CheckFields(event.fields, "event field");
}

Status CheckStorable(const FailedCompensation& compensation) {
  if (Status status = CheckStorableText(compensation.subject, "compensation subject");
      !status.ok()) {
    return status;
  }
  return CheckFields(compensation.fields, "compensation field");
}

}  // namespace csim::fakes
