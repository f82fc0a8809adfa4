#include "cli/run_report.h"

#include <gtest/gtest.h>

namespace kcau::cli {
namespace {

crd::UpdateRun SampleRun() {
  crd::UpdateRun run;
  run.name = "patch-tuesday";
  auto& st = run.status;
  st.phase = crd::RunPhase::kRunning;
  st.nodes_total = 3;
  st.nodes_succeeded = 1;
  const TimePoint t0 = WallClock::from_time_t(1800000000);
  crd::NodeResult a;
  a.name = "node-1";
  a.phase = crd::NodePhase::kSucceeded;
  a.attempts = 1;
  a.updates_installed = 4;
  a.rebooted = true;
  a.start_time = t0;
  a.finish_time = t0 + std::chrono::seconds(7);
  a.message = "4 updates installed, rebooted";
  crd::NodeResult b;
  b.name = "node-2";
  b.phase = crd::NodePhase::kRebooting;
  b.attempts = 1;
  crd::NodeResult c;
  c.name = "node-3";
  st.nodes = {a, b, c};
  st.conditions.push_back({"Progressing", "True", "Started", "updating 3 nodes", t0, 1});
  return run;
}

TEST(RunReportTest, ProgressIsOneLineWithEveryNode) {
  EXPECT_EQ(FormatProgress(SampleRun()),
            "phase=Running 1/3 succeeded, 0 failed | node-1=Succeeded node-2=Rebooting "
            "node-3=Pending");
}

TEST(RunReportTest, ReportHasSummaryConditionsAndAlignedTable) {
  const std::string report = FormatReport(SampleRun());
  EXPECT_EQ(report,
            "UpdateRun patch-tuesday: Running, 1 of 3 nodes succeeded, 0 failed, took -\n"
            "  Progressing=True (Started): updating 3 nodes\n"
            "\n"
            "NODE    PHASE      ATTEMPTS  UPDATES  REBOOTED  DURATION  MESSAGE\n"
            "node-1  Succeeded  1         4        yes       7s        4 updates installed, "
            "rebooted\n"
            "node-2  Rebooting  1         0        no        -         \n"
            "node-3  Pending    0         0        no        -         \n");
}

}  // namespace
}  // namespace kcau::cli
