// What /metrics says, as prometheus-cpp writes it: exact bucket labels, every known series
// present at 0 before any event, names and help that promtool accepts.
#include "metrics/metrics_text.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "metrics/agent_metrics.h"
#include "metrics/callback_collector.h"
#include "metrics/kcau_metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/rest_client_metrics.h"
#include "tests/unit/metrics/sample_value.h"

namespace kcau::metrics {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsTextTest, BucketBoundsAreWrittenAsShortestDecimals) {
  // The hand-written exposition this replaced wrote le="0.0050000000000000001".
  prometheus::Registry r;
  KcauMetrics m(r, "1.2.3");
  m.ObserveReconcileTime("updaterun", 0.004);
  const std::string text = MetricsText(r);
  EXPECT_TRUE(Contains(text,
                       "controller_runtime_reconcile_time_seconds_bucket{controller=\"updaterun\","
                       "le=\"0.005\"} 1\n"))
      << text;
  EXPECT_TRUE(Contains(text, "le=\"0.1\"")) << text;
  EXPECT_FALSE(Contains(text, "0000000")) << text;
}

TEST(MetricsTextTest, KnownSeriesExistAtZeroBeforeAnyEvent) {
  prometheus::Registry r;
  KcauMetrics m(r, "1.2.3");
  struct Case {
    std::string name;
    prometheus::Labels labels;
  };
  for (const Case& c : std::vector<Case>{
           {"kcau_node_updates_total", {{"result", "succeeded"}}},
           {"kcau_node_updates_total", {{"result", "failed"}}},
           {"kcau_node_updates_total", {{"result", "skipped"}}},
           {"kcau_node_reboots_total", {}},
           {"kcau_evictions_total", {{"result", "evicted"}}},
           {"kcau_evictions_total", {{"result", "blocked"}}},
           {"kcau_evictions_total", {{"result", "deleted"}}},
           {"kcau_evictions_total", {{"result", "failback"}}},
           {"kcau_agent_answers_total", {{"result", "installed"}}},
           {"kcau_agent_answers_total", {{"result", "scanned"}}},
           {"kcau_agent_answers_total", {{"result", "failed"}}},
           {"kcau_agent_timeouts_total", {}},
           {"kcau_updateruns", {{"phase", "Pending"}}},
           {"kcau_updateruns", {{"phase", "Running"}}},
           {"kcau_updateruns", {{"phase", "Succeeded"}}},
           {"kcau_updateruns", {{"phase", "Failed"}}},
           {"controller_runtime_reconcile_total",
            {{"controller", "updaterun"}, {"result", "success"}}},
           {"controller_runtime_reconcile_total",
            {{"controller", "updaterun"}, {"result", "error"}}},
           {"controller_runtime_reconcile_total",
            {{"controller", "updaterun"}, {"result", "requeue"}}},
           {"controller_runtime_reconcile_total",
            {{"controller", "updaterun"}, {"result", "requeue_after"}}},
           {"controller_runtime_reconcile_errors_total", {{"controller", "updaterun"}}},
           {"controller_runtime_active_workers", {{"controller", "updaterun"}}},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(SampleValue(r, c.name, c.labels), 0);
  }
  EXPECT_EQ(SampleValue(r, "kcau_build_info", {{"version", "1.2.3"}}), 1);
  for (const char* histogram :
       {"kcau_node_drain_duration_seconds", "kcau_node_install_duration_seconds",
        "kcau_node_reboot_duration_seconds"}) {
    EXPECT_EQ(HistogramCount(r, histogram), 0u) << histogram;
  }
  EXPECT_EQ(HistogramCount(r, "kcau_node_update_duration_seconds", {{"result", "failed"}}), 0u);
  // And they are written out, so a rate() has its first point before the first event.
  const std::string text = MetricsText(r);
  EXPECT_TRUE(Contains(text, "kcau_node_updates_total{result=\"succeeded\"} 0\n")) << text;
  EXPECT_TRUE(Contains(text, "kcau_node_updates_total{result=\"failed\"} 0\n")) << text;
}

TEST(MetricsTextTest, ReconcilesCountByResultAndErrorsApart) {
  prometheus::Registry r;
  KcauMetrics m(r, "1.2.3");
  m.CountReconcile("updaterun", "success");
  m.CountReconcile("updaterun", "error");
  m.CountReconcile("updaterun", "error");
  EXPECT_EQ(SampleValue(r, "controller_runtime_reconcile_total",
                        {{"controller", "updaterun"}, {"result", "success"}}),
            1);
  EXPECT_EQ(SampleValue(r, "controller_runtime_reconcile_total",
                        {{"controller", "updaterun"}, {"result", "error"}}),
            2);
  EXPECT_EQ(
      SampleValue(r, "controller_runtime_reconcile_errors_total", {{"controller", "updaterun"}}),
      2);
  m.SetRunsByPhase({{"Running", 2}});
  m.SetRunsByPhase({{"Succeeded", 1}});
  EXPECT_EQ(SampleValue(r, "kcau_updateruns", {{"phase", "Running"}}), 0);  // refilled
  EXPECT_EQ(SampleValue(r, "kcau_updateruns", {{"phase", "Succeeded"}}), 1);
}

TEST(MetricsTextTest, RestClientRequestsByCodeAndMethod) {
  prometheus::Registry r;
  RestClientMetrics m(r);
  EXPECT_EQ(HistogramCount(r, "rest_client_request_duration_seconds", {{"verb", "PATCH"}}), 0u);
  m.RequestDone("GET", 200, std::chrono::milliseconds(3));
  m.RequestDone("GET", 200, std::chrono::milliseconds(5));
  m.RequestDone("PATCH", 409, std::chrono::milliseconds(1));
  m.RequestDone("POST", 0, std::chrono::seconds(2));
  EXPECT_EQ(SampleValue(r, "rest_client_requests_total", {{"code", "200"}, {"method", "GET"}}), 2);
  EXPECT_EQ(SampleValue(r, "rest_client_requests_total", {{"code", "409"}, {"method", "PATCH"}}),
            1);
  EXPECT_EQ(SampleValue(r, "rest_client_requests_total", {{"code", "<error>"}, {"method", "POST"}}),
            1);
  EXPECT_EQ(HistogramCount(r, "rest_client_request_duration_seconds", {{"verb", "GET"}}), 2u);
  EXPECT_DOUBLE_EQ(*HistogramSum(r, "rest_client_request_duration_seconds", {{"verb", "GET"}}),
                   0.008);
}

TEST(MetricsTextTest, AgentPluginRunsByResultAndDuration) {
  prometheus::Registry r;
  AgentMetrics m(r, "1.2.3", {"packages", "script"});
  EXPECT_EQ(SampleValue(r, "kcau_plugin_results_total",
                        {{"plugin", "script"}, {"operation", "install"}, {"result", "failed"}}),
            0);
  EXPECT_EQ(
      SampleValue(r, "kcau_agent_results_total", {{"request", "update"}, {"state", "Failed"}}), 0);
  m.PluginRan("packages", "install", true, 42);
  m.CountAnswer("update", "Installed");
  EXPECT_EQ(
      SampleValue(r, "kcau_plugin_results_total",
                  {{"plugin", "packages"}, {"operation", "install"}, {"result", "succeeded"}}),
      1);
  EXPECT_EQ(HistogramSum(r, "kcau_plugin_duration_seconds",
                         {{"plugin", "packages"}, {"operation", "install"}}),
            42);
  EXPECT_EQ(
      SampleValue(r, "kcau_agent_results_total", {{"request", "update"}, {"state", "Installed"}}),
      1);
}

TEST(CallbackCollectorTest, ReadsAtEachCollectAndRefusesWhatTheFormatCannotCarry) {
  CallbackCollector c;
  double value = 1;
  c.Add("things_total", "Things.", prometheus::MetricType::Counter, [&] {
    return std::vector<Sample>{{{{"kind", "a"}}, value}};
  });
  c.Add("nothing_here", "Empty.", prometheus::MetricType::Gauge,
        [] { return std::vector<Sample>{}; });
  EXPECT_EQ(SampleValue(c, "things_total", {{"kind", "a"}}), 1);
  value = 5;
  EXPECT_EQ(MetricsText(c),
            "# HELP things_total Things.\n"
            "# TYPE things_total counter\n"
            "things_total{kind=\"a\"} 5\n");
  EXPECT_THROW(c.Add("bad name", "x", prometheus::MetricType::Gauge, {}), std::invalid_argument);
  EXPECT_THROW(c.Add("two_lines", "a\nb", prometheus::MetricType::Gauge, {}),
               std::invalid_argument);
}

// The real promtool judges the exposition of everything both binaries serve: exit 0 clean,
// 3 lint findings (names, units, help), 1 a parse error.
TEST(PromtoolTest, EveryKcauFamilyPassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed";
  }
  auto controller = std::make_shared<prometheus::Registry>();
  KcauMetrics m(*controller, "0.1.0");
  RestClientMetrics rest(*controller);
  m.CountReconcile("updaterun", "success");
  m.ObserveReconcileTime("updaterun", 0.02);
  WorkQueueMetrics q = m.Queue("updaterun");
  q.adds.Increment();
  q.queue_duration.Observe(0.001);
  m.updaterun_nodes.Add({{"updaterun", "weird \"name\"\nrun"}, {"phase", "Succeeded"}}).Set(1);
  m.leader.Add({{"name", "kcau-controller"}}).Set(1);
  rest.RequestDone("GET", 200, std::chrono::milliseconds(4));
  auto scraped = std::make_shared<CallbackCollector>();
  AddProcessMetrics(*scraped);
  auto agent = std::make_shared<prometheus::Registry>();
  AgentMetrics a(*agent, "0.1.0", {"packages", "reboot-required", "script"});
  for (const Collectables& served :
       {Collectables{controller, scraped}, Collectables{agent, scraped}}) {
    const std::string text = MetricsText(served);
    const std::string path = ::testing::TempDir() + "/kcau_metrics.prom";
    {
      std::ofstream out(path);
      out << text;
    }
    const int rc = std::system(("promtool check metrics < " + path + " >/dev/null 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 0) << "promtool found problems in:\n" << text;
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace kcau::metrics
