#include "metrics/process_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/metrics/sample_value.h"

namespace kcau::metrics {
namespace {

// proc(5)'s /proc/PID/stat, with a command holding ") " to trip a naive parser. utime 250,
// stime 150 ticks; starttime 1000 ticks after boot; vsize 8192000 bytes; rss 300 pages.
constexpr char kStat[] =
    "4242 (kcau) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 9 0 1000 8192000 300 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetricsTest, ParsesStatIntoSecondsAndBytes) {
  auto s = ParseProcStat(kStat, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'000'010);
  EXPECT_DOUBLE_EQ(s->virtual_memory_bytes, 8192000);
  EXPECT_DOUBLE_EQ(s->resident_memory_bytes, 300 * 4096);
  EXPECT_FALSE(ParseProcStat("4242 (kcau) S 1 2", 100, 4096, 0).has_value());
  EXPECT_FALSE(ParseProcStat("garbage", 100, 4096, 0).has_value());
}

TEST(ProcessMetricsTest, ParsesBootTimeAndFdLimit) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1'700'000'000);
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\n"), std::nullopt);
  EXPECT_EQ(ParseMaxOpenFiles("Limit                     Soft Limit           Hard Limit\n"
                              "Max open files            1024                 524288  files\n"),
            1024);
  EXPECT_EQ(ParseMaxOpenFiles("Max open files            unlimited            unlimited files\n"),
            std::nullopt);
}

TEST(ProcessMetricsTest, ReadsAFakeProcAndThisProcess) {
  const std::string dir = ::testing::TempDir() + "/fake_proc";
  std::filesystem::create_directories(dir + "/self/fd");
  std::ofstream(dir + "/self/stat") << kStat;
  std::ofstream(dir + "/self/limits")
      << "Max open files            64                   64  files\n";
  std::ofstream(dir + "/stat") << "btime 1700000000\n";
  for (const char* fd : {"0", "1", "2"}) std::ofstream(dir + "/self/fd/" + fd) << "";
  CallbackCollector fake;
  AddProcessMetrics(fake, dir + "/self", dir + "/stat");
  const long ticks = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(SampleValue(fake, "process_cpu_seconds_total"), 400.0 / ticks);
  EXPECT_EQ(SampleValue(fake, "process_start_time_seconds"), 1'700'000'000 + 1000.0 / ticks);
  EXPECT_EQ(SampleValue(fake, "process_open_fds"), 3);
  EXPECT_EQ(SampleValue(fake, "process_max_fds"), 64);
  std::filesystem::remove_all(dir);

  CallbackCollector real;
  AddProcessMetrics(real);
  EXPECT_GT(SampleValue(real, "process_open_fds").value_or(0), 2);
  EXPECT_GT(SampleValue(real, "process_resident_memory_bytes").value_or(0), 0);
  EXPECT_GT(SampleValue(real, "process_start_time_seconds").value_or(0), 1'600'000'000);
}

}  // namespace
}  // namespace kcau::metrics
