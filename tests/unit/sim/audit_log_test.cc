// kcau-sim's audit log speaks RBAC's verbs, so that the e2e harness can check the
// controller's requests against the rules in deploy/ (tests/e2e/rbac_check.py).
#include "sim/audit_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace kcau::sim {
namespace {

TEST(AuditLogTest, VerbsAreTheAuthorizersVerbs) {
  EXPECT_EQ(AuditVerb("GET", true, false), "get");
  EXPECT_EQ(AuditVerb("GET", false, false), "list");
  EXPECT_EQ(AuditVerb("GET", false, true), "watch");
  EXPECT_EQ(AuditVerb("POST", false, false), "create");
  EXPECT_EQ(AuditVerb("POST", true, false), "create");  // pods/NAME/eviction
  EXPECT_EQ(AuditVerb("PUT", true, false), "update");
  EXPECT_EQ(AuditVerb("PATCH", true, false), "patch");
  EXPECT_EQ(AuditVerb("DELETE", true, false), "delete");
  EXPECT_EQ(AuditVerb("DELETE", false, false), "deletecollection");
  EXPECT_EQ(AuditVerb("OPTIONS", true, false), "");
}

TEST(AuditLogTest, EachRequestIsOneLineOfJson) {
  const std::string path = ::testing::TempDir() + "audit_log_test.jsonl";
  std::remove(path.c_str());
  {
    AuditLog log;
    EXPECT_FALSE(log.IsOpen());
    ASSERT_TRUE(log.Open(path).ok());
    log.Record({"kcau-controller/0.1.0", "create", "", "pods", "eviction", "web", "web-1",
                "kubernetes-admin"});
    log.Record({"kubectl/v1.32", "list", "kcau.io", "updateruns", "", "", "say \"hi\""});
  }
  std::ifstream in(path);
  std::string first, second, third;
  ASSERT_TRUE(std::getline(in, first));
  ASSERT_TRUE(std::getline(in, second));
  EXPECT_FALSE(std::getline(in, third));
  EXPECT_EQ(
      first,
      R"({"apiGroup":"","name":"web-1","namespace":"web","resource":"pods",)"
      R"("subresource":"eviction","user":"kubernetes-admin","userAgent":"kcau-controller/0.1.0",)"
      R"("userNode":"","verb":"create"})");
  EXPECT_NE(second.find(R"("name":"say \"hi\"")"), std::string::npos) << second;
  std::remove(path.c_str());
}

// The benchmarks time the controller's reactions from the log: each line says when its
// request arrived, to the microsecond, and a simulated kubelet's status write says whether
// the node is Ready and which boot ID it came back with.
TEST(AuditLogTest, LinesCarryTheirTimeAndKubeletWritesTheirNodeState) {
  const TimePoint when = WallClock::from_time_t(1800000000) + std::chrono::microseconds(1234);
  AuditEntry request{"kcau-controller/0.1.0", "patch", "", "nodes", "", "", "n1",
                     "kubernetes-admin"};
  request.received = when;
  const std::string line = AuditLine(request);
  EXPECT_NE(line.find(R"("requestReceivedTimestamp":"2027-01-15T08:00:00.001234Z")"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("annotations"), std::string::npos) << line;

  EXPECT_EQ(AuditLine(KubeletStatusEntry("n1", true, "b-2", when)),
            R"({"annotations":{"sim.kcau.io/new-boot-id":"b-2","sim.kcau.io/ready":"True"},)"
            R"("apiGroup":"","name":"n1","namespace":"","requestReceivedTimestamp":)"
            R"("2027-01-15T08:00:00.001234Z","resource":"nodes","subresource":"status",)"
            R"("user":"system:node:n1","userAgent":"kubelet/v1.32.0 (linux/amd64) kcau-sim",)"
            R"("userNode":"n1","verb":"patch"})");
  const std::string rebooting = AuditLine(KubeletStatusEntry("n1", false, "", when));
  EXPECT_NE(rebooting.find(R"("annotations":{"sim.kcau.io/ready":"False"})"), std::string::npos)
      << rebooting;
}

// A simulated agent's result is logged as the agents' own patch of their node, with the
// result's state and whether a reboot follows (the benchmarks time the controller from it).
TEST(AuditLogTest, AgentResultWritesSayTheStateAndTheReboot) {
  const TimePoint when = WallClock::from_time_t(1800000000);
  const std::string line = AuditLine(AgentResultEntry("n1", "Installed", false, when));
  for (
      const char* part :
      {R"("annotations":{"sim.kcau.io/agent-state":"Installed","sim.kcau.io/reboot-required":"false"})",
       R"("user":"system:serviceaccount:kcau-system:kcau-agent")", R"("userNode":"n1")",
       R"("verb":"patch")", R"("resource":"nodes","subresource":"",)", R"("name":"n1")"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
}

TEST(AuditLogTest, AnUnwritablePathIsAnError) {
  AuditLog log;
  Status s = log.Open("/nonexistent-dir/audit.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("/nonexistent-dir/audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace kcau::sim
