// kcau-sim's simulated agents and signed requests: the controller's requests (written by the
// controller's own ApplyNodeAction) are obeyed; a request written by anyone else onto a
// node is refused with the reason in the agent's result; a replayed request is not acted on
// again, also after a restart. And the agents as the controller's fleet handling needs them:
// scans, the agentSilent fault, withdrawn requests. The simulator runs at real speed with
// short delays; the waits are bounded polls.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "kube/object_meta.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/node_actions.h"
#include "sim/node_simulator.h"
#include "sim/object_store.h"
#include "sim/scenario.h"
#include "sim/store_client.h"
#include "tests/unit/agent/test_keys.h"

namespace kcau::sim {
namespace {

using kube::Json;
using std::chrono::milliseconds;
namespace res = kube::resources;

// Polls `done` every 10 ms for at most 10 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

class SignedRequestsTest : public ::testing::Test {
 protected:
  SignedRequestsTest() : store_(clock_), client_(store_) {
    scenario_ = DefaultScenario(2, 0);
    for (auto& n : scenario_.nodes) {
      n.update_duration = milliseconds(20);
      n.reboot_duration = milliseconds(20);
    }
    spec_.plugins = {{"packages", {}}};
    spec_.pre_update_hook = crd::HookSpec{"hooks", "pre.sh", 30};
  }

  void SetUp() override {
    simulator_ = std::make_unique<NodeSimulator>(store_, clock_, scenario_, AgentKeys());
    ASSERT_TRUE(simulator_->Populate().ok());
    Json cm = Json::object();
    cm["metadata"]["name"] = Json::string("hooks");
    cm["data"]["pre.sh"] = Json::string("echo ready\nexit 0\n");
    ASSERT_TRUE(store_.Create({"", "v1", "configmaps", "ConfigMap", true}, "default", cm).ok());
    BeforeStart();
    simulator_->Start();
  }

  // What a fixture sets on the simulator before it starts (its observers).
  virtual void BeforeStart() {}

  void TearDown() override { simulator_->Stop(); }

  agent::RequestVerifyKeys AgentKeys() const {
    return agent::RequestVerifyKeys::FromPem(keys_.public_pem, "test key").value();
  }

  // As the controller writes it: signed with `key` (the controller's unless said otherwise).
  void Request(const std::string& node, const std::string& token,
               const agent::RequestSigningKey* key = nullptr) {
    reconcilers::NodeAction action{reconcilers::ActionType::kRequestUpdate, node, token};
    action.force_reboot = true;  // every request acted on reboots: reboots count them
    reconcilers::ActionOutcome outcome;
    ASSERT_TRUE(reconcilers::ApplyNodeAction(client_, cluster_, action, spec_, "default",
                                             key ? *key : controller_key_, outcome)
                    .ok());
  }

  void Apply(const reconcilers::NodeAction& action) {
    reconcilers::ActionOutcome outcome;
    ASSERT_TRUE(reconcilers::ApplyNodeAction(client_, cluster_, action, spec_, "default",
                                             controller_key_, outcome)
                    .ok());
  }

  void Annotate(const std::string& node, const agent::Annotations& annotations) {
    Json patch = Json::object();
    for (const auto& [k, v] : annotations) patch["metadata"]["annotations"][k] = Json::string(v);
    ASSERT_TRUE(store_.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false).ok());
  }

  agent::Annotations Annotations(const std::string& node) {
    return agent::NodeAnnotations(store_.Get(res::Nodes(), {"", node}).value());
  }

  // The request annotations on `node` now, signature included: what a replay writes back.
  agent::Annotations UpdateRequestOn(const std::string& node) {
    const agent::Annotations all = Annotations(node);
    agent::Annotations request;
    for (const auto& key : agent::SignedAnnotationKeys(agent::RequestKind::kUpdate)) {
      if (all.count(key)) request[key] = all.at(key);
    }
    request[agent::kUpdateSignatureAnnotation] = all.at(agent::kUpdateSignatureAnnotation);
    return request;
  }

