#include "fakes/key_index.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace csim::fakes {
namespace {

// Every row is found by its key through several growths of the table (16 slots at first), a key
// never added is not, and Clear forgets every row.
TEST(KeyIndex, FindsEveryRowThroughGrowthAndForgetsThemOnClear) {
  std::map<std::string, int> rows;
  KeyIndex<std::map<std::string, int>> index;
  EXPECT_EQ(index.Find("cart-1"), nullptr) << "an empty index";
  for (int i = 0; i < 1000; ++i) {
    auto [it, inserted] = rows.emplace("cart-" + std::to_string(i), i);
    ASSERT_TRUE(inserted);
    index.Add(*it);
  }
  EXPECT_EQ(index.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    const auto* row = index.Find("cart-" + std::to_string(i));
    ASSERT_NE(row, nullptr) << i;
    EXPECT_EQ(row->second, i);
    EXPECT_EQ(row, &*rows.find("cart-" + std::to_string(i))) << "the map's own node";
  }
  EXPECT_EQ(index.Find("cart-1000"), nullptr);
  EXPECT_EQ(index.Find("cart-"), nullptr);
  EXPECT_EQ(index.Find(""), nullptr);
  index.Clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.Find("cart-7"), nullptr);
  index.Add(*rows.find("cart-7"));
  EXPECT_EQ(index.Find("cart-7")->second, 7) << "usable again after Clear";
}

}  // namespace
}  // namespace csim::fakes
