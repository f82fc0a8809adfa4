// The uncordon made as soon as a node's last round ends (prompt_uncordons.h): a pass names
// the nodes one clean result away from it, UncordonDue says when a node has reached it, and
// that must be exactly when the run's next pass would uncordon the node itself.
#include "reconcilers/prompt_uncordons.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reconcilers/rollout_planner.h"
#include "tests/unit/reconcilers/builders.h"
#include "tests/unit/reconcilers/planner_world.h"

namespace kcau::reconcilers {
namespace {

using crd::NodePhase;
using testing::kStart;
using testing::MakeNode;
using testing::MakeRun;
using testing::NodeIn;
using testing::PlanRollout;
using testing::PlanUntil;
using testing::World;

// Whether a pass over `w` uncordons `node`.
bool NextPassUncordons(const crd::UpdateRun& run, const World& w, const std::string& node) {
  for (const auto& a : PlanRollout(run, w.View(), kStart + std::chrono::seconds(5)).actions) {
    if (a.type == ActionType::kUncordon && a.node == node) return true;
  }
  return false;
}

// One way the node and its agent's result may stand when a round ends.
struct Case {
  const char* name;
  std::function<void(NodeView&, agent::AgentResult&)> change;
  bool due;
};

// For each case, set up by `Setup` (a fixture with w, run, decision and clean): the
// expectations say due exactly when the next pass uncordons.
template <typename Setup>
void ExpectDueExactlyWhenTheNextPassUncordons(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Setup a;
    NodeView& node = a.w.nodes["w1"];
    agent::AgentResult result = a.clean;
    c.change(node, result);
    node.agent_result = result;
    bool due = false;
    for (const auto& expected : a.decision.uncordon_on_result) {
      due = due || UncordonDue(expected, node);
    }
    EXPECT_EQ(due, c.due);
    EXPECT_EQ(NextPassUncordons(a.run, a.w, "w1"), c.due);
  }
}

// w1 awaiting the re-scan round after its reboot (which its agent begins itself, and which
// this test answers by hand): what the pass expects, and the clean result it waits for.
struct AwaitingRescan {
  World w = testing::Workers(1);
  crd::UpdateRun run = MakeRun();
  RolloutDecision decision;
  agent::AgentResult clean;

  AwaitingRescan() {
    w.no_self_rescan.insert("w1");
    decision = PlanUntil(run, w, kStart, "w1", NodePhase::kUpdating, 2);
    clean = {RequestToken(run, "w1", 1, 2), agent::AgentState::kInstalled, false, 0, ""};
    clean.boot_id = w.nodes["w1"].boot_id;
  }
};

TEST(PromptUncordonsTest, APassExpectsTheUncordonAfterTheLastRound) {
  AwaitingRescan a;
  ASSERT_EQ(a.decision.uncordon_on_result.size(), 1u);
  const UncordonOnResult& expected = a.decision.uncordon_on_result[0];
  EXPECT_EQ(expected.node, "w1");
  EXPECT_EQ(expected.token, RequestToken(a.run, "w1", 1, 2));
  EXPECT_EQ(expected.boot_id, a.w.nodes["w1"].boot_id);
  EXPECT_FALSE(UncordonDue(expected, a.w.nodes["w1"])) << "no result for the round yet";
}

// The property the early uncordon rests on: due exactly when the next pass uncordons, for
// the clean result and for each way of falling short of it.
TEST(PromptUncordonsTest, DueExactlyWhenTheNextPassUncordons) {
  const std::vector<Case> cases = {
      {"clean", [](NodeView&, agent::AgentResult&) {}, true},
      {"found more, no reboot", [](NodeView&, agent::AgentResult& r) { r.updates_installed = 1; },
       true},
      {"a reboot to follow", [](NodeView&, agent::AgentResult& r) { r.reboot_required = true; },
       false},
      {"still installing",
       [](NodeView&, agent::AgentResult& r) { r.state = agent::AgentState::kInstalling; }, false},
      {"failed", [](NodeView&, agent::AgentResult& r) { r.state = agent::AgentState::kFailed; },
       false},
      {"another round's result", [](NodeView&, agent::AgentResult& r) { r.token += "x"; }, false},
      {"rebooted meanwhile", [](NodeView& n, agent::AgentResult&) { n.boot_id = "other"; }, false},
      {"not Ready", [](NodeView& n, agent::AgentResult&) { n.ready = false; }, false},
      {"already uncordoned", [](NodeView& n, agent::AgentResult&) { n.unschedulable = false; },
       false},
  };
  ExpectDueExactlyWhenTheNextPassUncordons<AwaitingRescan>(cases);
}

// w1 asked to install, the request naming the re-scan round its agent begins on its return:
// the World's agent installed and rebooted at once, and this test writes the re-scan's
// result by hand.
struct AwaitingInstall {
  World w = testing::Workers(1);
  crd::UpdateRun run = MakeRun();
  RolloutDecision decision;
  std::string boot_before;
  agent::AgentResult clean;

