// The reconciler through its real I/O path: sim::StoreClient over the simulated cluster's
// object store, a FakeClock, and a hand-played agent that, as a real one, acts only on
// requests the controller signed for its node. No network, no sleeping.
#include "reconcilers/updaterun_reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "crd/names.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/elapsed_since.h"
#include "reconcilers/event_recorder.h"
#include "reconcilers/object_views.h"
#include "reconcilers/rollout_planner.h"
#include "reconcilers/run_finalizer.h"
#include "sim/object_store.h"
#include "sim/store_client.h"
#include "tests/unit/agent/test_keys.h"
#include "tests/unit/reconcilers/recording_client.h"

namespace kcau::reconcilers {
namespace {

using kube::Json;
using testing::RecordingClient;
namespace res = kube::resources;
using Requests = std::vector<std::string>;

const TimePoint kStart = WallClock::from_time_t(1800000000);

Json Parse(const std::string& text) { return Json::parse(text); }

Json MakeNodeJson(const std::string& name, const std::string& boot) {
  return Parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name +
               R"(","labels":{"kubernetes.io/hostname":")" + name +
               R"("},"annotations":{"kcau.io/agent-version":")" KCAU_VERSION
               R"("}},"spec":{},"status":{"conditions":[{"type":"Ready","status":"True"}],)"
               R"("nodeInfo":{"bootID":")" +
               boot + R"("}}})");
}

Json MakePodJson(const std::string& name, const std::string& node, const std::string& owner) {
  return Parse(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
      R"(","namespace":"default","labels":{"app":"web"},"ownerReferences":[{"controller":true,"kind":")" +
      owner + R"(","name":"o","uid":"u","apiVersion":"apps/v1"}]},"spec":{"nodeName":")" + node +
      R"("},"status":{"phase":"Running"}})");
}

// The requests of `all` ("verb resource[/subresource] name") on `resources`: what a test
// asserts on without spelling out, say, the run lock's own reads.
Requests On(const Requests& all, const std::set<std::string>& resources) {
  Requests out;
  for (const auto& r : all) {
    const size_t from = r.find(' ') + 1;
    if (resources.count(r.substr(from, r.find_first_of("/ ", from) - from))) out.push_back(r);
  }
  return out;
}

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() : clock_(kStart), store_(clock_), client_(store_) {
    for (int i = 1; i <= 3; ++i) {
      const std::string n = "n" + std::to_string(i);
      EXPECT_TRUE(store_.Create(res::Nodes(), "", MakeNodeJson(n, n + "-boot-1")).ok());
      EXPECT_TRUE(
          store_.Create(res::Pods(), "default", MakePodJson(n + "-web", n, "ReplicaSet")).ok());
      EXPECT_TRUE(
          store_.Create(res::Pods(), "default", MakePodJson(n + "-ds", n, "DaemonSet")).ok());
    }
  }

  void CreateRun(const std::string& spec_json, const std::string& name = "run") {
    Json run = Parse(R"({"apiVersion":"kcau.io/v1alpha1","kind":"UpdateRun",)"
                     R"("metadata":{"name":")" +
                     name + R"("},"spec":)" + spec_json + "}");
    ASSERT_TRUE(store_.Create(res::UpdateRuns(), "", run).ok());
  }

  // ConfigMap "hooks" (key pre.sh) in the reconciler's namespace ("default").
  void CreateHookConfigMap() {
    Json map = Parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hooks",)"
                     R"("namespace":"default"},"data":{"pre.sh":"exit 0"}})");
    ASSERT_TRUE(store_.Create({"", "v1", "configmaps", "ConfigMap", true}, "default", map).ok());
  }

  Json Run(const std::string& name = "run") {
    return store_.Get(res::UpdateRuns(), {"", name}).value();
  }
  Json Node(const std::string& name) { return store_.Get(res::Nodes(), {"", name}).value(); }

  // The agent's side of agent/protocol.h: refuse a request the controller did not sign for
  // this node (saying why), else answer it: a scan with what an install would find, an
  // install with its result, then reboot. The agents in `silent_` answer nothing.
  void PlayAgents() {
    for (int i = 1; i <= 3; ++i) {
      const std::string name = "n" + std::to_string(i);
      if (silent_.count(name)) continue;
      Json node = Node(name);
      const Json& ann = node.at("metadata").has_object_field("annotations")
                            ? node.at("metadata").at("annotations")
                            : Json();
      if (!ann.is_object() || !ann.has_string_field(agent::kRequestAnnotation)) continue;
      std::string token = ann.at(agent::kRequestAnnotation).as_string();
      const auto published =
          ann.has_string_field(agent::kResultAnnotation)
              ? agent::DecodeAgentResult(ann.at(agent::kResultAnnotation).as_string())
              : std::nullopt;
      // Back from its reboot (at once, here), the agent begins the re-scan round the
      // request named, and says in it how the round before ended.
      std::vector<agent::AgentResult> previous;
      if (ann.has_string_field(agent::kRescanRequestAnnotation) && published &&
          published->token == token && published->reboot_required) {
        previous = {*published};
        token = ann.at(agent::kRescanRequestAnnotation).as_string();
      }
      if (published && published->token == token) continue;
      const Status trusted =
          agent_keys_.Verify(agent::RequestKind::kUpdate, name, agent::NodeAnnotations(node));
      if (!trusted.ok()) {
        WriteResult(name,
                    {token, agent::AgentState::kFailed, false, 0, agent::RefusalMessage(trusted)});
        continue;
      }
      if (ann.has_string_field(agent::kModeAnnotation) &&
          ann.at(agent::kModeAnnotation).as_string() == agent::kScanMode) {
        agent::AgentResult scanned{token, agent::AgentState::kScanned, false, 0, ""};
        scanned.updates_found = installed_.count(name) ? 0 : 2;
        WriteResult(name, scanned);
        continue;
      }
      if (hung_installs_.count(name)) continue;  // took the scan, hangs on the install
      // Updates install once: the re-scan after the reboot finds nothing more.
      const bool fails = failing_.count(name) > 0;
      const bool first = !fails && installed_.insert(name).second;
      agent::AgentResult r{token,
                           fails ? agent::AgentState::kFailed : agent::AgentState::kInstalled,
                           first, first ? 2 : 0, fails ? "dpkg error" : ""};
      r.previous = previous;
      WriteResult(name, r);
      if (!first) continue;
      ++reboots_[name];
      Json status_patch = Json::object();
      status_patch["status"]["nodeInfo"]["bootID"] =
          Json::string(name + "-boot-" + std::to_string(reboots_[name] + 1));
      ASSERT_TRUE(
          store_.Patch(res::Nodes(), {"", name}, kube::PatchType::kMerge, status_patch, true).ok());
    }
  }

  void WriteResult(const std::string& node, const agent::AgentResult& r) {
    Json patch = Json::object();
    patch["metadata"]["annotations"][agent::kResultAnnotation] =
        Json::string(agent::EncodeAgentResult(r));
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false).ok());
  }

  // The annotations of `node` a patch would set (merge patch: what is written).
  void Annotate(const std::string& node, const agent::Annotations& annotations) {
    Json patch = Json::object();
    for (const auto& [k, v] : annotations) {
      patch["metadata"]["annotations"][k] = Json::string(v);
    }
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false).ok());
  }

  std::optional<agent::AgentResult> Result(const std::string& node) {
    const agent::Annotations a = agent::NodeAnnotations(Node(node));
    auto it = a.find(agent::kResultAnnotation);
    if (it == a.end()) return std::nullopt;
    return agent::DecodeAgentResult(it->second);
  }

  std::string Phase(const std::string& name = "run") {
    Json run = Run(name);
    return run.has_object_field("status") && run.at("status").has_string_field("phase")
               ? run.at("status").at("phase").as_string()
               : "";
  }

  // Reconciles `name` (playing the agents between passes) until it reaches `phase`.
  void DriveTo(UpdateRunReconciler& reconciler, const std::string& name, const std::string& phase) {
    for (int pass = 0; pass < 80 && Phase(name) != phase; ++pass) {
      ReconcileResult r = reconciler.Reconcile(name);
      ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
      PlayAgents();
      clock_.Advance(std::chrono::seconds(1));
    }
    ASSERT_EQ(Phase(name), phase);
  }

  std::optional<Json> Lease() {
    auto leases = store_.List(res::Leases(), "default", {});
    if (!leases.ok() || leases->items.empty()) return std::nullopt;
    return leases->items[0];
  }

  std::string Progressing(const std::string& name) {
    const Json run = Run(name);  // kept: the loop reads into it
    for (const auto& c : run.at("status").at("conditions").as_array()) {
      if (c.at("type").as_string() == "Progressing") {
        return c.at("reason").as_string() + ": " + c.at("message").as_string();
      }
    }
    return "";
  }

  std::string NodePhase(const std::string& node, const std::string& run = "run") {
    const Json r = Run(run);
    if (!r.has_object_field("status") || !r.at("status").has_array_field("nodes")) return "";
    for (const auto& n : r.at("status").at("nodes").as_array()) {
      if (n.at("name").as_string() == node) return n.at("phase").as_string();
    }
    return "";
  }

  // The token of the scan request on `node`; "" while there is none.
  std::string ScanRequested(const std::string& node) {
    const agent::Annotations a = agent::NodeAnnotations(Node(node));
    auto request = a.find(agent::kRequestAnnotation);
    auto mode = a.find(agent::kModeAnnotation);
    if (request == a.end() || mode == a.end() || mode->second != agent::kScanMode) return "";
    return request->second;
  }

  // The token of the install request (not a scan) on `node`; "" while there is none.
  std::string InstallRequested(const std::string& node) {
    const agent::Annotations a = agent::NodeAnnotations(Node(node));
    auto request = a.find(agent::kRequestAnnotation);
    auto mode = a.find(agent::kModeAnnotation);
    if (request == a.end() || (mode != a.end() && mode->second == agent::kScanMode)) return "";
    return request->second;
  }

  // Reconciles `run` until `node`'s agent is asked to install (its agents answering the
  // scans that come first); returns that request's token.
  std::string DriveUntilInstallRequested(UpdateRunReconciler& reconciler, const std::string& node,
                                         const std::string& run = "run") {
    for (int pass = 0; pass < 10 && InstallRequested(node).empty(); ++pass) {
      (void)reconciler.Reconcile(run);
      if (InstallRequested(node).empty()) PlayAgents();
    }
    return InstallRequested(node);
  }

  // Reconciles until `node`'s agent is asked to update, then answers Installed with a reboot
  // to come, and reconciles once more: the node is Rebooting and stays so until its boot ID
  // changes.
  void DriveUntilRebooting(UpdateRunReconciler& reconciler, const std::string& node) {
    const std::string token = DriveUntilInstallRequested(reconciler, node);
    ASSERT_FALSE(token.empty()) << Run().serialize();
    Json patch = Json::object();
    patch["metadata"]["annotations"][agent::kResultAnnotation] =
        Json::string(agent::EncodeAgentResult({token, agent::AgentState::kInstalled, true, 1, ""}));
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false).ok());
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    ASSERT_EQ(NodePhase(node), "Rebooting");
  }

  // The round of `node` in the run's status (0 before it has one).
  int64_t RoundOf(const std::string& node) {
    const Json run = Run();
    if (!run.has_object_field("status") || !run.at("status").has_array_field("nodes")) return 0;
    for (const auto& n : run.at("status").at("nodes").as_array()) {
      if (n.at("name").as_string() == node) return n.at("round").as_integer();
    }
    return 0;
  }

  // Reconciles (with background work, waited for) until the run awaits `node`'s re-scan
  // round, which its agent began after the reboot and has not ended.
  void DriveUntilAwaitingRescan(UpdateRunReconciler& reconciler, const std::string& node) {
    for (int pass = 0; pass < 20; ++pass) {
      ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
      reconciler.WaitForBackgroundActions();
      if (NodePhase(node) == "Updating" && RoundOf(node) == 2) break;
      PlayAgents();
    }
    ASSERT_EQ(NodePhase(node), "Updating");
    ASSERT_EQ(RoundOf(node), 2);
    ASSERT_TRUE(Cordoned(node));
  }

  bool Cordoned(const std::string& node) {
    Json n = Node(node);
    return n.at("spec").has_boolean_field("unschedulable") &&
           n.at("spec").at("unschedulable").as_bool();
  }

  // "create leases NAME": the run lock's Lease being taken.
  std::string LeaseCreated() {
    auto lease = Lease();
    return lease ? "create leases " + lease->at("metadata").at("name").as_string() : "no lease";
  }

  // The controller's key, and the public half the agents hold.
  const agent::testing::TestKeyPair keys_ = agent::testing::GenerateTestKeyPair();
  const agent::RequestSigningKey signing_key_ =
      agent::RequestSigningKey::FromPem(keys_.private_pem, "test key").value();
  const agent::RequestVerifyKeys agent_keys_ =
      agent::RequestVerifyKeys::FromPem(keys_.public_pem, "test key").value();
  FakeClock clock_;
  sim::ObjectStore store_;
  sim::StoreClient client_;
  ApiClusterSource cluster_{client_};
  // For tests that assert on the requests made: the reconciler and its cluster reads go
  // through `recorded_`.
  RecordingClient recorded_{client_};
  ApiClusterSource recorded_cluster_{recorded_};
  std::map<std::string, int> reboots_;
  std::set<std::string> failing_;        // nodes whose agent reports Failed
  std::set<std::string> installed_;      // nodes whose updates are in
  std::set<std::string> silent_;         // nodes whose agent answers no request (hung, or gone)
  std::set<std::string> hung_installs_;  // nodes whose agent answers scans, never an install
};

