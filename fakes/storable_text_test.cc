#include "fakes/storable_text.h"

#include <gtest/gtest.h>

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
