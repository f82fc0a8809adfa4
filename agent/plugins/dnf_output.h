// Reads what dnf tells the `packages` plug-in: `dnf check-update`'s list, the transaction
// table of `dnf distro-sync --assumeno`, `dnf needs-restarting -r`'s verdict and
// `rpm -q --last`'s kernels.
//
// Thread-safety: plain functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/plugins/package_update.h"

namespace kcau::agent {

// `dnf -q check-update` (exit 100):
//   kcau-test-hello.noarch                        1.1-1                    kcau-test
// A name too long for its column wraps its version and repository onto the next line. The
// list ends where "Obsoleting Packages" begins. `security` is set on every update read.
std::vector<PackageUpdate> ParseDnfCheckUpdate(const std::string& output, bool security);

// The packages a transaction table installs, upgrades or downgrades:
//   Upgrading:
//    kcau-test-hello         noarch         1.1-1           kcau-test         6.0 k
std::vector<PackageUpdate> ParseDnfTransaction(const std::string& output);

struct NeedsRestarting {
  enum class Verdict {
    kNoReboot,
    kReboot,
    kUnavailable,  // dnf has no needs-restarting command (dnf-plugins-core missing)
    kUnknown,      // it failed some other way
  };
  Verdict verdict = Verdict::kUnknown;
  std::vector<std::string> packages;  // with kReboot: the "  * name" lines
};
// `dnf needs-restarting -r`, given its exit code (0: no reboot; 1: a reboot, or an error).
NeedsRestarting ParseNeedsRestarting(const std::string& output, int exit_code);

// The newest installed kernel's "version-release.arch" from `rpm -q --last kernel-core
// kernel` (newest first), as `uname -r` prints a running one; nullopt when none.
std::optional<std::string> NewestKernel(const std::string& rpm_last_output);

}  // namespace kcau::agent