TEST_F(ReconcilerTest, RunsToSuccessThroughTheApi) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxFailedNodes":1})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  for (int pass = 0; pass < 60 && Phase() != "Succeeded"; ++pass) {
    ReconcileResult r = reconciler.Reconcile("run");
    ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  ASSERT_EQ(Phase(), "Succeeded") << Run().serialize();
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "n" + std::to_string(i);
    SCOPED_TRACE(name);
    EXPECT_EQ(reboots_[name], 1);
    Json node = Node(name);
    EXPECT_FALSE(node.at("spec").has_field("unschedulable") &&
                 node.at("spec").at("unschedulable").as_bool());
    // The ReplicaSet pod was evicted; the DaemonSet pod was left, as kubectl drain does.
    EXPECT_FALSE(store_.Get(res::Pods(), {"default", name + "-web"}).ok());
    EXPECT_TRUE(store_.Get(res::Pods(), {"default", name + "-ds"}).ok());
  }
  auto events = store_.List(res::Events(), "default", {});
  ASSERT_TRUE(events.ok());
  std::set<std::string> reasons;
  for (const auto& e : events->items) reasons.insert(e.at("reason").as_string());
  EXPECT_TRUE(reasons.count("RunStarted"));
  EXPECT_TRUE(reasons.count("NodeUpdated"));
  EXPECT_TRUE(reasons.count("RunSucceeded"));

  // An ended run: reconciling again writes nothing at all, and reads only the run (not the
  // nodes and pods).
  const uint64_t rv = store_.CurrentResourceVersion();
  recorded_.Clear();
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  EXPECT_EQ(store_.CurrentResourceVersion(), rv);
  EXPECT_EQ(recorded_.Requests(), (Requests{"get updateruns run", "get updateruns run"}));
}

// The first pass of a new run: kcau's finalizer before anything else, then the run lock, the
// status, and only then the first request to a node (the scan) and the Events.
TEST_F(ReconcilerTest, FirstPassHoldsTheFinalizerThenWritesStatusBeforeActing) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetNodePhaseEvents(true);  // each phase also an Event: the order shows
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(Phase(), "Running");
  EXPECT_EQ(recorded_.Writes(),
            (Requests{"patch updateruns run", LeaseCreated(), "update updateruns/status run",
                      "patch nodes n1", "create events RunStarted",
                      "create events NodeStatusNotification"}));
  EXPECT_EQ(On(recorded_.Requests(), {"updateruns", "nodes", "pods"}),
            (Requests{"get updateruns run", "patch updateruns run", "list nodes", "list pods",
                      "update updateruns/status run", "patch nodes n1"}));
}

// The cordon-and-drain pass (the drain right after the cordon, in one job) and the update
// request: each writes the phase it announces before acting on the node, then says so in an
// Event.
TEST_F(ReconcilerTest, CordonAndDrainPassesWriteTheirPhaseBeforeActing) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetNodePhaseEvents(true);  // each phase also an Event: the order shows
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  PlayAgents();  // n1's scan: it has updates
  recorded_.Clear();
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Draining") << "the status says so before the cordon";
  EXPECT_TRUE(Cordoned("n1"));
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok());
  // n2's scan is asked for while n1 is taken: n1's cordon and eviction (in that order) and
  // n2's scan request go side by side.
  Requests writes = recorded_.Writes();
  ASSERT_GE(writes.size(), 4u);
  const auto cordon = std::find(writes.begin(), writes.end(), "patch nodes n1");
  const auto eviction = std::find(writes.begin(), writes.end(), "create pods/eviction n1-web");
  EXPECT_LT(cordon, eviction) << "cordoned before its pods are evicted";
  std::sort(writes.begin() + 1, writes.begin() + 4);
  EXPECT_EQ(writes,
            (Requests{"patch updateruns/status run", "create pods/eviction n1-web",
                      "patch nodes n1", "patch nodes n2", "create events NodeStatusNotification",
                      "create events NodeUpdateStarted", "create events NodeStatusNotification"}));
  recorded_.Clear();
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Updating");
  EXPECT_FALSE(InstallRequested("n1").empty());
  EXPECT_EQ(recorded_.Writes(), (Requests{"patch updateruns/status run", "patch nodes n1",
                                          "create events NodeStatusNotification"}));
}

// A cordon that fails leaves the node Draining with its pods in place (the eviction is not
// tried). The failure (a connection reset) leaves open whether the cordon landed, so passes
// wait for the cache to show it, at most UnseenNodeWrites::kHoldAtMost; then one cordons
// the node again, and the one after, seeing it, drains it.
TEST_F(ReconcilerTest, ADrainWaitsForItsCordonAndAFailedCordonIsMadeAgain) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  PlayAgents();  // n1's scan: it has updates
  recorded_.FailNext("patch nodes n1", UnavailableError("connection reset"));
  reconciler.Reconcile("run");
  EXPECT_EQ(NodePhase("n1"), "Draining");
  EXPECT_FALSE(Cordoned("n1"));
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "n1-web"}).ok()) << "not evicted uncordoned";
  recorded_.Clear();
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(On(recorded_.Writes(), {"nodes", "pods"}), Requests{}) << "the cordon may yet show";
  clock_.Advance(UnseenNodeWrites::kHoldAtMost);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Draining");
  EXPECT_TRUE(Cordoned("n1"));
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "n1-web"}).ok()) << "drained before seen";
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok());
}

// The controller's mode: a pass hands its node actions to the background and returns; each
// node's end wakes the run, whose next pass finds what they did and goes on.
TEST_F(ReconcilerTest, BackgroundActionsWakeTheRunWhenTheyEnd) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  std::mutex mu;
  std::multiset<std::string> woken;  // guarded by mu
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetBackgroundWork([&](const std::string& run) {
    std::lock_guard<std::mutex> lock(mu);
    woken.insert(run);
  });
  int passes = 0;
  for (; passes < 80 && Phase() != "Succeeded"; ++passes) {
    ReconcileResult r = reconciler.Reconcile("run");
    ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
    reconciler.WaitForBackgroundActions();
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  ASSERT_EQ(Phase(), "Succeeded") << Run().serialize();
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "n" + std::to_string(i);
    EXPECT_EQ(reboots_[name], 1) << name;
    EXPECT_FALSE(Cordoned(name)) << name;
    EXPECT_FALSE(store_.Get(res::Pods(), {"default", name + "-web"}).ok()) << name;
    EXPECT_TRUE(store_.Get(res::Pods(), {"default", name + "-ds"}).ok()) << name;
  }
  // Every node was acted on several times (scan, cordon and drain, update, re-scan,
  // uncordon), each ending with a wake of its run.
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(woken.count("run"), 3u * 4u);
  EXPECT_EQ(woken.size(), woken.count("run"));
}

// In the controller's mode, a node whose last round ends clean is uncordoned as soon as the
// node cache shows it (NodeSeen), before the run's next pass; that pass then finds it done
// and does not uncordon it again.
TEST_F(ReconcilerTest, ANodeWhoseLastRoundEndsIsUncordonedBeforeTheNextPass) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  std::atomic<int> woken{0};
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetBackgroundWork([&](const std::string&) { ++woken; });
  DriveUntilAwaitingRescan(reconciler, "n1");
  const std::string rescan = Result("n1")->token + "/2";
  // A view the round has not ended in changes nothing.
  reconciler.NodeSeen(NodeViewFromJson(Node("n1")));
  reconciler.WaitForBackgroundActions();
  EXPECT_TRUE(Cordoned("n1"));

  WriteResult("n1", {rescan, agent::AgentState::kInstalled, false, 0, ""});
  recorded_.Clear();
  const int woken_before = woken;
  reconciler.NodeSeen(NodeViewFromJson(Node("n1")));
  reconciler.WaitForBackgroundActions();
  EXPECT_FALSE(Cordoned("n1")) << "uncordoned without a pass";
  EXPECT_EQ(NodePhase("n1"), "Updating") << "the status is the next pass's to write";
  EXPECT_EQ(recorded_.Requests(), (Requests{"patch nodes n1"}));
  EXPECT_EQ(woken, woken_before + 1) << "and the run is woken for it";
  // Seen again (its own watch event), nothing more is done.
  reconciler.NodeSeen(NodeViewFromJson(Node("n1")));
  reconciler.WaitForBackgroundActions();
  EXPECT_EQ(recorded_.Requests(), (Requests{"patch nodes n1"}));

  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  reconciler.WaitForBackgroundActions();
  EXPECT_EQ(NodePhase("n1"), "Succeeded");
  const Requests after = recorded_.Requests();
  EXPECT_EQ(std::count(after.begin(), after.end(), "patch nodes n1"), 1)
      << "n1 is not uncordoned again";
}

// A pass that ends before its status write leaves no uncordon to make early: the status it
// would have stood for may be gone (another writer, a failed or invalid run). The run's next
// pass that writes decides the uncordon itself.
TEST_F(ReconcilerTest, APassThatFailsLeavesNoUncordonToMakeEarly) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetBackgroundWork([](const std::string&) {});
  DriveUntilAwaitingRescan(reconciler, "n1");
  recorded_.FailNext("get updateruns run", UnavailableError("connection reset"));
  EXPECT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kError);
  WriteResult("n1", {Result("n1")->token + "/2", agent::AgentState::kInstalled, false, 0, ""});
  reconciler.NodeSeen(NodeViewFromJson(Node("n1")));
  reconciler.WaitForBackgroundActions();
  EXPECT_TRUE(Cordoned("n1")) << "nothing expected after the failed pass";
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  reconciler.WaitForBackgroundActions();
  EXPECT_FALSE(Cordoned("n1")) << "the next pass uncordons it";
}

