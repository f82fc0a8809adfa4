#include "reconcilers/hook_runner_policy.h"

#include <cctype>

#include "crd/k8s_names.h"

namespace kcau::reconcilers {

namespace {

bool AllDigits(const std::string& s) {
  if (s.empty() || s.size() > 10) return false;  // 10 digits hold kMaxUid
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

bool InRanges(int64_t uid, const std::vector<UidRange>& ranges) {
  for (const UidRange& r : ranges) {
    if (uid >= r.first && uid <= r.last) return true;
  }
  return false;
}

// Root only by --hook-allow-root: a range such as 0-65535 does not let it in by accident.
bool UserAllowed(int64_t uid, const HookRunnerPolicy& policy) {
  return uid == 0 ? policy.allow_root : InRanges(uid, policy.allowed_users);
}

std::string WhyNotUser(int64_t uid, const HookRunnerPolicy& policy) {
  if (uid == 0) {
    return "uid 0 (root) is not allowed: kcau-controller runs hooks as root only when started "
           "with --hook-allow-root";
  }
  const std::string ranges = FormatUidRanges(policy.allowed_users);
  return "uid " + std::to_string(uid) + " is not allowed: kcau-controller's --hook-allowed-users " +
         (ranges.empty() ? std::string("is empty") : "is " + ranges);
}

std::string DefaultServiceAccount(const HookRunnerPolicy& policy) {
  return policy.default_service_account.empty() ? std::string("none named: the agent's own")
                                                : crd::Quoted(policy.default_service_account);
}

std::string WhyNotServiceAccount(const std::string& name, const HookRunnerPolicy& policy) {
  std::string allowed;
  for (const auto& a : policy.allowed_service_accounts)
    allowed += (allowed.empty() ? "" : ", ") + a;
  return crd::Quoted(name) + " is not allowed: kcau-controller's --hook-allowed-service-accounts " +
         (allowed.empty() ? std::string("is empty, so only the default service account (")
                          : "allows only " + allowed + " and the default (") +
         DefaultServiceAccount(policy) + ")";
}

}  // namespace

StatusOr<std::vector<UidRange>> ParseUidRanges(const std::string& text) {
  std::vector<UidRange> ranges;
  if (Trimmed(text).empty()) return ranges;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string item =
        Trimmed(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    const size_t dash = item.find('-');
    const std::string first = dash == std::string::npos ? item : item.substr(0, dash);
    const std::string last = dash == std::string::npos ? item : item.substr(dash + 1);
    if (!AllDigits(first) || !AllDigits(last)) {
      return InvalidArgumentError(crd::Quoted(item) +
                                  " is not a uid or a range of uids such as 1000-65535");
    }
    const UidRange r{std::stoll(first), std::stoll(last)};
    if (r.last > kMaxUid) {
      return InvalidArgumentError(crd::Quoted(item) + ": uids go up to " + std::to_string(kMaxUid));
    }
    if (r.first > r.last) {
      return InvalidArgumentError(crd::Quoted(item) + ": the range ends before it starts");
    }
    ranges.push_back(r);
    if (comma == std::string::npos) return ranges;
    begin = comma + 1;
  }
}

std::string FormatUidRanges(const std::vector<UidRange>& ranges) {
  std::string out;
  for (const UidRange& r : ranges) {
    if (!out.empty()) out += ",";
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

Status CheckHookRunnerPolicy(const HookRunnerPolicy& policy) {
  if (policy.default_user < 0 || policy.default_user > kMaxUid) {
    return InvalidArgumentError("--hook-default-user: must be between 0 and " +
                                std::to_string(kMaxUid) + ", got " +
                                std::to_string(policy.default_user));
  }
  if (!UserAllowed(policy.default_user, policy)) {
    return InvalidArgumentError("--hook-default-user: " + WhyNotUser(policy.default_user, policy));
  }
  if (!policy.default_service_account.empty()) {
    const std::string problem = crd::DnsSubdomainProblem(policy.default_service_account);
    if (!problem.empty()) return InvalidArgumentError("--hook-default-service-account: " + problem);
  }
  for (const auto& name : policy.allowed_service_accounts) {
    const std::string problem = crd::DnsSubdomainProblem(name);
    if (!problem.empty())
      return InvalidArgumentError("--hook-allowed-service-accounts: " + problem);
  }
  return Status::Ok();
}

ResolvedHookRunner ResolveHookRunner(const std::optional<crd::HookRunnerSpec>& asked,
                                     const HookRunnerPolicy& policy) {
  ResolvedHookRunner resolved;
  resolved.runner.run_as_user = policy.default_user;
  resolved.runner.service_account_name = policy.default_service_account;
  if (!asked) return resolved;
  if (asked->run_as_user) {
    if (UserAllowed(*asked->run_as_user, policy)) {
      resolved.runner.run_as_user = asked->run_as_user;
    } else {
      resolved.refusals.push_back(
          {"spec.hookRunner.runAsUser", WhyNotUser(*asked->run_as_user, policy)});
    }
  }
  const std::string& name = asked->service_account_name;
  if (!name.empty()) {
    if (name == policy.default_service_account || policy.allowed_service_accounts.count(name)) {
      resolved.runner.service_account_name = name;
    } else {
      resolved.refusals.push_back(
          {"spec.hookRunner.serviceAccountName", WhyNotServiceAccount(name, policy)});
    }
  }
  return resolved;
}

}  // namespace kcau::reconcilers
