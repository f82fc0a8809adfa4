#include "agent/plugins/plugin_arguments.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace kcau::agent {

namespace {

constexpr double kMaxMinutes = 24 * 60;

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool AllAllowed(const std::string& text, const std::string& allowed) {
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && allowed.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string QuoteForMessage(const std::string& value) {
  if (value.size() <= 64) return "\"" + value + "\"";
  return "\"" + value.substr(0, 64) + "...\" (" + std::to_string(value.size()) + " characters)";
}

std::optional<Duration> ParseMinutes(const std::string& minutes) {
  if (minutes.empty() || minutes.size() > 32) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(minutes.c_str(), &end);
  if (end != minutes.c_str() + minutes.size() || !std::isfinite(value) || value <= 0 ||
      value > kMaxMinutes) {
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::llround(value * 60'000)));
}

std::string DescribeMinutes(Duration duration) {
  std::ostringstream out;
  out << static_cast<double>(duration.count()) / 60'000 << " minutes";
  return out.str();
}

StatusOr<PluginArguments> PluginArguments::Make(const std::string& plugin,
                                                const std::map<std::string, std::string>& arguments,
                                                const std::vector<std::string>& known) {
  for (const auto& [key, value] : arguments) {
    bool is_known = false;
    for (const std::string& k : known) is_known = is_known || k == key;
    if (is_known) continue;
    std::string names;
    for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
    return InvalidArgumentError("plug-in " + plugin + ": unknown argument " + QuoteForMessage(key) +
                                " (known: " + (names.empty() ? "none" : names) + ")");
  }
  return PluginArguments(plugin, arguments);
}

std::optional<std::string> PluginArguments::Get(const std::string& key) const {
  auto it = arguments_.find(key);
  if (it == arguments_.end()) return std::nullopt;
  return it->second;
}

Status PluginArguments::Error(const std::string& key, const std::string& problem) const {
  return InvalidArgumentError("plug-in " + plugin_ + ": argument \"" + key + "\": " + problem);
}

StatusOr<std::optional<bool>> PluginArguments::OptionalBool(const std::string& key) const {
  std::optional<std::string> value = Get(key);
  if (!value) return std::optional<bool>();
  if (*value == "true") return std::optional<bool>(true);
  if (*value == "false") return std::optional<bool>(false);
  return Error(key, QuoteForMessage(*value) + " is neither \"true\" nor \"false\"");
}

StatusOr<bool> PluginArguments::Bool(const std::string& key, bool fallback) const {
  StatusOr<std::optional<bool>> value = OptionalBool(key);
  if (!value.ok()) return value.status();
  return value->value_or(fallback);
}

StatusOr<Duration> PluginArguments::Minutes(const std::string& key, Duration fallback) const {
  std::optional<std::string> value = Get(key);
  if (!value) return fallback;
  std::optional<Duration> minutes = ParseMinutes(*value);
  if (!minutes) {
    return Error(key,
                 QuoteForMessage(*value) + " is not a number of minutes above 0 and at most 1440");
  }
  return *minutes;
}

StatusOr<std::vector<std::string>> PluginArguments::List(const std::string& key,
                                                         const std::string& allowed) const {
  std::vector<std::string> items;
  std::optional<std::string> value = Get(key);
  if (!value) return items;
  std::istringstream in(*value);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (item.empty()) return Error(key, "an empty item in " + QuoteForMessage(*value));
    if (!AllAllowed(item, allowed)) {
      return Error(
          key, QuoteForMessage(item) + " may hold only letters, digits and \"" + allowed + "\"");
    }
    items.push_back(item);
  }
  if (items.empty()) return Error(key, "is empty");
  return items;
}

StatusOr<std::optional<std::string>> PluginArguments::Token(const std::string& key,
                                                            const std::string& allowed) const {
  std::optional<std::string> value = Get(key);
  if (!value) return std::optional<std::string>();
  if (value->empty() || value->size() > 128 || !AllAllowed(*value, allowed)) {
    return Error(
        key, QuoteForMessage(*value) + " must be 1 to 128 letters, digits and \"" + allowed + "\"");
  }
  return value;
}

}  // namespace kcau::agent
