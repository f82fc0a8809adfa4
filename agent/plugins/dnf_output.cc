#include "agent/plugins/dnf_output.h"

#include <cctype>
#include <sstream>

namespace kcau::agent {

namespace {

std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> tokens;
  std::istringstream in(line);
  std::string token;
  while (in >> token) tokens.push_back(token);
  return tokens;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// "kcau-test-hello" "noarch" "1.1-1" -> the update and the NEVRA dnf installs it by.
PackageUpdate MakeRpmUpdate(const std::string& name, const std::string& arch,
                            const std::string& evr, bool security) {
  return PackageUpdate{.name = name,
                       .new_version = evr,
                       .install_spec = name + "-" + evr + "." + arch,
                       .security = security};
}

bool LooksLikeVersion(const std::string& token) {
  return !token.empty() && std::isdigit(static_cast<unsigned char>(token[0]));
}

}  // namespace

std::vector<PackageUpdate> ParseDnfCheckUpdate(const std::string& output, bool security) {
  std::vector<PackageUpdate> updates;
  std::vector<std::string> lines = SplitLines(output);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (StartsWith(lines[i], "Obsoleting Packages")) break;
    std::vector<std::string> tokens = Tokens(lines[i]);
    if (tokens.size() == 1 && i + 1 < lines.size()) {
      std::vector<std::string> rest = Tokens(lines[i + 1]);
      if (rest.size() == 2 && LooksLikeVersion(rest[0])) {
        tokens.insert(tokens.end(), rest.begin(), rest.end());
        ++i;
      }
    }
    if (tokens.size() != 3 || !LooksLikeVersion(tokens[1])) continue;
    size_t dot = tokens[0].rfind('.');
    if (dot == std::string::npos || dot == 0) continue;
    updates.push_back(
        MakeRpmUpdate(tokens[0].substr(0, dot), tokens[0].substr(dot + 1), tokens[1], security));
  }
  return updates;
}

std::vector<PackageUpdate> ParseDnfTransaction(const std::string& output) {
  std::vector<PackageUpdate> updates;
  std::vector<std::string> lines = SplitLines(output);
  bool in_section = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty() || StartsWith(line, "Transaction Summary")) {
      in_section = false;
      continue;
    }
    if (line[0] != ' ') {
      // "Upgrading:", "Installing dependencies:", "Downgrading:"; not "Removing:".
      in_section =
          line.back() == ':' && (StartsWith(line, "Upgrading") || StartsWith(line, "Installing") ||
                                 StartsWith(line, "Downgrading"));
      continue;
    }
    if (!in_section) continue;
    std::vector<std::string> tokens = Tokens(line);
    if (tokens.size() == 1 && i + 1 < lines.size()) {
      std::vector<std::string> rest = Tokens(lines[i + 1]);
      tokens.insert(tokens.end(), rest.begin(), rest.end());
      ++i;
    }
    if (tokens.size() < 4 || !LooksLikeVersion(tokens[2])) continue;
    updates.push_back(MakeRpmUpdate(tokens[0], tokens[1], tokens[2], false));
  }
  return updates;
}

NeedsRestarting ParseNeedsRestarting(const std::string& output, int exit_code) {
  using Verdict = NeedsRestarting::Verdict;
  NeedsRestarting verdict;
  if (exit_code == 0) {
    verdict.verdict = Verdict::kNoReboot;
    return verdict;
  }
  if (output.find("No such command") != std::string::npos) {
    verdict.verdict = Verdict::kUnavailable;
    return verdict;
  }
  if (exit_code != 1 || output.find("Reboot is required") == std::string::npos) return verdict;
  verdict.verdict = Verdict::kReboot;
  for (const std::string& line : SplitLines(output)) {
    std::vector<std::string> tokens = Tokens(line);
    if (tokens.size() == 2 && tokens[0] == "*") verdict.packages.push_back(tokens[1]);
  }
  return verdict;
}

std::optional<std::string> NewestKernel(const std::string& rpm_last_output) {
  for (const std::string& line : SplitLines(rpm_last_output)) {
    std::vector<std::string> tokens = Tokens(line);
    if (tokens.empty()) continue;
    for (const char* name : {"kernel-core-", "kernel-"}) {
      const std::string prefix = name;
      if (StartsWith(tokens[0], prefix) && tokens[0].size() > prefix.size() &&
          std::isdigit(static_cast<unsigned char>(tokens[0][prefix.size()]))) {
        return tokens[0].substr(prefix.size());
      }
    }
  }
  return std::nullopt;
}

}  // namespace kcau::agent
