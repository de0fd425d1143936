#include "fakes/storable_text.h"

#include <gtest/gtest.h>

#include <string>

namespace csim::fakes {
namespace {

TEST(StorableText, AcceptsValidUtf8AndRefusesWhatPostgresRefuses) {
  EXPECT_TRUE(CheckStorableText("", "x").ok());
  EXPECT_TRUE(CheckStorableText("ord-1", "x").ok());
  EXPECT_TRUE(CheckStorableText("kh\xc3\xa1"
                                "ch \xe2\x82\xab \xf0\x9f\x9b\x92",
                                "x")
                  .ok())
      << "2, 3 and 4-byte sequences";
  const Status nul = CheckStorableText(std::string_view{"ab\0c", 4}, "order id");
  EXPECT_EQ(nul.code(), Code::kInvalidArgument);
  EXPECT_EQ(nul.message(), "order id holds a NUL byte");
  EXPECT_EQ(CheckStorableText("\xe9", "x").code(), Code::kInvalidArgument) << "Latin-1 byte";
  EXPECT_EQ(CheckStorableText("\xc3", "x").code(), Code::kInvalidArgument) << "cut sequence";
  EXPECT_EQ(CheckStorableText("\xc0\xaf", "x").code(), Code::kInvalidArgument) << "overlong";
  EXPECT_EQ(CheckStorableText("\xed\xa0\x80", "x").code(), Code::kInvalidArgument) << "surrogate";
  EXPECT_EQ(CheckStorableText("\xf4\x90\x80\x80", "x").code(), Code::kInvalidArgument)
      << "above U+10FFFF";
}

// The ASCII skip reads eight bytes at a time before the byte loop: a bad byte in any lane of a
// word, or in the tail after the last whole word, is still found, and valid UTF-8 after a run of
// ASCII still passes.
TEST(StorableText, FindsABadByteInEveryPlaceOfALongText) {
  const std::string ascii(21, 'a');  // two whole words and a tail of five
  EXPECT_TRUE(CheckStorableText(ascii, "x").ok());
  for (std::size_t at = 0; at < ascii.size(); ++at) {
    std::string with_nul = ascii;
    with_nul[at] = '\0';
    EXPECT_EQ(CheckStorableText(with_nul, "id").message(), "id holds a NUL byte") << "at " << at;
    std::string with_latin1 = ascii;
    with_latin1[at] = '\xe9';
    EXPECT_EQ(CheckStorableText(with_latin1, "id").message(), "id is not valid UTF-8")
        << "at " << at;
    std::string with_del = ascii;
    with_del[at] = '\x7f';  // the last ASCII byte: storable
    EXPECT_TRUE(CheckStorableText(with_del, "id").ok()) << "at " << at;
  }
  EXPECT_TRUE(CheckStorableText(ascii + "\xc3\xa1" + ascii, "x").ok())
      << "2-byte sequence mid-text";
}

TEST(StorableText, ChecksEveryStringOfARow) {
  Order order;
  order.id = "ord-1";
  order.items = {OrderItem{"SKU-1", "WH-1", 1, 100, "res-\xff"}};
  const Status item = CheckStorable(order);
  EXPECT_EQ(item.code(), Code::kInvalidArgument);
  EXPECT_EQ(item.message(), "order item reservation_id is not valid UTF-8");
  Event event{"ev-1", "t", "s", {{"note", std::string{"a\0", 2}}}};
  EXPECT_EQ(CheckStorable(event).message(), "event field holds a NUL byte");
  Cart cart;
  cart.checkout_promo_codes = {"OK", "\x80"};
  EXPECT_EQ(CheckStorable(cart).message(), "cart promo code is not valid UTF-8");
  FailedCompensation compensation;
  compensation.fields = {{"\xfe", "v"}};
  EXPECT_EQ(CheckStorable(compensation).code(), Code::kInvalidArgument);
  order.items[0].reservation_id = "res-1";
  EXPECT_TRUE(CheckStorable(order).ok());
}

}  // namespace
}  // namespace csim::fakes
