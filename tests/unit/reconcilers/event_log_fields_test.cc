// The fields of each Event's log line: which node an Event is about is read from the
// planner's "NODE: " wording, its phase and block from the status decided with it.
#include "reconcilers/event_log_fields.h"

#include <gtest/gtest.h>

namespace kcau::reconcilers {
namespace {

crd::UpdateRunStatus TwoNodes() {
  crd::UpdateRunStatus status;
  crd::NodeResult draining;
  draining.name = "node-1";
  draining.phase = crd::NodePhase::kDraining;
  draining.blocked = crd::Blocked{crd::kBlockedByDisruptionBudget, "pod web/a: budget web", {}};
  crd::NodeResult done;
  done.name = "node-10";
  done.phase = crd::NodePhase::kSucceeded;
  status.nodes = {draining, done};
  return status;
}

TEST(EventLogFieldsTest, TableOfEvents) {
  const struct {
    const char* name;
    RunEvent event;
    LogFields want;
  } cases[] = {
      {"blocked node",
       RunEvent::Warning("NodeBlocked", "node-1: PodDisruptionBudget: pod web/a: budget web"),
       {{"reason", "NodeBlocked"},
        {"node", "node-1"},
        {"phase", "Draining"},
        {"blocked", "PodDisruptionBudget"}}},
      {"a node whose name another's starts with",
       RunEvent::Normal("NodeUpdated", "node-10: 3 updates installed"),
       {{"reason", "NodeUpdated"}, {"node", "node-10"}, {"phase", "Succeeded"}}},
      {"the run's own",
       RunEvent::Normal("RunStarted", "2 nodes: node-1, node-10"),
       {{"reason", "RunStarted"}}},
      {"a node not in the run",
       RunEvent::Warning("NodeSkipped", "node-2: no agent"),
       {{"reason", "NodeSkipped"}}},
  };
  const crd::UpdateRunStatus status = TwoNodes();
  for (const auto& c : cases) {
    EXPECT_EQ(EventLogFields(c.event, status), c.want) << c.name;
  }
}

}  // namespace
}  // namespace kcau::reconcilers
