// Command-line flags as kubectl takes them: anywhere on the line (before or after the verb
// and the name), `--flag value`, `--flag=value`, `-n value`, `-nvalue`; a switch is on with
// `--flag` and set explicitly with `--flag=false`; `--` ends the flags. An unknown flag or a
// value flag without its value is an error naming the flag.
// Pure functions over plain values, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::cli {

struct FlagDef {
  std::string name;      // "max-failed-nodes", written --max-failed-nodes
  char short_name = 0;   // 'n' for -n; 0: none
  bool switch_ = false;  // takes no separate value; "true" unless given as --flag=VALUE
};

struct ParsedFlag {
  std::string name;  // the FlagDef's name, whichever spelling was used
  std::string value;
};

struct ParsedArgs {
  std::vector<std::string> positionals;
  std::vector<ParsedFlag> flags;  // in command-line order; a repeated flag appears repeatedly

  bool Has(const std::string& name) const;
  // The last value given for `name`: later flags override earlier ones, as in kubectl.
  std::optional<std::string> Last(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
};

StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                               const std::vector<FlagDef>& defs);

}  // namespace kcau::cli
