#include "agent/plugins/package_update.h"

#include <fnmatch.h>

#include <sstream>

namespace kcau::agent {

namespace {

bool MatchesAny(const std::vector<std::string>& globs, const std::string& name) {
  std::string without_arch = name.substr(0, name.find(':'));
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), name.c_str(), 0) == 0 ||
        fnmatch(glob.c_str(), without_arch.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string UpdateTitle(const PackageUpdate& update) {
  return update.name + " " + update.new_version;
}

std::vector<std::string> UpdateTitles(const std::vector<PackageUpdate>& updates) {
  std::vector<std::string> titles;
  for (const PackageUpdate& update : updates) titles.push_back(UpdateTitle(update));
  return titles;
}

bool PackageFilter::Selects(const PackageUpdate& update) const {
  if (security_only && !update.security) return false;
  if (!include.empty() && !MatchesAny(include, update.name)) return false;
  return !MatchesAny(exclude, update.name);
}

std::vector<PackageUpdate> Select(const std::vector<PackageUpdate>& updates,
                                  const PackageFilter& filter) {
  std::vector<PackageUpdate> selected;
  for (const PackageUpdate& update : updates) {
    if (filter.Selects(update)) selected.push_back(update);
  }
  return selected;
}

bool IsKernelOrFirmwarePackage(const std::string& name) {
  std::string base = name.substr(0, name.find(':'));
  for (const char* prefix :
       {"linux-image", "linux-modules", "linux-firmware", "firmware-", "kernel", "shim", "grub"}) {
    if (StartsWith(base, prefix)) return true;
  }
  return base.find("microcode") != std::string::npos;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

}  // namespace kcau::agent
