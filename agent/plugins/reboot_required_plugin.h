// The `reboot-required` plug-in: installs nothing, and asks for a reboot when the host's
// sentinel file exists (argument `sentinel`, default /var/run/reboot-required, where Debian's
// packages and unattended-upgrades leave it), so that updates installed outside kcau are
// taken into use one node at a time. Its ".pkgs" companion, when there, says why.
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/plugin.h"

namespace kcau::agent {

inline constexpr char kRebootRequiredPlugin[] = "reboot-required";

class RebootRequiredPlugin final : public Plugin {
 public:
  explicit RebootRequiredPlugin(std::string sentinel) : sentinel_(std::move(sentinel)) {}

  std::string Name() const override { return kRebootRequiredPlugin; }
  // One title, "reboot required", when the sentinel exists.
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  StatusOr<StageResult> Stage(Host& host) override;  // nothing to download
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  StatusOr<bool> SentinelExists(Host& host);

  std::string sentinel_;
};

StatusOr<std::unique_ptr<Plugin>> MakeRebootRequiredPlugin(
    const std::map<std::string, std::string>& arguments);

}  // namespace kcau::agent
