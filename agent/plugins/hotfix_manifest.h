// The `script` plug-in's manifest, kcau-hotfix.yaml in the hotfix folder: the scripts to run,
// in order, as the HotfixPlugin's configuration lists its hotfixes.
//
//   - script: 01-sysctl.sh          # a file in the same folder
//     installerTimeoutMinutes: 10   # default 30; fractions allowed, at most 1440
//     reboot: true                  # default false: the host reboots after the run
//
// Thread-safety: plain values and functions.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::agent {

inline constexpr char kHotfixManifest[] = "kcau-hotfix.yaml";

struct HotfixEntry {
  std::string script;  // a file name in the folder, never a path
  Duration timeout = std::chrono::minutes(30);
  bool reboot = false;
  bool operator==(const HotfixEntry&) const = default;
};

// An error names the item (1-based) and the field that is wrong.
StatusOr<std::vector<HotfixEntry>> ParseHotfixManifest(const std::string& yaml);

}  // namespace kcau::agent
