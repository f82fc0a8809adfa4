#include "common/frozen_string.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace kcau {
namespace {

TEST(FrozenStringTest, KeepsItsTextThroughCopiesAndMoves) {
  const std::string text = "kube-system/node-exporter-7f9c4";  // longer than std::string's SSO
  FrozenString a(text);
  EXPECT_EQ(a.view(), text);
  FrozenString copy = a;
  EXPECT_EQ(copy, a);
  EXPECT_NE(copy.view().data(), a.view().data()) << "a copy has its own allocation";
  FrozenString moved = std::move(copy);
  EXPECT_EQ(moved.view(), text);
  copy = moved;
  EXPECT_EQ(copy.view(), text);
  EXPECT_EQ(FrozenString().view(), "");
  EXPECT_EQ(FrozenString("").view(), "");
}

TEST(FrozenStringTest, KeysAMapSearchedByStringWithoutMakingOne) {
  std::unordered_map<FrozenString, int, FrozenString::Hash, FrozenString::Equal> map;
  map.emplace(FrozenString("web/a"), 1);
  map.emplace(FrozenString("web/b"), 2);
  const std::string b = "web/b";
  ASSERT_NE(map.find(b), map.end());
  EXPECT_EQ(map.find(b)->second, 2);
  EXPECT_EQ(map.find(std::string_view("web/a"))->second, 1);
  EXPECT_EQ(map.find(std::string("web/c")), map.end());
}

}  // namespace
}  // namespace kcau