  AwaitingInstall() {
    w.no_self_rescan.insert("w1");
    boot_before = w.nodes["w1"].boot_id;
    decision = PlanUntil(run, w, kStart, "w1", NodePhase::kUpdating, 1);
    clean = {RequestToken(run, "w1", 1, 2), agent::AgentState::kInstalled, false, 0, ""};
    clean.boot_id = w.nodes["w1"].boot_id;
    clean.previous = {*w.nodes["w1"].agent_result};
  }
};

TEST(PromptUncordonsTest, TheInstallRequestAlsoExpectsTheRescanAfterItsReboot) {
  AwaitingInstall a;
  const std::string install = RequestToken(a.run, "w1", 1, 1);
  EXPECT_EQ(a.decision.uncordon_on_result,
            (std::vector<UncordonOnResult>{
                {"w1", install, a.boot_before, "", ""},
                {"w1", RequestToken(a.run, "w1", 1, 2), "", install, a.boot_before}}));
  ASSERT_TRUE(a.w.nodes["w1"].agent_result->reboot_required);
  ASSERT_NE(a.w.nodes["w1"].boot_id, a.boot_before);
}

TEST(PromptUncordonsTest, AfterTheRebootDueExactlyWhenTheNextPassUncordons) {
  const std::vector<Case> cases = {
      {"clean", [](NodeView&, agent::AgentResult&) {}, true},
      {"the round before not said", [](NodeView&, agent::AgentResult& r) { r.previous.clear(); },
       false},
      {"rebooted again during the re-scan",
       [](NodeView& n, agent::AgentResult&) { n.boot_id = "w1-boot-9"; }, false},
      {"a reboot to follow", [](NodeView&, agent::AgentResult& r) { r.reboot_required = true; },
       false},
      {"not Ready", [](NodeView& n, agent::AgentResult&) { n.ready = false; }, false},
  };
  ExpectDueExactlyWhenTheNextPassUncordons<AwaitingInstall>(cases);
}

// Where the pass itself would not uncordon after the round, nothing is expected: another
// round is planned, the admin had cordoned the node, failbackMode NoFailback.
TEST(PromptUncordonsTest, NothingExpectedWhereNoUncordonFollows) {
  {
    World w = testing::Workers(1);
    w.plugin_count = 2;
    crd::UpdateRun run = MakeRun().Plugins({"packages", "script"}).SeparateReboots();
    const RolloutDecision d = PlanUntil(run, w, kStart, "w1", NodePhase::kUpdating, 1);
    EXPECT_TRUE(d.uncordon_on_result.empty()) << "round 1 of 2";
  }
  {
    World w;
    w.nodes["w1"] = MakeNode("w1").Pods(1).Cordoned();
    crd::UpdateRun run = MakeRun();
    const RolloutDecision d = PlanUntil(run, w, kStart, "w1", NodePhase::kUpdating, 1);
    ASSERT_TRUE(NodeIn(run.status, "w1").was_unschedulable);
    EXPECT_TRUE(d.uncordon_on_result.empty()) << "an admin's cordon stays";
  }
  {
    World w = testing::Workers(1);
    crd::UpdateRun run = MakeRun().Failback(crd::FailbackMode::kNoFailback);
    const RolloutDecision d = PlanUntil(run, w, kStart, "w1", NodePhase::kUpdating, 1);
    EXPECT_TRUE(d.uncordon_on_result.empty()) << "NoFailback";
  }
}

TEST(PromptUncordonsTest, DueOnceForTheRunThatExpectsItLast) {
  AwaitingRescan a;
  PromptUncordons prompt;
  auto spec = std::make_shared<const crd::UpdateRunSpec>(a.run.spec);
  prompt.Expect("run", a.decision.uncordon_on_result, spec);
  NodeView node = a.w.nodes["w1"];
  EXPECT_FALSE(prompt.Seen(node).has_value()) << "not due yet";
  node.agent_result = a.clean;
  auto due = prompt.Seen(node);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->run, "run");
  EXPECT_EQ(due->uncordon, (NodeAction{ActionType::kUncordon, "w1"}));
  EXPECT_EQ(due->spec, spec);
  EXPECT_FALSE(prompt.Seen(node).has_value()) << "once";
  // A later pass that no longer expects it takes the expectation back; so does the end.
  prompt.Expect("run", a.decision.uncordon_on_result, spec);
  prompt.Expect("run", {}, nullptr);
  EXPECT_FALSE(prompt.Seen(node).has_value());
  prompt.Expect("run", a.decision.uncordon_on_result, spec);
  prompt.Forget("other run");
  prompt.Forget("run");
  EXPECT_FALSE(prompt.Seen(node).has_value());
}

}  // namespace
}  // namespace kcau::reconcilers
