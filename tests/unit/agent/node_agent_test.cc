// The real agent's whole path on one node, in process: the controller's own code writes and
// signs the requests (reconcilers::ApplyNodeAction) into kcau-sim's object store; NodeAgent
// reads its Node, runs the real plug-in and a real hook script through a ChrootHost over a
// busybox root, publishes results and asks for the reboot; a reboot is a new boot ID.
#include "agent/node_agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <prometheus/registry.h>

#include "agent/chroot_host.h"
#include "agent/measured_plugin.h"
#include "metrics/agent_metrics.h"
#include "reconcilers/cluster_source.h"
#include "reconcilers/node_actions.h"
#include "sim/object_store.h"
#include "sim/store_client.h"
#include "tests/unit/agent/temp_dir.h"
#include "tests/unit/agent/test_keys.h"
#include "tests/unit/metrics/sample_value.h"

namespace kcau::agent {
namespace {

using kube::Json;
namespace res = kube::resources;

class NodeAgentTest : public ::testing::Test {
 protected:
  NodeAgentTest()
      : clock_(WallClock::from_time_t(1800000000)),
        store_(clock_),
        client_(store_),
        keys_(testing::GenerateTestKeyPair()),
        controller_key_(RequestSigningKey::FromPem(keys_.private_pem, "test").value()),
        agent_keys_(RequestVerifyKeys::FromPem(keys_.public_pem, "test").value()) {}

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "chroot needs root; running as uid " << geteuid();
    const std::string busybox = testing::FindBusybox();
    ASSERT_FALSE(busybox.empty()) << "busybox not found: apt-get install busybox-static";
    testing::LayOutBusyboxRoot(root_, busybox, {"sh", "echo", "touch", "cat", "id", "exit"},
                               "root:x:0:0:root:/root:/bin/sh\nhook:x:1000:1000::/:/bin/sh\n");
    root_.MakeDirectory("var/lib/kcau");
    root_.Write("run/kcau-sim/boot_id", "boot-1\n");
    host_ = std::make_unique<ChrootHost>(clock_, root_.path(), root_.At("run/kcau-sim/boot_id"),
                                         [this](RebootKind kind) {
                                           reboots_.push_back(kind);
                                           return Status::Ok();
                                         });
    ASSERT_TRUE(store_
                    .Create(res::Nodes(), "",
                            Json::parse(R"({"metadata":{"name":"n1"},"spec":{},"status":{}})"))
                    .ok());
    ASSERT_TRUE(store_
                    .Create(res::Nodes(), "",
                            Json::parse(R"({"metadata":{"name":"n2"},"spec":{},"status":{}})"))
                    .ok());
    Json cm = Json::object();
    cm["metadata"]["name"] = Json::string("hooks");
    cm["data"]["pre"] =
        Json::string("echo hello from $KCAU_HOOK on $KCAU_NODE\ntouch /tmp/hooked\n");
    cm["data"]["failing"] = Json::string("echo cannot drain the database\nexit 3\n");
    ASSERT_TRUE(store_.Create({"", "v1", "configmaps", "ConfigMap", true}, "kcau-system", cm).ok());
    agent_ = std::make_unique<NodeAgent>(client_, "n1", *host_, agent_keys_,
                                         MeasuredPlugins(MakePlugin, clock_, metrics_),
                                         "/var/lib/kcau", &metrics_);
  }

  void Act(reconcilers::NodeAction action) {
    reconcilers::ActionOutcome outcome;
    ASSERT_TRUE(reconcilers::ApplyNodeAction(client_, cluster_, action, spec_, "kcau-system",
                                             controller_key_, outcome)
                    .ok());
  }

  std::string Annotation(const std::string& key, const std::string& node = "n1") {
    Json n = store_.Get(res::Nodes(), {"", node}).value();
    const Json& meta = n.at("metadata");
    if (!meta.has_object_field("annotations") || !meta.at("annotations").has_string_field(key)) {
      return "";
    }
    return meta.at("annotations").at(key).as_string();
  }

