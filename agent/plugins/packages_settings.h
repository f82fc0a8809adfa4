// The `packages` plug-in's arguments, read and checked once when the plug-in is made:
//   backend             "apt" or "dnf"; absent: what the host has
//   timeoutMinutes      bound on each package-manager command (default 30)
//   include, exclude    comma-separated package name globs (the cmdlet's QueryString)
//   securityOnly        "true": only updates from a security archive (apt: an archive named
//                       *-security; dnf: --security advisories)
//   includeRecommended  "true": install recommended packages too (apt --install-recommends,
//                       dnf install_weak_deps); "false": never; absent: the host's setting
//   targetRelease       with osRollingUpgrade: the release to move to (apt -t, dnf
//                       --releasever)
//
// Thread-safety: plain values and functions.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/plugin.h"
#include "agent/plugins/package_update.h"
#include "common/clock.h"
#include "common/status.h"

namespace kcau::agent {

enum class PackageBackend { kApt, kDnf };

struct PackagesSettings {
  std::optional<PackageBackend> backend;
  Duration timeout = std::chrono::minutes(30);
  PackageFilter filter;
  std::optional<bool> include_recommended;
  std::optional<std::string> target_release;
  bool os_rolling_upgrade = false;
};

inline constexpr char kPackagesPlugin[] = "packages";

StatusOr<PackagesSettings> ParsePackagesSettings(
    const std::map<std::string, std::string>& arguments, const PluginOptions& options);

}  // namespace kcau::agent
