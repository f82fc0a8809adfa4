// NameThisThread: the name top -H and perf show, cut to what Linux keeps.
#include "common/thread_name.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace kcau {
namespace {

std::string NameSeenBy(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    NameThisThread(name);
    seen = ThisThreadName();
  });
  t.join();
  return seen;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  const std::string before = ThisThreadName();
  EXPECT_EQ(NameSeenBy("drains"), "drains");
  EXPECT_EQ(ThisThreadName(), before);
}

TEST(ThreadNameTest, ALongNameKeepsItsFirstFifteenBytes) {
  EXPECT_EQ(NameSeenBy("inf/poddisruptionbudgets"), "inf/poddisrupti");
}

}  // namespace
}  // namespace kcau
