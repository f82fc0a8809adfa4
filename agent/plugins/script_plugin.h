// The `script` plug-in, the HotfixPlugin's analogue: runs an administrator's scripts from a
// folder on the host (argument `path`), in the order of the folder's kcau-hotfix.yaml, as
// root, each within its installerTimeoutMinutes, and each once: an applied script is recorded
// under /var/lib/kcau/hotfixes/ by the SHA-256 of its content (a changed script is a new
// hotfix and runs again).
//
// Scripts run as root, so whoever may change them owns the node: the folder, its parents,
// the manifest and each script must be owned by root and not writable by group or others (a
// parent with the sticky bit, such as /tmp, may be), unless `disableAclChecks: "true"` (the
// cmdlet's DisableAclChecks). The checks run before every Scan, Stage and Install.
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/plugin.h"
#include "agent/plugins/hotfix_manifest.h"

namespace kcau::agent {

inline constexpr char kScriptPlugin[] = "script";
inline constexpr char kHotfixRecords[] = "/var/lib/kcau/hotfixes";

class ScriptPlugin final : public Plugin {
 public:
  ScriptPlugin(std::string folder, bool acl_checks)
      : folder_(std::move(folder)), acl_checks_(acl_checks) {}

  std::string Name() const override { return kScriptPlugin; }
  // The manifest's scripts not applied yet, by name.
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  // Checks as Scan does; the scripts are on the host already, so nothing downloads.
  StatusOr<StageResult> Stage(Host& host) override;
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  struct Pending {
    HotfixEntry entry;
    std::string record;  // the record's path once applied
  };
  // The manifest's entries not applied yet, after the ACL checks.
  StatusOr<std::vector<Pending>> PendingScripts(Host& host);
  Status CheckAcl(Host& host, const std::string& path, bool directory);
  Status CheckParents(Host& host);

  std::string folder_;
  bool acl_checks_;
};

StatusOr<std::unique_ptr<Plugin>> MakeScriptPlugin(
    const std::map<std::string, std::string>& arguments);

// Lower-case hex SHA-256 of `content`.
std::string Sha256Hex(const std::string& content);

}  // namespace kcau::agent