// A node action that fails in the background is the error of the run's next pass, and the
// action is decided and sent again after it.
TEST_F(ReconcilerTest, BackgroundActionFailureIsTheNextPassesError) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  reconciler.SetBackgroundWork([](const std::string&) {});
  recorded_.FailNext("patch nodes n1", UnavailableError("connection reset"));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  reconciler.WaitForBackgroundActions();
  EXPECT_TRUE(ScanRequested("n1").empty()) << "the scan request failed";
  ReconcileResult failed = reconciler.Reconcile("run");
  EXPECT_EQ(failed.status, ReconcileResult::Status::kError);
  EXPECT_NE(failed.error.find("node n1: "), std::string::npos) << failed.error;
  EXPECT_NE(failed.error.find("connection reset"), std::string::npos) << failed.error;
  reconciler.WaitForBackgroundActions();
  EXPECT_FALSE(ScanRequested("n1").empty()) << "sent again by the pass that reported it";
}

// Nodes as a cache that lags the controller's own writes shows them: those of a moment
// before, while `frozen` is set.
class LaggingClusterSource : public ClusterSource {
 public:
  explicit LaggingClusterSource(ClusterSource& real) : real_(real) {}
  StatusOr<std::vector<NodeView>> Nodes() override {
    if (frozen) return *frozen;
    return real_.Nodes();
  }
  StatusOr<std::vector<PodView>> PodsOn(const std::string& node) override {
    return real_.PodsOn(node);
  }
  StatusOr<std::map<std::string, int>> EvictablePodsPerNode() override {
    return real_.EvictablePodsPerNode();
  }
  std::optional<std::vector<NodeView>> frozen;

 private:
  ClusterSource& real_;
};

// A run whose first node, n1, a pass cordoned while the cache stayed as it was before.
class LaggingCacheTest : public ReconcilerTest {
 protected:
  LaggingCacheTest()
      : cluster_behind_(recorded_cluster_),
        reconciler_(recorded_, cluster_behind_, clock_, nullptr, signing_key_) {}

  // `answer_lost`: the cordon is applied, but its answer is a failure (a timeout).
  void CordonN1BehindTheCache(bool answer_lost = false) {
    CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
    ASSERT_EQ(reconciler_.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    PlayAgents();                                       // n1's scan: it has updates
    cluster_behind_.frozen = cluster_.Nodes().value();  // the cache stays: n1 not cordoned
    if (answer_lost) {
      recorded_.FailNextAfterApplying("patch nodes n1", UnavailableError("timed out"));
    }
    EXPECT_EQ(reconciler_.Reconcile("run").status,
              answer_lost ? ReconcileResult::Status::kError : ReconcileResult::Status::kSuccess);
    ASSERT_EQ(NodePhase("n1"), "Draining");
    ASSERT_TRUE(Cordoned("n1"));
  }

  // The run is deleted while the cache is still behind n1's cordon: n1 waits, Uncordoned,
  // and once the cache catches up it is uncordoned and the run goes.
  void StopAndExpectN1Uncordoned() {
    ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", "run"}).ok());
    ASSERT_EQ(reconciler_.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    ASSERT_TRUE(store_.Get(res::UpdateRuns(), {"", "run"}).ok())
        << "the run ended: n1 ended before its cordon showed";
    EXPECT_EQ(NodePhase("n1"), "Uncordoned") << "ended before its cordon showed";
    cluster_behind_.frozen.reset();  // the cache catches up
    for (int pass = 0; pass < 10 && store_.Get(res::UpdateRuns(), {"", "run"}).ok(); ++pass) {
      ASSERT_EQ(reconciler_.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    }
    EXPECT_EQ(store_.Get(res::UpdateRuns(), {"", "run"}).status().code(), StatusCode::kNotFound);
    EXPECT_FALSE(Cordoned("n1")) << "left cordoned with no status saying so";
  }

  LaggingClusterSource cluster_behind_;
  UpdateRunReconciler reconciler_;
};

// A pass while the cache has not shown the cordon yet decides the cordon again; it is not
// sent again (it was, a moment ago), and once the cache shows the node the run goes on.
TEST_F(LaggingCacheTest, AWriteTheCacheHasNotShownIsNotSentAgain) {
  ASSERT_NO_FATAL_FAILURE(CordonN1BehindTheCache());
  recorded_.Clear();
  ASSERT_EQ(reconciler_.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(On(recorded_.Writes(), {"nodes"}), Requests{}) << "the cordon was sent again";
  EXPECT_EQ(NodePhase("n1"), "Draining") << "not updated while the cache shows it uncordoned";
  cluster_behind_.frozen.reset();  // the cache catches up
  ASSERT_EQ(reconciler_.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Updating");
}

// A run stopped (here: deleted) while the cache has not shown its cordon yet: the node is
// not ended Skipped as if it were never cordoned; it waits until the cordon shows, is
// uncordoned, and only then ends.
TEST_F(LaggingCacheTest, AStopBeforeTheCacheShowsTheCordonStillUncordons) {
  ASSERT_NO_FATAL_FAILURE(CordonN1BehindTheCache());
  StopAndExpectN1Uncordoned();
}

// A cordon the API server applied whose answer was lost (reported as a failure), the cache
// still behind it, and then the run is stopped: the node waits for the cordon to show, and
// is uncordoned, rather than ended as never cordoned.
TEST_F(LaggingCacheTest, AStopAfterACordonWhoseAnswerWasLostStillUncordons) {
  ASSERT_NO_FATAL_FAILURE(CordonN1BehindTheCache(/*answer_lost=*/true));
  StopAndExpectN1Uncordoned();
}

// The same in the controller's mode, the cordon not even made yet: its job still runs when
// the run is stopped. The node waits for the job, then is uncordoned.
TEST_F(ReconcilerTest, AStopWhileTheCordonIsOnItsWayStillUncordons) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  // Declared after the reconciler, so gone before it: the held request is let go first.
  struct ReleaseAtEnd {
    RecordingClient& client;
    ~ReleaseAtEnd() { client.Release(); }
  } release_at_end{recorded_};
  reconciler.SetBackgroundWork([](const std::string&) {});
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  reconciler.WaitForBackgroundActions();
  PlayAgents();  // n1's scan: it has updates
  recorded_.HoldNext("patch nodes n1");
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(NodePhase("n1"), "Draining");
  ASSERT_TRUE(recorded_.WaitUntilHeld());

  ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", "run"}).ok());
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_TRUE(store_.Get(res::UpdateRuns(), {"", "run"}).ok())
      << "the run ended: n1 ended while its cordon was on its way";
  EXPECT_EQ(NodePhase("n1"), "Uncordoned") << "ended while its cordon was on its way";
  recorded_.Release();
  reconciler.WaitForBackgroundActions();
  ASSERT_TRUE(Cordoned("n1"));
  for (int pass = 0; pass < 10 && store_.Get(res::UpdateRuns(), {"", "run"}).ok(); ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    reconciler.WaitForBackgroundActions();
  }
  EXPECT_EQ(store_.Get(res::UpdateRuns(), {"", "run"}).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Cordoned("n1")) << "left cordoned with no status saying so";
}

TEST_F(ReconcilerTest, WaitingOnARebootWritesNothing) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  // Drive until the first node is asked to update, then let its agent answer Installed
  // without the reboot finishing.
  const std::string token = DriveUntilInstallRequested(reconciler, "n1");
  ASSERT_FALSE(token.empty());
  Json patch = Json::object();
  patch["metadata"]["annotations"][agent::kResultAnnotation] =
      Json::string(agent::EncodeAgentResult({token, agent::AgentState::kInstalled, true, 1, ""}));
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, patch, false).ok());
  ReconcileResult first = reconciler.Reconcile("run");  // -> Rebooting
  ASSERT_TRUE(first.requeue_after.has_value());
  const uint64_t rv = store_.CurrentResourceVersion();
  recorded_.Clear();
  ReconcileResult second = reconciler.Reconcile("run");
  EXPECT_EQ(store_.CurrentResourceVersion(), rv) << "a waiting pass wrote something";
  EXPECT_TRUE(second.requeue_after.has_value());
  EXPECT_EQ(recorded_.Writes(), Requests{});
  EXPECT_EQ(On(recorded_.Requests(), {"updateruns", "nodes"}),
            (Requests{"get updateruns run", "list nodes"}));
}

TEST_F(ReconcilerTest, UndecodableSpecEndsInvalidOnceAndTouchesNothing) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxRetriesPerNode":"three"})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ReconcileResult r = reconciler.Reconcile("run");
  EXPECT_TRUE(r.terminal);
  Json run = Run();
  EXPECT_EQ(run.at("status").at("phase").as_string(), "Failed");
  bool found = false;
  for (const auto& c : run.at("status").at("conditions").as_array()) {
    if (c.at("type").as_string() != "Failed") continue;
    found = true;
    EXPECT_EQ(c.at("reason").as_string(), "Invalid");
    EXPECT_NE(c.at("message").as_string().find("spec.maxRetriesPerNode"), std::string::npos);
  }
  EXPECT_TRUE(found);
  const uint64_t rv = store_.CurrentResourceVersion();
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  EXPECT_EQ(store_.CurrentResourceVersion(), rv);
  for (int i = 1; i <= 3; ++i) {
    Json node = Node("n" + std::to_string(i));
    EXPECT_FALSE(node.at("spec").has_field("unschedulable"));
  }
}

// Forwards to the store's client, letting "someone else" change the run just before its
// status is written: before the first write (an update; `edits_left` times), and before
// later ones (JSON patches on /status) when `edit_before_patches` — its metadata (an
// annotation), or with `edit_status` its status (another writer's revision).
class ConcurrentEditClient : public sim::StoreClient {
 public:
  ConcurrentEditClient(sim::ObjectStore& store) : StoreClient(store), store_(store) {}
  StatusOr<Json> UpdateStatus(const kube::Resource& resource, const Json& object) override {
    ++status_writes;
    if (edits_left > 0) {
      --edits_left;
      Edit(resource, {"", object.at("metadata").at("name").as_string()},
           "someone-else-" + std::to_string(edits_left));
    }
    return StoreClient::UpdateStatus(resource, object);
  }
  StatusOr<Json> Patch(const kube::Resource& resource, const kube::ObjectKey& key,
                       kube::PatchType type, const Json& patch, bool status_subresource,
                       kube::Answer answer) override {
    if (edit_before_patches && status_subresource && type == kube::PatchType::kJson) {
      ++status_patches;
      Edit(resource, key, "someone-else-" + std::to_string(status_patches));
    }
    return StoreClient::Patch(resource, key, type, patch, status_subresource, answer);
  }
  int edits_left = 1;
  bool edit_before_patches = false;
  bool edit_status = false;
  int status_writes = 0;
  int status_patches = 0;

 private:
  void Edit(const kube::Resource& resource, const kube::ObjectKey& key, const std::string& who) {
    Json edit = Json::object();
    if (edit_status) {
      // As another kcau writer would (a second controller that believes it leads).
      edit["status"]["revision"] = Json::number(100 + status_patches);
    } else {
      edit["metadata"]["annotations"]["edited-by"] = Json::string(who);
    }
    EXPECT_TRUE(store_.Patch(resource, key, kube::PatchType::kMerge, edit, edit_status).ok());
  }
  sim::ObjectStore& store_;
};

