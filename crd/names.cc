#include "crd/names.h"

namespace kcau::crd {

const char* RunPhaseName(RunPhase p) { return EnumNameOf(kRunPhaseNames, p); }
std::optional<RunPhase> ParseRunPhase(const std::string& n) { return ParseEnum(kRunPhaseNames, n); }
const char* NodePhaseName(NodePhase p) { return EnumNameOf(kNodePhaseNames, p); }
std::optional<NodePhase> ParseNodePhase(const std::string& n) {
  return ParseEnum(kNodePhaseNames, n);
}
const char* DrainModeName(DrainMode m) { return EnumNameOf(kDrainModeNames, m); }
std::optional<DrainMode> ParseDrainMode(const std::string& n) {
  return ParseEnum(kDrainModeNames, n);
}
const char* FailbackModeName(FailbackMode m) { return EnumNameOf(kFailbackModeNames, m); }
std::optional<FailbackMode> ParseFailbackMode(const std::string& n) {
  return ParseEnum(kFailbackModeNames, n);
}
const char* RebootModeName(RebootMode m) { return EnumNameOf(kRebootModeNames, m); }
std::optional<RebootMode> ParseRebootMode(const std::string& n) {
  return ParseEnum(kRebootModeNames, n);
}
const char* RunModeName(RunMode m) { return EnumNameOf(kRunModeNames, m); }
std::optional<RunMode> ParseRunMode(const std::string& n) { return ParseEnum(kRunModeNames, n); }

std::string NodeSucceededMessage(int updates_installed, bool rebooted) {
  return std::to_string(updates_installed) + " updates installed" +
         (rebooted ? ", rebooted" : ", no reboot needed");
}

}  // namespace kcau::crd
