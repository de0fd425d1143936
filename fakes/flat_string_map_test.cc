#include "fakes/flat_string_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace csim::fakes {
namespace {

// A std::map and the flat table take the same 20000 inserts, erases and lookups (keys drawn from
// 600, so runs of probes form, are emptied and fill again through several growths); after each
// step both hold the same keys with the same values.
TEST(FlatStringMap, AgreesWithAStdMapThroughInsertsErasesAndGrowth) {
  std::map<std::string, std::int64_t> reference;
  FlatStringMap<std::int64_t> table;
  std::uint64_t state = 12345;
  auto draw = [&](std::uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  int erased = 0, inserted = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string key = "res-" + std::to_string(draw(600));
    switch (draw(3)) {
      case 0: {
        const bool made = table.Insert(key).second;
        EXPECT_EQ(made, !reference.contains(key)) << key;
        table[key] = step;
        reference[key] = step;
        inserted += made ? 1 : 0;
        break;
      }
      case 1: {
        const bool gone = table.Erase(key);
        EXPECT_EQ(gone, reference.erase(key) == 1) << key;
        erased += gone ? 1 : 0;
        break;
      }
      default: {
        const std::int64_t* value = table.Find(key);
        auto it = reference.find(key);
        ASSERT_EQ(value != nullptr, it != reference.end()) << key;
        if (value != nullptr) {
          EXPECT_EQ(*value, it->second) << key;
        }
      }
    }
    ASSERT_EQ(table.size(), reference.size());
  }
  EXPECT_GT(inserted, 1000);
  EXPECT_GT(erased, 1000);
  for (int i = 0; i < 600; ++i) {
    const std::string key = "res-" + std::to_string(i);
    EXPECT_EQ(table.contains(key), reference.contains(key)) << key;
  }
  std::map<std::string, std::int64_t> visited;
  table.ForEach([&](std::string_view key, std::int64_t value) {
    EXPECT_TRUE(visited.emplace(std::string(key), value).second) << "each key once";
  });
  EXPECT_EQ(visited, reference);
}

// Every key is found through the growths (16 slots at first); keys that differ only in their
// length or last byte, the empty key and a key past the first eight bytes are told apart.
TEST(FlatStringSet, FindsEveryKeyAndTellsNearKeysApart) {
  FlatStringSet set;
  EXPECT_FALSE(set.contains("evt-1")) << "an empty set";
  EXPECT_FALSE(set.erase("evt-1"));
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(set.insert("evt-" + std::to_string(i)));
  EXPECT_FALSE(set.insert("evt-42")) << "already there";
  EXPECT_EQ(set.size(), 5000u);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(set.contains("evt-" + std::to_string(i))) << i;
  EXPECT_FALSE(set.contains("evt-5000"));
  EXPECT_FALSE(set.contains("evt-"));
  EXPECT_FALSE(set.contains(""));
  EXPECT_TRUE(set.insert(""));
  EXPECT_TRUE(set.contains(""));
  EXPECT_TRUE(set.insert(std::string("a\0", 2)));
  EXPECT_FALSE(set.contains("a")) << "a key one NUL shorter";
  EXPECT_TRUE(set.insert("order-0000000001-attempt"));
  EXPECT_FALSE(set.contains("order-0000000001-attemps")) << "differs after the first word";
  std::set<std::string> keys;
  set.ForEach([&](std::string_view key) { keys.emplace(key); });
  EXPECT_EQ(keys.size(), 5003u);
  EXPECT_EQ(*keys.begin(), "");
}

}  // namespace
}  // namespace csim::fakes