TEST_F(ReconcilerTest, ConflictingStatusWriteIsReReadAndDecidedAgainAtOnce) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  ConcurrentEditClient client(store_);
  RecordingClient recorded(client);
  ApiClusterSource cluster(client);
  UpdateRunReconciler reconciler(recorded, cluster, clock_, nullptr, signing_key_);
  reconciler.SetNodePhaseEvents(true);
  ReconcileResult r = reconciler.Reconcile("run");
  EXPECT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
  EXPECT_TRUE(r.status_written);
  EXPECT_EQ(client.status_writes, 2);  // the refused write, then the re-decided one
  // The refused write is followed by a read of the run, and nothing touches a node before
  // the status lands.
  EXPECT_EQ(On(recorded.Requests(), {"updateruns", "nodes", "pods", "events"}),
            (Requests{"get updateruns run", "patch updateruns run", "update updateruns/status run",
                      "get updateruns run", "update updateruns/status run", "patch nodes n1",
                      "create events RunStarted", "create events NodeStatusNotification"}));
  Json run = Run();
  EXPECT_EQ(run.at("metadata").at("annotations").at("edited-by").as_string(), "someone-else-0");
  EXPECT_EQ(run.at("status").at("phase").as_string(), "Running");
}

TEST_F(ReconcilerTest, PersistentConflictGoesToTheQueueAndTouchesNothing) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  ConcurrentEditClient client(store_);
  client.edits_left = 100;  // someone who keeps editing the run
  RecordingClient recorded(client);
  ApiClusterSource cluster(client);
  UpdateRunReconciler reconciler(recorded, cluster, clock_, nullptr, signing_key_);
  ReconcileResult r = reconciler.Reconcile("run");
  EXPECT_EQ(r.status, ReconcileResult::Status::kError);
  EXPECT_NE(r.error.find("Conflict"), std::string::npos) << r.error;
  // Each pass re-reads, and this editor changes no spec or status, so each also rewrites on
  // the fresh version (WriteStatus) before giving up.
  EXPECT_EQ(client.status_writes,
            UpdateRunReconciler::kConflictAttempts * (1 + UpdateRunReconciler::kMetadataRewrites));
  EXPECT_FALSE(Run().has_field("status"));
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE(Node("n" + std::to_string(i)).at("spec").has_field("unschedulable"));
  }
  // The finalizer and the lock are taken once; then only refused status writes, no node or
  // Event.
  Requests writes{"patch updateruns run", LeaseCreated()};
  writes.insert(
      writes.end(),
      UpdateRunReconciler::kConflictAttempts * (1 + UpdateRunReconciler::kMetadataRewrites),
      "update updateruns/status run");
  EXPECT_EQ(recorded.Writes(), writes);
}

TEST_F(ReconcilerTest, MetadataEditsNeverConflictWithLaterStatusWrites) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  ApiClusterSource plain_cluster(client_);
  UpdateRunReconciler starter(client_, plain_cluster, clock_, nullptr, signing_key_);
  ASSERT_EQ(starter.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_TRUE(Run().has_field("status"));
  // From here on someone annotates the run before every status write; each write still
  // lands at its first try (DriveTo fails on any pass that does not succeed).
  ConcurrentEditClient client(store_);
  client.edit_before_patches = true;
  ApiClusterSource cluster(client);
  UpdateRunReconciler reconciler(client, cluster, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_GT(client.status_patches, 3);
  // One revision per write: the starter's, then each patch.
  EXPECT_EQ(Run().at("status").at("revision").as_number().to_int64(), client.status_patches + 1);
  EXPECT_EQ(Run().at("metadata").at("annotations").at("edited-by").as_string(),
            "someone-else-" + std::to_string(client.status_patches));
}

TEST_F(ReconcilerTest, StatusChangedSinceReadIsAConflictAndTouchesNothing) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  ApiClusterSource plain_cluster(client_);
  UpdateRunReconciler starter(client_, plain_cluster, clock_, nullptr, signing_key_);
  ASSERT_EQ(starter.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  PlayAgents();  // n1's scan: it has updates, so the next pass decides to cordon it
  auto nodes_before = store_.List(res::Nodes(), "", {}).value().items;
  ConcurrentEditClient client(store_);
  client.edit_before_patches = true;
  client.edit_status = true;  // someone who keeps writing the status
  RecordingClient recorded(client);
  ApiClusterSource cluster(client);
  UpdateRunReconciler reconciler(recorded, cluster, clock_, nullptr, signing_key_);
  ReconcileResult r = reconciler.Reconcile("run");
  EXPECT_EQ(r.status, ReconcileResult::Status::kError);
  EXPECT_NE(r.error.find("Conflict"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("testing value /status/revision failed"), std::string::npos) << r.error;
  EXPECT_EQ(client.status_patches, UpdateRunReconciler::kConflictAttempts);
  // Each attempt re-reads the run and decides again; none acts.
  Requests each_attempt;
  for (int i = 0; i < UpdateRunReconciler::kConflictAttempts; ++i) {
    each_attempt.insert(each_attempt.end(), {"get updateruns run", "patch updateruns/status run"});
  }
  EXPECT_EQ(On(recorded.Requests(), {"updateruns", "nodes", "pods", "events"}), each_attempt);
  // No decision was written, so nothing any of them asked for was done.
  auto nodes_after = store_.List(res::Nodes(), "", {}).value().items;
  ASSERT_EQ(nodes_after.size(), nodes_before.size());
  for (size_t i = 0; i < nodes_after.size(); ++i) {
    EXPECT_EQ(nodes_after[i].at("metadata").at("resourceVersion"),
              nodes_before[i].at("metadata").at("resourceVersion"));
  }
}

// The controller's configuration: the planner reads the stores the informers feed, not the API.
TEST_F(ReconcilerTest, RunsToSuccessFromInformerCaches) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxFailedNodes":1})");
  NodeStore node_store;
  kube::Informer nodes(
      client_, res::Nodes(), "", {},
      [&](const std::string& type, const Json& node) { node_store.Apply(type, node); });
  PodStore pod_store;
  kube::Informer pods(client_, res::Pods(), "", {}, [&](const std::string& type, const Json& pod) {
    pod_store.Apply(type, pod);
  });
  nodes.KeysKeptBy(node_store);
  pods.KeysKeptBy(pod_store);
  nodes.Start();
  pods.Start();
  // Waits until a cache holds exactly the store's objects at their current versions
  // (bounded polling; nothing here asserts on time).
  auto matches = [&](const kube::Informer& informer, const kube::Resource& resource) {
    std::map<std::string, std::string> cached;
    informer.Visit([&](const Json& o) {
      cached[o.at("metadata").at("name").as_string()] =
          o.at("metadata").at("resourceVersion").as_string();
    });
    std::map<std::string, std::string> stored;
    const kube::ObjectList listed = store_.List(resource, "", {}).value();
    for (const auto& o : listed.items) {
      stored[o.at("metadata").at("name").as_string()] =
          o.at("metadata").at("resourceVersion").as_string();
    }
    return informer.HasSynced() && cached == stored;
  };
  auto caught_up = [&] {
    for (int i = 0; i < 10000 && !(matches(nodes, res::Nodes()) && matches(pods, res::Pods()));
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  CachedClusterSource cluster(nodes, node_store, pods, pod_store);
  UpdateRunReconciler reconciler(client_, cluster, clock_, nullptr, signing_key_);
  for (int pass = 0; pass < 80 && Phase() != "Succeeded"; ++pass) {
    caught_up();
    ReconcileResult r = reconciler.Reconcile("run");
    ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  nodes.Stop();
  pods.Stop();
  ASSERT_EQ(Phase(), "Succeeded");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(reboots_["n" + std::to_string(i)], 1);
}

// Nodes() reads the views the node informer's handler keeps: a node edited since is read as
// it is now, a node deleted since is gone.
TEST_F(ReconcilerTest, CachedNodeViewsFollowTheCache) {
  NodeStore node_store;
  kube::Informer nodes(
      client_, res::Nodes(), "", {},
      [&](const std::string& type, const Json& node) { node_store.Apply(type, node); });
  kube::Informer pods(client_, res::Pods(), "", {}, [](const std::string&, const Json&) {});
  nodes.KeysKeptBy(node_store);
  nodes.Start();
  PodStore pod_store;
  CachedClusterSource cluster(nodes, node_store, pods, pod_store);
  auto views_when = [&](const std::function<bool(const std::vector<NodeView>&)>& done) {
    std::vector<NodeView> views;
    for (int i = 0; i < 10000; ++i) {  // bounded polling for the watch; no time asserted
      auto read = cluster.Nodes();
      if (read.ok() && done(*read)) return *read;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return views;
  };
  auto labelled = [](const std::vector<NodeView>& views) {
    for (const auto& v : views) {
      if (v.name == "n1") return v.labels.Has("edited");
    }
    return false;
  };
  ASSERT_EQ(views_when([](const auto& v) { return v.size() == 3; }).size(), 3u);
  Json patch = Json::parse(R"({"metadata":{"labels":{"edited":"yes"}}})");
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, patch, false).ok());
  EXPECT_TRUE(labelled(views_when(labelled))) << "n1 read as it was before the edit";
  ASSERT_TRUE(store_.Delete(res::Nodes(), {"", "n2"}).ok());
  auto after = views_when([](const auto& v) { return v.size() == 2; });
  ASSERT_EQ(after.size(), 2u) << "n2 still read after its deletion";
  EXPECT_TRUE(labelled(after));
  nodes.Stop();
}

// What the reconciler tells its RunObserver (the controller's metrics), one line a call.
class RecordingObserver : public RunObserver {
 public:
  void RunReconciled(const std::string& run, const crd::UpdateRunStatus& before,
                     const RolloutDecision& decision, const ActionOutcome& acted) override {
    calls.push_back("reconciled " + run + ": " + crd::RunPhaseName(before.phase) + " -> " +
                    crd::RunPhaseName(decision.status.phase) + ", " +
                    std::to_string(acted.pods_evicted) + " evicted");
  }
  void RunGone(const std::string& run) override { calls.push_back("gone " + run); }
  std::vector<std::string> calls;
};

// Remembers how each status patch asked to be answered.
class AnswerRecordingClient : public sim::StoreClient {
 public:
  using StoreClient::StoreClient;
  StatusOr<Json> Patch(const kube::Resource& resource, const kube::ObjectKey& key,
                       kube::PatchType type, const Json& patch, bool status_subresource,
                       kube::Answer answer) override {
    if (status_subresource) status_answers.push_back(answer);
    return StoreClient::Patch(resource, key, type, patch, status_subresource, answer);
  }
  std::vector<kube::Answer> status_answers;
};

// A status write needs back no more than the run's metadata (its resourceVersion and
// finalizers, for the finalizer's removal at the end), so it asks for no more.
TEST_F(ReconcilerTest, StatusPatchesAskForTheRunsMetadataOnly) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  AnswerRecordingClient client(store_);
  ApiClusterSource cluster(client);
  UpdateRunReconciler reconciler(client, cluster, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Succeeded");
  ASSERT_FALSE(client.status_answers.empty());
  for (kube::Answer answer : client.status_answers) EXPECT_EQ(answer, kube::Answer::kMetadata);
  // The finalizer came off in the pass that ended the run, from that metadata.
  EXPECT_FALSE(HasRunFinalizer(Run())) << Run().at("metadata").serialize();
}

// What the controller wakes and counts runs by: the phase each run's last pass read or wrote.
TEST_F(ReconcilerTest, PhasesAreWhatTheLastPassReadOrWrote) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxRetriesPerNode":"three"})", "bad");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  const RunPhases& phases = reconciler.phases();
  EXPECT_EQ(phases.CountByPhase({"run", "bad"}), (std::map<std::string, int>{{"Pending", 2}}));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_FALSE(phases.Ended("run"));
  EXPECT_TRUE(reconciler.Reconcile("bad").terminal);  // undecodable: ends Failed
  EXPECT_TRUE(phases.Ended("bad"));
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_TRUE(phases.Ended("run"));
  EXPECT_EQ(phases.CountByPhase({"run", "bad"}),
            (std::map<std::string, int>{{"Failed", 1}, {"Succeeded", 1}}));
  ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", "run"}).ok());
  (void)reconciler.Reconcile("run");
  EXPECT_FALSE(phases.Ended("run"));
}