  // The agent's final answer to `token` on `node` (in `annotation`), once there is one.
  template <typename Result>
  std::optional<Result> FinalAnswer(const std::string& node, const char* annotation,
                                    std::optional<Result> (*decode)(const std::string&),
                                    bool (*final)(const Result&), const std::string& token) {
    std::optional<Result> answer;
    Eventually([&] {
      const auto a = Annotations(node);
      if (!a.count(annotation)) return false;
      answer = decode(a.at(annotation));
      return answer && answer->token == token && final(*answer);
    });
    if (answer && answer->token != token) return std::nullopt;
    return answer;
  }

  std::optional<agent::AgentResult> AnswerTo(const std::string& node, const std::string& token) {
    return FinalAnswer<agent::AgentResult>(
        node, agent::kResultAnnotation, agent::DecodeAgentResult,
        [](const agent::AgentResult& r) { return r.state != agent::AgentState::kInstalling; },
        token);
  }

  std::optional<agent::HookResult> HookAnswerTo(const std::string& node, const std::string& token) {
    return FinalAnswer<agent::HookResult>(
        node, agent::kHookResultAnnotation, agent::DecodeHookResult,
        [](const agent::HookResult& r) { return !r.running; }, token);
  }

  // The agent on `node` answered `token` with a refusal whose reason begins with `why`.
  void ExpectRefused(const std::string& node, const std::string& token, const std::string& why) {
    const auto answer = AnswerTo(node, token);
    ASSERT_TRUE(answer.has_value()) << "no answer to " << token;
    EXPECT_EQ(answer->state, agent::AgentState::kFailed);
    EXPECT_EQ(answer->message.rfind("the agent refused this request: " + why, 0), 0u)
        << answer->message;
  }

  int Reboots(const std::string& node) {
    const auto r = simulator_->Reboots();
    return r.count(node) ? r.at(node) : 0;
  }

  RealClock clock_;
  ObjectStore store_;
  StoreClient client_;
  reconcilers::ApiClusterSource cluster_{client_};
  Scenario scenario_;
  crd::UpdateRunSpec spec_;
  const agent::testing::TestKeyPair keys_ = agent::testing::GenerateTestKeyPair();
  const agent::RequestSigningKey controller_key_ =
      agent::RequestSigningKey::FromPem(keys_.private_pem, "test key").value();
  std::unique_ptr<NodeSimulator> simulator_;
};

TEST_F(SignedRequestsTest, ForgedRequestsAreRefusedSayingWhyAndSignedOnesObeyed) {
  // A compromised node writes an update request onto node-2, unsigned.
  Annotate("node-2", {{agent::kRequestAnnotation, "forged/1"},
                      {agent::kPluginsAnnotation, R"([{"name":"packages","arguments":{}}])"},
                      {agent::kForceRebootAnnotation, "true"}});
  ExpectRefused("node-2", "forged/1", "no signature (kcau.io/update-request-signature is missing)");

  // The controller's request to node-1 is obeyed.
  Request("node-1", "run/uid/node-1/1");
  auto obeyed = AnswerTo("node-1", "run/uid/node-1/1");
  ASSERT_TRUE(obeyed.has_value());
  EXPECT_EQ(obeyed->state, agent::AgentState::kInstalled) << obeyed->message;
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") == 1; }));

  // node-1's genuine request, copied onto node-2 as it is.
  Annotate("node-2", UpdateRequestOn("node-1"));
  ExpectRefused("node-2", "run/uid/node-1/1",
                "signed for node node-1, not for this node (node-2): a request copied from "
                "another node");

  // Signed for node-2, but by a key the agents do not trust.
  const auto other = agent::RequestSigningKey::FromPem(
      agent::testing::GenerateTestKeyPair().private_pem, "other key");
  Request("node-2", "run/uid/node-2/1", &other.value());
  ExpectRefused("node-2", "run/uid/node-2/1", "bad signature");
  EXPECT_EQ(Reboots("node-2"), 0) << "a refused request was acted on";

  // And the controller's own request to node-2 is obeyed.
  Request("node-2", "run/uid/node-2/2");
  auto signed_answer = AnswerTo("node-2", "run/uid/node-2/2");
  ASSERT_TRUE(signed_answer.has_value());
  EXPECT_EQ(signed_answer->state, agent::AgentState::kInstalled) << signed_answer->message;
  EXPECT_TRUE(Eventually([&] { return Reboots("node-2") == 1; }));
}

// The simulated kubelets' and agents' writes are told with when they were made, taken before
// they reached the store: kcau-sim's audit log records that as the request's arrival, and a
// client that reacted to the write's watch event must never appear there to have written
// before it (the benchmark's reaction times are such intervals).
class WriteTimesTest : public SignedRequestsTest {
 protected:
  struct Made {
    std::string node;
    bool boot;         // a kubelet's write after a reboot, else an agent's result
    std::string what;  // the kubelet's new boot ID, or the agent's encoded result
    TimePoint made;
  };

