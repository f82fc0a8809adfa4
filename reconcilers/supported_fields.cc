#include "reconcilers/supported_fields.h"

namespace kcau::reconcilers {

const std::set<std::string>& SupportedSpecFields() {
  // Grows as each row of README.md's parameter table becomes real.
  static const std::set<std::string> fields = {
      "spec.nodeSelector",
      "spec.plugins",
      "spec.maxFailedNodes",
      "spec.maxRetriesPerNode",
      "spec.nodeOrder",
      "spec.siteAwareUpdatingOrder",
      "spec.rebootTimeoutMinutes",
      "spec.maxUnavailable",
      "spec.requireAllNodesOnline",
      "spec.whatIf",
      "spec.drain",
      "spec.drainTimeoutMinutes",
      "spec.agentTimeoutMinutes",
      "spec.forceReboot",
      "spec.warnAfter",
      "spec.stopAfter",
      "spec.stop",
      "spec.failbackMode",
      "spec.forceRecovery",
      "spec.mode",
      "spec.runPluginsSerially",
      "spec.stopOnPluginFailure",
      "spec.separateReboots",
      "spec.preUpdateHook",
      "spec.postUpdateHook",
      "spec.hookRunner",
      "spec.rebootMode",
      "spec.attemptSoftReboot",
      "spec.skipUpdateChecks",
      "spec.osRollingUpgrade",
      "spec.forceSelfUpdate",
  };
  return fields;
}

std::vector<std::string> UnsupportedFieldsIn(const crd::UpdateRunSpec& spec) {
  std::vector<std::string> unsupported;
  for (const auto& field : spec.fields_present) {  // std::set: already sorted
    if (!SupportedSpecFields().count(field)) unsupported.push_back(field);
  }

  return unsupported;
}

}  // namespace kcau::reconcilers
