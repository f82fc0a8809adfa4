// One package update as the apt and dnf back ends of the `packages` plug-in see it, the
// include/exclude filter (the cmdlet's QueryString) and the packages whose update needs a
// full reboot.
//
// Thread-safety: plain values and functions.
#pragma once

#include <string>
#include <vector>

namespace kcau::agent {

struct PackageUpdate {
  std::string name;         // "kcau-test-hello", "libc6:i386"
  std::string new_version;  // "1.1-1", "1:2.3-4"
  // What the package manager is given to install exactly this version
  // ("kcau-test-hello=1.1", "kcau-test-hello-1.1-1.noarch").
  std::string install_spec;
  bool security = false;  // comes from a security archive or advisory
  bool operator==(const PackageUpdate&) const = default;
};

// "kcau-test-hello 1.1": the update's title as results show it.
std::string UpdateTitle(const PackageUpdate& update);
std::vector<std::string> UpdateTitles(const std::vector<PackageUpdate>& updates);

// Package name globs (fnmatch): a name is selected when it matches an include glob (or there
// are none) and no exclude glob. A name with an architecture ("libc6:i386") is matched
// without it too.
struct PackageFilter {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool security_only = false;

  bool Selects(const PackageUpdate& update) const;
  // Whether the filter narrows anything: if not, the back end upgrades everything.
  bool Narrows() const { return !include.empty() || !exclude.empty() || security_only; }
};

std::vector<PackageUpdate> Select(const std::vector<PackageUpdate>& updates,
                                  const PackageFilter& filter);

// A kernel, its modules, firmware or CPU microcode: what a soft reboot (same kernel) would
// not take into use ("linux-image-6.1.0-18-amd64", "kernel-core", "intel-microcode").
bool IsKernelOrFirmwarePackage(const std::string& name);

// Splits output into lines without their '\r' / '\n'.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace kcau::agent
