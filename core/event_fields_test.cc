// EventFields keeps a std::map's meaning (names sorted, each once, the first of equal names in an
// initializer list kept, [] inserting an empty value) in one vector: the traces depend on that
// order, since events are encoded and compared field by field.
#include "core/event_fields.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace csim {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Listed(const EventFields& fields) {
  return Pairs(fields.begin(), fields.end());
}

TEST(EventFields, InitializerListSortsByNameAndKeepsTheFirstOfEqualNames) {
  const EventFields fields{{"to", "paid"}, {"from", "pending"}, {"order_id", "o-17"}, {"to", "x"}};
  const std::map<std::string, std::string> as_map{
      {"to", "paid"}, {"from", "pending"}, {"order_id", "o-17"}, {"to", "x"}};
  EXPECT_EQ(Listed(fields), (Pairs{{"from", "pending"}, {"order_id", "o-17"}, {"to", "paid"}}));
  EXPECT_EQ(Listed(fields), Pairs(as_map.begin(), as_map.end()));
  EXPECT_EQ(fields.size(), 3u);
}

TEST(EventFields, SubscriptInsertsAtItsPlaceAndOverwritesInPlace) {
  EventFields fields;
  fields["total"] = "120000";
  fields["customer_id"] = "c-3";
  fields["order_id"] = "o-1";
  fields["total"] = "99";
  EXPECT_EQ(Listed(fields), (Pairs{{"customer_id", "c-3"}, {"order_id", "o-1"}, {"total", "99"}}));
  EXPECT_EQ(fields["missing"], "");
  EXPECT_EQ(fields.size(), 4u) << "[] inserts an empty value, as std::map's does";
}

TEST(EventFields, FindAndEqualityFollowTheFields) {
  const EventFields fields{{"sku", "sku-2"}, {"quantity", "3"}};
  ASSERT_NE(fields.find("quantity"), fields.end());
  EXPECT_EQ(fields.find("quantity")->second, "3");
  EXPECT_EQ(fields.find("quantit"), fields.end());
  EXPECT_EQ(fields.find("z"), fields.end());
  EXPECT_TRUE(fields.contains("sku"));
  EXPECT_FALSE(fields.contains(""));
  const std::map<std::string, std::string> decoded{{"quantity", "3"}, {"sku", "sku-2"}};
  EXPECT_EQ(EventFields{decoded}, fields);
  EXPECT_NE((EventFields{{"sku", "sku-2"}, {"quantity", "4"}}), fields);
  EXPECT_NE((EventFields{{"sku", "sku-2"}}), fields);
}

TEST(EventFields, AppendInNameOrderEqualsSubscript) {
  EventFields appended;
  appended.reserve(5);
  appended.Append("customer_id", "c-3");
  appended.Append("from", "pending");
  appended.Append("order_id", "o-1");
  appended.Append("to", "paid");
  appended.Append("total", "120000");
  EventFields subscripted;
  subscripted["order_id"] = "o-1";
  subscripted["customer_id"] = "c-3";
  subscripted["total"] = "120000";
  subscripted["from"] = "pending";
  subscripted["to"] = "paid";
  EXPECT_EQ(appended, subscripted);
  EXPECT_EQ(Listed(appended), Listed(subscripted));
  EXPECT_EQ(appended.size(), 5u);
}

}  // namespace
}  // namespace csim