TEST_F(ReconcilerTest, DeletedRunIsForgotten) {
  RecordingObserver observer;
  UpdateRunReconciler reconciler(client_, cluster_, clock_, &observer, signing_key_);
  ReconcileResult r = reconciler.Reconcile("absent");
  EXPECT_EQ(r.status, ReconcileResult::Status::kSuccess);
  EXPECT_FALSE(r.requeue_after.has_value());
  EXPECT_EQ(observer.calls, (Requests{"gone absent"}));
}

// Each pass that decides tells the observer what it read, decided and did; a pass stopped
// by a conflict, or over an ended run, tells it nothing.
TEST_F(ReconcilerTest, ObserverHearsEachDecidedPass) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  RecordingObserver observer;
  UpdateRunReconciler reconciler(client_, cluster_, clock_, &observer, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  PlayAgents();
  // cordon and drain
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);  // request
  EXPECT_EQ(observer.calls, (Requests{"reconciled run: Pending -> Running, 0 evicted",
                                      "reconciled run: Running -> Running, 1 evicted",
                                      "reconciled run: Running -> Running, 0 evicted"}));
  observer.calls.clear();
  DriveTo(reconciler, "run", "Succeeded");
  ASSERT_FALSE(observer.calls.empty());
  EXPECT_EQ(observer.calls.back(), "reconciled run: Running -> Succeeded, 0 evicted");
  observer.calls.clear();
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  EXPECT_EQ(observer.calls, Requests{});
}

// The run lock: a second run over the same nodes waits, Locked, until the first ends.
TEST_F(ReconcilerTest, SecondRunOnTheSameNodesWaitsForTheLock) {
  const std::string spec = R"({"plugins":[{"name":"packages"}],"maxFailedNodes":1})";
  CreateRun(spec, "first");
  CreateRun(spec, "second");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("first").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(Phase("first"), "Running");
  auto lease = Lease();
  ASSERT_TRUE(lease.has_value());
  const std::string first_uid = Run("first").at("metadata").at("uid").as_string();
  EXPECT_EQ(lease->at("spec").at("holderIdentity").as_string(), "first/" + first_uid);

  ReconcileResult waiting = reconciler.Reconcile("second");
  ASSERT_EQ(waiting.status, ReconcileResult::Status::kSuccess) << waiting.error;
  EXPECT_EQ(waiting.requeue_after, kLockPollInterval);
  EXPECT_NE(Phase("second"), "Running");
  EXPECT_EQ(Progressing("second").rfind("Locked: run first/", 0), 0u) << Progressing("second");

  DriveTo(reconciler, "first", "Succeeded");
  EXPECT_FALSE(Lease().has_value()) << "released when the run ended";
  ASSERT_EQ(reconciler.Reconcile("second").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(Phase("second"), "Running");
}

// Exclusion holds per node, whatever the selectors: two runs whose selectors differ but
// share nodes once both cordoned, drained and rebooted the same node. Each order, each time
// with the controller restarted (a new reconciler) between the two starts.
struct OverlapCase {
  const char* name;
  const char* first_selector;
  const char* second_selector;
};

class RunLockOverlapTest : public ReconcilerTest,
                           public ::testing::WithParamInterface<OverlapCase> {};

TEST_P(RunLockOverlapTest, SecondRunWaitsNamingTheFirst) {
  const OverlapCase& c = GetParam();
  CreateRun(std::string(R"({"plugins":[{"name":"packages"}])") + c.first_selector + "}", "first");
  CreateRun(std::string(R"({"plugins":[{"name":"packages"}])") + c.second_selector + "}", "second");
  {
    UpdateRunReconciler before_restart(client_, cluster_, clock_, nullptr, signing_key_);
    ASSERT_EQ(before_restart.Reconcile("first").status, ReconcileResult::Status::kSuccess);
    ASSERT_EQ(Phase("first"), "Running");
  }
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ReconcileResult waiting = reconciler.Reconcile("second");
  ASSERT_EQ(waiting.status, ReconcileResult::Status::kSuccess) << waiting.error;
  EXPECT_NE(Phase("second"), "Running");
  EXPECT_NE(Progressing("second").find("Locked: node(s) n1"), std::string::npos)
      << Progressing("second");
  EXPECT_NE(Progressing("second").find("run first/"), std::string::npos) << Progressing("second");

  // While both are reconciled, the second never touches a node; when the first ends, it runs.
  for (int pass = 0; pass < 80 && Phase("first") != "Succeeded"; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("first").status, ReconcileResult::Status::kSuccess);
    const bool first_active = Phase("first") == "Running";
    if (!first_active) installed_.clear();  // the second run finds new updates
    ASSERT_EQ(reconciler.Reconcile("second").status, ReconcileResult::Status::kSuccess);
    if (first_active) {
      ASSERT_NE(Phase("second"), "Running") << "pass " << pass;
    }
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  ASSERT_EQ(Phase("first"), "Succeeded");
  DriveTo(reconciler, "second", "Succeeded");
  EXPECT_EQ(reboots_["n1"], 2) << "once per run, never at once";
}

INSTANTIATE_TEST_SUITE_P(
    Orders, RunLockOverlapTest,
    ::testing::Values(
        OverlapCase{"BroadThenNarrow", "",
                    R"(,"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n1"}})"},
        OverlapCase{"NarrowThenBroad",
                    R"(,"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n1"}})", ""},
        OverlapCase{"DifferentSelectorsSameNode",
                    R"(,"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n1"}})",
                    R"(,"nodeSelector":{"matchExpressions":[{"key":"kubernetes.io/hostname",)"
                    R"("operator":"In","values":["n1","n2"]}]})"}),
    [](const ::testing::TestParamInfo<OverlapCase>& info) { return info.param.name; });

// Runs over disjoint nodes do not wait for each other.
TEST_F(ReconcilerTest, RunsOverDisjointNodesRunTogether) {
  CreateRun(R"({"plugins":[{"name":"packages"}],)"
            R"("nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n1"}}})",
            "one");
  CreateRun(R"({"plugins":[{"name":"packages"}],)"
            R"("nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n2"}}})",
            "two");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("one").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(reconciler.Reconcile("two").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(Phase("one"), "Running");
  EXPECT_EQ(Phase("two"), "Running") << Progressing("two");
}

// CAU's Locked state: a failed run that left a node cordoned keeps the lock; only a run with
// forceRecovery takes it over, and that run updates and releases the node.
TEST_F(ReconcilerTest, FailedRunKeepsTheLockUntilForceRecovery) {
  failing_.insert("n1");
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"],"maxFailedNodes":0,)"
            R"("maxRetriesPerNode":0})",
            "first");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "first", "Failed");
  EXPECT_TRUE(Cordoned("n1"));
  ASSERT_TRUE(Lease().has_value()) << "Locked: the failed run keeps its lock";

  CreateRun(R"({"plugins":[{"name":"packages"}]})", "second");
  ASSERT_EQ(reconciler.Reconcile("second").status, ReconcileResult::Status::kSuccess);
  EXPECT_NE(Phase("second"), "Running");
  EXPECT_NE(Progressing("second").find("left node(s) cordoned: n1"), std::string::npos)
      << Progressing("second");
  EXPECT_NE(Progressing("second").find("forceRecovery"), std::string::npos);

  failing_.clear();
  CreateRun(R"({"plugins":[{"name":"packages"}],"forceRecovery":true})", "recovery");
  DriveTo(reconciler, "recovery", "Succeeded");
  EXPECT_FALSE(Cordoned("n1")) << "the recovery run took n1 over and released it";
  EXPECT_EQ(reboots_["n1"], 1);
  EXPECT_FALSE(Lease().has_value());
  auto events = store_.List(res::Events(), "default", {});
  ASSERT_TRUE(events.ok());
  bool recovered = false;
  for (const auto& e : events->items) {
    recovered |= e.at("reason").as_string() == "LockRecovered" &&
                 e.at("message").as_string().find("run first/") != std::string::npos;
  }
  EXPECT_TRUE(recovered);
}

