// The work queue's workqueue_* series, as client-go's queue keeps them, timed on the injected
// clock.
#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include "controller/result_handler.h"
#include "controller/work_queue.h"
#include "metrics/kcau_metrics.h"
#include "tests/unit/metrics/sample_value.h"

namespace kcau::controller {
namespace {

using metrics::HistogramCount;
using metrics::HistogramSum;
using metrics::SampleValue;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = WallClock::from_time_t(1800000000);
const prometheus::Labels kQueue = {{"name", "updaterun"}};

class WorkQueueMetricsTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  metrics::KcauMetrics metrics_{registry_, "test"};
  FakeClock clock_{kStart};
  WorkQueue queue_{clock_, {}, metrics_.Queue("updaterun")};
};

TEST_F(WorkQueueMetricsTest, AddsDepthAndDurations) {
  EXPECT_EQ(SampleValue(registry_, "workqueue_adds_total", kQueue), 0);
  EXPECT_EQ(SampleValue(registry_, "workqueue_depth", kQueue), 0);
  queue_.Add("a");
  queue_.Add("a");  // de-duplicated: not an add
  queue_.Add("b");
  EXPECT_EQ(SampleValue(registry_, "workqueue_adds_total", kQueue), 2);
  EXPECT_EQ(SampleValue(registry_, "workqueue_depth", kQueue), 2);

  clock_.Advance(seconds(3));
  ASSERT_EQ(queue_.Get(milliseconds(0)), "a");
  EXPECT_EQ(SampleValue(registry_, "workqueue_depth", kQueue), 1);
  EXPECT_EQ(HistogramSum(registry_, "workqueue_queue_duration_seconds", kQueue), 3);
  clock_.Advance(milliseconds(500));
  queue_.Done("a");
  EXPECT_EQ(HistogramCount(registry_, "workqueue_work_duration_seconds", kQueue), 1u);
  EXPECT_EQ(HistogramSum(registry_, "workqueue_work_duration_seconds", kQueue), 0.5);
}

TEST_F(WorkQueueMetricsTest, ResultsAreCountedAndErrorsRetried) {
  struct Case {
    reconcilers::ReconcileResult result;
    std::string label;
  };
  for (const Case& c : {Case{reconcilers::ReconcileResult::Done(), "success"},
                        Case{reconcilers::ReconcileResult::Error("boom"), "error"},
                        Case{reconcilers::ReconcileResult::After(seconds(5)), "requeue_after"},
                        Case{reconcilers::ReconcileResult::After(seconds(0)), "requeue"}}) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(HandleReconcileResult(queue_, "run", c.result, &metrics_), c.label);
    EXPECT_EQ(SampleValue(registry_, "controller_runtime_reconcile_total",
                          {{"controller", "updaterun"}, {"result", c.label}}),
              1);
  }
  EXPECT_EQ(SampleValue(registry_, "controller_runtime_reconcile_errors_total",
                        {{"controller", "updaterun"}}),
            1);
  EXPECT_EQ(SampleValue(registry_, "workqueue_retries_total", kQueue), 1);
}

}  // namespace
}  // namespace kcau::controller
