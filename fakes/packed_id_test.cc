// PackedId must order ids exactly as their std::string_view does: the status indexes keyed by it
// hand the workers' queries their rows in id order, which reaches the traces.
#include "fakes/packed_id.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace csim::fakes {
namespace {

TEST(PackedId, OrdersEveryPairAsTheIdsDo) {
  using namespace std::string_literals;
  const std::vector<std::string> ids = {"",
                                        "a",
                                        "ab",
                                        "ab\0"s,
                                        "ab\0\0"s,
                                        "ab\x01",
                                        "abc",
                                        "b",
                                        "cart-9",
                                        "cart-10",
                                        "cart-100",
                                        "order-sess-9",
                                        "order-sess-68",
                                        "order-sess-12345",
                                        "order-sess-99999",
                                        "order-sess-100000",
                                        "order-sess-10000",
                                        "order-sess-1000\0"s,
                                        "order-sess-123456789",
                                        "order-sess-123456780",
                                        "\xff",
                                        "\x7f",
                                        "\x80-high",
                                        std::string(16, 'z'),
                                        std::string(17, 'z'),
                                        std::string(16, 'z') + '\0'};
  int pairs = 0;
  for (const std::string& a : ids) {
    for (const std::string& b : ids) {
      const bool views = std::string_view{a} < std::string_view{b};
      EXPECT_EQ(PackedId{a} < PackedId{b}, views) << '"' << a << "\" < \"" << b << '"';
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 26 * 26);
}

TEST(PackedId, PacksTheFirstSixteenBytesBigEndian) {
  const PackedId packed{"order-sess-12345"};
  EXPECT_EQ(packed.high, 0x6f726465722d7365u);  // "order-se"
  EXPECT_EQ(packed.low, 0x73732d3132333435u);   // "ss-12345"
  const PackedId short_id{"cart-7"};
  EXPECT_EQ(short_id.high, 0x636172742d370000u);
  EXPECT_EQ(short_id.low, 0u);
  EXPECT_EQ(short_id.id, "cart-7");
}

}  // namespace
}  // namespace csim::fakes