// Deleting an active run cancels it first (kcau's finalizer holds the delete): the node in
// flight is brought back, nothing else starts, the lock is released, then the run goes.
TEST_F(ReconcilerTest, DeletedActiveRunIsStoppedSafelyThenGoes) {
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(Phase(), "Running");
  PlayAgents();  // n1's scan: updates apply
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  const Json started = Run();
  bool has_finalizer = false;
  for (const auto& f : started.at("metadata").at("finalizers").as_array()) {
    has_finalizer |= f.as_string() == crd::kRunFinalizer;
  }
  ASSERT_TRUE(has_finalizer);
  ASSERT_TRUE(Cordoned("n1"));
  ASSERT_TRUE(Lease().has_value());

  ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", "run"}).ok());
  ASSERT_TRUE(store_.Get(res::UpdateRuns(), {"", "run"}).ok()) << "held by the finalizer";
  for (int pass = 0; pass < 10 && store_.Get(res::UpdateRuns(), {"", "run"}).ok(); ++pass) {
    ReconcileResult r = reconciler.Reconcile("run");
    ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(store_.Get(res::UpdateRuns(), {"", "run"}).status().code(), StatusCode::kNotFound);
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_FALSE(Cordoned(n)) << n;
  EXPECT_EQ(reboots_["n2"] + reboots_["n3"], 0) << "nothing started after the delete";
  EXPECT_FALSE(Lease().has_value());
}

// Whom hooks run as is the cluster admin's call (the controller's --hook-* flags): a run
// asking for root, or for a service account the policy does not list, ends Failed before
// any node is touched, naming the field and the rule.
TEST_F(ReconcilerTest, HookRunnerNotAllowedEndsTheRunBeforeAnyNodeIsTouched) {
  CreateHookConfigMap();
  struct Case {
    std::string run;
    std::string hook_runner;
    std::string message;
  };
  for (const Case& c : {
           Case{"root", R"({"runAsUser":0})",
                "spec.hookRunner.runAsUser: uid 0 (root) is not allowed: kcau-controller runs "
                "hooks as root only when started with --hook-allow-root"},
           Case{"low-uid", R"({"runAsUser":999})",
                "spec.hookRunner.runAsUser: uid 999 is not allowed: kcau-controller's "
                "--hook-allowed-users is 1000-65535"},
           Case{"admin-sa", R"({"serviceAccountName":"admin","runAsUser":1000})",
                "spec.hookRunner.serviceAccountName: \"admin\" is not allowed: "
                "kcau-controller's --hook-allowed-service-accounts is empty"},
       }) {
    SCOPED_TRACE(c.run);
    CreateRun(R"({"plugins":[{"name":"packages"}],"preUpdateHook":{"configMap":"hooks",)"
              R"("key":"pre.sh"},"hookRunner":)" +
                  c.hook_runner + "}",
              c.run);
    UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
    ReconcileResult r = reconciler.Reconcile(c.run);
    ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
    EXPECT_TRUE(r.terminal);
    const Json run = Run(c.run);
    EXPECT_EQ(run.at("status").at("phase").as_string(), "Failed");
    bool failed = false;
    for (const auto& cond : run.at("status").at("conditions").as_array()) {
      if (cond.at("type").as_string() != "Failed") continue;
      failed = true;
      EXPECT_EQ(cond.at("reason").as_string(), "HookRunnerNotAllowed");
      EXPECT_NE(cond.at("message").as_string().find(c.message), std::string::npos)
          << cond.at("message").as_string();
    }
    EXPECT_TRUE(failed);
    EXPECT_FALSE(run.at("status").has_array_field("nodes"));
    // The next pass drops the finalizer the run took; after that nothing is written again.
    EXPECT_TRUE(reconciler.Reconcile(c.run).terminal);
    const uint64_t rv = store_.CurrentResourceVersion();
    EXPECT_TRUE(reconciler.Reconcile(c.run).terminal);
    EXPECT_EQ(store_.CurrentResourceVersion(), rv) << "a refused run is refused once";
  }
  for (const char* n : {"n1", "n2", "n3"}) {
    EXPECT_FALSE(Cordoned(n)) << n;
    EXPECT_FALSE(Node(n).at("metadata").at("annotations").has_field(agent::kHookRequestAnnotation));
    EXPECT_FALSE(Node(n).at("metadata").at("annotations").has_field(agent::kRequestAnnotation));
  }
  EXPECT_FALSE(Lease().has_value());
  auto events = store_.List(res::Events(), "default", {});
  ASSERT_TRUE(events.ok());
  int refusals = 0;
  for (const auto& e : events->items)
    refusals += e.at("reason").as_string() == "HookRunnerNotAllowed";
  EXPECT_EQ(refusals, 3);
}

// The hook request the agent reads carries the policy's identity: the defaults for a run
// naming none, the run's own where the policy allows it (root only with --hook-allow-root).
TEST_F(ReconcilerTest, HookRequestsCarryThePolicysIdentity) {
  CreateHookConfigMap();
  HookRunnerPolicy root_allowed;
  root_allowed.allow_root = true;
  HookRunnerPolicy listed;
  listed.allowed_service_accounts = {"cau-hooks"};
  listed.default_user = 2000;
  struct Case {
    std::string run;
    std::string hook_runner;  // "" : none
    HookRunnerPolicy policy;
    std::string want_service_account;
    int64_t want_user;
  };
  for (const Case& c : {
           Case{"defaults", "", {}, "", 65534},
           Case{"listed", R"({"serviceAccountName":"cau-hooks"})", listed, "cau-hooks", 2000},
           Case{"root", R"({"runAsUser":0})", root_allowed, "", 0},
       }) {
    SCOPED_TRACE(c.run);
    CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"],)"
              R"("preUpdateHook":{"configMap":"hooks","key":"pre.sh"})" +
                  (c.hook_runner.empty() ? "" : R"(,"hookRunner":)" + c.hook_runner) + "}",
              c.run);
    UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_, "default",
                                   c.policy);
    std::optional<agent::HookRequest> request;
    for (int pass = 0; pass < 10 && !request; ++pass) {
      ReconcileResult r = reconciler.Reconcile(c.run);
      ASSERT_EQ(r.status, ReconcileResult::Status::kSuccess) << r.error;
      const Json node = Node("n1");
      const Json& ann = node.at("metadata").at("annotations");
      if (ann.has_string_field(agent::kHookRequestAnnotation)) {
        request = agent::DecodeHookRequest(ann.at(agent::kHookRequestAnnotation).as_string());
      }
      PlayAgents();  // the scan before the hook
      clock_.Advance(std::chrono::seconds(1));
    }
    ASSERT_TRUE(request.has_value()) << Run(c.run).serialize();
    EXPECT_EQ(request->config_map, "default/hooks");
    EXPECT_EQ(request->service_account, c.want_service_account);
    EXPECT_EQ(request->run_as_user, c.want_user);
    // Next case: a fresh node and no lock held.
    ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", c.run}).ok());
    for (int pass = 0; pass < 5 && store_.Get(res::UpdateRuns(), {"", c.run}).ok(); ++pass) {
      (void)reconciler.Reconcile(c.run);
    }
    Json clear = Json::object();
    clear["metadata"]["annotations"][agent::kHookRequestAnnotation] = Json::null();
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, clear, false).ok());
  }
}

// An ended run holds no finalizer: deleting it is immediate.
TEST_F(ReconcilerTest, EndedRunHoldsNoFinalizer) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxFailedNodes":1})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Succeeded");
  const Json ended = Run();
  EXPECT_FALSE(ended.at("metadata").has_array_field("finalizers") &&
               ended.at("metadata").at("finalizers").size() > 0);
  ASSERT_TRUE(store_.Delete(res::UpdateRuns(), {"", "run"}).ok());
  EXPECT_EQ(store_.Get(res::UpdateRuns(), {"", "run"}).status().code(), StatusCode::kNotFound);
}

// A step of the wall clock is not time passing. +2 h during a reboot once failed a healthy
// node at once (reboot timeout), left it cordoned and ended the run by stopAfter.
TEST_F(ReconcilerTest, WallClockStepForwardFailsNoNode) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"],)"
            R"("rebootTimeoutMinutes":5,"stopAfter":"1h"})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveUntilRebooting(reconciler, "n1");
  clock_.Step(std::chrono::hours(2));
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Rebooting") << "10 s into a 5-minute reboot timeout";
  EXPECT_EQ(Phase(), "Running") << "1 h stopAfter, 10 s after the start";
  installed_.insert("n1");  // n1 comes back from its reboot
  Json booted = Json::object();
  booted["status"]["nodeInfo"]["bootID"] = Json::string("n1-boot-2");
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, booted, true).ok());
  DriveTo(reconciler, "run", "Succeeded");
  ASSERT_EQ(Phase(), "Succeeded") << Run().at("status").serialize();
  EXPECT_EQ(Run().at("status").at("nodesFailed").as_integer(), 0);
  EXPECT_FALSE(Cordoned("n1"));
}

// -30 min once stalled progress: the reboot timeout must still fire after 5 minutes.
TEST_F(ReconcilerTest, WallClockStepBackStallsNoTimeout) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"],)"
            R"("rebootTimeoutMinutes":5,"maxFailedNodes":1,"maxRetriesPerNode":0})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveUntilRebooting(reconciler, "n1");  // and n1 never comes back
  clock_.Step(-std::chrono::minutes(30));
  clock_.Advance(std::chrono::minutes(5) + std::chrono::seconds(2));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Failed") << Run().at("status").serialize();
}

// An agent that scans but never takes the install request (it hangs): the node, cordoned
// and drained, is not left so. After agentTimeoutMinutes on the monotonic clock (a step of
// the wall clock does not count) the attempt fails; with no retry left the request is
// withdrawn, the node uncordoned and failed, naming the agent's silence; the run goes on.
TEST_F(ReconcilerTest, SilentAgentFailsTheNodeAfterAgentTimeoutAndUncordonsIt) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"],)"
            R"("agentTimeoutMinutes":2,"maxFailedNodes":1,"maxRetriesPerNode":0})");
  hung_installs_.insert("n1");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  const std::string token = DriveUntilInstallRequested(reconciler, "n1");
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(NodePhase("n1"), "Updating");
  ASSERT_TRUE(Cordoned("n1"));
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok()) << "drained";

  clock_.Step(std::chrono::hours(3));  // the wall clock jumps: no time passed
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(NodePhase("n1"), "Updating") << "a clock step fired the agent timeout";
  clock_.Advance(std::chrono::minutes(2));
  for (int pass = 0; pass < 3 && NodePhase("n1") != "Failed"; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  }
  ASSERT_EQ(NodePhase("n1"), "Failed") << Run().at("status").serialize();
  EXPECT_FALSE(Cordoned("n1")) << "left drained waiting for an agent";
  const agent::Annotations left = agent::NodeAnnotations(Node("n1"));
  EXPECT_FALSE(left.count(agent::kRequestAnnotation)) << "a late agent would act on it";
  EXPECT_FALSE(left.count(agent::kUpdateSignatureAnnotation));
  std::string message;
  const Json status = Run().at("status");
  for (const auto& n : status.at("nodes").as_array()) {
    if (n.at("name").as_string() == "n1") message = n.at("message").as_string();
  }
  EXPECT_EQ(message, "no answer from kcau-agent: update request " + token +
                         " got no result within agentTimeoutMinutes=2 (attempt 1 of 1); "
                         "uncordoned, back in service");
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_EQ(reboots_["n2"] + reboots_["n3"], 2) << "the run went on";
  EXPECT_EQ(reboots_["n1"], 0);
}

// A node whose agent finds nothing to install is left alone: not cordoned, not drained.
TEST_F(ReconcilerTest, NodeWithNothingToInstallIsNeverTouched) {
  installed_.insert("n2");  // its updates are in already
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  bool n2_cordoned = false;
  for (int pass = 0; pass < 60 && Phase() != "Succeeded"; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    n2_cordoned |= Cordoned("n2");
    PlayAgents();
    clock_.Advance(std::chrono::seconds(1));
  }
  ASSERT_EQ(Phase(), "Succeeded") << Run().serialize();
  EXPECT_FALSE(n2_cordoned);
  EXPECT_EQ(NodePhase("n2"), "Skipped");
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "n2-web"}).ok()) << "n2 was drained";
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok());
  EXPECT_EQ(reboots_["n2"], 0);
  EXPECT_EQ(reboots_["n1"] + reboots_["n3"], 2);
}

// On a cluster where no kcau-agent runs, the run does not end Succeeded having updated
// nothing: Failed (NoNodeUpdated), each node saying why.
TEST_F(ReconcilerTest, RunWithoutAgentsEndsFailedSayingWhy) {
  for (const char* n : {"n1", "n2", "n3"}) {
    Json patch = Parse(R"({"metadata":{"annotations":{"kcau.io/agent-version":null}}})");
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", n}, kube::PatchType::kMerge, patch, false).ok());
  }
  CreateRun(R"({"plugins":[{"name":"packages"}]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Failed");
  const Json status = Run().at("status");
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type").as_string() != "Failed") continue;
    EXPECT_EQ(c.at("reason").as_string(), "NoNodeUpdated");
    EXPECT_EQ(c.at("message").as_string().rfind("none of the 3 nodes was updated; n1: ", 0), 0u)
        << c.at("message").as_string();
  }
  for (const auto& n : status.at("nodes").as_array()) {
    EXPECT_EQ(n.at("phase").as_string(), "Skipped");
    EXPECT_NE(n.at("message").as_string().find(
                  "no kcau-agent answers on this node (kcau.io/agent-version absent)"),
              std::string::npos);
  }
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_FALSE(Cordoned(n)) << n;
}

// A restarted controller has only the wall clock to date what it finds in status: it trusts
// it once, then measures on its own monotonic clock.
TEST_F(ReconcilerTest, ElapsedSinceTrustsTheWallClockOnceOnly) {
  ElapsedSince elapsed(clock_);
  const TimePoint written = kStart - std::chrono::minutes(3);  // by an earlier controller
  EXPECT_EQ(elapsed.Since(written), std::chrono::minutes(3));
  clock_.Step(std::chrono::hours(5));
  EXPECT_EQ(elapsed.Since(written), std::chrono::minutes(3));
  clock_.Advance(std::chrono::seconds(7));
  EXPECT_EQ(elapsed.Since(written), std::chrono::minutes(3) + std::chrono::seconds(7));
  EXPECT_EQ(elapsed.Since(clock_.Now() + std::chrono::minutes(1)), Duration::zero())
      << "a timestamp from the future counts as now";
}

