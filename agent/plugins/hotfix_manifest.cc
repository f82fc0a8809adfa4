#include "agent/plugins/hotfix_manifest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "agent/plugins/plugin_arguments.h"

namespace kcau::agent {

namespace {

Status ManifestError(const std::string& problem) {
  return InvalidArgumentError(std::string("plug-in script: ") + kHotfixManifest + ": " + problem);
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

StatusOr<HotfixEntry> ParseEntry(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) {
    return ManifestError(where + ": not a map of script, installerTimeoutMinutes and reboot");
  }
  HotfixEntry entry;
  bool has_script = false;
  for (const auto& field : node) {
    std::string key = field.first.as<std::string>();
    const YAML::Node& value = field.second;
    std::string text = value.IsScalar() ? value.Scalar() : "";
    if (key == "script") {
      if (!value.IsScalar() || !IsPlainFileName(text)) {
        return ManifestError(where + ": \"script\": " + QuoteForMessage(text) +
                             " is not the name of a file in the folder");
      }
      entry.script = text;
      has_script = true;
    } else if (key == "installerTimeoutMinutes") {
      std::optional<Duration> timeout = value.IsScalar() ? ParseMinutes(text) : std::nullopt;
      if (!timeout) {
        return ManifestError(where + ": \"installerTimeoutMinutes\": " + QuoteForMessage(text) +
                             " is not a number of minutes above 0 and at most 1440");
      }
      entry.timeout = *timeout;
    } else if (key == "reboot") {
      if (!value.IsScalar() || (text != "true" && text != "false")) {
        return ManifestError(where + ": \"reboot\": " + QuoteForMessage(text) +
                             " is neither true nor false");
      }
      entry.reboot = text == "true";
    } else {
      return ManifestError(where + ": unknown field " + QuoteForMessage(key) +
                           " (known: script, installerTimeoutMinutes, reboot)");
    }
  }
  if (!has_script) return ManifestError(where + ": \"script\" is missing");
  return entry;
}

}  // namespace

StatusOr<std::vector<HotfixEntry>> ParseHotfixManifest(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return ManifestError(std::string("not YAML: ") + e.what());
  }
  if (!root.IsSequence()) return ManifestError("not a list of scripts");
  std::vector<HotfixEntry> entries;
  for (size_t i = 0; i < root.size(); ++i) {
    StatusOr<HotfixEntry> entry = ManifestError("item " + std::to_string(i + 1) + ": unreadable");
    try {
      entry = ParseEntry(root[i], "item " + std::to_string(i + 1));
    } catch (const YAML::Exception& e) {
      return ManifestError("item " + std::to_string(i + 1) + ": " + e.what());
    }
    if (!entry.ok()) return entry.status();
    bool repeated = std::any_of(entries.begin(), entries.end(),
                                [&](const HotfixEntry& e) { return e.script == entry->script; });
    if (repeated) {
      return ManifestError("item " + std::to_string(i + 1) + ": \"script\": \"" + entry->script +
                           "\" is listed twice");
    }
    entries.push_back(*entry);
  }
  return entries;
}

}  // namespace kcau::agent
