#include "common/shared_value.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace kcau {
namespace {

using Labels = std::map<std::string, std::string>;

TEST(CowValueTest, CopiesShareTheValueUntilOneChangesIt) {
  CowValue<Labels> a(Labels{{"zone", "a"}});
  CowValue<Labels> b = a;
  EXPECT_EQ(&*a, &*b);  // one value, two copies

  b.Mutable()["zone"] = "b";
  EXPECT_NE(&*a, &*b);
  EXPECT_EQ(a->at("zone"), "a");  // the other copy is untouched
  EXPECT_EQ(b->at("zone"), "b");

  const Labels* own = &*b;
  b.Mutable()["pool"] = "gpu";  // the only owner: changed in place
  EXPECT_EQ(&*b, own);
}

TEST(CowValueTest, TheDefaultValueIsEmptyAndNeverChangedThroughACopy) {
  CowValue<Labels> a;
  CowValue<Labels> b;
  EXPECT_TRUE(a->empty());
  a.Mutable()["zone"] = "a";
  EXPECT_TRUE(b->empty());
  EXPECT_TRUE(CowValue<Labels>()->empty());
}

TEST(CowValueTest, ComparesByValue) {
  EXPECT_EQ(CowValue<Labels>(Labels{{"k", "v"}}), CowValue<Labels>(Labels{{"k", "v"}}));
  EXPECT_FALSE(CowValue<Labels>(Labels{{"k", "v"}}) == CowValue<Labels>(Labels{{"k", "w"}}));
  EXPECT_EQ(CowValue<Labels>(), CowValue<Labels>(Labels{}));
}

TEST(SharedOptionalTest, ReadsAsAnOptionalAndCopiesShareTheValue) {
  SharedOptional<std::string> none;
  EXPECT_FALSE(none.has_value());
  EXPECT_FALSE(none);
  EXPECT_THROW(none.value(), std::bad_optional_access);
  EXPECT_FALSE(SharedOptional<std::string>(std::optional<std::string>()).has_value());

  SharedOptional<std::string> some(std::string("installed"));
  SharedOptional<std::string> copy = some;
  ASSERT_TRUE(copy);
  EXPECT_EQ(*copy, "installed");
  EXPECT_EQ(copy->size(), 9u);
  EXPECT_EQ(&*copy, &*some);

  copy = std::nullopt;
  EXPECT_FALSE(copy);
  EXPECT_EQ(some.value(), "installed");
}

TEST(SharedOptionalTest, ComparesByValue) {
  EXPECT_EQ(SharedOptional<std::string>(std::string("a")),
            SharedOptional<std::string>(std::string("a")));
  EXPECT_FALSE(SharedOptional<std::string>(std::string("a")) ==
               SharedOptional<std::string>(std::string("b")));
  EXPECT_FALSE(SharedOptional<std::string>(std::string("a")) == SharedOptional<std::string>());
  EXPECT_EQ(SharedOptional<std::string>(), SharedOptional<std::string>(std::nullopt));
}

}  // namespace
}  // namespace kcau