  void BeforeStart() override {
    simulator_->OnAgentResult(
        [this](const std::string& node, const agent::AgentResult& r, TimePoint made) {
          std::lock_guard<std::mutex> lock(mu_);
          made_.push_back({node, false, agent::EncodeAgentResult(r), made});
        });
    simulator_->OnKubeletWrite(
        [this](const std::string& node, bool, const std::string& new_boot_id, TimePoint made) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!new_boot_id.empty()) made_.push_back({node, true, new_boot_id, made});
        });
  }

  std::mutex mu_;
  std::vector<Made> made_;  // guarded by mu_
};

TEST_F(WriteTimesTest, AWritesTimeIsNeverAfterItsWatchEventIsSeen) {
  auto queue = store_.Watch(res::Nodes(), "", {}, std::to_string(store_.CurrentResourceVersion()));
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  struct Seen {
    Json node;
    TimePoint at;
  };
  std::vector<Seen> seen;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    while (!stop) {
      if (auto event = (*queue)->Pop(milliseconds(20)))
        seen.push_back({*event->object, clock_.Now()});
    }
  });
  Request("node-1", "run/uid/node-1/1");
  const bool rebooted = Eventually([&] { return Reboots("node-1") == 1; });
  const auto answer = AnswerTo("node-1", "run/uid/node-1/1");
  std::this_thread::sleep_for(milliseconds(100));  // the last events reach the watcher
  stop = true;
  watcher.join();
  store_.StopWatch(*queue);
  ASSERT_TRUE(rebooted && answer.has_value());

  std::lock_guard<std::mutex> lock(mu_);
  int boots = 0;
  for (const Made& m : made_) {
    // The first event showing this write is the write's own.
    const auto shown = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) {
      if (kube::NameOf(s.node) != m.node) return false;
      if (m.boot) {
        const Json& info = s.node.at("status").at("nodeInfo");
        return info.has_string_field("bootID") && info.at("bootID").as_string() == m.what;
      }
      const auto a = agent::NodeAnnotations(s.node);
      const auto result = a.find(agent::kResultAnnotation);
      return result != a.end() && result->second == m.what;
    });
    ASSERT_NE(shown, seen.end()) << m.node << ": no watch event shows " << m.what;
    EXPECT_LE(m.made, shown->at) << m.node << ": " << m.what;
    boots += m.boot;
  }
  EXPECT_GE(made_.size(), 3u) << "the request's results and the reboot";
  EXPECT_EQ(boots, 1);
}

