#include "reconcilers/hook_runner_policy.h"

#include <gtest/gtest.h>

#include <ostream>

namespace kcau::crd {
void PrintTo(const FieldError& e, std::ostream* os) {
  *os << "{" << e.field << ": " << e.problem << "}";
}
}  // namespace kcau::crd

namespace kcau::reconcilers {
namespace {

using crd::FieldError;
using crd::HookRunnerSpec;

TEST(HookRunnerPolicyTest, DefaultsAreNonRootAndNoExtraServiceAccount) {
  const HookRunnerPolicy p;
  EXPECT_EQ(p.allowed_users, (std::vector<UidRange>{{1000, 65535}}));
  EXPECT_FALSE(p.allow_root);
  EXPECT_EQ(p.default_user, 65534);
  EXPECT_EQ(p.default_service_account, "");
  EXPECT_TRUE(p.allowed_service_accounts.empty());
  EXPECT_TRUE(CheckHookRunnerPolicy(p).ok());
}

// What a run may ask for: the adversarial inputs (root, a service account of another
// namespace) and the ordinary ones.
TEST(HookRunnerPolicyTest, RunsGetOnlyWhatThePolicyAllows) {
  HookRunnerPolicy admins_choice;
  admins_choice.allowed_users = {{1000, 1999}, {70000, 70000}};
  admins_choice.allowed_service_accounts = {"cau-hooks"};
  admins_choice.default_user = 1500;
  HookRunnerPolicy root_allowed;
  root_allowed.allow_root = true;
  HookRunnerPolicy named_default;
  named_default.default_service_account = "kcau-hooks";

  const std::string kRootRule =
      "uid 0 (root) is not allowed: kcau-controller runs hooks as root only when started with "
      "--hook-allow-root";
  struct Case {
    std::string name;
    HookRunnerPolicy policy;
    std::optional<HookRunnerSpec> asked;
    HookRunnerSpec want;
    std::vector<FieldError> refusals;
  };
  const std::vector<Case> cases = {
      {"nothing asked: the defaults", {}, std::nullopt, {"", 65534}, {}},
      {"empty hookRunner: the defaults", {}, HookRunnerSpec{}, {"", 65534}, {}},
      {"allowed uid", {}, HookRunnerSpec{"", 1000}, {"", 1000}, {}},
      {"root refused by default",
       {},
       HookRunnerSpec{"", 0},
       {"", 65534},
       {{"spec.hookRunner.runAsUser", kRootRule}}},
      {"root refused even inside an allowed range",
       HookRunnerPolicy{{{0, 65535}}, false, 65534, "", {}},
       HookRunnerSpec{"", 0},
       {"", 65534},
       {{"spec.hookRunner.runAsUser", kRootRule}}},
      {"root with --hook-allow-root", root_allowed, HookRunnerSpec{"", 0}, {"", 0}, {}},
      {"uid below the range",
       {},
       HookRunnerSpec{"", 999},
       {"", 65534},
       {{"spec.hookRunner.runAsUser",
         "uid 999 is not allowed: kcau-controller's --hook-allowed-users is 1000-65535"}}},
      {"uid between ranges",
       admins_choice,
       HookRunnerSpec{"", 2000},
       {"", 1500},
       {{"spec.hookRunner.runAsUser",
         "uid 2000 is not allowed: kcau-controller's --hook-allowed-users is 1000-1999,70000"}}},
      {"single-uid range", admins_choice, HookRunnerSpec{"", 70000}, {"", 70000}, {}},
      {"service account of another namespace",
       {},
       HookRunnerSpec{"../../kube-system/admin", 1000},
       {"", 1000},
       {{"spec.hookRunner.serviceAccountName",
         "\"../../kube-system/admin\" is not allowed: kcau-controller's "
         "--hook-allowed-service-accounts is empty, so only the default service account (none "
         "named: the agent's own)"}}},
      {"service account not listed",
       admins_choice,
       HookRunnerSpec{"admin", std::nullopt},
       {"", 1500},
       {{"spec.hookRunner.serviceAccountName",
         "\"admin\" is not allowed: kcau-controller's --hook-allowed-service-accounts allows "
         "only cau-hooks and the default (none named: the agent's own)"}}},
      {"listed service account",
       admins_choice,
       HookRunnerSpec{"cau-hooks", 1000},
       {"cau-hooks", 1000},
       {}},
      {"the default service account by name",
       named_default,
       HookRunnerSpec{"kcau-hooks", 2000},
       {"kcau-hooks", 2000},
       {}},
      {"named default used when none asked",
       named_default,
       HookRunnerSpec{"", 2000},
       {"kcau-hooks", 2000},
       {}},
      {"both refused",
       {},
       HookRunnerSpec{"admin", 0},
       {"", 65534},
       {{"spec.hookRunner.runAsUser", kRootRule},
        {"spec.hookRunner.serviceAccountName",
         "\"admin\" is not allowed: kcau-controller's --hook-allowed-service-accounts is empty, "
         "so only the default service account (none named: the agent's own)"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ResolvedHookRunner r = ResolveHookRunner(c.asked, c.policy);
    EXPECT_EQ(r.runner, c.want);
    EXPECT_EQ(r.refusals, c.refusals);
  }
}

TEST(HookRunnerPolicyTest, UidRangesParseAndFormat) {
  auto r = ParseUidRanges("1000-65535, 70000,0-0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<UidRange>{{1000, 65535}, {70000, 70000}, {0, 0}}));
  EXPECT_EQ(FormatUidRanges(*r), "1000-65535,70000,0");
  auto none = ParseUidRanges("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(HookRunnerPolicyTest, BadUidRangesNameTheElement) {
  struct Case {
    std::string text;
    std::string want;
  };
  for (const Case& c : {
           Case{"1000-", "\"1000-\" is not a uid or a range of uids such as 1000-65535"},
           Case{"-5", "\"-5\" is not a uid or a range of uids"},
           Case{"1000,,2000", "\"\" is not a uid or a range of uids"},
           Case{"abc", "\"abc\" is not a uid or a range of uids"},
           Case{"2000-1000", "\"2000-1000\": the range ends before it starts"},
           Case{"0-4294967295", "\"0-4294967295\": uids go up to 2147483647"},
           Case{"99999999999999999999", "is not a uid or a range of uids"},
       }) {
    SCOPED_TRACE(c.text);
    auto r = ParseUidRanges(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
}

TEST(HookRunnerPolicyTest, InconsistentPoliciesNameTheFlag) {
  struct Case {
    std::string name;
    HookRunnerPolicy policy;
    std::string want;
  };
  HookRunnerPolicy root_default;
  root_default.default_user = 0;
  HookRunnerPolicy outside;
  outside.default_user = 100;
  HookRunnerPolicy bad_default_sa;
  bad_default_sa.default_service_account = "Kube System";
  HookRunnerPolicy bad_allowed_sa;
  bad_allowed_sa.allowed_service_accounts = {"ok", "kube-system/admin"};
  for (const Case& c : {
           Case{"root default", root_default,
                "--hook-default-user: uid 0 (root) is not allowed: kcau-controller runs hooks as "
                "root only when started with --hook-allow-root"},
           Case{"default outside the ranges", outside,
                "--hook-default-user: uid 100 is not allowed: kcau-controller's "
                "--hook-allowed-users is 1000-65535"},
           Case{"bad default service account", bad_default_sa,
                "--hook-default-service-account: \"Kube System\" is not a DNS-1123 subdomain"},
           Case{"bad allowed service account", bad_allowed_sa,
                "--hook-allowed-service-accounts: \"kube-system/admin\" is not a DNS-1123 "
                "subdomain"},
       }) {
    SCOPED_TRACE(c.name);
    Status s = CheckHookRunnerPolicy(c.policy);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace kcau::reconcilers
