// Reads a plug-in's arguments (CauPluginArguments): refuses any the plug-in does not know and
// values it cannot use, each error naming the plug-in, the argument and the problem.
//
// Thread-safety: a plain value; const methods are safe from several threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::agent {

class PluginArguments {
 public:
  // An error names the first argument of `arguments` that is not in `known`.
  static StatusOr<PluginArguments> Make(const std::string& plugin,
                                        const std::map<std::string, std::string>& arguments,
                                        const std::vector<std::string>& known);

  std::optional<std::string> Get(const std::string& key) const;
  // "true" or "false"; `fallback` when absent.
  StatusOr<bool> Bool(const std::string& key, bool fallback) const;
  // "true" or "false"; nullopt when absent.
  StatusOr<std::optional<bool>> OptionalBool(const std::string& key) const;
  // A number of minutes above 0 and at most a day (fractions allowed: "0.5").
  StatusOr<Duration> Minutes(const std::string& key, Duration fallback) const;
  // Comma-separated items, blanks around them dropped; an empty item is refused. Each item
  // must consist of `allowed` characters (letters and digits are always allowed).
  StatusOr<std::vector<std::string>> List(const std::string& key, const std::string& allowed) const;
  // One token of letters, digits and `allowed` characters, at most 128 long.
  StatusOr<std::optional<std::string>> Token(const std::string& key,
                                             const std::string& allowed) const;

  // "plug-in NAME: argument \"KEY\": " + problem.
  Status Error(const std::string& key, const std::string& problem) const;

 private:
  PluginArguments(std::string plugin, std::map<std::string, std::string> arguments)
      : plugin_(std::move(plugin)), arguments_(std::move(arguments)) {}

  std::string plugin_;
  std::map<std::string, std::string> arguments_;
};

// `value` quoted for a message, cut to 64 characters: arguments may be up to 16 KiB.
std::string QuoteForMessage(const std::string& value);

// `minutes` as a Duration when it is a number above 0 and at most 1440; nullopt otherwise.
std::optional<Duration> ParseMinutes(const std::string& minutes);

// "30 minutes", "0.5 minutes": for messages about timeouts.
std::string DescribeMinutes(Duration duration);

}  // namespace kcau::agent
