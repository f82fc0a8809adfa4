// The UpdateRun's enums by the names the API uses ("Draining", "FullReboot"), and the fixed
// messages the codec recognises when it compacts a large status. Plain C++ (no JSON library)
// so the planner and the CLI use the same words as the codec without depending on it.
// Constant tables and pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "crd/updaterun_types.h"

namespace kcau::crd {

template <typename E>
struct EnumName {
  E e;
  const char* name;
};

inline constexpr EnumName<RunPhase> kRunPhaseNames[] = {{RunPhase::kPending, "Pending"},
                                                        {RunPhase::kRunning, "Running"},
                                                        {RunPhase::kSucceeded, "Succeeded"},
                                                        {RunPhase::kFailed, "Failed"}};
inline constexpr EnumName<NodePhase> kNodePhaseNames[] = {
    {NodePhase::kPending, "Pending"},
    {NodePhase::kPreUpdateHook, "PreUpdateHook"},
    {NodePhase::kCordoned, "Cordoned"},
    {NodePhase::kDraining, "Draining"},
    {NodePhase::kUpdating, "Updating"},
    {NodePhase::kRebooting, "Rebooting"},
    {NodePhase::kScanning, "Scanning"},
    {NodePhase::kVerifying, "Verifying"},
    {NodePhase::kPostUpdateHook, "PostUpdateHook"},
    {NodePhase::kUncordoned, "Uncordoned"},
    {NodePhase::kSucceeded, "Succeeded"},
    {NodePhase::kFailed, "Failed"},
    {NodePhase::kSkipped, "Skipped"}};
inline constexpr EnumName<DrainMode> kDrainModeNames[] = {
    {DrainMode::kNormal, "Normal"}, {DrainMode::kSkip, "Skip"}, {DrainMode::kForce, "Force"}};
inline constexpr EnumName<FailbackMode> kFailbackModeNames[] = {
    {FailbackMode::kNoFailback, "NoFailback"},
    {FailbackMode::kImmediate, "Immediate"},
    {FailbackMode::kPolicy, "Policy"}};
inline constexpr EnumName<RebootMode> kRebootModeNames[] = {
    {RebootMode::kFullReboot, "FullReboot"},
    {RebootMode::kSoftReboot, "SoftReboot"},
    {RebootMode::kPluginCustomReboot, "PluginCustomReboot"},
    {RebootMode::kOrchestratorDefault, "OrchestratorDefault"}};
inline constexpr EnumName<RunMode> kRunModeNames[] = {{RunMode::kUpdate, "Update"},
                                                      {RunMode::kScan, "Scan"}};

template <typename E, size_t N>
inline const char* EnumNameOf(const EnumName<E> (&table)[N], E e) {
  for (const auto& n : table) {
    if (n.e == e) return n.name;
  }
  return "Unknown";
}

template <typename E, size_t N>
inline std::optional<E> ParseEnum(const EnumName<E> (&table)[N], const std::string& name) {
  for (const auto& n : table) {
    if (name == n.name) return n.e;
  }
  return std::nullopt;
}

template <typename E, size_t N>
inline std::string EnumChoices(const EnumName<E> (&table)[N]) {
  std::string out;
  for (const auto& n : table) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

const char* RunPhaseName(RunPhase phase);
std::optional<RunPhase> ParseRunPhase(const std::string& name);
const char* NodePhaseName(NodePhase phase);
std::optional<NodePhase> ParseNodePhase(const std::string& name);
const char* DrainModeName(DrainMode mode);
std::optional<DrainMode> ParseDrainMode(const std::string& name);
const char* FailbackModeName(FailbackMode mode);
std::optional<FailbackMode> ParseFailbackMode(const std::string& name);
const char* RebootModeName(RebootMode mode);
std::optional<RebootMode> ParseRebootMode(const std::string& name);
const char* RunModeName(RunMode mode);
std::optional<RunMode> ParseRunMode(const std::string& name);

// The message of a node that updated without remarks.
std::string NodeSucceededMessage(int updates_installed, bool rebooted);

}  // namespace kcau::crd
