#include "controller/options.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kcau::controller {
namespace {

TEST(ControllerOptionsTest, DefaultsAndBothFlagForms) {
  auto o = ParseControllerOptions({"--kubeconfig", "/tmp/kc", "--metrics-addr=127.0.0.1:9000",
                                   "--workers=4", "--resync-seconds", "30"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->kubeconfig, "/tmp/kc");
  EXPECT_EQ(o->metrics_addr, "127.0.0.1:9000");
  EXPECT_EQ(o->workers, 4);
  EXPECT_EQ(o->resync_period, std::chrono::seconds(30));
  EXPECT_EQ(o->log_level, "info");
}

// Per-phase node Events are opted into; by default a node's story is one Event.
TEST(ControllerOptionsTest, NodePhaseEventsAreOffUnlessAskedFor) {
  auto defaults = ParseControllerOptions({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->node_phase_events);
  for (const char* flag : {"--node-phase-events", "--node-phase-events=true"}) {
    auto o = ParseControllerOptions({flag});
    ASSERT_TRUE(o.ok()) << flag;
    EXPECT_TRUE(o->node_phase_events) << flag;
  }
  auto off = ParseControllerOptions({"--node-phase-events=false"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->node_phase_events);
  EXPECT_NE(ControllerUsage().find("--node-phase-events"), std::string::npos);
}

// The endpoint carries no authentication: unless a manifest asks for more, only the machine
// itself reaches it.
TEST(ControllerOptionsTest, MetricsListenOnLoopbackByDefault) {
  auto o = ParseControllerOptions({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->metrics_addr, "127.0.0.1:8080");
  EXPECT_NE(ControllerUsage().find("127.0.0.1:8080"), std::string::npos);
}

TEST(ControllerOptionsTest, RequestSigningKey) {
  // Unset by default: kcau-controller's main refuses to start without it.
  EXPECT_EQ(ParseControllerOptions({}).value().request_signing_key, "");
  EXPECT_EQ(ParseControllerOptions({"--request-signing-key", "/keys/private.pem"})
                .value()
                .request_signing_key,
            "/keys/private.pem");
  EXPECT_EQ(ParseControllerOptions({"--request-signing-key"}).status().message(),
            "--request-signing-key: needs a value");
}

TEST(ControllerOptionsTest, BadFlagsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  for (const Case& c : {Case{{"--workers", "0"}, "--workers: \"0\" is not a positive integer"},
                        Case{{"--workers=two"}, "--workers: \"two\" is not a positive integer"},
                        Case{{"--kubeconfig"}, "--kubeconfig: needs a value"},
                        Case{{"--log-level=loud"}, "--log-level: \"loud\" is not one of"},
                        Case{{"--frobnicate"}, "unknown flag \"--frobnicate\""}}) {
    SCOPED_TRACE(c.args[0]);
    auto o = ParseControllerOptions(c.args);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.want), std::string::npos) << o.status().message();
  }
}

// kcau's own namespace by default, never one that run authors may write ConfigMaps into.
TEST(ControllerOptionsTest, NamespacesDefaultToKcauSystem) {
  auto o = ParseControllerOptions({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->controller_namespace, "kcau-system");
  EXPECT_EQ(o->leader_elect_namespace, "kcau-system");
  auto given = ParseControllerOptions({"--namespace", "ops", "--leader-elect-namespace=ops"});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->controller_namespace, "ops");
  EXPECT_EQ(given->leader_elect_namespace, "ops");
}

TEST(ControllerOptionsTest, HookRunnerPolicyDefaultsToNonRootAndTheDefaultAccount) {
  auto o = ParseControllerOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->hook_runner, reconcilers::HookRunnerPolicy{});
  EXPECT_EQ(o->hook_runner.allowed_users, (std::vector<reconcilers::UidRange>{{1000, 65535}}));
  EXPECT_FALSE(o->hook_runner.allow_root);
  EXPECT_EQ(o->hook_runner.default_user, 65534);
  EXPECT_TRUE(o->hook_runner.allowed_service_accounts.empty());
}

TEST(ControllerOptionsTest, HookRunnerPolicyFlags) {
  auto o = ParseControllerOptions({"--hook-allowed-users", "0-65535,70000", "--hook-allow-root",
                                   "--hook-default-user=0",
                                   "--hook-allowed-service-accounts=cau-hooks,db-hooks",
                                   "--hook-default-service-account", "kcau-hooks"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->hook_runner.allowed_users,
            (std::vector<reconcilers::UidRange>{{0, 65535}, {70000, 70000}}));
  EXPECT_TRUE(o->hook_runner.allow_root);
  EXPECT_EQ(o->hook_runner.default_user, 0);
  EXPECT_EQ(o->hook_runner.allowed_service_accounts,
            (std::set<std::string>{"cau-hooks", "db-hooks"}));
  EXPECT_EQ(o->hook_runner.default_service_account, "kcau-hooks");
  auto off = ParseControllerOptions({"--hook-allow-root=false"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->hook_runner.allow_root);
}

TEST(ControllerOptionsTest, BadHookRunnerFlagsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  for (const Case& c : {
           Case{{"--hook-allowed-users", "1000-"},
                "--hook-allowed-users: \"1000-\" is not a uid or a range of uids"},
           Case{{"--hook-allowed-users=5000-100"},
                "--hook-allowed-users: \"5000-100\": the range "
                "ends before it starts"},
           Case{{"--hook-default-user", "root"}, "--hook-default-user: \"root\" is not a uid"},
           Case{{"--hook-default-user", "10-20"}, "--hook-default-user: \"10-20\" is not a uid"},
           Case{{"--hook-default-user", "0"},
                "--hook-default-user: uid 0 (root) is not allowed: kcau-controller runs hooks as "
                "root only when started with --hook-allow-root"},
           Case{{"--hook-default-user", "500"},
                "--hook-default-user: uid 500 is not allowed: kcau-controller's "
                "--hook-allowed-users is 1000-65535"},
           Case{{"--hook-allowed-users", "2000-3000"},
                "--hook-default-user: uid 65534 is not allowed"},
           Case{{"--hook-allowed-service-accounts", "ok,../../kube-system/admin"},
                "--hook-allowed-service-accounts: \"../../kube-system/admin\" is not a DNS-1123 "
                "subdomain"},
           Case{{"--hook-allowed-service-accounts", "a,,b"},
                "--hook-allowed-service-accounts: must not be empty"},
           Case{{"--hook-default-service-account", "Admin"},
                "--hook-default-service-account: \"Admin\" is not a DNS-1123 subdomain"},
           Case{{"--hook-allow-root=yes"}, "unknown flag \"--hook-allow-root=yes\""},
       }) {
    SCOPED_TRACE(c.args[0]);
    auto o = ParseControllerOptions(c.args);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.want), std::string::npos) << o.status().message();
  }
}

TEST(ControllerOptionsTest, UsageDocumentsTheHookFlagsAndNamespaceDefault) {
  const std::string usage = ControllerUsage();
  for (const char* flag : {"--hook-allowed-users", "--hook-allow-root", "--hook-default-user",
                           "--hook-allowed-service-accounts", "--hook-default-service-account",
                           "HookRunnerNotAllowed", "(default kcau-system)"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(usage.find("(default default)"), std::string::npos);
}

}  // namespace
}  // namespace kcau::controller
