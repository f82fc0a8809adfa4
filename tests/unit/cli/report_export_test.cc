#include "cli/report_export.h"

#include <gtest/gtest.h>

#include "cli/run_view.h"

namespace kcau::cli {
namespace {

TEST(ReportExportTest, HtmlEscapesEveryMarkupCharacter) {
  EXPECT_EQ(HtmlEscape(R"(<script>alert("x" & 'y')</script>)"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("plain node-1"), "plain node-1");
}

TEST(ReportExportTest, CsvQuotesAsRfc4180Says) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "plain"},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"cr\r", "\"cr\r\""},
      {"", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(CsvField(in), want) << in;
}

crd::UpdateRun RunWithNastyNames() {
  crd::UpdateRun run;
  run.name = "r<1>";
  run.status.phase = crd::RunPhase::kFailed;
  run.status.nodes_total = 2;
  crd::NodeResult a;
  a.name = "node-1";
  a.phase = crd::NodePhase::kSucceeded;
  a.attempts = 1;
  a.updates_installed = 2;
  a.rebooted = true;
  a.start_time = WallClock::from_time_t(1800000000);
  a.finish_time = *a.start_time + std::chrono::seconds(90);
  a.message = "2 updates installed, rebooted";
  crd::NodeResult b;
  b.name = "node-2";
  b.phase = crd::NodePhase::kFailed;
  b.message = "plug-in \"packages\" failed: <exit 1>\nsee log";
  run.status.nodes = {a, b};
  return run;
}

TEST(ReportExportTest, CsvHasOneRecordPerNodeWithCrlf) {
  EXPECT_EQ(ReportCsv(RunWithNastyNames()),
            "node,phase,attempts,updatesInstalled,updatesFound,rebooted,rebootKind,startTime,"
            "finishTime,durationSeconds,message\r\n"
            "node-1,Succeeded,1,2,0,true,,2027-01-15T08:00:00Z,2027-01-15T08:01:30Z,90,"
            "\"2 updates installed, rebooted\"\r\n"
            "node-2,Failed,0,0,0,false,,,,,\"plug-in \"\"packages\"\" failed: <exit 1>\nsee "
            "log\"\r\n");
}

TEST(ReportExportTest, HtmlCarriesNoUnescapedTextFromTheCluster) {
  const std::string html = ReportHtml(RunWithNastyNames(), WallClock::from_time_t(1800000000));
  EXPECT_NE(html.find("<title>UpdateRun r&lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("plug-in &quot;packages&quot; failed: &lt;exit 1&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<exit 1>"), std::string::npos);
  EXPECT_EQ(html.find("r<1>"), std::string::npos);
}

TEST(RunViewTest, ProgressBarGivesEachClassItsShare) {
  EXPECT_EQ(ProgressBar({5, 3, 2, 10}, 20),
            "[#####>>>xx..........] 5 done, 3 in flight, 2 failed, 10 pending");
  EXPECT_EQ(ProgressBar({0, 0, 0, 0}, 4), "[....] 0 done, 0 in flight, 0 failed, 0 pending");
  // One failure among many still shows.
  EXPECT_EQ(ProgressBar({99, 0, 1, 0}, 10).substr(0, 12), "[#########x]");
}

TEST(RunViewTest, LiveViewShowsEachInFlightNodesStep) {
  crd::UpdateRun run = RunWithNastyNames();
  run.status.phase = crd::RunPhase::kRunning;
  crd::NodeResult c;
  c.name = "node-3";
  c.phase = crd::NodePhase::kRebooting;
  c.attempts = 2;
  c.message = "waiting for a new boot ID";
  run.status.nodes.push_back(c);
  run.status.nodes_total = 3;
  const std::string view = FormatLiveView(run);
  EXPECT_NE(view.find("UpdateRun r<1>: Running, 3 nodes"), std::string::npos) << view;
  EXPECT_NE(view.find("1 done, 1 in flight, 1 failed, 0 pending"), std::string::npos) << view;
  EXPECT_NE(view.find("node-3  Rebooting  attempt 2  waiting for a new boot ID"), std::string::npos)
      << view;
  EXPECT_EQ(view.find("node-1"), std::string::npos) << "finished nodes are not listed";
}

TEST(RunViewTest, AgesReadAsKubectls) {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_EQ(FormatAge(seconds(45)), "45s");
  EXPECT_EQ(FormatAge(minutes(3) + seconds(12)), "3m12s");
  EXPECT_EQ(FormatAge(minutes(30)), "30m");
  EXPECT_EQ(FormatAge(hours(5) + minutes(1)), "5h1m");
  EXPECT_EQ(FormatAge(hours(30)), "30h");
  EXPECT_EQ(FormatAge(hours(24 * 3 + 4)), "3d4h");
  EXPECT_EQ(FormatAge(hours(24 * 40)), "40d");
}

TEST(RunViewTest, UpdatesFoundEventsGiveTitlesPerNode) {
  auto found = ParseUpdatesFound("node-1: 3 apply: openssl 3.0.15, curl 8.5, tzdata");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->first, "node-1");
  EXPECT_EQ(found->second, "openssl 3.0.15, curl 8.5, tzdata");
  EXPECT_FALSE(ParseUpdatesFound("node-1 scanned"));
}

}  // namespace
}  // namespace kcau::cli