// Mid-run edits: the fields that pace, bound or stop a run are applied; the rest stay as the
// run started, and status and Events say which is which. (Before, a maxUnavailable edit was
// honoured and a nodeOrder edit ignored without a word.)
TEST_F(ReconcilerTest, MidRunEditsApplyLiveFieldsAndNameTheOthers) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"],)"
            R"("maxUnavailable":1,"maxFailedNodes":1})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  ASSERT_EQ(Phase(), "Running");
  const Json started = Run().at("status").at("appliedSpec");
  EXPECT_EQ(started.at("nodeOrder").serialize(), R"(["n1","n2","n3"])");

  Json edit = Parse(R"({"spec":{"maxUnavailable":2,"nodeOrder":["n3","n2","n1"],)"
                    R"("plugins":[{"name":"reboot-required"}],"maxFailedNodes":5}})");
  ASSERT_TRUE(
      store_.Patch(res::UpdateRuns(), {"", "run"}, kube::PatchType::kMerge, edit, false).ok());
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  const Json status = Run().at("status");
  const Json applied = status.at("appliedSpec");
  EXPECT_EQ(applied.at("maxUnavailable").as_integer(), 2) << "a live field is applied";
  EXPECT_EQ(applied.at("nodeOrder").serialize(), R"(["n1","n2","n3"])");
  EXPECT_EQ(applied.at("plugins").at(0).at("name").as_string(), "packages");
  EXPECT_EQ(applied.at("maxFailedNodes").as_integer(), 1) << "an invalid live edit is refused";
  std::string condition;
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type").as_string() == "SpecApplied") {
      condition = c.at("status").as_string() + " " + c.at("reason").as_string() + ": " +
                  c.at("message").as_string();
    }
  }
  EXPECT_EQ(condition.rfind("False ChangesIgnored: not applied: ", 0), 0u) << condition;
  for (const char* named :
       {"spec.nodeOrder", "spec.plugins", "spec.maxFailedNodes: 1 -> 5 (invalid"}) {
    EXPECT_NE(condition.find(named), std::string::npos) << named << " in " << condition;
  }
  EXPECT_EQ(condition.find("maxUnavailable"), std::string::npos) << condition;

  auto events = [&](const std::string& reason) {
    std::vector<std::string> messages;
    const auto listed = store_.List(res::Events(), "default", {});
    for (const auto& e : listed.value().items) {
      if (e.at("reason").as_string() == reason) messages.push_back(e.at("message").as_string());
    }
    return messages;
  };
  ASSERT_EQ(events("SpecChangeApplied").size(), 1u);
  EXPECT_NE(events("SpecChangeApplied")[0].find("spec.maxUnavailable: 1 -> 2"), std::string::npos);
  ASSERT_EQ(events("SpecChangeIgnored").size(), 1u);
  EXPECT_NE(events("SpecChangeIgnored")[0].find("spec.nodeOrder"), std::string::npos);

  // Said once per edit; the run goes on with what it applies, in its own order.
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(events("SpecChangeApplied").size(), 1u);
  EXPECT_EQ(events("SpecChangeIgnored").size(), 1u);
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_EQ(Node("n1")
                .at("metadata")
                .at("annotations")
                .at(agent::kPluginsAnnotation)
                .as_string()
                .find("reboot-required"),
            std::string::npos)
      << "the plug-ins the run started with";
}

// An edit reverted before the run ends: SpecApplied flips back to True.
TEST_F(ReconcilerTest, RevertedEditIsAppliedAsWrittenAgain) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  auto set_order = [&](const char* order) {
    Json edit = Parse(std::string(R"({"spec":{"nodeOrder":)") + order + "}}");
    ASSERT_TRUE(
        store_.Patch(res::UpdateRuns(), {"", "run"}, kube::PatchType::kMerge, edit, false).ok());
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  };
  auto spec_applied = [&] {
    const Json run = Run();
    for (const auto& c : run.at("status").at("conditions").as_array()) {
      if (c.at("type").as_string() == "SpecApplied") return c.at("status").as_string();
    }
    return std::string("(none)");
  };
  EXPECT_EQ(spec_applied(), "(none)") << "no edit, no condition";
  set_order(R"(["n2","n1","n3"])");
  EXPECT_EQ(spec_applied(), "False");
  set_order(R"(["n1","n2","n3"])");
  EXPECT_EQ(spec_applied(), "True");
}

// A pod without a controller is lost once evicted. kubectl drain refuses it without --force;
// kcau leaves it without drain: Force (the drain waits, then gives the node up) and names
// it. It was evicted and lost without a word.
TEST_F(ReconcilerTest, UnmanagedPodBlocksTheDrainUnlessForced) {
  Json bare = MakePodJson("bare", "n1", "ReplicaSet");
  bare["metadata"].erase("ownerReferences");
  ASSERT_TRUE(store_.Create(res::Pods(), "default", bare).ok());
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"],"drainTimeoutMinutes":1,)"
            R"("maxRetriesPerNode":0,"nodeSelector":{"matchLabels":)"
            R"({"kubernetes.io/hostname":"n1"}}})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  for (int pass = 0; pass < 5; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    PlayAgents();  // the scan before n1 is taken
  }
  EXPECT_EQ(NodePhase("n1"), "Draining");
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "bare"}).ok()) << "evicted without Force";
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok()) << "the managed pod goes";
  std::string message;
  const Json run = Run();
  for (const auto& n : run.at("status").at("nodes").as_array()) {
    if (n.at("name").as_string() == "n1") message = n.at("message").as_string();
  }
  EXPECT_NE(message.find("without a controller: default/bare"), std::string::npos) << message;
  EXPECT_NE(message.find("spec.drain: Force"), std::string::npos) << message;
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  DriveTo(reconciler, "run", "Failed");
  EXPECT_EQ(NodePhase("n1"), "Failed");
  EXPECT_FALSE(Cordoned("n1")) << "given up: back in service";
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "bare"}).ok());
  int warned = 0;
  const auto events = store_.List(res::Events(), "default", {});
  for (const auto& e : events.value().items) {
    warned += e.at("reason").as_string() == "UnmanagedPodsBlockDrain";
  }
  EXPECT_EQ(warned, 1) << "said once";
}

TEST_F(ReconcilerTest, DrainForceEvictsUnmanagedPodsNamingThem) {
  Json bare = MakePodJson("bare", "n1", "ReplicaSet");
  bare["metadata"].erase("ownerReferences");
  ASSERT_TRUE(store_.Create(res::Pods(), "default", bare).ok());
  CreateRun(R"({"plugins":[{"name":"packages"}],"drain":"Force",)"
            R"("nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"n1"}}})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "bare"}).ok());
  std::string said;
  const auto events = store_.List(res::Events(), "default", {});
  for (const auto& e : events.value().items) {
    if (e.at("reason").as_string() == "UnmanagedPodsEvicted") said = e.at("message").as_string();
  }
  EXPECT_NE(said.find("default/bare"), std::string::npos) << said;
}

// Every request the controller writes is signed for its node: the node's agent accepts it,
// and the same request copied to another node is refused there.
TEST_F(ReconcilerTest, RequestsAreSignedForTheirOwnNode) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_FALSE(DriveUntilInstallRequested(reconciler, "n1").empty());
  const agent::Annotations written = agent::NodeAnnotations(Node("n1"));
  ASSERT_TRUE(written.count(agent::kUpdateSignatureAnnotation));
  EXPECT_EQ(written.at(agent::kUpdateSignatureAnnotation).rfind("v1:n1:", 0), 0u);
  EXPECT_TRUE(agent_keys_.Verify(agent::RequestKind::kUpdate, "n1", written).ok());

  agent::Annotations copy;
  for (const auto& key : agent::SignedAnnotationKeys(agent::RequestKind::kUpdate)) {
    if (written.count(key)) copy[key] = written.at(key);
  }
  copy[agent::kUpdateSignatureAnnotation] = written.at(agent::kUpdateSignatureAnnotation);
  Annotate("n2", copy);
  // Exactly n1's request: what it does not have goes too (n2 may hold its own scan's mode).
  Json absent = Json::object();
  for (const auto& key : agent::SignedAnnotationKeys(agent::RequestKind::kUpdate)) {
    if (!written.count(key)) absent["metadata"]["annotations"][key] = Json::null();
  }
  if (absent.size() > 0) {
    ASSERT_TRUE(
        store_.Patch(res::Nodes(), {"", "n2"}, kube::PatchType::kMerge, absent, false).ok());
  }
  PlayAgents();
  const auto refused = Result("n2");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->state, agent::AgentState::kFailed);
  EXPECT_EQ(refused->message,
            "the agent refused this request: signed for node n1, not for this node (n2): a "
            "request copied from another node");
  EXPECT_EQ(reboots_["n2"], 0);
  EXPECT_EQ(reboots_["n1"], 1) << "n1's own request was obeyed";
}

// A compromised node writes an update request straight onto another node: that node's agent
// refuses it, saying why, and later obeys the controller's signed request as usual.
TEST_F(ReconcilerTest, AForgedRequestIsRefusedAndTheRunStillSucceeds) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  Annotate("n3", {{agent::kRequestAnnotation, "forged/1"},
                  {agent::kPluginsAnnotation, R"([{"name":"evil","arguments":{}}])"},
                  {agent::kForceRebootAnnotation, "true"}});
  PlayAgents();
  const auto refused = Result("n3");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->token, "forged/1");
  EXPECT_EQ(refused->state, agent::AgentState::kFailed);
  EXPECT_EQ(refused->message,
            "the agent refused this request: no signature "
            "(kcau.io/update-request-signature is missing)");
  EXPECT_EQ(reboots_["n3"], 0) << "the forged request was acted on";

  DriveTo(reconciler, "run", "Succeeded");
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_EQ(reboots_[n], 1) << n;
}

// A controller whose key the agents do not trust gets every request refused: each attempt
// fails, and the node's status says what the agent said.
TEST_F(ReconcilerTest, ARefusedRequestFailsTheAttemptWithTheAgentsReason) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"],"maxFailedNodes":0,)"
            R"("maxRetriesPerNode":1})");
  const agent::RequestSigningKey untrusted =
      agent::RequestSigningKey::FromPem(agent::testing::GenerateTestKeyPair().private_pem, "other")
          .value();
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, untrusted);
  DriveTo(reconciler, "run", "Failed");
  const Json n1 = Run().at("status").at("nodes").at(0);
  EXPECT_EQ(n1.at("name").as_string(), "n1");
  EXPECT_EQ(n1.at("phase").as_string(), "Failed");
  EXPECT_EQ(n1.at("attempts").as_integer(), 2);
  // The first request, the scan before the node is taken, is refused: the node is never
  // cordoned for an agent that will not take the controller's requests.
  EXPECT_NE(n1.at("message").as_string().find(
                "scan attempt 2 of 2 failed: the agent refused this request: bad signature"),
            std::string::npos)
      << n1.serialize();
  EXPECT_EQ(reboots_["n1"], 0);
  EXPECT_FALSE(Cordoned("n1"));
}

// The controller's own pod on a node it drains: never evicted while this replica leads and
// another could; the lead is handed over first. Without another replica it goes last.
TEST_F(ReconcilerTest, OwnPodHandsTheLeadOverBeforeItIsEvicted) {
  ASSERT_TRUE(
      store_.Create(res::Pods(), "default", MakePodJson("kcau-controller-1", "n1", "ReplicaSet"))
          .ok());
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  int handed_over = 0;
  reconciler.SetOwnPod({"default", "kcau-controller-1"}, [&] { ++handed_over; });
  for (int pass = 0; pass < 4 && handed_over == 0; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    PlayAgents();  // the scan before n1 is taken
  }
  EXPECT_EQ(handed_over, 1);
  EXPECT_TRUE(store_.Get(res::Pods(), {"default", "kcau-controller-1"}).ok())
      << "evicted while leading";
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "n1-web"}).ok());

  // The next leader (a reconciler that is not that pod) evicts it like any other.
  UpdateRunReconciler next_leader(client_, cluster_, clock_, nullptr, signing_key_);
  DriveTo(next_leader, "run", "Succeeded");
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "kcau-controller-1"}).ok());
}