TEST_F(SignedRequestsTest, HookRequestsTooAreRunOnlyWhenSigned) {
  Annotate("node-2",
           {{agent::kHookRequestAnnotation,
             agent::EncodeHookRequest({"forged/pre", "pre", "default/hooks", "pre.sh"})}});
  auto forged = HookAnswerTo("node-2", "forged/pre");
  ASSERT_TRUE(forged.has_value());
  EXPECT_FALSE(forged->succeeded);
  EXPECT_EQ(forged->message,
            "the agent refused this request: no signature "
            "(kcau.io/hook-request-signature is missing)");

  reconcilers::NodeAction hook{reconcilers::ActionType::kRunHook, "node-2", "run/uid/node-2/1/pre"};
  hook.hook = "pre";
  reconcilers::ActionOutcome outcome;
  ASSERT_TRUE(reconcilers::ApplyNodeAction(client_, cluster_, hook, spec_, "default",
                                           controller_key_, outcome)
                  .ok());
  auto ran = HookAnswerTo("node-2", "run/uid/node-2/1/pre");
  ASSERT_TRUE(ran.has_value());
  EXPECT_TRUE(ran->succeeded) << ran->message;
}

TEST_F(SignedRequestsTest, AReplayedRequestIsNotActedOnAgainEvenAfterARestart) {
  Request("node-1", "run/uid/node-1/1");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/1").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") == 1; }));
  const agent::Annotations first = UpdateRequestOn("node-1");
  Request("node-1", "run/uid/node-1/2");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/2").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") == 2; }));

  // The first request, genuine and signed, written back: nothing happens. A request after
  // it is answered, so the replay has been seen by then.
  Annotate("node-1", first);
  Request("node-1", "run/uid/node-1/3");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/3").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") >= 3; }));
  std::this_thread::sleep_for(milliseconds(200));  // ten update + reboot times
  EXPECT_EQ(Reboots("node-1"), 3) << "the replayed request was acted on";
  EXPECT_EQ(AnswerTo("node-1", "run/uid/node-1/3")->token, "run/uid/node-1/3");

  // A restarted kcau-sim (its agents' memory is on the Node) ignores the replay too. A first
  // request answered shows the new process is watching before the replay is written.
  simulator_->Stop();
  simulator_ = std::make_unique<NodeSimulator>(store_, clock_, scenario_, AgentKeys());
  simulator_->Start();
  Request("node-1", "run/uid/node-1/4");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/4").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") == 1; })) << "the new process's count";
  Annotate("node-1", first);
  Request("node-1", "run/uid/node-1/5");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/5").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") >= 2; }));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(Reboots("node-1"), 2) << "the replayed request was acted on after a restart";
}

// The simulated host's own records (the requests taken, the plug-ins that ran) change only
// with a result, in the same Node write: a real agent keeps them on its disk, and every Node
// write is an event for every client watching Nodes.
TEST_F(SignedRequestsTest, TheAgentsOwnRecordsChangeOnlyWithAResult) {
  auto events = store_.Watch(res::Nodes(), "", {}, std::to_string(store_.CurrentResourceVersion()));
  ASSERT_TRUE(events.ok());
  Request("node-1", "run/uid/node-1/1");
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/1").has_value());
  ASSERT_TRUE(Eventually([&] { return Reboots("node-1") == 1; }));

  const std::vector<std::string> records = {"sim.kcau.io/taken-requests",
                                            "sim.kcau.io/installed-plugins"};
  agent::Annotations before = {};
  int results = 0;
  int changed_records = 0;
  while (auto e = (*events)->Pop(milliseconds(200))) {
    if (e->object->at("metadata").at("name").as_string() != "node-1") continue;
    const agent::Annotations now = agent::NodeAnnotations(*e->object);
    auto value = [](const agent::Annotations& a, const std::string& key) {
      return a.count(key) ? a.at(key) : std::string();
    };
    const bool result_changed =
        value(now, agent::kResultAnnotation) != value(before, agent::kResultAnnotation);
    results += result_changed ? 1 : 0;
    for (const auto& record : records) {
      if (value(now, record) == value(before, record)) continue;
      ++changed_records;
      EXPECT_TRUE(result_changed) << record << " changed without a result, in the write of "
                                  << value(now, record);
    }
    before = now;
  }
  store_.StopWatch(*events);
  EXPECT_EQ(changed_records, 2) << "the request taken, then the plug-ins that ran";
  EXPECT_GE(results, 2) << "Installing, then Installed";
}

