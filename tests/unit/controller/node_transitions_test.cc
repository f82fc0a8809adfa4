// What a pass's status change means for the metrics: table-driven over one node's before and
// after.
#include "controller/node_transitions.h"

#include <gtest/gtest.h>

#include "reconcilers/planner/planner_messages.h"

namespace kcau::controller {
namespace {

using crd::NodePhase;

const TimePoint kT0 = TimePoint{} + std::chrono::seconds(1'700'000'000);

struct NodeBuilder {
  crd::NodeResult r;
  explicit NodeBuilder(NodePhase phase, int phase_began_s = 0) {
    r.name = "n1";
    r.phase = phase;
    r.phase_time = kT0 + std::chrono::seconds(phase_began_s);
    r.attempts = 1;
  }
  NodeBuilder& Attempts(int n) {
    r.attempts = n;
    return *this;
  }
  NodeBuilder& Token(std::string t) {
    r.request_token = std::move(t);
    return *this;
  }
  NodeBuilder& Message(std::string m) {
    r.message = std::move(m);
    return *this;
  }
  NodeBuilder& Blocked(std::string reason, int since_s) {
    r.blocked = crd::Blocked{std::move(reason), "what blocks", kT0 + std::chrono::seconds(since_s)};
    return *this;
  }
  NodeBuilder& RestoreTo(NodePhase p) {
    r.restore_to = p;
    return *this;
  }
  operator crd::NodeResult() const { return r; }  // NOLINT: a builder
};

NodeTransitions Diff(crd::NodeResult before, crd::NodeResult after,
                     std::vector<reconcilers::RunEvent> events = {}) {
  crd::UpdateRunStatus b, a;
  b.nodes = {before};
  a.nodes = {after};
  return DiffNodes(b, a, events);
}

TEST(NodeTransitionsTest, AgentAnswersAndTimeouts) {
  const std::string timeout_message =
      "no answer from kcau-agent: update request t1 got no result within agentTimeoutMinutes=15 "
      "(attempt 1 of 4)";
  struct Case {
    std::string name;
    crd::NodeResult before, after;
    std::vector<reconcilers::RunEvent> events;
    int installed, scanned, failed, timeouts;
  };
  const std::vector<Case> cases = {
      {"installed, then rebooting",
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       NodeBuilder(NodePhase::kRebooting, 60).Token("t1"),
       {},
       1,
       0,
       0,
       0},
      {"failed, retried",
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       NodeBuilder(NodePhase::kUpdating, 60).Attempts(2).Token("t2"),
       {{"Warning", "NodeUpdateRetry", "n1: update attempt 1 of 4 failed: apt broke; retrying"}},
       0,
       0,
       1,
       0},
      {"silent, retried",
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       NodeBuilder(NodePhase::kUpdating, 900).Attempts(2).Token("t2"),
       {{"Warning", "NodeUpdateRetry", "n1: " + timeout_message + "; retrying"}},
       0,
       0,
       0,
       1},
      {"silent on the last attempt: brought back",
       NodeBuilder(NodePhase::kUpdating).Attempts(4).Token("t4"),
       NodeBuilder(NodePhase::kUncordoned, 900)
           .Attempts(4)
           .Token("t4")
           .Message(timeout_message)
           .RestoreTo(NodePhase::kFailed),
       {},
       0,
       0,
       0,
       1},
      {"failed on the last attempt",
       NodeBuilder(NodePhase::kUpdating).Attempts(4).Token("t4"),
       NodeBuilder(NodePhase::kFailed, 60)
           .Attempts(4)
           .Token("t4")
           .Message("update attempt 4 of 4 failed: x"),
       {},
       0,
       0,
       1,
       0},
      {"scanned, nothing to install",
       NodeBuilder(NodePhase::kScanning).Token("s1"),
       NodeBuilder(NodePhase::kSkipped, 5).Token("s1"),
       {},
       0,
       1,
       0,
       0},
      {"scanned, taken for its update",
       NodeBuilder(NodePhase::kScanning).Token("s1"),
       NodeBuilder(NodePhase::kCordoned, 5).Token("s1"),
       {},
       0,
       1,
       0,
       0},
      {"still waiting for the agent",
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       {},
       0,
       0,
       0,
       0},
      {"another node's timeout is not this one's",
       NodeBuilder(NodePhase::kUpdating).Token("t1"),
       NodeBuilder(NodePhase::kUpdating, 60).Attempts(2).Token("t2"),
       {{"Warning", "NodeUpdateRetry", "n10: " + timeout_message}},
       0,
       0,
       1,
       0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const NodeTransitions t = Diff(c.before, c.after, c.events);
    EXPECT_EQ(t.answers_installed, c.installed);
    EXPECT_EQ(t.answers_scanned, c.scanned);
    EXPECT_EQ(t.answers_failed, c.failed);
    EXPECT_EQ(t.agent_timeouts, c.timeouts);
  }
}

TEST(NodeTransitionsTest, EndsAreCountedOnceWithTheirDuration) {
  crd::NodeResult before = NodeBuilder(NodePhase::kUncordoned, 100);
  before.start_time = kT0;
  crd::NodeResult after = NodeBuilder(NodePhase::kFailed, 130);
  after.start_time = kT0;
  after.finish_time = kT0 + std::chrono::seconds(130);
  NodeTransitions t = Diff(before, after);
  EXPECT_EQ(t.failed, 1);
  ASSERT_EQ(t.update_seconds.size(), 1u);
  EXPECT_EQ(t.update_seconds[0], std::make_pair(std::string("failed"), 130.0));
  EXPECT_EQ(Diff(after, after), NodeTransitions{});  // identical: nothing
  // A node with nothing to install ends Skipped: counted, not timed.
  t = Diff(NodeBuilder(NodePhase::kScanning), NodeBuilder(NodePhase::kSkipped, 3));
  EXPECT_EQ(t.skipped, 1);
  EXPECT_TRUE(t.update_seconds.empty());
}

TEST(NodeTransitionsTest, ARetriedDrainOrInstallIsTimedPerAttempt) {
  // Re-entered Updating for attempt 2 after 300 s: attempt 1's install is timed.
  NodeTransitions t = Diff(NodeBuilder(NodePhase::kUpdating, 0).Token("t1"),
                           NodeBuilder(NodePhase::kUpdating, 300).Attempts(2).Token("t2"));
  EXPECT_EQ(t.install_seconds, std::vector<double>{300});
  // A clock stepped back between passes gives no negative duration.
  t = Diff(NodeBuilder(NodePhase::kDraining, 50), NodeBuilder(NodePhase::kUpdating, 10));
  EXPECT_TRUE(t.drain_seconds.empty());
}

TEST(NodeTransitionsTest, ABlockIsTimedOnceWhenItEnds) {
  const std::string pdb = crd::kBlockedByDisruptionBudget;
  const std::string unmanaged = crd::kBlockedByUnmanagedPods;
  // The planner's NodeUnblocked Event for n1's budget block, lifted after 7m30.5s.
  const reconcilers::RunEvent lifted = reconcilers::RunEvent::Normal(
      "NodeUnblocked",
      "n1: " + reconcilers::planner::BlockLiftedMessage(pdb, std::chrono::milliseconds(450'500)));
  struct Case {
    std::string name;
    crd::NodeResult before, after;
    std::vector<reconcilers::RunEvent> events;
    std::vector<std::pair<std::string, double>> want;
  };
  const std::vector<Case> cases = {
      {"lifted, still draining: the Event says how long",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       NodeBuilder(NodePhase::kDraining, 0),
       {lifted},
       {{pdb, 450.5}}},
      {"lifted as the drain ended: until the next phase began",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       NodeBuilder(NodePhase::kUpdating, 630),
       {lifted},
       {{pdb, 600}}},
      {"replaced by a block of another reason: until that one began",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       NodeBuilder(NodePhase::kDraining, 0).Blocked(unmanaged, 90),
       {},
       {{pdb, 60}}},
      {"the drain gave up (brought back): until Uncordoned began",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(unmanaged, 10),
       NodeBuilder(NodePhase::kUncordoned, 3600).RestoreTo(NodePhase::kFailed),
       {},
       {{unmanaged, 3590}}},
      {"still blocked, its message refreshed: nothing yet",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30).Message("newer"),
       {},
       {}},
      {"a block that starts is not an end",
       NodeBuilder(NodePhase::kDraining, 0),
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       {},
       {}},
      {"another node's Event is not this one's",
       NodeBuilder(NodePhase::kDraining, 0).Blocked(pdb, 30),
       NodeBuilder(NodePhase::kDraining, 0),
       {reconcilers::RunEvent::Normal("NodeUnblocked", "n10: " + pdb + " block lifted after 5m0s")},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Diff(c.before, c.after, c.events).blocked_seconds, c.want);
  }
}

}  // namespace
}  // namespace kcau::controller
