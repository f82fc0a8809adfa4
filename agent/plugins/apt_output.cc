#include "agent/plugins/apt_output.h"

#include <algorithm>
#include <sstream>

namespace kcau::agent {

namespace {

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "Debian:12.5/stable, Debian-Security:12/stable-security": apt's "Label:Version/Archive"
// for each place the version comes from.
bool FromSecurityArchive(const std::string& releases) {
  std::istringstream in(releases);
  std::string release;
  while (std::getline(in, release, ',')) {
    release = Trim(release);
    size_t cut = release.find_last_of("/:");
    std::string archive = cut == std::string::npos ? release : release.substr(cut + 1);
    if (EndsWith(archive, "-security")) return true;
  }
  return false;
}

}  // namespace

std::vector<PackageUpdate> ParseAptSimulation(const std::string& output) {
  std::vector<PackageUpdate> updates;
  for (const std::string& line : SplitLines(output)) {
    if (line.rfind("Inst ", 0) != 0) continue;
    size_t name_end = line.find(' ', 5);
    if (name_end == std::string::npos) continue;
    std::string name = line.substr(5, name_end - 5);
    size_t open = line.find('(', name_end);
    size_t close = line.find(')', open == std::string::npos ? name_end : open);
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string inside = line.substr(open + 1, close - open - 1);  // "1.1 localhost [all]"
    size_t version_end = inside.find(' ');
    std::string version = inside.substr(0, version_end);
    std::string releases;
    if (version_end != std::string::npos) {
      releases = inside.substr(version_end + 1);
      size_t arch = releases.rfind(" [");
      if (arch != std::string::npos) releases.resize(arch);
    }
    if (name.empty() || version.empty()) continue;
    updates.push_back(PackageUpdate{.name = name,
                                    .new_version = version,
                                    .install_spec = name + "=" + version,
                                    .security = FromSecurityArchive(releases)});
  }
  return updates;
}

std::vector<std::string> ParseRebootRequiredPackages(const std::string& text) {
  std::vector<std::string> names;
  for (const std::string& line : SplitLines(text)) {
    std::string name = Trim(line);
    if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) continue;
    names.push_back(name);
  }
  return names;
}

}  // namespace kcau::agent
