// kcau-sim's audit log speaks RBAC's verbs, so that the e2e harness can check the
// controller's requests against the rules in deploy/ (tests/e2e/rbac_check.py).
#include "sim/audit_log.h"

#include <gtest/gtest.h>

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

TEST(AuditLogTest, AnUnwritablePathIsAnError) {
  AuditLog log;
  Status s = log.Open("/nonexistent-dir/audit.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("/nonexistent-dir/audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace kcau::sim
