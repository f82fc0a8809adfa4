#include "common/status.h"

#include <gtest/gtest.h>

namespace kcau {
namespace {

StatusOr<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(n));
  return n / 2;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = ConflictError("the object has been modified");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.ToString(), "Conflict: the object has been modified");
}

TEST(StatusOrTest, ValueOrError) {
  StatusOr<int> good = Half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  StatusOr<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd: 3");
}

}  // namespace
}  // namespace kcau
