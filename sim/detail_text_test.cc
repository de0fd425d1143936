#include "sim/detail_text.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace csim::sim {
namespace {

// DetailText replaced fmt::format in the trace's details: the same text for every kind of part
// it accepts, at the integers' extremes and around the reserved size.
TEST(DetailText, SameTextAsFmt) {
  const std::string id = "cart-123456789";
  const std::string_view name = "active";
  for (const std::int64_t n :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(DetailText("sku=", id, " qty=", n, " ", name),
              fmt::format("sku={} qty={} {}", id, n, name));
  }
  const std::int32_t small = -7;
  const std::size_t size = std::numeric_limits<std::size_t>::max();
  const std::uint16_t narrow = 65535;
  EXPECT_EQ(DetailText(small, ",", size, ",", narrow),
            fmt::format("{},{},{}", small, size, narrow));
  EXPECT_EQ(DetailText(), "");
  const std::string long_text(3 * kDetailTextReserve, 'x');
  EXPECT_EQ(DetailText("a", long_text, 1), fmt::format("a{}{}", long_text, 1));
}

TEST(DetailText, AppendsToWhatIsThere) {
  std::string text = "cart c1 v2 active;";
  AppendDetailText(text, "outbox ", std::string_view{"checkout.confirmed"}, ";", 3);
  EXPECT_EQ(text, "cart c1 v2 active;outbox checkout.confirmed;3");
}

}  // namespace
}  // namespace csim::sim
