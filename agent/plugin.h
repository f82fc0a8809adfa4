// The node agent's update plug-ins (CauPluginName / CauPluginArguments): what a run's
// spec.plugins[] names, acting on the node only through agent/host.h's Host.
//
//   packages         the host's package manager (apt or dnf; rpm-ostree or bootc on an
//                    image-based host), non-interactive and bounded by a timeout
//   reboot-required  installs nothing; asks for a reboot when the host's sentinel exists
//   script           runs an administrator's scripts from a folder on the host, once each
//                    (the HotfixPlugin's analogue)
//
// The agent makes one plug-in per request with MakePlugin, which refuses an unknown name or
// argument naming it, then calls Scan (Invoke-CauScan), or Scan, Stage and Install.
//
// Thread-safety: a Plugin is used by one thread at a time; MakePlugin is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/host.h"
#include "common/status.h"

namespace kcau::agent {

// Updates downloaded and ready to install (CAU's UpdateStagingResult).
struct StageResult {
  std::vector<std::string> titles;
  bool operator==(const StageResult&) const = default;
};

struct InstallResult {
  std::vector<std::string> titles;  // what was installed ("hello 1.1-1")
  bool reboot_required = false;
  // What asked for the reboot, as the host says it (apt's reboot-required.pkgs, dnf's
  // needs-restarting, a script's name): for people reading the result.
  std::vector<std::string> reboot_required_by;
  // A kernel, firmware or microcode changed, or a new OS image was staged: a soft reboot
  // (same kernel) would not take the update into use, so the agent reboots fully.
  bool firmware_or_kernel_changed = false;
  std::string message;  // one line for people: what was done
  bool operator==(const InstallResult&) const = default;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string Name() const = 0;
  // The titles of the updates that apply to the host now; changes nothing but caches
  // (package lists).
  virtual StatusOr<std::vector<std::string>> Scan(Host& host) = 0;
  // Downloads what Install would install, installs nothing.
  virtual StatusOr<StageResult> Stage(Host& host) = 0;
  virtual StatusOr<InstallResult> Install(Host& host) = 0;
};

// The run's options that change what a plug-in does (kcau.io/update-options).
struct PluginOptions {
  // OsRollingUpgrade: move the whole OS forward (apt full-upgrade, dnf distro-sync, a new
  // image deployment) rather than update packages within the release.
  bool os_rolling_upgrade = false;
};

// The plug-in `name` configured with `arguments`; an unknown name, an unknown argument or a
// bad value is an InvalidArgument error naming it.
StatusOr<std::unique_ptr<Plugin>> MakePlugin(const std::string& name,
                                             const std::map<std::string, std::string>& arguments,
                                             const PluginOptions& options);

}  // namespace kcau::agent
