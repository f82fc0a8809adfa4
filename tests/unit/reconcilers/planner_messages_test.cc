// The planner's message texts, each on its own: people and scripts read them in status
// conditions, node messages and Events, so a change must be on purpose.
#include "reconcilers/planner/planner_messages.h"

#include <gtest/gtest.h>

#include "crd/names.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers::planner {
namespace {

struct MessageCase {
  const char* name;
  std::string got;
  std::string want;
};

std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
  return names;
}

crd::NodeResult Ended(const std::string& name, const std::string& message,
                      const std::string& installed) {
  crd::NodeResult r;
  r.name = name;
  r.message = message;
  r.installed = installed;
  return r;
}

TEST(PlannerMessagesTest, EachTextReadsAsWritten) {
  const std::vector<std::string> two = {"n1", "n2"};
  const std::vector<std::string> none;
  const MessageCase cases[] = {
      {"join", Join(two), "n1, n2"},
      {"join with separator", Join(two, "; "), "n1; n2"},
      {"join some within the limit", JoinSome(Names(kNamesInMessages)),
       Join(Names(kNamesInMessages))},
      {"join some past the limit", JoinSome(Names(kNamesInMessages + 3)),
       Join(Names(kNamesInMessages)) + " and 3 more"},
      {"one minute", Minutes(1), "1 minute"},
      {"minutes", Minutes(5), "5 minutes"},
      {"no agent", NoAgentMessage(),
       "no kcau-agent answers on this node (kcau.io/agent-version absent)"},
      {"agent version", AgentVersionMismatchMessage("0.0.9", "1.2.0"),
       "its agent runs 0.0.9, not the controller's 1.2.0 (spec.forceSelfUpdate: true rolls the "
       "agents first)"},
      {"one unsupported field", UnsupportedFieldsMessage({"spec.x"}),
       "spec.x: not supported by this kcau version yet; remove it or upgrade the controller"},
      {"unsupported fields", UnsupportedFieldsMessage({"spec.x", "spec.y"}),
       "spec.x, spec.y: not supported by this kcau version yet; remove them or upgrade the "
       "controller"},
      {"nodes offline", NodesOfflineMessage(two),
       "requireAllNodesOnline: 2 selected node(s) not Ready: n1, n2; no node was touched"},
      {"skipped offline", SkippedOfflineMessage(false),
       "not Ready when the run started: skipped (requireAllNodesOnline refuses instead)"},
      {"skipped offline, no agent", SkippedOfflineMessage(true),
       "not Ready when the run started, and no kcau-agent answers on this node "
       "(kcau.io/agent-version absent): skipped (requireAllNodesOnline refuses instead)"},
      {"started, one at a time", StartedMessage(false, 2, 1, two),
       "updating 2 nodes, one at a time: n1, n2"},
      {"started, several at a time", StartedMessage(false, 2, 3, two),
       "updating 2 nodes, up to 3 at a time: n1, n2"},
      {"started, scan", StartedMessage(true, 2, 1, two),
       "scanning 2 nodes (nothing is changed): n1, n2"},
      {"run started", RunStartedMessage(two, 1, 0, none),
       "plan: n1, n2; maxUnavailable 1; maxFailedNodes 0"},
      {"run started, skipped", RunStartedMessage({"n1"}, 1, 0, {"n2"}),
       "plan: n1; maxUnavailable 1; maxFailedNodes 0; skipped (not Ready): n2"},
      {"whatIf node", WhatIfNodeMessage(2, 3), "would be updated in batch 2 of 3"},
      {"whatIf", WhatIfMessage(two, {"n3"}, 2, 1),
       "whatIf: 2 node(s) in 2 batch(es) of up to 1: n1, n2; skipped (not Ready): n3; nothing "
       "was touched"},
      {"too many failed", TooManyFailedMessage(two, 1),
       "2 node(s) failed (n1, n2), more than maxFailedNodes=1"},
      {"stopped", StoppedMessage("cancelled by spec.stop", 1, 2),
       "cancelled by spec.stop; 1 node(s) taken, 2 skipped"},
      {"no node updated", NoNodeDoneMessage(false, 3, 1, {"n1: x", "n2: y"}),
       "none of the 3 nodes was updated (1 had no updates to install); n1: x; n2: y"},
      {"no node scanned", NoNodeDoneMessage(true, 1, 0, {"n1: x"}),
       "none of the 1 nodes was scanned; n1: x"},
      {"nothing to update", NothingToUpdateMessage(3),
       "no updates apply on any of the 3 nodes: nothing was changed"},
      {"scan completed", ScanCompletedMessage(3, 5, two),
       "3 nodes scanned: 5 updates apply on 2 node(s) (n1, n2); nothing was changed"},
      {"scan completed, nothing", ScanCompletedMessage(3, 0, none),
       "3 nodes scanned: 0 updates apply on 0 node(s); nothing was changed"},
      {"completed, all", CompletedMessage(2, 2, none, none), "all 2 nodes updated"},
      {"completed, some", CompletedMessage(1, 3, {"n2"}, {"n3"}),
       "1 of 3 nodes updated; no updates apply on n2; skipped: n3"},
      {"completed with failures", CompletedWithFailuresMessage({"n1"}, 1),
       "1 node(s) failed within maxFailedNodes=1: n1"},
      {"unmanaged pods, normal", UnmanagedPodsMessage(false, {"web/p"}),
       "drain blocked by pod(s) without a controller: web/p (evicted they would be lost, so "
       "kubectl drain refuses them without --force): delete or move them, or set spec.drain: "
       "Force"},
      {"unmanaged pods, force", UnmanagedPodsMessage(true, {"web/p"}),
       "drain Force: evicting pod(s) without a controller, which nothing recreates: web/p"},
      {"agent silent, update", AgentSilentMessage(false, "run/u/n1/1", 15, 1, 3),
       "no answer from kcau-agent: update request run/u/n1/1 got no result within "
       "agentTimeoutMinutes=15 (attempt 1 of 3)"},
      {"agent silent, scan", AgentSilentMessage(true, "run/u/n1/1/scan", 5, 2, 2),
       "no answer from kcau-agent: scan request run/u/n1/1/scan got no result within "
       "agentTimeoutMinutes=5 (attempt 2 of 2)"},
      {"reboot timeout",
       RebootTimeoutMessage("did not come back from its reboot", 30, false, false),
       "did not come back from its reboot within rebootTimeoutMinutes=30 (Ready=False, boot ID "
       "unchanged)"},
      {"verify timeout", RebootTimeoutMessage("is not Ready after its update", 30, false, true),
       "is not Ready after its update within rebootTimeoutMinutes=30 (Ready=False, boot ID "
       "changed)"},
      {"restored, uncordoned", RestoredSuffix(false), "; uncordoned, back in service"},
      {"restored, admin's cordon", RestoredSuffix(true),
       "; left cordoned as it was before the run"},
      {"succeeded, soft reboot", NodeSucceededText("n1", 2, true, "soft", false, false),
       crd::NodeSucceededMessage(2, true) + " (soft reboot)"},
      {"succeeded, left cordoned", NodeSucceededText("n1", 1, false, "", false, true),
       crd::NodeSucceededMessage(1, false) +
           "; left cordoned (failbackMode NoFailback): kubectl uncordon n1 releases it"},
      {"succeeded, admin's cordon", NodeSucceededText("n1", 0, false, "", true, false),
       crd::NodeSucceededMessage(0, false) + "; left cordoned as it was before the run"},
      {"installed", InstalledText({"a 1", "b 2"}, false), "installed: a 1, b 2"},
      {"installed, staged", InstalledText({"a 1"}, true), "installed (staged first): a 1"},
      {"outcome, nothing installed", OutcomeText(Ended("n1", "failed to drain", "")),
       "n1: failed to drain"},
      {"outcome, installed", OutcomeText(Ended("n1", "2 updates installed", "installed: a, b")),
       "n1: 2 updates installed; installed: a, b"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.got, c.want) << c.name;
}

}  // namespace
}  // namespace kcau::reconcilers::planner
