// Whom hook scripts may run as. The privileged node agent runs a hook with the identity the
// controller sends it, so that identity is the cluster admin's to bound (kcau-controller's
// --hook-* flags), not the run author's: a run may ask only for what the policy allows, and
// a run that names no one gets the policy's defaults. Root is never allowed unless the
// admin says so in so many words (--hook-allow-root), whatever the uid ranges say.
//
// Plain values and pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "crd/updaterun_types.h"
#include "crd/validation.h"

namespace kcau::reconcilers {

// first..last, inclusive.
struct UidRange {
  int64_t first = 0;
  int64_t last = 0;
  bool operator==(const UidRange&) const = default;
};

struct HookRunnerPolicy {
  std::vector<UidRange> allowed_users = {{1000, 65535}};
  bool allow_root = false;
  int64_t default_user = 65534;  // "nobody"
  // "": the request names no service account and the agent uses its own default.
  std::string default_service_account;
  // Service accounts a run may name besides the default; empty: only the default.
  std::set<std::string> allowed_service_accounts;
  bool operator==(const HookRunnerPolicy&) const = default;
};

// The largest uid a range may name (Kubernetes' bound for runAsUser).
inline constexpr int64_t kMaxUid = 2147483647;

// "1000-65535,70000" -> {{1000, 65535}, {70000, 70000}}; the error names the bad element.
StatusOr<std::vector<UidRange>> ParseUidRanges(const std::string& text);
std::string FormatUidRanges(const std::vector<UidRange>& ranges);

// The policy's own consistency: its default user and service account must be allowed.
// The error names the flag to fix.
Status CheckHookRunnerPolicy(const HookRunnerPolicy& policy);

struct ResolvedHookRunner {
  // Always one the policy allows: the run's choice where allowed, the defaults elsewhere.
  crd::HookRunnerSpec runner;
  // What the run asked for that the policy does not allow, each naming its field and rule.
  std::vector<crd::FieldError> refusals;
};

ResolvedHookRunner ResolveHookRunner(const std::optional<crd::HookRunnerSpec>& asked,
                                     const HookRunnerPolicy& policy);

}  // namespace kcau::reconcilers