// node-2's agent has the agentSilent fault; on "picky" the packages plug-in always fails.
class AgentFaultsTest : public SignedRequestsTest {
 protected:
  AgentFaultsTest() {
    scenario_.nodes[1].agent_silent = true;
    NodeScenario picky = scenario_.nodes[0];
    picky.name = "picky";
    picky.fail_plugin = "packages";
    scenario_.nodes.push_back(picky);
  }

  void Scan(const std::string& node, const std::string& token) {
    reconcilers::NodeAction scan{reconcilers::ActionType::kRequestUpdate, node, token};
    scan.scan = true;
    Apply(scan);
  }
};

// The scan the controller asks for before it takes a node: what applies, nothing changed.
TEST_F(AgentFaultsTest, AScanReportsWhatAppliesAndChangesNothing) {
  Scan("node-1", "run/uid/node-1/1/scan");
  EXPECT_EQ(Annotations("node-1").at(agent::kModeAnnotation), agent::kScanMode);
  const auto scanned = AnswerTo("node-1", "run/uid/node-1/1/scan");
  ASSERT_TRUE(scanned.has_value());
  EXPECT_EQ(scanned->state, agent::AgentState::kScanned) << scanned->message;
  EXPECT_EQ(scanned->updates_found, 3);
  std::this_thread::sleep_for(milliseconds(200));  // ten update + reboot times
  EXPECT_EQ(Reboots("node-1"), 0);
  EXPECT_FALSE(Annotations("node-1").count("sim.kcau.io/installed-plugins"));
}

// A plug-in that fails cannot tell what applies: the scan fails, saying which. (Were it left
// out, a node whose only plug-in is broken would look up to date.)
TEST_F(AgentFaultsTest, AFailingPluginFailsTheScan) {
  Scan("picky", "run/uid/picky/1/scan");
  const auto answer = AnswerTo("picky", "run/uid/picky/1/scan");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->state, agent::AgentState::kFailed);
  EXPECT_EQ(answer->message, "plug-in packages failed (injected fault) while scanning");
}

// agentSilent: the agent says it runs but answers nothing, not even a refusal; a withdrawn
// request leaves nothing on the node for it to find later.
TEST_F(AgentFaultsTest, ASilentAgentAnswersNothingAndAWithdrawnRequestIsGone) {
  EXPECT_TRUE(Annotations("node-2").count(agent::kAgentVersionAnnotation)) << "it says it runs";
  Request("node-2", "run/uid/node-2/1");
  Apply({reconcilers::ActionType::kRunHook, "node-2", "run/uid/node-2/1/pre", -1, "pre"});
  Request("node-1", "run/uid/node-1/1");  // a working agent's answer shows time has passed
  ASSERT_TRUE(AnswerTo("node-1", "run/uid/node-1/1").has_value());
  std::this_thread::sleep_for(milliseconds(300));  // fifteen update times
  EXPECT_FALSE(Annotations("node-2").count(agent::kResultAnnotation));
  EXPECT_FALSE(Annotations("node-2").count(agent::kHookResultAnnotation));
  EXPECT_EQ(Reboots("node-2"), 0);

  Apply({reconcilers::ActionType::kWithdrawRequest, "node-2", "run/uid/node-2/1"});
  const agent::Annotations left = Annotations("node-2");
  for (const auto& key : agent::SignedAnnotationKeys(agent::RequestKind::kUpdate)) {
    EXPECT_FALSE(left.count(key)) << key;
  }
  EXPECT_FALSE(left.count(agent::kUpdateSignatureAnnotation));
  EXPECT_TRUE(left.count(agent::kHookRequestAnnotation)) << "only the update request goes";
}

}  // namespace
}  // namespace kcau::sim