  FakeClock clock_;
  sim::ObjectStore store_;
  sim::StoreClient client_;
  reconcilers::ApiClusterSource cluster_{client_};
  testing::TestKeyPair keys_;
  RequestSigningKey controller_key_;
  RequestVerifyKeys agent_keys_;
  testing::TempDir root_;
  std::unique_ptr<ChrootHost> host_;
  std::vector<RebootKind> reboots_;
  prometheus::Registry registry_;
  metrics::AgentMetrics metrics_{registry_, "test", {"reboot-required"}};
  std::unique_ptr<NodeAgent> agent_;
  crd::UpdateRunSpec spec_;
};

TEST_F(NodeAgentTest, AnnouncesItsVersion) {
  ASSERT_TRUE(agent_->Announce("0.1.0").ok());
  EXPECT_EQ(Annotation(kAgentVersionAnnotation), "0.1.0");
}

// reboot-required: the sentinel is there, so the real plug-in asks for the reboot; the agent
// reboots once, and not again once the node came back with a new boot ID.
TEST_F(NodeAgentTest, RebootRequiredPluginRebootsOnceThroughTheRealPath) {
  root_.Write("run/reboot-required", "*** System restart required ***\n");
  spec_.plugins = {{"reboot-required", {}}};
  Act({reconcilers::ActionType::kRequestUpdate, "n1", "run/u/n1/1"});
  ASSERT_TRUE(agent_->Sync().ok());
  auto result = DecodeAgentResult(Annotation(kResultAnnotation));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->token, "run/u/n1/1");
  EXPECT_EQ(result->state, AgentState::kInstalled) << result->message;
  EXPECT_TRUE(result->reboot_required);
  EXPECT_EQ(result->reboot_kind, "full");
  ASSERT_EQ(reboots_.size(), 1u);
  EXPECT_NE(root_.Read("var/lib/kcau/update.json").find("\"rebooting\""), std::string::npos);

  root_.Write("run/kcau-sim/boot_id", "boot-2\n");  // the node came back
  ASSERT_TRUE(agent_->Sync().ok());
  ASSERT_TRUE(agent_->Sync().ok());
  EXPECT_EQ(reboots_.size(), 1u);
  EXPECT_NE(root_.Read("var/lib/kcau/update.json").find("\"done\""), std::string::npos);
  EXPECT_EQ(metrics::SampleValue(registry_, "kcau_agent_results_total",
                                 {{"request", "update"}, {"state", "Installed"}}),
            1);
  EXPECT_EQ(metrics::SampleValue(registry_, "kcau_agent_results_total",
                                 {{"request", "update"}, {"state", "Installing"}}),
            1);
  // The plug-in's install ran once, through the measured factory.
  EXPECT_EQ(metrics::SampleValue(
                registry_, "kcau_plugin_results_total",
                {{"plugin", "reboot-required"}, {"operation", "install"}, {"result", "succeeded"}}),
            1);
  EXPECT_EQ(metrics::HistogramCount(registry_, "kcau_plugin_duration_seconds",
                                    {{"plugin", "reboot-required"}, {"operation", "install"}}),
            1u);
}

TEST_F(NodeAgentTest, HookScriptRunsOnTheHostAndItsOutputIsInTheResult) {
  spec_.pre_update_hook = crd::HookSpec{"hooks", "pre", 30};
  reconcilers::NodeAction hook{reconcilers::ActionType::kRunHook, "n1", "run/u/n1/1/pre"};
  hook.hook = "pre";
  Act(hook);
  ASSERT_TRUE(agent_->Sync().ok());
  auto result = DecodeHookResult(Annotation(kHookResultAnnotation));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->running);
  EXPECT_TRUE(result->succeeded) << result->message;
  EXPECT_NE(result->message.find("hello from pre on n1"), std::string::npos) << result->message;
  EXPECT_TRUE(std::filesystem::exists(root_.At("tmp/hooked")));

  spec_.pre_update_hook = crd::HookSpec{"hooks", "failing", 30};
  hook.token = "run/u/n1/2/pre";
  Act(hook);
  ASSERT_TRUE(agent_->Sync().ok());
  result = DecodeHookResult(Annotation(kHookResultAnnotation));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->succeeded);
  EXPECT_NE(result->message.find("exit code 3"), std::string::npos) << result->message;
  EXPECT_NE(result->message.find("cannot drain the database"), std::string::npos);
}

// A request copied from another node's annotations, or written unsigned, is refused.
TEST_F(NodeAgentTest, RequestsForAnotherNodeAreRefused) {
  root_.Write("run/reboot-required", "");
  spec_.plugins = {{"reboot-required", {}}};
  Act({reconcilers::ActionType::kRequestUpdate, "n2", "run/u/n2/1"});  // signed for n2
  Json n2 = store_.Get(res::Nodes(), {"", "n2"}).value();
  Json copy = Json::object();
  copy["metadata"]["annotations"] = n2.at("metadata").at("annotations");
  ASSERT_TRUE(store_.Patch(res::Nodes(), {"", "n1"}, kube::PatchType::kMerge, copy, false).ok());
  ASSERT_TRUE(agent_->Sync().ok());
  auto result = DecodeAgentResult(Annotation(kResultAnnotation));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, AgentState::kFailed);
  EXPECT_EQ(result->message.rfind("the agent refused this request:", 0), 0u) << result->message;
  EXPECT_TRUE(reboots_.empty());
}

}  // namespace
}  // namespace kcau::agent