TEST_F(ReconcilerTest, OwnPodGoesLastWithoutAnotherReplica) {
  ASSERT_TRUE(
      store_.Create(res::Pods(), "default", MakePodJson("kcau-controller-1", "n1", "ReplicaSet"))
          .ok());
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1","n2","n3"]})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  reconciler.SetOwnPod({"default", "kcau-controller-1"}, nullptr);
  bool seen_alone = false;
  for (int pass = 0; pass < 10; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    PlayAgents();  // the scan before n1 is taken
    const bool web = store_.Get(res::Pods(), {"default", "n1-web"}).ok();
    const bool own = store_.Get(res::Pods(), {"default", "kcau-controller-1"}).ok();
    ASSERT_FALSE(web && !own) << "its own pod went before the others";
    seen_alone |= !web && own;
    if (!own) break;
  }
  EXPECT_TRUE(seen_alone) << "the other pods went first";
  EXPECT_FALSE(store_.Get(res::Pods(), {"default", "kcau-controller-1"}).ok());
}

// A run name near the 253-character limit: its Events still get valid names (they were
// refused by the API server, run name plus suffix being too long).
TEST_F(ReconcilerTest, EventsOfARunWithALongNameAreRecorded) {
  const std::string name(250, 'a');
  CreateRun(R"({"plugins":[{"name":"packages"}]})", name);
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  ASSERT_EQ(reconciler.Reconcile(name).status, ReconcileResult::Status::kSuccess);
  const auto events = store_.List(res::Events(), "default", {});
  ASSERT_TRUE(events.ok());
  int started = 0;
  for (const auto& e : events->items) {
    started += e.at("reason").as_string() == "RunStarted" &&
               e.at("involvedObject").at("name").as_string() == name;
  }
  EXPECT_EQ(started, 1);
}

// A spec edit of an ended run is an edit of a record: observed (every condition moves to the
// new generation, Ready stays True), never started again, and nothing else is touched.
TEST_F(ReconcilerTest, EditOfAnEndedRunIsObservedAndStartsNothing) {
  CreateRun(R"({"plugins":[{"name":"packages"}],"maxFailedNodes":1})");
  UpdateRunReconciler reconciler(recorded_, recorded_cluster_, clock_, nullptr, signing_key_);
  DriveTo(reconciler, "run", "Succeeded");
  auto edited = store_.Patch(res::UpdateRuns(), {"", "run"}, kube::PatchType::kMerge,
                             Parse(R"({"spec":{"maxFailedNodes":2}})"), false);
  ASSERT_TRUE(edited.ok());
  const int64_t generation = edited->at("metadata").at("generation").as_number().to_int64();
  ASSERT_EQ(generation, 2);
  recorded_.Clear();
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  const Json run = Run();
  EXPECT_EQ(run.at("status").at("phase").as_string(), "Succeeded");
  EXPECT_EQ(run.at("status").at("observedGeneration").as_number().to_int64(), generation);
  std::map<std::string, std::string> conditions;
  for (const auto& c : run.at("status").at("conditions").as_array()) {
    EXPECT_EQ(c.at("observedGeneration").as_number().to_int64(), generation)
        << c.at("type").as_string();
    conditions[c.at("type").as_string()] = c.at("status").as_string();
  }
  EXPECT_EQ(conditions["Ready"], "True");
  EXPECT_EQ(conditions["Reconciling"], "False");
  EXPECT_EQ(conditions["Stalled"], "False");
  for (const auto& request : recorded_.Requests()) {
    EXPECT_TRUE(request.rfind("get ", 0) == 0 || request.rfind("list ", 0) == 0 ||
                request == "patch updateruns/status run")
        << request;
  }
  // Observed: the next pass is the record's shortcut again.
  recorded_.Clear();
  EXPECT_TRUE(reconciler.Reconcile("run").terminal);
  EXPECT_EQ(recorded_.Requests(), (Requests{"get updateruns run"}));
}

// A drain a PodDisruptionBudget holds up says so where a person looks: the node's status
// names the pod and its budget and since when, one Event marks the start and one the end, and
// the block goes once the budget allows the eviction.
TEST_F(ReconcilerTest, DrainBlockedByABudgetNamesThePodAndTheBudget) {
  // A ready pod: the budget protects it (an unready one may always go).
  ASSERT_TRUE(store_
                  .Patch(res::Pods(), {"default", "n1-web"}, kube::PatchType::kMerge,
                         Parse(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})"),
                         /*status_subresource=*/true)
                  .ok());
  ASSERT_TRUE(store_
                  .Create(res::PodDisruptionBudgets(), "default",
                          Parse(R"({"metadata":{"name":"web"},"spec":{"maxUnavailable":0,)"
                                R"("selector":{"matchLabels":{"app":"web"}}}})"))
                  .ok());
  CreateRun(R"({"plugins":[{"name":"packages"}],"nodeOrder":["n1"],"nodeSelector":)"
            R"({"matchLabels":{"kubernetes.io/hostname":"n1"}}})");
  UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
  auto blocked_of_n1 = [&]() -> Json {
    const Json run = Run();
    for (const auto& n : run.at("status").at("nodes").as_array()) {
      if (n.at("name").as_string() == "n1" && n.has_object_field("blocked")) {
        return n.at("blocked");
      }
    }
    return Json::null();
  };
  for (int pass = 0; pass < 8; ++pass) {
    ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
    PlayAgents();
    clock_.Advance(std::chrono::seconds(2));
  }
  ASSERT_EQ(NodePhase("n1"), "Draining");
  const Json blocked = blocked_of_n1();
  ASSERT_TRUE(blocked.is_object()) << Run().serialize();
  EXPECT_EQ(blocked.at("reason").as_string(), "PodDisruptionBudget");
  EXPECT_EQ(blocked.at("message").as_string(),
            "evictions refused by a PodDisruptionBudget: default/n1-web (budget default/web)");
  const std::string since = blocked.at("since").as_string();
  // Still blocked a pass later: the same block, from the same moment.
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  clock_.Advance(std::chrono::seconds(2));
  ASSERT_EQ(reconciler.Reconcile("run").status, ReconcileResult::Status::kSuccess);
  EXPECT_EQ(blocked_of_n1().at("since").as_string(), since);

  // The budget goes: the pod is evicted, the block lifts, the node goes on.
  ASSERT_TRUE(store_.Delete(res::PodDisruptionBudgets(), {"default", "web"}).ok());
  DriveTo(reconciler, "run", "Succeeded");
  EXPECT_TRUE(blocked_of_n1().is_null());
  std::map<std::string, int> reasons;
  std::string lifted;
  const auto events = store_.List(res::Events(), "default", {});
  for (const auto& e : events.value().items) {
    ++reasons[e.at("reason").as_string()];
    if (e.at("reason").as_string() == "NodeUnblocked") lifted = e.at("message").as_string();
  }
  EXPECT_EQ(reasons["NodeBlocked"], 1);
  EXPECT_EQ(reasons["NodeUnblocked"], 1);
  EXPECT_EQ(lifted.rfind("n1: PodDisruptionBudget block lifted after ", 0), 0u) << lifted;
}

// By default a node's story is one outcome Event plus its updates; the per-phase ones
// (NodeStatusNotification, NodeUpdateStarted) come only when asked for. Status has every
// phase either way. The writes a node costs stay few: its status entries travel as patches.
TEST_F(ReconcilerTest, ANodeIsOneEventUnlessPhaseEventsAreAskedFor) {
  for (bool phase_events : {false, true}) {
    SCOPED_TRACE(phase_events ? "phase events" : "default");
    const std::string name = phase_events ? "verbose" : "quiet";
    CreateRun(R"({"plugins":[{"name":"packages"}],"maxUnavailable":"100%"})", name);
    UpdateRunReconciler reconciler(client_, cluster_, clock_, nullptr, signing_key_);
    reconciler.SetNodePhaseEvents(phase_events);
    for (int pass = 0; pass < 60 && Phase(name) != "Succeeded"; ++pass) {
      ASSERT_EQ(reconciler.Reconcile(name).status, ReconcileResult::Status::kSuccess);
      PlayAgents();
      clock_.Advance(std::chrono::seconds(1));
    }
    ASSERT_EQ(Phase(name), "Succeeded");
    std::map<std::string, int> reasons;
    const kube::ObjectList events = store_.List(res::Events(), "default", {}).value();
    for (const auto& e : events.items) {
      if (e.at("involvedObject").at("name").as_string() == name) {
        ++reasons[e.at("reason").as_string()];
      }
    }
    EXPECT_EQ(reasons["NodeUpdated"], 3);
    EXPECT_EQ(reasons["NodeStatusNotification"] > 0, phase_events);
    EXPECT_EQ(reasons["NodeUpdateStarted"], phase_events ? 3 : 0);
    // Another run over the same nodes next: this one's lock is released.
    for (int i = 1; i <= 3; ++i) installed_.erase("n" + std::to_string(i));
  }
}

// Repeats of an Event within ten minutes are one Event with a count (client-go's series);
// later, or once that Event is gone, a new one is made.
TEST_F(ReconcilerTest, RepeatedEventsAreCountedOnOneEvent) {
  EventRecorder events(recorded_, clock_);
  const RunEvent held = RunEvent::Warning("NodeBlocked", "n1: a budget holds the drain");
  auto listed = [&] {
    const kube::ObjectList events = store_.List(res::Events(), "default", {}).value();
    return events.items;
  };
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  clock_.Advance(std::chrono::minutes(4));
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  clock_.Advance(std::chrono::minutes(9));  // 9 minutes after the last repeat: the same series
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  ASSERT_TRUE(events.Record("run", "uid-1", RunEvent::Warning("NodeBlocked", "n2: other")).ok());
  auto items = listed();
  ASSERT_EQ(items.size(), 2u);
  for (const auto& e : items) {
    const bool first = e.at("message").as_string() == held.message;
    EXPECT_EQ(e.at("count").as_integer(), first ? 3 : 1);
    if (first) {
      EXPECT_NE(e.at("firstTimestamp"), e.at("lastTimestamp"));
    }
  }
  EXPECT_EQ(recorded_.Writes(),
            (Requests{"create events NodeBlocked",
                      "patch events " + items[0].at("metadata").at("name").as_string(),
                      "patch events " + items[0].at("metadata").at("name").as_string(),
                      "create events NodeBlocked"}))
      << "(the first Event listed is the repeated one: names sort by creation time)";

  // Eleven minutes of quiet end the series.
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  EXPECT_EQ(listed().size(), 3u);
  // A repeat whose Event was deleted meanwhile starts a new one.
  const std::vector<Json> to_delete = listed();
  for (const auto& e : to_delete) {
    ASSERT_TRUE(
        store_.Delete(res::Events(), {"default", e.at("metadata").at("name").as_string()}).ok());
  }
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  ASSERT_EQ(listed().size(), 1u);
  EXPECT_EQ(listed()[0].at("count").as_integer(), 1);
  // A series is the whole of run, uid, type, reason and message: the same message for
  // another run, of another type or reason, is another Event.
  ASSERT_TRUE(events.Record("run", "uid-2", held).ok());
  ASSERT_TRUE(events.Record("other", "uid-1", held).ok());
  ASSERT_TRUE(events.Record("run", "uid-1", RunEvent::Normal("NodeBlocked", held.message)).ok());
  ASSERT_TRUE(events.Record("run", "uid-1", RunEvent::Warning("NodeHeld", held.message)).ok());
  EXPECT_EQ(listed().size(), 5u);
  ASSERT_TRUE(events.Record("run", "uid-1", held).ok());
  EXPECT_EQ(listed().size(), 5u);
}

}  // namespace
}  // namespace kcau::reconcilers
