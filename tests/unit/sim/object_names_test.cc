// Object names are checked on create as kube-apiserver checks them, kind by kind, with its
// exact wording; generateName makes a valid name; Go's %q quoting round-trips.
#include "sim/object_names.h"

#include <gtest/gtest.h>

#include "sim/object_store.h"

namespace kcau::sim {
namespace {

using kube::Json;
namespace res = kube::resources;

const kube::Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const kube::Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
const kube::Resource kServices{"", "v1", "services", "Service", true};
const kube::Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole",
                                   false};
const kube::Resource kDeployments{"apps", "v1", "deployments", "Deployment", true};

constexpr char kSubdomain[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kLabel[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kDns1035[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

struct NameCase {
  const char* label;
  NameRule rule;
  std::string name;
  bool prefix;
  std::vector<std::string> problems;
};

class NameProblemsTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(NameProblemsTest, AreTheApiServers) {
  EXPECT_EQ(NameProblems(GetParam().rule, GetParam().name, GetParam().prefix), GetParam().problems);
}

const std::string k253 = std::string(249, 'a') + ".com";
const std::string k254 = std::string(250, 'a') + ".com";

INSTANTIATE_TEST_SUITE_P(
    Rules, NameProblemsTest,
    ::testing::Values(
        NameCase{"SubdomainOk", NameRule::kDnsSubdomain, "web-1.example.com", false, {}},
        NameCase{"Subdomain253", NameRule::kDnsSubdomain, k253, false, {}},
        NameCase{"Subdomain254",
                 NameRule::kDnsSubdomain,
                 k254,
                 false,
                 {"must be no more than 253 characters"}},
        NameCase{"Uppercase", NameRule::kDnsSubdomain, "Bad_Name", false, {kSubdomain}},
        NameCase{"Unicode", NameRule::kDnsSubdomain, "päch-dienstag", false, {kSubdomain}},
        NameCase{"Space", NameRule::kDnsSubdomain, "a b", false, {kSubdomain}},
        NameCase{"Quote", NameRule::kDnsSubdomain, "a\"b", false, {kSubdomain}},
        NameCase{"DoubleDot", NameRule::kDnsSubdomain, "a..b", false, {kSubdomain}},
        NameCase{"TrailingDash", NameRule::kDnsSubdomain, "web-", false, {kSubdomain}},
        NameCase{"LongAndBad",
                 NameRule::kDnsSubdomain,
                 std::string(254, 'A'),
                 false,
                 {"must be no more than 253 characters", kSubdomain}},
        NameCase{"GenerateNameDash", NameRule::kDnsSubdomain, "web-", true, {}},
        NameCase{"GenerateNameBad", NameRule::kDnsSubdomain, "Web-", true, {kSubdomain}},
        NameCase{"LabelOk", NameRule::kDnsLabel, "kcau-system", false, {}},
        NameCase{"LabelDots", NameRule::kDnsLabel, "a.b", false, {"must not contain dots"}},
        NameCase{"Label64",
                 NameRule::kDnsLabel,
                 std::string(64, 'a'),
                 false,
                 {"must be no more than 63 characters"}},
        NameCase{"LabelBad", NameRule::kDnsLabel, "A", false, {kLabel}},
        NameCase{"Dns1035Ok", NameRule::kDns1035Label, "metrics", false, {}},
        NameCase{"Dns1035Digit", NameRule::kDns1035Label, "1metrics", false, {kDns1035}},
        NameCase{"PathSegmentOk", NameRule::kPathSegment, "system:Päch Dienstag", false, {}},
        NameCase{"PathSegmentDot", NameRule::kPathSegment, ".", false, {"may not be '.'"}},
        NameCase{"PathSegmentDotDot", NameRule::kPathSegment, "..", true, {"may not be '..'"}},
        NameCase{"PathSegmentSlashPercent",
                 NameRule::kPathSegment,
                 "a/b%",
                 false,
                 {"may not contain '/'", "may not contain '%'"}}),
    [](const ::testing::TestParamInfo<NameCase>& info) { return info.param.label; });

TEST(NameRuleTest, FollowsTheKind) {
  EXPECT_EQ(NameRuleFor(kConfigMaps), NameRule::kDnsSubdomain);
  EXPECT_EQ(NameRuleFor(res::Nodes()), NameRule::kDnsSubdomain);
  EXPECT_EQ(NameRuleFor(res::Leases()), NameRule::kDnsSubdomain);
  EXPECT_EQ(NameRuleFor(res::UpdateRuns()), NameRule::kDnsSubdomain);
  EXPECT_EQ(NameRuleFor(kDeployments), NameRule::kDnsSubdomain);
  EXPECT_EQ(NameRuleFor(kNamespaces), NameRule::kDnsLabel);
  EXPECT_EQ(NameRuleFor(kServices), NameRule::kDns1035Label);
  EXPECT_EQ(NameRuleFor(kClusterRoles), NameRule::kPathSegment);
}

TEST(GoQuoteTest, QuotesAsGoDoes) {
  EXPECT_EQ(GoQuote("Bad_Name"), "\"Bad_Name\"");
  EXPECT_EQ(GoQuote("päch-dienstag"), "\"päch-dienstag\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote(std::string("t\tn\n\x01\x7f", 6)), "\"t\\tn\\n\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("nbsp\xc2\xa0zwsp\xe2\x80\x8b"), "\"nbsp\\u00a0zwsp\\u200b\"");
  EXPECT_EQ(GoQuote("bad\xff\xc3"), "\"bad\\xff\\xc3\"");
  for (const std::string s : {"Bad_Name", "päch; \"x\" is invalid: y", "\t\x01\xc2\xa0\xff"}) {
    EXPECT_EQ(GoUnquote(GoQuote(s)), s);
  }
  EXPECT_FALSE(GoUnquote("\"a\"b\"").has_value());
  EXPECT_FALSE(GoUnquote("\"\\x4\"").has_value());
}

TEST(InvalidMessageTest, SplitsOnlyOutsideQuotedValues) {
  const std::string name = "x; y\" is invalid: z";
  const Status s = InvalidObjectError(
      kConfigMaps, name,
      {"metadata.name: Invalid value: " + GoQuote(name) + ": a", "spec.b: Required value"});
  const InvalidMessage parsed = ParseInvalidMessage(s.message());
  EXPECT_EQ(parsed.subject, "ConfigMap " + GoQuote(name));
  ASSERT_EQ(parsed.field_errors.size(), 2u);
  EXPECT_EQ(parsed.field_errors[0], "metadata.name: Invalid value: " + GoQuote(name) + ": a");
  EXPECT_EQ(parsed.field_errors[1], "spec.b: Required value");
}

TEST(GenerateNameTest, AppendsFiveCharactersToAtMost58) {
  const std::string name = GenerateNameFrom("web-");
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.substr(0, 4), "web-");
  EXPECT_EQ(name.find_first_not_of("bcdfghjklmnpqrstvwxz2456789", 4), std::string::npos);
  EXPECT_EQ(GenerateNameFrom(std::string(80, 'a')).size(), 63u);
}

class CreateNameTest : public ::testing::Test {
 protected:
  CreateNameTest() : clock_(WallClock::from_time_t(1800000000)), store_(clock_) {}
  StatusOr<Json> Create(const kube::Resource& r, const std::string& metadata) {
    return store_.Create(r, "default", Json::parse(R"({"metadata":)" + metadata + "}"));
  }
  FakeClock clock_;
  ObjectStore store_;
};

TEST_F(CreateNameTest, BadNamesAreRefusedWithTheApiServersMessage) {
  auto bad = Create(kConfigMaps, R"({"name":"Bad_Name"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            std::string("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: "
                        "\"Bad_Name\": ") +
                kSubdomain);
  auto long_name = Create(kConfigMaps, R"({"name":")" + k254 + R"("})");
  EXPECT_EQ(long_name.status().message(), "ConfigMap \"" + k254 +
                                              "\" is invalid: metadata.name: Invalid value: \"" +
                                              k254 + "\": must be no more than 253 characters");
  for (const std::string name : {"päch-dienstag", "a b", "a\\\"b", "UPPER"}) {
    EXPECT_FALSE(Create(kConfigMaps, R"({"name":")" + name + R"("})").ok()) << name;
  }
  auto deployment = Create(kDeployments, R"({"name":"Web"})");
  EXPECT_EQ(deployment.status().message().rfind("Deployment.apps \"Web\" is invalid: ", 0), 0u);
  auto ns = store_.Create(kNamespaces, "", Json::parse(R"({"metadata":{"name":"kcau.system"}})"));
  EXPECT_EQ(ns.status().message(),
            "Namespace \"kcau.system\" is invalid: metadata.name: Invalid value: "
            "\"kcau.system\": must not contain dots");
  EXPECT_FALSE(Create(kServices, R"({"name":"1metrics"})").ok());
  auto missing = Create(kConfigMaps, R"({})");
  EXPECT_EQ(missing.status().message(),
            "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is "
            "required");
  EXPECT_TRUE(store_.List(kConfigMaps, "", {})->items.empty()) << "nothing was stored";
}

TEST_F(CreateNameTest, RbacNamesArePathSegments) {
  auto role = store_.Create(kClusterRoles, "",
                            Json::parse(R"({"metadata":{"name":"system:päch dienstag"}})"));
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  auto slash = store_.Create(kClusterRoles, "", Json::parse(R"({"metadata":{"name":"a/b"}})"));
  EXPECT_EQ(slash.status().message(),
            "ClusterRole.rbac.authorization.k8s.io \"a/b\" is invalid: metadata.name: Invalid "
            "value: \"a/b\": may not contain '/'");
}

TEST_F(CreateNameTest, GenerateNameMakesAValidNameOrIsRefused) {
  auto made = Create(kConfigMaps, R"({"generateName":"web-"})");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const std::string name = made->at("metadata").at("name").as_string();
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(made->at("metadata").at("generateName").as_string(), "web-");
  EXPECT_TRUE(store_.Get(kConfigMaps, {"default", name}).ok());

  auto bad = Create(kConfigMaps, R"({"generateName":"Web-"})");
  ASSERT_FALSE(bad.ok());
  const InvalidMessage parsed = ParseInvalidMessage(bad.status().message());
  ASSERT_EQ(parsed.field_errors.size(), 2u);
  EXPECT_EQ(parsed.field_errors[0],
            std::string("metadata.generateName: Invalid value: \"Web-\": ") + kSubdomain);
  EXPECT_EQ(parsed.field_errors[1].rfind("metadata.name: Invalid value: \"Web-", 0), 0u);
}

}  // namespace
}  // namespace kcau::sim
