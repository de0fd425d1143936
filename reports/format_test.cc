#include "reports/format.h"

#include <gtest/gtest.h>

#include <limits>

namespace csim::reports {
namespace {

TEST(Format, CountHasThousandsSeparators) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(1'250'000), "1,250,000");
  EXPECT_EQ(FormatCount(-12'345), "-12,345");
}

TEST(Format, VndIsWholeUnitsWithTheCode) {
  EXPECT_EQ(FormatVnd(0), "0 VND");
  EXPECT_EQ(FormatVnd(1'250'000 * kVnd), "1,250,000 VND");
  EXPECT_EQ(FormatVnd(999 * kVnd), "999 VND");
  EXPECT_EQ(FormatVnd(-1'000 * kVnd), "-1,000 VND");
}

TEST(Format, VndShowsAFractionOnlyWhenThereIsOne) {
  EXPECT_EQ(FormatVnd(1'250'000 * kVnd + 5), "1,250,000.05 VND");
  EXPECT_EQ(FormatVnd(150), "1.50 VND");
  EXPECT_EQ(FormatVnd(-150), "-1.50 VND");
  EXPECT_EQ(FormatVnd(kTotalToleranceMoney), "0.05 VND");
}

TEST(Format, ExtremesDoNotOverflow) {
  EXPECT_EQ(FormatVnd(std::numeric_limits<Money>::max()), "92,233,720,368,547,758.07 VND");
  EXPECT_EQ(FormatVnd(std::numeric_limits<Money>::min()), "-92,233,720,368,547,758.08 VND");
  EXPECT_EQ(FormatCount(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854,775,808");
}

}  // namespace
}  // namespace csim::reports
