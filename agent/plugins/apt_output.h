// Reads what apt tells the `packages` plug-in: the plan of a simulated upgrade
// (`apt-get -s upgrade`'s "Inst" lines) and /var/run/reboot-required.pkgs.
//
// Thread-safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "agent/plugins/package_update.h"

namespace kcau::agent {

// The packages `apt-get -s upgrade|full-upgrade|install` would install, in its order:
//   Inst kcau-test-hello [1.0] (1.1 localhost [all])
//   Inst libssl3 [3.0.11-1~deb12u2] (3.0.15-1~deb12u1 Debian-Security:12/stable-security [amd64])
// An update is a security one when an archive it comes from ends in "-security" (Debian's
// and Ubuntu's security pockets, as unattended-upgrades tells them).
std::vector<PackageUpdate> ParseAptSimulation(const std::string& output);

// The package names in reboot-required.pkgs, each once, in the file's order.
std::vector<std::string> ParseRebootRequiredPackages(const std::string& text);

}  // namespace kcau::agent
